package conn

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/batch"
	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

// fakeClock runs timers when the test advances it.
type fakeClock struct {
	now    time.Duration
	timers []*fakeTimer
}

type fakeTimer struct {
	due     time.Duration
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool {
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fakeClock) Now() time.Duration { return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	t := &fakeTimer{due: c.now + d, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time forward by d, firing due timers in order.
func (c *fakeClock) Advance(d time.Duration) {
	end := c.now + d
	for {
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].due < c.timers[j].due })
		if len(c.timers) == 0 || c.timers[0].due > end {
			break
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if t.stopped {
			continue
		}
		c.now = t.due
		t.stopped = true
		t.f()
	}
	c.now = end
}

// harness records everything a Source says, as one log of lines.
type harness struct {
	t     *testing.T
	clock *fakeClock
	src   *Source
	log   []string
	last  int      // the most recent attempt the transport was asked for
	reqs  []string // the requests, with their time offsets
	start time.Duration

	split   batch.Splitter     // decodes the batches, as the shim does
	onEvent func(batch.Record) // optional hook run per dispatched event
	onError func(*Error)
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clock: &fakeClock{now: 1000 * time.Second}}
	h.start = h.clock.now
	cfg.Transport, cfg.Listener, cfg.Clock = h, h, h.clock
	if cfg.URL == "" {
		cfg.URL = "http://example.test/stream"
	}
	h.src = New(cfg)
	h.split.LastEventID = cfg.LastEventID
	return h
}

func (h *harness) Connect(attempt int, req Request) {
	h.last = attempt
	h.reqs = append(h.reqs, fmt.Sprintf("+%v last-event-id=%q", h.clock.now-h.start, req.LastEventID))
	h.log = append(h.log, fmt.Sprintf("connect %d", attempt))
}

func (h *harness) Abort(attempt int) { h.log = append(h.log, fmt.Sprintf("abort %d", attempt)) }

func (h *harness) Opened(r Response) {
	h.log = append(h.log, fmt.Sprintf("open %s", h.src.ReadyState()))
}

func (h *harness) Dispatch(b []byte) {
	records, ok := h.split.Split(string(b))
	if !ok {
		h.t.Fatalf("malformed batch %q", b)
	}
	for _, r := range records {
		if r.Type == "" {
			h.log = append(h.log, fmt.Sprintf("control %s=%q", r.Data, r.LastEventID))
			continue
		}
		h.log = append(h.log, fmt.Sprintf("event %s %q id=%q", r.Type, r.Data, r.LastEventID))
		if h.onEvent != nil {
			h.onEvent(r)
		}
	}
}

func (h *harness) Failed(err *Error) {
	h.log = append(h.log, fmt.Sprintf("error %s %s reconnect=%v delay=%v", err.Reason, h.src.ReadyState(), err.Reconnect, err.Delay))
	if h.onError != nil {
		h.onError(err)
	}
}

func (h *harness) ok(contentType string) {
	h.src.Response(h.last, Response{Status: 200, ContentType: contentType, URL: "http://example.test/stream"})
}

func (h *harness) chunk(s string) { h.src.Chunk(h.last, []byte(s)) }

func (h *harness) expect(want ...string) {
	h.t.Helper()
	if !reflect.DeepEqual(h.log, want) {
		h.t.Fatalf("log:\n  %s\nwant:\n  %s", strings.Join(h.log, "\n  "), strings.Join(want, "\n  "))
	}
	h.log = nil
}

func TestOpenDispatchAndReconnect(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.Start()
	h.expect("connect 1")
	h.ok("text/event-stream")
	h.expect("open OPEN")
	h.chunk("id: 7\ndata: a\n\nretry: 500\ndata: b\n\ndata: partial")
	h.expect(`event message "a" id="7"`, `control retry="500"`, `event message "b" id="7"`)
	h.src.End(1)
	h.expect("abort 1", "error end-of-stream CONNECTING reconnect=true delay=500ms")
	h.clock.Advance(499 * time.Millisecond)
	h.expect()
	h.clock.Advance(time.Millisecond)
	h.expect("connect 3")
	if want := []string{`+0s last-event-id=""`, `+500ms last-event-id="7"`}; !reflect.DeepEqual(h.reqs, want) {
		t.Errorf("requests %q, want %q", h.reqs, want)
	}
	// The partial event of the first stream is gone.
	h.ok("text/event-stream")
	h.chunk("data: c\n\n")
	h.expect("open OPEN", `event message "c" id="7"`)
}

