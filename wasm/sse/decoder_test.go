package sse

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// recorder is a Handler that keeps what it is given, in order, as text.
type recorder struct {
	got []string
}

func (r *recorder) Event(e Event) {
	r.got = append(r.got, fmt.Sprintf("event type=%q data=%q id=%q", e.Type, e.Data, e.LastEventID))
}

func (r *recorder) Retry(d time.Duration) {
	r.got = append(r.got, fmt.Sprintf("retry %v", d))
}

func ev(eventType, data, id string) string {
	return fmt.Sprintf("event type=%q data=%q id=%q", eventType, data, id)
}

func retry(ms int) string { return fmt.Sprintf("retry %v", time.Duration(ms)*time.Millisecond) }

// runRecorder is a recorder that takes runs of events (a RunHandler), as
// the module's batch builder does. Its buffer starts small, so that runs
// need it to grow.
type runRecorder struct {
	recorder
	id       string // the last event ID of the run being taken
	miscount string // a run whose event count was wrong
}

// runSeparator is what runRecorder asks for before each event's data:
// LF, which no event of a run holds, as the builder's CR.
const runSeparator = '\n'

func (r *runRecorder) Run(lastEventID []byte) ([]byte, byte, bool) {
	r.id = string(lastEventID)
	buf := make([]byte, 1, 4)
	buf[0] = 'm'
	return buf, runSeparator, true
}

func (r *runRecorder) RunDone(buf []byte, events int) {
	fields := strings.Split(string(buf[1:]), string(rune(runSeparator)))[1:]
	if len(fields) != events {
		r.miscount = fmt.Sprintf("a run of %d events reported as %d: %q", len(fields), events, buf)
	}
	for _, data := range fields {
		r.got = append(r.got, ev("message", data, r.id))
	}
}

// decodeChunks feeds chunks to a fresh decoder and returns what it
// reported. It feeds them twice, to a Handler and to a RunHandler, and
// fails the test if the two were told different things.
func decodeChunks(t testing.TB, limits Limits, chunks ...string) ([]string, error) {
	t.Helper()
	feed := func(h Handler) error {
		d := &Decoder{Limits: limits}
		for _, c := range chunks {
			if err := d.Feed([]byte(c), h); err != nil {
				return err
			}
		}
		return nil
	}
	r := &recorder{}
	err := feed(r)
	runs := &runRecorder{}
	runErr := feed(runs)
	if runs.miscount != "" {
		t.Fatalf("chunks %q: %s", chunks, runs.miscount)
	}
	if !reflect.DeepEqual(runs.got, r.got) || !errors.Is(runErr, errors.Unwrap(err)) {
		t.Fatalf("chunks %q\nto a Handler:    %q, %v\nto a RunHandler: %q, %v", chunks, r.got, err, runs.got, runErr)
	}
	return r.got, err
}

