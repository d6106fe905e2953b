// Package conn is the connection state machine of an EventSource: ready
// states, announcing, reestablishing and failing the connection, the
// reconnection time and backoff, the last event ID, and the heartbeat
// timeout, as WHATWG HTML §9.2 "Server-sent events" defines them.
//
// A Source does no I/O. A Transport performs requests and reports back
// through the Source's methods; a Listener hears what the page must see;
// a Clock provides time and timers. The package is pure Go and tested
// natively with a fake transport and clock.
package conn

import (
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/batch"
	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

// A ReadyState is the state of a source, with the values of the
// EventSource readyState attribute.
type ReadyState int

const (
	Connecting ReadyState = 0
	Open       ReadyState = 1
	Closed     ReadyState = 2
)

func (s ReadyState) String() string {
	switch s {
	case Connecting:
		return "CONNECTING"
	case Open:
		return "OPEN"
	case Closed:
		return "CLOSED"
	}
	return "ReadyState(?)"
}

// A Request is one connection attempt for the Transport to fetch.
type Request struct {
	URL string
	// LastEventID is the source's last event ID string; the transport sends
	// it as the Last-Event-ID header when it is not empty (§9.2.3).
	LastEventID string
}

// A Response is what the transport learned from the response head.
type Response struct {
	Status      int
	StatusText  string
	ContentType string
	// URL is the response's final URL, after redirects; its origin is
	// every event's origin.
	URL string
}

// A Transport performs requests. It reports each attempt's progress by
// calling Response, then Chunk for each piece of the body, then End, or
// Fail at any point, passing the attempt number it was given.
type Transport interface {
	Connect(attempt int, req Request)
	// Abort cancels an attempt. Reports that arrive for it later are ignored.
	Abort(attempt int)
}

// A Listener hears what the page must see. Its calls may re-enter the
// Source, for example to Close it from an event handler.
type Listener interface {
	// Opened announces the connection: the ready state is now Open.
	Opened(Response)
	// Dispatch delivers the events of one chunk, encoded by package batch.
	// The slice is valid only during the call.
	Dispatch(b []byte)
	// Failed reports an error: the ready state is now Connecting when
	// err.Reconnect is true, Closed otherwise.
	Failed(err *Error)
}

// A Clock tells the time and runs timers. Now is a monotonic reading: the
// time elapsed since an arbitrary fixed instant. (A time.Time here would
// keep time's formatting code in the WASM module, through its methods.)
type Clock interface {
	Now() time.Duration
	AfterFunc(d time.Duration, f func()) Timer
}

// A Timer can be stopped.
type Timer interface {
	Stop() bool
}

// Config configures a Source.
type Config struct {
	URL         string
	LastEventID string // initial last event ID string
	Policy      Policy
	// HeartbeatTimeout, when positive, reestablishes the connection when
	// no bytes at all (not even a comment) arrive for that long.
	HeartbeatTimeout time.Duration
	Limits           sse.Limits
	// Once makes the first response the whole life of the source: its end
	// or failure fails the connection instead of reestablishing it, as for
	// a source made from a stream (EventSource.fromReadableStream).
	Once bool

	Transport Transport
	Listener  Listener
	Clock     Clock
	// Random returns numbers in [0, 1) for Policy.Jitter; nil means none
	// is drawn (no jitter applied).
	Random func() float64
}

// A Source is one EventSource's connection state machine.
//
// A Source is meant for one thread, as in a browser; it is not safe for
// concurrent use. It tolerates re-entrant calls from its Transport and
// Listener: every state change bumps the attempt number, and work that an
// outward call may have overtaken checks it first.
type Source struct {
	cfg     Config
	state   ReadyState
	attempt int  // the current attempt; reports for any other are stale
	paused  bool // Pause was called, and Resume not yet
	held    bool // Hold was called, and Release not yet

	decoder          sse.Decoder
	reconnectionTime time.Duration
	retries          int // reconnection attempts since the last successful connection

	events *batch.Builder // the batch being built from one chunk

	timer        Timer         // the reconnection or heartbeat timer, if any
	lastActivity time.Duration // Clock.Now when bytes last arrived
}

// New returns a source in the Connecting state. Call Start to connect.
func New(cfg Config) *Source {
	s := &Source{cfg: cfg, reconnectionTime: cfg.Policy.Delay}
	if s.reconnectionTime <= 0 {
		s.reconnectionTime = DefaultDelay
	}
	s.decoder.Limits = cfg.Limits
	s.decoder.SetLastEventID(cfg.LastEventID)
	s.events = batch.NewBuilder(cfg.LastEventID)
	// A "retry" field sets the reconnection time (§9.2.6); the batch
	// tells the listener.
	s.events.OnRetry = func(d time.Duration) { s.reconnectionTime = d }
	return s
}

// ReadyState returns the source's state.
func (s *Source) ReadyState() ReadyState { return s.state }

// LastEventID returns the last event ID string.
func (s *Source) LastEventID() string { return string(s.decoder.LastEventID()) }

// ReconnectionTime returns the current reconnection time, before backoff.
func (s *Source) ReconnectionTime() time.Duration { return s.reconnectionTime }

// Start makes the first connection attempt, unless the source is paused.
func (s *Source) Start() {
	if s.state == Connecting && s.attempt == 0 && !s.paused {
		s.connect()
	}
}

// Paused reports whether the source is paused.
func (s *Source) Paused() bool { return s.paused }

// Pause disconnects without failing: the current attempt is aborted, any
// reconnection or heartbeat timer is stopped, no error is reported, and
// the ready state is Connecting until Resume. It is for a page that is
// hidden (the pauseWhenHidden option); native EventSource has no such
// state. A closed or paused source is left as it is.
func (s *Source) Pause() {
	if s.state == Closed || s.paused {
		return
	}
	s.paused = true
	s.state = Connecting
	s.stopTimer()
	s.abortAttempt()
}

// Resume ends a pause: the source connects at once, with its last event ID,
// whatever reconnection delay was pending when it paused. The count of
// retries is kept, as no connection succeeded in between.
func (s *Source) Resume() {
	if s.state == Closed || !s.paused {
		return
	}
	s.paused = false
	s.connect()
}

// Close closes the source for good, as the close() method does: the
// request is aborted, no reconnection follows, and no event is fired.
func (s *Source) Close() {
	if s.state == Closed {
		return
	}
	s.state = Closed
	s.paused = false
	s.stopTimer()
	s.abortAttempt()
}

// abortAttempt aborts the current request, and moves on to a new attempt
// number, so that what the old request still reports is ignored.
func (s *Source) abortAttempt() {
	old := s.attempt
	s.attempt++
	s.cfg.Transport.Abort(old)
}

// Hold tells the source that the page is holding back the body's reads
// (a for await loop that has fallen behind): the heartbeat timeout does not
// fire while it holds, as the silence is the page's, not the server's.
func (s *Source) Hold() { s.held = true }

// Release ends a Hold: the heartbeat timeout counts afresh from now.
func (s *Source) Release() {
	if s.held {
		s.held = false
		s.touch()
	}
}

func (s *Source) connect() {
	s.attempt++
	s.decoder.Reset()
	s.lastActivity = s.cfg.Clock.Now()
	s.armHeartbeat(s.attempt, s.cfg.HeartbeatTimeout)
	s.cfg.Transport.Connect(s.attempt, Request{URL: s.cfg.URL, LastEventID: s.LastEventID()})
}

// Response processes the response head (§9.2.3, "fetch the event source"):
// a 200 response of type text/event-stream announces the connection; any
// other fails it.
func (s *Source) Response(attempt int, r Response) {
	if attempt != s.attempt || s.state != Connecting {
		return
	}
	s.touch()
	switch {
	case r.Status != 200:
		s.fail(attempt, &Error{Reason: ReasonStatus, Status: r.Status, StatusText: r.StatusText})
	case !IsEventStream(r.ContentType):
		s.fail(attempt, &Error{Reason: ReasonContentType, ContentType: r.ContentType})
	default:
		s.state = Open
		s.retries = 0
		s.cfg.Listener.Opened(r)
	}
}

// Chunk decodes a piece of the body and dispatches its events as one batch.
func (s *Source) Chunk(attempt int, b []byte) {
	if attempt != s.attempt || s.state != Open {
		return
	}
	s.touch()
	// A chunk's batch is about as long as the chunk: make room once
	// rather than grow by doubling while decoding.
	s.events.Grow(len(b))
	err := s.decoder.Feed(b, s.events)
	// An id field in an event without data may have changed the last
	// event ID, and no event told the listener.
	s.events.LastEventID(s.decoder.LastEventID())
	if s.events.Len() > 0 {
		// Dispatch may close the source; what follows checks attempt.
		s.cfg.Listener.Dispatch(s.events.Bytes())
		s.events.Next(keepBatch)
	}
	if err != nil && attempt == s.attempt {
		s.fail(attempt, &Error{Reason: ReasonTooLarge, Err: err})
	}
}

// End processes the end of the body: the connection is reestablished.
func (s *Source) End(attempt int) {
	if attempt != s.attempt || s.state == Closed {
		return
	}
	s.reestablish(attempt, &Error{Reason: ReasonEndOfStream})
}

// Fail processes an attempt that failed before or while reading the body,
// for reason ReasonNetwork or ReasonRequestSetup: the connection is
// reestablished (§9.2.3: a network error that is not an abort).
func (s *Source) Fail(attempt int, reason Reason, err error) {
	if attempt != s.attempt || s.state == Closed {
		return
	}
	s.reestablish(attempt, &Error{Reason: reason, Err: err})
}

// FailForGood closes the source with an error, without reconnecting; the
// bridge uses it when the module itself can no longer serve the source.
func (s *Source) FailForGood(reason Reason, err error) {
	if s.state == Closed {
		return
	}
	s.fail(s.attempt, &Error{Reason: reason, Err: err})
}

// fail implements "fail the connection": the source closes and fires error.
func (s *Source) fail(attempt int, e *Error) {
	s.state = Closed
	s.stopTimer()
	s.attempt++
	s.cfg.Transport.Abort(attempt)
	s.cfg.Listener.Failed(e)
}

// reestablish implements "reestablish the connection": the source goes back
// to Connecting, fires error, waits, and connects again, unless the policy
// has run out of retries.
func (s *Source) reestablish(attempt int, e *Error) {
	if s.cfg.Once {
		s.fail(attempt, e)
		return
	}
	s.retries++
	e.Retries = s.retries
	if max := s.cfg.Policy.MaxRetries; max > 0 && s.retries > max {
		e.Retries = max
		e.GaveUp = true
		s.fail(attempt, e)
		return
	}
	s.state = Connecting
	s.stopTimer()
	s.attempt++
	s.cfg.Transport.Abort(attempt)
	random := 0.0
	if s.cfg.Random != nil {
		random = s.cfg.Random()
	}
	e.Reconnect = true
	e.Delay = s.cfg.Policy.delay(s.reconnectionTime, s.retries, random)
	waiting := s.attempt
	s.timer = s.cfg.Clock.AfterFunc(e.Delay, func() {
		if s.attempt == waiting && s.state == Connecting {
			s.timer = nil
			s.connect()
		}
	})
	// The timer is set before the page hears of the error, so a close()
	// from the error handler stops it.
	s.cfg.Listener.Failed(e)
}

// touch records activity for the heartbeat timeout.
func (s *Source) touch() {
	if s.cfg.HeartbeatTimeout > 0 {
		s.lastActivity = s.cfg.Clock.Now()
	}
}

// armHeartbeat sets a timer that reestablishes the connection if nothing
// has arrived for HeartbeatTimeout when it fires. Activity only records the
// time, so no timer is reset per chunk; the timer re-arms for what remains.
func (s *Source) armHeartbeat(attempt int, after time.Duration) {
	if s.cfg.HeartbeatTimeout <= 0 {
		return
	}
	s.timer = s.cfg.Clock.AfterFunc(after, func() {
		if attempt != s.attempt || s.state == Closed {
			return
		}
		s.timer = nil
		if s.held {
			s.armHeartbeat(attempt, s.cfg.HeartbeatTimeout)
			return
		}
		idle := s.cfg.Clock.Now() - s.lastActivity
		if remaining := s.cfg.HeartbeatTimeout - idle; remaining > 0 {
			s.armHeartbeat(attempt, remaining)
			return
		}
		s.reestablish(attempt, &Error{Reason: ReasonHeartbeat})
	})
}

func (s *Source) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// IsEventStream reports whether a Content-Type header value has the MIME
// type essence text/event-stream; parameters such as charset are allowed.
// (It compares ASCII by hand, keeping package strings and Unicode tables
// out of the WASM module.)
func IsEventStream(contentType string) bool {
	const want = "text/event-stream"
	essence := contentType
	for i := 0; i < len(contentType); i++ {
		if contentType[i] == ';' {
			essence = contentType[:i]
			break
		}
	}
	essence = trimHTTPSpace(essence)
	if len(essence) != len(want) {
		return false
	}
	for i := 0; i < len(want); i++ {
		c := essence[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// trimHTTPSpace removes leading and trailing HTTP whitespace (Fetch §2.2).
func trimHTTPSpace(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// keepBatch is the capacity up to which a source always keeps its batch
// buffer for the next chunk. A stream's chunks are alike in size, so it
// keeps the buffer's memory for them rather than allocate (and clear, and
// collect) a new one each time; it lets a buffer go only when it is larger
// than keepBatch and more than four times what the last chunk needed, so
// that one burst does not hold memory for ever (batch.Builder.Next).
const keepBatch = 4 << 20