func TestFailTheConnection(t *testing.T) {
	tests := []struct {
		name string
		resp Response
		want string
	}{
		{"204 stops", Response{Status: 204}, "error http-status CLOSED reconnect=false delay=0s"},
		{"500", Response{Status: 500, StatusText: "Internal Server Error", ContentType: "text/event-stream"}, "error http-status CLOSED reconnect=false delay=0s"},
		{"redirect not followed", Response{Status: 301}, "error http-status CLOSED reconnect=false delay=0s"},
		{"wrong content type", Response{Status: 200, ContentType: "text/plain"}, "error content-type CLOSED reconnect=false delay=0s"},
		{"missing content type", Response{Status: 200}, "error content-type CLOSED reconnect=false delay=0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.src.Start()
			h.src.Response(h.last, tc.resp)
			h.expect("connect 1", "abort 1", tc.want)
			h.clock.Advance(time.Hour)
			h.expect()
		})
	}
}

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                true,
		"text/event-stream;charset=utf-8":  true,
		"text/event-stream; charset=UTF-8": true,
		"TEXT/Event-Stream":                true,
		" text/event-stream ;":             true,
		"text/event-stream;":               true,
		"text/plain":                       false,
		"text/event-streams":               false,
		"":                                 false,
		"text/event-stream, text/plain":    false,
	} {
		if got := IsEventStream(ct); got != want {
			t.Errorf("IsEventStream(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Reason: ReasonStatus, Status: 503, StatusText: "Service Unavailable"}, "eventsource: HTTP status 503 Service Unavailable (only 200 OK opens an event stream)"},
		{&Error{Reason: ReasonContentType, ContentType: "text/html"}, `eventsource: Content-Type "text/html" is not text/event-stream`},
		{&Error{Reason: ReasonNetwork, Err: errors.New("TypeError: Failed to fetch"), Reconnect: true, Delay: 3 * time.Second}, "eventsource: network error: TypeError: Failed to fetch; reconnecting in 3000 ms"},
		{&Error{Reason: ReasonEndOfStream, GaveUp: true, Retries: 5}, "eventsource: the server ended the stream; gave up after 5 failed reconnection attempts"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestNetworkErrorReconnects(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.Start()
	h.src.Fail(1, ReasonNetwork, errors.New("Failed to fetch"))
	h.expect("connect 1", "abort 1", "error network CONNECTING reconnect=true delay=3s")
	h.clock.Advance(3 * time.Second)
	h.expect("connect 3")
}

func TestCloseStopsEverything(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.Start()
	h.ok("text/event-stream")
	h.src.Close()
	h.expect("connect 1", "open OPEN", "abort 1")
	if h.src.ReadyState() != Closed {
		t.Fatalf("state %v after Close", h.src.ReadyState())
	}
	// Reports about the aborted attempt are ignored.
	h.src.Chunk(1, []byte("data: late\n\n"))
	h.src.End(1)
	h.src.Fail(1, ReasonNetwork, errors.New("aborted"))
	h.clock.Advance(time.Hour)
	h.src.Close()
	h.expect()
}

func TestCloseFromErrorHandlerStopsReconnection(t *testing.T) {
	h := newHarness(t, Config{})
	h.onError = func(*Error) { h.src.Close() }
	h.src.Start()
	h.ok("text/event-stream")
	h.src.End(1)
	h.clock.Advance(time.Hour)
	h.expect("connect 1", "open OPEN", "abort 1", "error end-of-stream CONNECTING reconnect=true delay=3s", "abort 2")
}

func TestCloseFromEventHandler(t *testing.T) {
	h := newHarness(t, Config{})
	h.onEvent = func(batch.Record) { h.src.Close() }
	h.src.Start()
	h.ok("text/event-stream")
	// The whole chunk is decoded and handed over as one batch; the shim
	// skips the events after close(). Nothing else may happen afterwards.
	h.chunk("data: a\n\ndata: b\n\n")
	h.chunk("data: c\n\n")
	h.clock.Advance(time.Hour)
	h.expect("connect 1", "open OPEN", `event message "a" id=""`, "abort 1", `event message "b" id=""`)
}

func TestStaleReportsIgnored(t *testing.T) {
	h := newHarness(t, Config{Policy: Policy{Delay: time.Second}})
	h.src.Start()
	h.ok("text/event-stream")
	h.src.End(1)
	h.clock.Advance(time.Second)
	h.expect("connect 1", "open OPEN", "abort 1", "error end-of-stream CONNECTING reconnect=true delay=1s", "connect 3")
	// Attempt 1 is long gone.
	h.src.Response(1, Response{Status: 500})
	h.src.Chunk(1, []byte("data: x\n\n"))
	h.src.End(1)
	h.expect()
	h.ok("text/event-stream")
	h.expect("open OPEN")
}

func TestBackoffPolicy(t *testing.T) {
	h := newHarness(t, Config{Policy: Policy{Delay: 100 * time.Millisecond, Factor: 2, MaxDelay: 500 * time.Millisecond}})
	h.src.Start()
	var delays []time.Duration
	h.onError = func(e *Error) { delays = append(delays, e.Delay) }
	for range 5 {
		h.src.Fail(h.last, ReasonNetwork, errors.New("refused"))
		h.clock.Advance(time.Second)
	}
	// A successful connection resets the backoff.
	h.ok("text/event-stream")
	h.src.End(h.last)
	want := []time.Duration{100, 200, 400, 500, 500, 100}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !reflect.DeepEqual(delays, want) {
		t.Errorf("delays %v, want %v", delays, want)
	}
}

func TestServerRetryOverridesPolicyDelay(t *testing.T) {
	h := newHarness(t, Config{Policy: Policy{Delay: 10 * time.Second, MaxDelay: 20 * time.Second}})
	h.src.Start()
	h.ok("text/event-stream")
	h.chunk("retry: 250\n")
	if got := h.src.ReconnectionTime(); got != 250*time.Millisecond {
		t.Fatalf("reconnection time %v", got)
	}
	h.chunk("retry: 60000\n")
	h.src.End(h.last)
	h.expect("connect 1", "open OPEN", `control retry="250"`, `control retry="60000"`, "abort 1", "error end-of-stream CONNECTING reconnect=true delay=20s")
}

func TestJitter(t *testing.T) {
	h := newHarness(t, Config{Policy: Policy{Delay: time.Second, Jitter: 0.5}, Random: func() float64 { return 0.5 }})
	h.src.Start()
	h.src.Fail(1, ReasonNetwork, nil)
	h.expect("connect 1", "abort 1", "error network CONNECTING reconnect=true delay=750ms")
}

func TestMaxRetries(t *testing.T) {
	h := newHarness(t, Config{Policy: Policy{Delay: time.Second, MaxRetries: 2}})
	var last *Error
	h.onError = func(e *Error) { last = e }
	h.src.Start()
	h.src.Fail(h.last, ReasonNetwork, nil)
	h.clock.Advance(time.Second)
	h.src.Fail(h.last, ReasonNetwork, nil)
	h.clock.Advance(time.Second)
	h.src.Fail(h.last, ReasonNetwork, nil)
	h.clock.Advance(time.Hour)
	h.expect("connect 1", "abort 1", "error network CONNECTING reconnect=true delay=1s",
		"connect 3", "abort 3", "error network CONNECTING reconnect=true delay=1s",
		"connect 5", "abort 5", "error network CLOSED reconnect=false delay=0s")
	if !last.GaveUp || last.Retries != 2 {
		t.Errorf("final error %+v: want GaveUp after 2 retries", last)
	}
	if got := last.Error(); !strings.Contains(got, "gave up after 2") {
		t.Errorf("final error message %q", got)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	h := newHarness(t, Config{HeartbeatTimeout: 10 * time.Second, Policy: Policy{Delay: time.Second}})
	h.src.Start()
	h.ok("text/event-stream")
	for range 5 {
		h.clock.Advance(6 * time.Second)
		h.chunk(": still here\n")
	}
	h.expect("connect 1", "open OPEN")
	h.clock.Advance(10 * time.Second)
	h.expect("abort 1", "error heartbeat-timeout CONNECTING reconnect=true delay=1s")
	h.clock.Advance(time.Second)
	h.expect("connect 3")
	// A server that never answers is caught too.
	h.clock.Advance(10 * time.Second)
	h.expect("abort 3", "error heartbeat-timeout CONNECTING reconnect=true delay=1s")
}

func TestLimitsFailTheConnection(t *testing.T) {
	h := newHarness(t, Config{Limits: sse.Limits{MaxEvent: 8}})
	var got *Error
	h.onError = func(e *Error) { got = e }
	h.src.Start()
	h.ok("text/event-stream")
	h.chunk("data: ok\n\ndata: far too long\n\n")
	h.expect("connect 1", "open OPEN", `event message "ok" id=""`, "abort 1", "error too-large CLOSED reconnect=false delay=0s")
	if !errors.Is(got, sse.ErrEventTooLarge) {
		t.Errorf("error %v does not wrap sse.ErrEventTooLarge", got)
	}
}

func TestInitialLastEventID(t *testing.T) {
	h := newHarness(t, Config{LastEventID: "99"})
	h.src.Start()
	if want := []string{`+0s last-event-id="99"`}; !reflect.DeepEqual(h.reqs, want) {
		t.Errorf("requests %q, want %q", h.reqs, want)
	}
}

func TestLastEventIDChangeWithoutEventIsReported(t *testing.T) {
	h := newHarness(t, Config{LastEventID: "1"})
	h.src.Start()
	h.ok("text/event-stream")
	h.chunk("data: a\n\n")
	h.chunk("id: 2\n\n")
	h.chunk("id: 3\ndata: b\n\n")
	h.chunk(": nothing new\n")
	h.expect("connect 1", "open OPEN", `event message "a" id="1"`, `control id="2"`, `event message "b" id="3"`)
}

func TestOnceFailsInsteadOfReconnecting(t *testing.T) {
	for _, end := range []string{"end", "fail"} {
		h := newHarness(t, Config{Once: true})
		h.src.Start()
		h.ok("text/event-stream")
		h.chunk("data: a\n\n")
		if end == "end" {
			h.src.End(h.last)
			h.clock.Advance(time.Hour)
			h.expect("connect 1", "open OPEN", `event message "a" id=""`, "abort 1", "error end-of-stream CLOSED reconnect=false delay=0s")
		} else {
			h.src.Fail(h.last, ReasonNetwork, errors.New("stream errored"))
			h.clock.Advance(time.Hour)
			h.expect("connect 1", "open OPEN", `event message "a" id=""`, "abort 1", "error network CLOSED reconnect=false delay=0s")
		}
	}
}

func TestFailForGood(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.Start()
	h.ok("text/event-stream")
	h.src.FailForGood(ReasonInternal, errors.New("the Go runtime exited"))
	h.src.FailForGood(ReasonInternal, errors.New("again"))
	h.expect("connect 1", "open OPEN", "abort 1", "error internal CLOSED reconnect=false delay=0s")
}

// byteCounter is a Listener that only counts the batch bytes it is given,
// so that a test can measure the Source's own allocations.
type byteCounter struct {
	*harness
	batchBytes int
}

func (c *byteCounter) Dispatch(b []byte) { c.batchBytes += len(b) }

// A steady stream reuses its batch and decoder buffers: decoding a chunk
// allocates nothing once the first chunk has sized them, also for chunks
// and events larger than 64 KiB. A burst larger than the buffers keep lets
// its memory go.
func TestChunksReuseBuffers(t *testing.T) {
	h := &harness{t: t, clock: &fakeClock{}}
	listener := &byteCounter{harness: h}
	h.src = New(Config{URL: "http://example.test/stream", Transport: h, Listener: listener, Clock: h.clock})
	h.src.Start()
	h.ok("text/event-stream")

	for _, tc := range []struct {
		name       string
		event      string
		perChunk   int
		batchBytes int // of the batch of one chunk, in the plain form
	}{
		{"2 MiB chunks of 1000 B events", "data: " + strings.Repeat("x", 1000) + "\n\n", 2 << 10, 1 + 2<<10*(1+1000)},
		{"chunks of one 100 KiB event", "data: " + strings.Repeat("y", 100<<10) + "\n\n", 1, 1 + 1 + 100<<10},
	} {
		chunk := []byte(strings.Repeat(tc.event, tc.perChunk))
		h.src.Chunk(h.last, chunk) // sizes the buffers
		listener.batchBytes = 0
		allocs := testing.AllocsPerRun(10, func() { h.src.Chunk(h.last, chunk) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations per chunk, want 0", tc.name, allocs)
		}
		if want := 11 * tc.batchBytes; listener.batchBytes != want {
			t.Errorf("%s: %d batch bytes dispatched, want %d", tc.name, listener.batchBytes, want)
		}
	}

	burst := []byte("data: " + strings.Repeat("z", 2*keepBatch) + "\n\n")
	h.src.Chunk(h.last, burst)
	h.src.Chunk(h.last, []byte("data: small\n\n"))
	if c := cap(h.src.events.Bytes()); c > keepBatch {
		t.Errorf("after a %d-byte burst and a small chunk the batch buffer keeps %d bytes", len(burst), c)
	}
}