// decoderCases are the spec's parsing rules, one vector each. They seed the
// split-invariance test and the fuzzer too.
var decoderCases = []struct {
	name  string
	input string
	want  []string
}{
	{"one message", "data: hello\n\n", []string{ev("message", "hello", "")}},
	{"no blank line yet", "data: hello\n", nil},
	{"incomplete event at end is discarded", "data: a\n\ndata: b\n", []string{ev("message", "a", "")}},
	{"LF line ends", "data: a\n\ndata: b\n\n", []string{ev("message", "a", ""), ev("message", "b", "")}},
	{"CR line ends", "data: a\r\rdata: b\r\r", []string{ev("message", "a", ""), ev("message", "b", "")}},
	{"CRLF line ends", "data: a\r\n\r\ndata: b\r\n\r\n", []string{ev("message", "a", ""), ev("message", "b", "")}},
	{"mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", []string{ev("message", "a\nb\nc", "")}},
	{"LF CR is two line ends", "data: a\n\r", []string{ev("message", "a", "")}},
	{"multi-line data joined by LF", "data: one\ndata: two\ndata: three\n\n", []string{ev("message", "one\ntwo\nthree", "")}},
	{"empty data line", "data\ndata\n\n", []string{ev("message", "\n", "")}},
	{"data with empty value then text", "data:\ndata: x\n\n", []string{ev("message", "\nx", "")}},
	{"trailing empty data keeps one LF", "data: a\ndata:\n\n", []string{ev("message", "a\n", "")}},
	{"no space after colon", "data:x\n\n", []string{ev("message", "x", "")}},
	{"only one space removed", "data:  x\n\n", []string{ev("message", " x", "")}},
	{"tab is not removed", "data:\tx\n\n", []string{ev("message", "\tx", "")}},
	{"colon in value kept", "data: a:b: c\n\n", []string{ev("message", "a:b: c", "")}},
	{"field with no colon", "data\n\n", []string{ev("message", "", "")}},
	{"a field whose name starts with data", "dataX: y\n\ndata1\n\n", nil},
	{"data with no space after the colon", "data:x\n\ndata:\n\n", []string{ev("message", "x", ""), ev("message", "", "")}},
	{"comment ignored", ": hello\ndata: x\n: again\n\n", []string{ev("message", "x", "")}},
	{"bare colon comment", ":\n\n", nil},
	{"comment does not dispatch", ": only a comment\n\n", nil},
	{"unknown fields ignored", "foo: bar\ndata: x\nDATA: y\n Data: z\n\n", []string{ev("message", "x", "")}},
	{"field names are case-sensitive", "Event: x\ndata: y\n\n", []string{ev("message", "y", "")}},
	{"named event", "event: add\ndata: 1\n\n", []string{ev("add", "1", "")}},
	{"event type resets after dispatch", "event: add\ndata: 1\n\ndata: 2\n\n", []string{ev("add", "1", ""), ev("message", "2", "")}},
	{"last event field wins", "event: a\nevent: b\ndata: x\n\n", []string{ev("b", "x", "")}},
	{"explicit message type", "event: message\ndata: x\n\n", []string{ev("message", "x", "")}},
	{"empty event field means message", "event:\ndata: x\n\n", []string{ev("message", "x", "")}},
	{"event with no data is not dispatched", "event: add\n\ndata: x\n\n", []string{ev("message", "x", "")}},
	{"id set", "id: 1\ndata: a\n\ndata: b\n\n", []string{ev("message", "a", "1"), ev("message", "b", "1")}},
	{"id persists and is replaced", "id: 1\ndata: a\n\nid: 2\ndata: b\n\n", []string{ev("message", "a", "1"), ev("message", "b", "2")}},
	{"empty id resets", "id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n", []string{ev("message", "a", "1"), ev("message", "b", ""), ev("message", "c", "")}},
	{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []string{ev("message", "a", "1"), ev("message", "b", "1")}},
	{"id without data updates the last event ID", "id: 7\n\ndata: a\n\n", []string{ev("message", "a", "7")}},
	{"id after data in the same event", "data: a\nid: 5\n\n", []string{ev("message", "a", "5")}},
	{"a run of one-line events, then a named one, then more", "data: a\n\ndata:b\n\nevent: x\ndata: c\n\ndata: d\n\n",
		[]string{ev("message", "a", ""), ev("message", "b", ""), ev("x", "c", ""), ev("message", "d", "")}},
	{"one-line events with an id between", "data: a\n\nid: 3\n\ndata: b\n\n", []string{ev("message", "a", ""), ev("message", "b", "3")}},
	{"a CRLF data line and an LF blank line", "data: a\r\n\ndata: b\n\r\n", []string{ev("message", "a", ""), ev("message", "b", "")}},
	{"a CRLF data line and a CR blank line", "data: a\r\n\rdata: b\r\n\r\n", []string{ev("message", "a", ""), ev("message", "b", "")}},
	{"a one-line event, then a data line that a comment follows", "data: a\n\ndata: b\n: c\n\n", []string{ev("message", "a", ""), ev("message", "b", "")}},
	{"id of an incomplete event is not used", "data: a\n\nid: 9\ndata: b\n", []string{ev("message", "a", "")}},
	{"retry", "retry: 1500\ndata: a\n\n", []string{retry(1500), ev("message", "a", "")}},
	{"retry zero", "retry: 0\n", []string{retry(0)}},
	{"retry with non-digits ignored", "retry: 1a\nretry: -1\nretry: 1.5\nretry: +3\nretry:  50\nretry: 50 \n", nil},
	{"empty retry ignored", "retry:\nretry\n", nil},
	{"retry too large for uint64 ignored", "retry: 18446744073709551616\n", nil},
	{"retry larger than a Duration saturates", "retry: 18446744073709551615\n", []string{"retry " + maxRetry.String()}},
	{"BOM stripped", "\xEF\xBB\xBFdata: a\n\n", []string{ev("message", "a", "")}},
	{"second BOM is part of the field name", "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", []string{ev("message", "b", "")}},
	{"partial BOM is not stripped", "\xEF\xBBdata: a\n\ndata: b\n\n", []string{ev("message", "b", "")}},
	{"BOM-like bytes later are data", "data: \xEF\xBB\xBFa\n\n", []string{ev("message", "\xEF\xBB\xBFa", "")}},
	{"BOM then blank line", "\xEF\xBB\xBF\ndata: a\n\n", []string{ev("message", "a", "")}},
	{"stream starting with LF", "\ndata: a\n\n", []string{ev("message", "a", "")}},
	{"UTF-8 passes through", "data: é€😀 ünïcødé\n\n", []string{ev("message", "é€😀 ünïcødé", "")}},
	{"invalid UTF-8 passes through as bytes", "data: \xff\xe2\x82\n\n", []string{ev("message", "\xff\xe2\x82", "")}},
	{"NUL in data kept", "data: a\x00b\n\n", []string{ev("message", "a\x00b", "")}},
	{"CR in value ends the line", "data: a\rb\n\n", []string{ev("message", "a", "")}},
	{"space before colon is part of the name", "data : x\n\n", nil},
}

