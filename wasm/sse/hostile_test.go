package sse

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests in this file feed the decoder what a hostile or broken server
// can send: a line that never ends, an event that never ends, a million
// fields, a million empty events. With Limits set, the decoder's buffers
// must stay within a small multiple of the limits, however much arrives;
// they are read through the Decoder's fields, which this package's tests
// can see.

// counter is a Handler that counts and keeps nothing.
type counter struct {
	events, retries int
	lastData        string // the data of the last event, when it is short
}

func (c *counter) Event(e Event) {
	c.events++
	if len(e.Data) <= 16 {
		c.lastData = string(e.Data)
	}
}

func (c *counter) Retry(time.Duration) { c.retries++ }

// slack is what other goroutines of the test process may allocate while
// allocated measures.
const slack = 32 << 10

// capacities are the decoder's buffer capacities, in bytes.
type capacities struct {
	line, data, eventType, idBuffer, lastEventID int
}

func capsOf(d *Decoder) capacities {
	return capacities{cap(d.line), cap(d.data), cap(d.eventType), cap(d.idBuffer), cap(d.lastEventID)}
}

func (c capacities) total() int { return c.line + c.data + c.eventType + c.idBuffer + c.lastEventID }

// feedRepeatedly feeds chunk until Feed fails or max bytes went in. It
// returns how many bytes went in and the error, and checks after each
// Feed that no buffer outgrew bound.
func feedRepeatedly(t *testing.T, d *Decoder, h Handler, chunk []byte, max, bound int) (int, error) {
	t.Helper()
	fed := 0
	for fed < max {
		err := d.Feed(chunk, h)
		fed += len(chunk)
		if c := capsOf(d); c.line > bound || c.data > bound || c.eventType > bound || c.idBuffer > bound || c.lastEventID > bound {
			t.Fatalf("after %d bytes, buffer capacities %+v exceed %d", fed, c, bound)
		}
		if err != nil {
			return fed, err
		}
	}
	return fed, nil
}

// allocated returns the bytes allocated while f ran, by the whole test
// process: hence the slack in the bounds below.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// wantLimitError checks that err is a *LimitError for the limit.
func wantLimitError(t *testing.T, err, want error, limit int) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, want) {
		t.Fatalf("error %v, want a *LimitError wrapping %v", err, want)
	}
	if le.Limit != limit {
		t.Errorf("LimitError.Limit = %d, want %d", le.Limit, limit)
	}
}

// TestHostileEndlessLine feeds a line that never ends, in chunks of several
// sizes: the decoder fails with ErrLineTooLong as soon as the line passes
// MaxLine, its line buffer never holds more than about MaxLine, and it
// allocates no more than a few times MaxLine in all (append grows the
// buffer by a quarter at a time at these sizes, so the buffers it leaves
// behind add up to about four times the last one).
func TestHostileEndlessLine(t *testing.T) {
	for _, limit := range []int{16, 4096, 64 << 10} {
		for _, size := range []int{1, 7, 1000, 64 << 10, 1 << 20} {
			if size == 1 && limit > 4096 {
				continue // a million one-byte feeds prove nothing more
			}
			t.Run(strconv.Itoa(limit)+"/"+strconv.Itoa(size), func(t *testing.T) {
				d := &Decoder{Limits: Limits{MaxLine: limit}}
				h := &counter{}
				if err := d.Feed([]byte("data: "), h); err != nil {
					t.Fatal(err)
				}
				chunk := []byte(strings.Repeat("x", size))
				var fed int
				var err error
				alloc := allocated(func() {
					fed, err = feedRepeatedly(t, d, h, chunk, 16*limit+2*size, 2*limit)
				})
				wantLimitError(t, err, ErrLineTooLong, limit)
				if max := limit + size; fed > max {
					t.Errorf("failed after %d bytes of the line, want by %d", fed, max)
				}
				if max := uint64(6*limit + slack); alloc > max {
					t.Errorf("allocated %d bytes for a line limited to %d, want at most %d", alloc, limit, max)
				}
				// The decoder stays failed and takes in nothing more.
				before := capsOf(d)
				for range 10 {
					if err := d.Feed(chunk, h); err == nil {
						t.Fatal("Feed after the limit error succeeded")
					}
				}
				if after := capsOf(d); after != before {
					t.Errorf("buffers changed after the limit error: %+v, then %+v", before, after)
				}
				if h.events != 0 {
					t.Errorf("%d events from an endless line", h.events)
				}
				t.Logf("limit %d, chunks of %d: failed after %d bytes; capacities %+v; allocated %d bytes", limit, size, fed, before, alloc)
			})
		}
	}
}