func TestDecoder(t *testing.T) {
	for _, tc := range decoderCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeChunks(t, Limits{}, tc.input)
			if err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("input %q\n got: %q\nwant: %q", tc.input, got, tc.want)
			}
		})
	}
}

// TestDecoderSplitInvariance feeds every vector split at every byte position,
// and one byte at a time: the events must not depend on the chunking.
func TestDecoderSplitInvariance(t *testing.T) {
	for _, tc := range decoderCases {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i <= len(tc.input); i++ {
				got, err := decodeChunks(t, Limits{}, tc.input[:i], tc.input[i:])
				if err != nil {
					t.Fatalf("split at %d: Feed: %v", i, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("split at %d (%q | %q)\n got: %q\nwant: %q", i, tc.input[:i], tc.input[i:], got, tc.want)
				}
			}
			bytewise := strings.Split(tc.input, "")
			if got, _ := decodeChunks(t, Limits{}, bytewise...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("one byte at a time\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestDecoderCRAtChunkEnd(t *testing.T) {
	// A CR ends its line at once, so the event is dispatched before the next
	// chunk arrives; an LF starting the next chunk is the rest of the CRLF.
	d := &Decoder{}
	r := &recorder{}
	for _, chunk := range []string{"data: a\r\n\r", "\ndata: b\r", "\r", "\n"} {
		if err := d.Feed([]byte(chunk), r); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{ev("message", "a", ""), ev("message", "b", "")}
	if !reflect.DeepEqual(r.got, want) {
		t.Errorf("got %q, want %q", r.got, want)
	}
	if err := d.Feed([]byte("data: c\n\n"), r); err != nil {
		t.Fatal(err)
	}
	if n := len(r.got); n != 3 {
		t.Errorf("after the CR LF pair, a later LF must end lines again; got %d events", n)
	}
}

func TestDecoderReset(t *testing.T) {
	d := &Decoder{}
	r := &recorder{}
	feed := func(s string) {
		t.Helper()
		if err := d.Feed([]byte(s), r); err != nil {
			t.Fatal(err)
		}
	}
	feed("id: 3\ndata: a\n\nevent: x\ndata: partial")
	d.Reset()
	// The new stream may start with a BOM; the partial event, its type and
	// partial line are gone; the last event ID string carries over.
	feed("\xEF\xBB\xBFdata: b\n\n")
	want := []string{ev("message", "a", "3"), ev("message", "b", "3")}
	if !reflect.DeepEqual(r.got, want) {
		t.Errorf("got %q, want %q", r.got, want)
	}
	// An id received without a dispatch before the reset is not kept.
	feed("id: 4\n")
	d.Reset()
	feed("data: c\n\n")
	if got := r.got[len(r.got)-1]; got != ev("message", "c", "3") {
		t.Errorf("got %s, want id 3", got)
	}
}

func TestDecoderSetLastEventID(t *testing.T) {
	d := &Decoder{}
	d.SetLastEventID("41")
	if got := string(d.LastEventID()); got != "41" {
		t.Fatalf("LastEventID() = %q", got)
	}
	r := &recorder{}
	if err := d.Feed([]byte("data: a\n\n"), r); err != nil {
		t.Fatal(err)
	}
	if want := []string{ev("message", "a", "41")}; !reflect.DeepEqual(r.got, want) {
		t.Errorf("got %q, want %q", r.got, want)
	}
}

func TestDecoderLimits(t *testing.T) {
	tests := []struct {
		name    string
		limits  Limits
		chunks  []string
		want    []string
		wantErr error
	}{
		{"line within limit", Limits{MaxLine: 8}, []string{"data: ab\n\n"}, []string{ev("message", "ab", "")}, nil},
		{"line over limit in one chunk", Limits{MaxLine: 8}, []string{"data: abc\n\n"}, nil, ErrLineTooLong},
		{"line over limit across chunks", Limits{MaxLine: 8}, []string{"data", ": ", "abc"}, nil, ErrLineTooLong},
		{"endless line without terminator", Limits{MaxLine: 1024}, []string{strings.Repeat("x", 1000), strings.Repeat("x", 1000)}, nil, ErrLineTooLong},
		{"event within limit", Limits{MaxEvent: 4}, []string{"data: a\ndata: b\n\n"}, []string{ev("message", "a\nb", "")}, nil},
		{"event of exactly the limit", Limits{MaxEvent: 4}, []string{"data: a\ndata: bc\n\n"}, []string{ev("message", "a\nbc", "")}, nil},
		{"one line of exactly the limit", Limits{MaxEvent: 4}, []string{"data: abcd\n\n"}, []string{ev("message", "abcd", "")}, nil},
		{"one line over the limit", Limits{MaxEvent: 4}, []string{"data: abcde\n\n"}, nil, ErrEventTooLarge},
		{"event over limit", Limits{MaxEvent: 4}, []string{"data: a\ndata: bcd\n\n"}, nil, ErrEventTooLarge},
		{"events dispatched before the limit are kept", Limits{MaxEvent: 4}, []string{"data: a\n\ndata: abcdef\n\n"}, []string{ev("message", "a", "")}, ErrEventTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeChunks(t, tc.limits, tc.chunks...)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var le *LimitError
			if tc.wantErr != nil && !errors.As(err, &le) {
				t.Errorf("err %T is not a *LimitError", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecoderStaysFailedUntilReset(t *testing.T) {
	d := &Decoder{Limits: Limits{MaxLine: 4}}
	r := &recorder{}
	if err := d.Feed([]byte("data: toolong\n\n"), r); err == nil {
		t.Fatal("no error for an overlong line")
	}
	if err := d.Feed([]byte("\n\ndata\n\n"), r); err == nil {
		t.Error("Feed after a limit error must keep failing")
	}
	d.Reset()
	if err := d.Feed([]byte("data\n\n"), r); err != nil {
		t.Errorf("Feed after Reset: %v", err)
	}
	if want := []string{ev("message", "", "")}; !reflect.DeepEqual(r.got, want) {
		t.Errorf("got %q, want %q", r.got, want)
	}
}

func TestDecoderReleasesLargeBuffers(t *testing.T) {
	d := &Decoder{}
	r := &recorder{}
	big := "data: " + strings.Repeat("x", 2*keepCapacity) + "\n\n"
	if err := d.Feed([]byte(big[:1000]), r); err != nil {
		t.Fatal(err)
	}
	if err := d.Feed([]byte(big[1000:]), r); err != nil {
		t.Fatal(err)
	}
	if cap(d.data) > keepCapacity || cap(d.line) > keepCapacity {
		t.Errorf("buffers kept after a large event: data cap %d, line cap %d", cap(d.data), cap(d.line))
	}
}

// FuzzDecoder checks two properties on arbitrary input: the decoder never
// panics, and the events do not depend on how the stream is chunked.
func FuzzDecoder(f *testing.F) {
	for i, tc := range decoderCases {
		f.Add([]byte(tc.input), uint16(i*7+1))
	}
	f.Fuzz(func(t *testing.T, input []byte, seed uint16) {
		whole, wholeErr := decodeChunks(t, Limits{MaxLine: 256, MaxEvent: 512}, string(input))
		// Split at positions drawn from the seed.
		var chunks []string
		rest := string(input)
		step := int(seed%13) + 1
		for len(rest) > 0 {
			n := min(step, len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
			step = (step*7+int(seed>>4))%17 + 1
		}
		// And one byte at a time, where no line and the blank line after
		// it are ever in one chunk (see scanLines).
		for _, chunks := range [][]string{chunks, strings.Split(string(input), "")} {
			split, splitErr := decodeChunks(t, Limits{MaxLine: 256, MaxEvent: 512}, chunks...)
			if (wholeErr == nil) != (splitErr == nil) {
				// A line limit can trip at a different point, but only as
				// the same kind of error.
				t.Fatalf("whole err %v, split err %v", wholeErr, splitErr)
			}
			if wholeErr == nil && !reflect.DeepEqual(whole, split) {
				t.Fatalf("chunks %q\nwhole: %q\nsplit: %q", chunks, whole, split)
			}
		}
	})
}

func BenchmarkDecoder(b *testing.B) {
	for _, bc := range []struct {
		name  string
		event string
	}{
		{"100B", "data: " + strings.Repeat("x", 92) + "\n\n"},
		{"1000B", "id: 12345\nevent: update\ndata: " + strings.Repeat("y", 970) + "\n\n"},
		{"CRLF", "data: " + strings.Repeat("x", 90) + "\r\n\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			chunk := []byte(strings.Repeat(bc.event, (64<<10)/len(bc.event)))
			d := &Decoder{}
			h := discard{}
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.Feed(chunk, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Event(Event)         {}
func (discard) Retry(time.Duration) {}

// TestRunLimits checks that a run of one-line events, which the
// decoder hands a RunHandler in one pass (run), still fails at the first
// event over a limit, after dispatching those before it, to a Handler and
// to a RunHandler alike (see decodeChunks).
func TestRunLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
		input  string
		want   []string
		err    error
	}{
		{"event limit", Limits{MaxEvent: 4}, "data: abcd\n\ndata:abcd\n\ndata: abcde\n\ndata: x\n\n",
			[]string{ev("message", "abcd", ""), ev("message", "abcd", "")}, ErrEventTooLarge},
		{"line limit", Limits{MaxLine: 9}, "data:abcd\n\ndata: abcd\n\ndata: x\n\n",
			[]string{ev("message", "abcd", "")}, ErrLineTooLong},
		{"CRLF, line limit", Limits{MaxLine: 9}, "data:abcd\r\n\r\ndata: abcd\r\n\r\n",
			[]string{ev("message", "abcd", "")}, ErrLineTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeChunks(t, tc.limits, tc.input)
			if !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("events %q, want %q", got, tc.want)
			}
		})
	}
}