// TestHostileEndlessEvent feeds data lines that never end in a blank line:
// the decoder fails with ErrEventTooLarge once the data passes MaxEvent,
// and its data buffer stays within a small multiple of it. Empty data
// lines, each adding only a line feed, count too.
func TestHostileEndlessEvent(t *testing.T) {
	const maxLine, maxEvent = 1024, 64 << 10
	for _, tc := range []struct{ name, line string }{
		{"data lines", "data: " + strings.Repeat("y", 100) + "\n"},
		{"empty data lines", "data\n"},
		{"CRLF data lines", "data:" + strings.Repeat("y", 50) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Decoder{Limits: Limits{MaxLine: maxLine, MaxEvent: maxEvent}}
			h := &counter{}
			chunk := []byte(strings.Repeat(tc.line, 4096/len(tc.line)+1))
			var fed int
			var err error
			alloc := allocated(func() {
				fed, err = feedRepeatedly(t, d, h, chunk, 64*maxEvent, 2*maxEvent)
			})
			wantLimitError(t, err, ErrEventTooLarge, maxEvent)
			// Data lines cost at least one byte of the data buffer per
			// line of up to len(tc.line) bytes.
			if max := (maxEvent+1)*len(tc.line) + len(chunk); fed > max {
				t.Errorf("failed after %d bytes, want by %d", fed, max)
			}
			if max := uint64(6*maxEvent + 6*maxLine + slack); alloc > max {
				t.Errorf("allocated %d bytes for an event limited to %d, want at most %d", alloc, maxEvent, max)
			}
			if h.events != 0 {
				t.Errorf("%d events from an event that never ended", h.events)
			}
			t.Logf("failed after %d bytes; capacities %+v; allocated %d bytes", fed, capsOf(d), alloc)
		})
	}
}

// TestHostileMillionFields feeds a million fields that never dispatch an
// event: event types, ids, retries, unknown fields and comments. Each
// replaces the last or is dropped, so no buffer grows past one line, and
// nothing fails.
func TestHostileMillionFields(t *testing.T) {
	const maxLine = 256
	fields := []string{
		"event: " + strings.Repeat("t", 200) + "\n",
		"id: " + strings.Repeat("9", 200) + "\n",
		"retry: 1000\n",
		"unknown: " + strings.Repeat("u", 100) + "\n",
		": " + strings.Repeat("c", 200) + "\n",
		"id\n",
		"event\n",
	}
	var b strings.Builder
	for i := 0; b.Len() < 64<<10; i++ {
		b.WriteString(fields[i%len(fields)])
	}
	chunk := []byte(b.String())
	perChunk := strings.Count(b.String(), "\n")
	d := &Decoder{Limits: Limits{MaxLine: maxLine, MaxEvent: 1024}}
	h := &counter{}
	chunks := 1_000_000/perChunk + 1
	alloc := allocated(func() {
		for range chunks {
			if err := d.Feed(chunk, h); err != nil {
				t.Fatalf("Feed: %v", err)
			}
		}
	})
	c := capsOf(d)
	if c.total() > 5*2*maxLine {
		t.Errorf("after %d fields, capacities %+v exceed twice the line limit each", chunks*perChunk, c)
	}
	if alloc > slack {
		t.Errorf("allocated %d bytes for %d fields; the buffers should be reused", alloc, chunks*perChunk)
	}
	if h.events != 0 || h.retries != chunks*strings.Count(b.String(), "retry") {
		t.Errorf("%d events and %d retries, want 0 and %d", h.events, h.retries, chunks*strings.Count(b.String(), "retry"))
	}
	// A blank line now dispatches nothing: there is no data.
	if err := d.Feed([]byte("\n"), h); err != nil || h.events != 0 {
		t.Errorf("blank line: err %v, %d events", err, h.events)
	}
	t.Logf("%d fields in %d bytes: capacities %+v; allocated %d bytes", chunks*perChunk, chunks*len(chunk), c, alloc)
}

// TestHostileMillionEmptyEvents feeds a million blank lines, which dispatch
// nothing, then a million events with empty data and changing ids, each
// dispatched: neither grows a buffer, and the steady state allocates
// nothing.
func TestHostileMillionEmptyEvents(t *testing.T) {
	const n = 1_000_000
	limits := Limits{MaxLine: 64, MaxEvent: 64}

	t.Run("blank lines", func(t *testing.T) {
		d := &Decoder{Limits: limits}
		h := &counter{}
		chunk := []byte(strings.Repeat("\n", 64<<10))
		alloc := allocated(func() {
			for range n / len(chunk) {
				if err := d.Feed(chunk, h); err != nil {
					t.Fatal(err)
				}
			}
		})
		if h.events != 0 {
			t.Errorf("%d events from blank lines", h.events)
		}
		if c := capsOf(d); c.total() != 0 {
			t.Errorf("capacities %+v after blank lines, want none", c)
		}
		if alloc > slack {
			t.Errorf("allocated %d bytes for blank lines", alloc)
		}
	})

	t.Run("empty events", func(t *testing.T) {
		var b strings.Builder
		for i := 0; b.Len() < 64<<10; i++ {
			b.WriteString("id: " + strconv.Itoa(i%1000) + "\ndata\n\n")
		}
		chunk := []byte(b.String())
		perChunk := strings.Count(b.String(), "data")
		d := &Decoder{Limits: limits}
		h := &counter{}
		if err := d.Feed(chunk, h); err != nil { // warm up the buffers
			t.Fatal(err)
		}
		chunks := n/perChunk + 1
		alloc := allocated(func() {
			for range chunks {
				if err := d.Feed(chunk, h); err != nil {
					t.Fatal(err)
				}
			}
		})
		if want := (chunks + 1) * perChunk; h.events != want || h.lastData != "" {
			t.Errorf("%d events (last data %q), want %d empty ones", h.events, h.lastData, want)
		}
		c := capsOf(d)
		if c.total() > 5*2*limits.MaxLine {
			t.Errorf("after %d events, capacities %+v", h.events, c)
		}
		if alloc > slack {
			t.Errorf("allocated %d bytes for %d events; want none in the steady state", alloc, h.events)
		}
		if avg := testing.AllocsPerRun(10, func() { _ = d.Feed(chunk, h) }); avg != 0 {
			t.Errorf("%v allocations per chunk of %d empty events, want 0", avg, perChunk)
		}
		t.Logf("%d events: capacities %+v; allocated %d bytes", h.events, c, alloc)
	})
}

// TestHostileLongLineWithoutLimits shows what the limits are for: with
// none, an endless line is buffered whole, and no error is ever reported;
// with MaxLine set, the same input is reported as a *LimitError, and the
// buffer stays near the limit.
func TestHostileLongLineWithoutLimits(t *testing.T) {
	const size = 4 << 20
	chunk := []byte(strings.Repeat("x", 64<<10))
	input := func(d *Decoder) error {
		if err := d.Feed([]byte("data: "), &counter{}); err != nil {
			return err
		}
		for range size / len(chunk) {
			if err := d.Feed(chunk, &counter{}); err != nil {
				return err
			}
		}
		return nil
	}

	unlimited := &Decoder{}
	if err := input(unlimited); err != nil {
		t.Fatalf("without limits: %v, want no error", err)
	}
	if got := len(unlimited.line); got != size+len("data: ") {
		t.Errorf("without limits the line buffer holds %d bytes, want all %d", got, size+len("data: "))
	}

	limited := &Decoder{Limits: Limits{MaxLine: 64 << 10}}
	wantLimitError(t, input(limited), ErrLineTooLong, 64<<10)
	if got := cap(limited.line); got > 2*(64<<10) {
		t.Errorf("with MaxLine 64 KiB the line buffer grew to %d bytes", got)
	}
	// A reset starts a new stream, within the limit again.
	limited.Reset()
	h := &counter{}
	if err := limited.Feed([]byte("data: ok\n\n"), h); err != nil || h.events != 1 || h.lastData != "ok" {
		t.Errorf("after Reset: err %v, %d events, data %q", err, h.events, h.lastData)
	}
	if got := cap(limited.line); got > keepCapacity {
		t.Errorf("after Reset and a short event the line buffer keeps %d bytes", got)
	}
}
