package conn

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/batch"
	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

// FuzzSource drives a Source through a random sequence of what a transport,
// a clock and a page can do to it (responses, chunks, ends, failures,
// close(), time passing, late reports of old attempts), decoded from the
// fuzz input by runProgram, and checks after every step that:
//
//   - nothing panics;
//   - the ready state changes only as HTML §9.2.3 allows, and equals what
//     the listener was told;
//   - after Close, or an error that does not reconnect, nothing more is
//     reported and no request is made;
//   - at most one attempt is outstanding, and the old one is aborted first;
//   - the events reported are exactly those of a reference decode of the
//     bytes of each attempt that the source accepted, fed to a fresh
//     sse.Decoder in one piece, with the last event ID carried over;
//   - after each chunk, the batches have told the listener the source's
//     last event ID and reconnection time (package batch's state records);
//   - every error that says it reconnects is followed, after exactly its
//     delay, by a request carrying the last event ID, unless the source is
//     closed first; a heartbeat timeout fires only after the timeout.
//
// The seed corpus (sourcePrograms) runs in every go test; `make fuzz`
// explores further.
func FuzzSource(f *testing.F) {
	for _, p := range sourcePrograms {
		f.Add(p.program)
	}
	f.Fuzz(func(t *testing.T, program []byte) {
		if len(program) > 4096 {
			program = program[:4096]
		}
		runProgram(t, program)
	})
}

// FuzzSourcePaused is FuzzSource with Pause and Resume (the
// pauseWhenHidden option) and Hold and Release (a for await loop that
// holds back the reads) among the operations, and these invariants too:
// while paused the source makes no request and reports nothing, and its
// ready state is CONNECTING; Resume makes one request at once, with the
// last event ID; while held, the heartbeat timeout does not fire, and
// after Release it fires only after a whole timeout of silence.
func FuzzSourcePaused(f *testing.F) {
	for _, p := range sourcePrograms {
		f.Add(p.program)
	}
	for _, p := range pausedPrograms {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, program []byte) {
		if len(program) > 4096 {
			program = program[:4096]
		}
		runProgramWith(t, program, true)
	})
}

// pausedPrograms are seeds of FuzzSourcePaused: a pause while open, while
// waiting to reconnect and before any response, each with a resume; a
// hold across a heartbeat timeout.
var pausedPrograms = [][]byte{
	{0x01, 0x01, 0, opResponse, 0, opFragments, 1, 0, 3, opPause, 0, opAdvance, 14, opPause, 1, opResponse, 0, opFragments, 0, 0},
	{0x01, 0x00, 0, opFail, 0, opPause, 0, opAdvance, 12, opPause, 1, opResponse, 0, opEnd, opAdvance, 3},
	{0x00, 0x00, 0, opPause, 0, opAdvance, 14, opPause, 1, opPause, 1, opResponse, 0},
	{0x00, 0x01, 0, opResponse, 0, opHold, 0, opAdvance, 13, opHold, 1, opAdvance, 8, opAdvance, 8},
}

// TestSourcePrograms runs the seed programs by name, with a log of what
// each did, so that a failing one is easy to read.
func TestSourcePrograms(t *testing.T) {
	for _, p := range sourcePrograms {
		t.Run(p.name, func(t *testing.T) {
			m := runProgram(t, p.program)
			if p.check != nil {
				p.check(t, m)
			}
		})
	}
}

// The operations of a program. Each is one byte (taken modulo opCount),
// followed by its arguments.
const (
	opResponse    = iota // status and content type: one byte, see statuses and contentTypes
	opChunk              // raw bytes: a length byte (mod 64), then that many bytes
	opFragments          // SSE text: a count byte (mod 4, plus 1), then that many fragment indexes
	opEnd                // the body ends
	opFail               // a network error; request-setup when the argument byte is odd
	opClose              // the page calls close()
	opAdvance            // time passes: one byte, see advances
	opStale              // a report for an attempt the source is done with: one byte
	opStart              // Start again, which must do nothing
	opFailForGood        // the module gives up on the source
	opCount

	// The operations of FuzzSourcePaused only, after the others.
	opPause       = opCount     // Pause, or Resume when the argument byte is odd
	opHold        = opCount + 1 // Hold, or Release when the argument byte is odd
	opCountPaused = opCount + 2
)

// The configuration is the program's first three bytes.
//
//	byte 0: bits 0-1 Policy.Delay (default, 10 ms, 1 s, 100 ms); bit 2
//	        Factor 2; bit 3 MaxDelay 500 ms; bit 4 Jitter 0.5; bits 5-7
//	        MaxRetries (0 to 7)
//	byte 1: bits 0-1 HeartbeatTimeout (off, 1 s, 5 s, 30 s); bits 2-3
//	        Limits (none, MaxLine 16, MaxEvent 32, both 64); bits 4-5 the
//	        listener calls Close from Dispatch, Failed or Opened; bit 6
//	        initial last event ID "7"; bit 7 Start twice
//	byte 2: the jitter's random numbers start from it
var (
	policyDelays = []time.Duration{0, 10 * time.Millisecond, time.Second, 100 * time.Millisecond}
	heartbeats   = []time.Duration{0, time.Second, 5 * time.Second, 30 * time.Second}
	limits       = []sse.Limits{{}, {MaxLine: 16}, {MaxEvent: 32}, {MaxLine: 64, MaxEvent: 64}}
	statuses     = []int{200, 200, 200, 204, 301, 500, 503, 0}
	contentTypes = []string{
		"text/event-stream", "text/event-stream; charset=utf-8", "TEXT/Event-Stream",
		"text/event-stream", "text/plain", "", "text/event-streams", "text/event-stream;",
	}
	advances = []time.Duration{
		0, time.Millisecond, 9 * time.Millisecond, 10 * time.Millisecond, 99 * time.Millisecond,
		100 * time.Millisecond, 499 * time.Millisecond, 500 * time.Millisecond, time.Second,
		2999 * time.Millisecond, 3 * time.Second, 5 * time.Second, 10 * time.Second,
		30 * time.Second, time.Hour,
	}
	fragments = []string{
		"data: x\n", "data", ": y", "\n", "\r", "\r\n", "\n\n", "id: 1",
		"id: 2\n", "id\n", "event: e\n", "retry: 5\n", "retry: 1000\n", ":comment\n",
		"\xEF\xBB\xBF", "id: a\x00b\n", "data: " + strings.Repeat("z", 40) + "\n", "retry: 18446744073709551615\n",
	}
)

// closeFrom says which listener call, if any, closes the source re-entrantly.
type closeFrom int

const (
	closeNever closeFrom = iota
	closeInDispatch
	closeInFailed
	closeInOpened
)

// A model is what runProgram knows of the source from outside: the
// transport's attempts, the listener's reports, and the reference decode.
type model struct {
	t     testing.TB
	cfg   Config
	clock *fuzzClock
	src   *Source
	log   []string // what happened, for failure messages

	closeFrom closeFrom

	// Pauses and holds (FuzzSourcePaused).
	paused    bool // Pause was called, and neither Resume nor Close since
	resumeDue bool // within Resume, which must connect
	held      bool // Hold was called, and Release not since

	// The transport's view.
	last        int          // the attempt of the most recent Connect
	issued      []int        // every attempt Connect was given, in order
	outstanding map[int]bool // attempts connected and not yet aborted
	connects    int

	// The listener's view.
	state          ReadyState // as the listener was told
	closed         bool       // Closed: by Close, or by an error that does not reconnect
	closedByPage   bool       // by Close, from the program or a handler
	reconnectAt    time.Duration
	reconnectDue   bool // an error said it reconnects, and no Connect followed yet
	retries        int  // consecutive reconnection attempts since the last open
	lastActivity   time.Duration
	reported       []string // events the listener got
	tooLarge       int      // errors with ReasonTooLarge
	errorsReported int
	// What the batches told the listener of the source's state: the last
	// event ID (of the last event, or an "id" record), and the
	// reconnection time of the last "retry" record, if any.
	heardID    string
	heardRetry string

	// The reference: the bytes of the current attempt that the source
	// must have accepted, and a decoder that decodes each attempt's bytes
	// in one piece when the attempt is over.
	accepted         []byte
	ref              sse.Decoder
	refEvents        []string
	refErr           error
	reconnectionTime time.Duration
}

// logf notes a step; a failure shows the last maxLog of them.
func (m *model) logf(format string, args ...any) {
	const maxLog = 400
	if len(m.log) == 2*maxLog {
		m.log = append(m.log[:0], m.log[maxLog:]...)
	}
	m.log = append(m.log, fmt.Sprintf("%v: ", m.clock.now)+fmt.Sprintf(format, args...))
}

func (m *model) failf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\nafter:\n  %s", fmt.Sprintf(format, args...), strings.Join(m.log, "\n  "))
}

// runProgram runs one program and checks the invariants after every step.
func runProgram(t testing.TB, program []byte) *model {
	t.Helper()
	return runProgramWith(t, program, false)
}

// runProgramWith is runProgram, with opPause and opHold among the
// operations when pauses is true.
func runProgramWith(t testing.TB, program []byte, pauses bool) *model {
	t.Helper()
	ops := opCount
	if pauses {
		ops = opCountPaused
	}
	var cfgBytes [3]byte
	copy(cfgBytes[:], program)
	program = program[min(len(program), 3):]

	m := &model{t: t, clock: &fuzzClock{now: time.Hour}, outstanding: map[int]bool{}}
	c0, c1, c2 := cfgBytes[0], cfgBytes[1], cfgBytes[2]
	m.cfg.Policy.Delay = policyDelays[c0&3]
	if c0&4 != 0 {
		m.cfg.Policy.Factor = 2
	}
	if c0&8 != 0 {
		m.cfg.Policy.MaxDelay = 500 * time.Millisecond
	}
	if c0&16 != 0 {
		m.cfg.Policy.Jitter = 0.5
		r := uint32(c2) + 1
		m.cfg.Random = func() float64 {
			r = r*1664525 + 1013904223
			return float64(r>>8) / (1 << 24)
		}
	}
	m.cfg.Policy.MaxRetries = int(c0 >> 5)
	m.cfg.HeartbeatTimeout = heartbeats[c1&3]
	m.cfg.Limits = limits[c1>>2&3]
	m.closeFrom = closeFrom(c1 >> 4 & 3)
	if c1&64 != 0 {
		m.cfg.LastEventID = "7"
	}
	m.cfg.URL = "http://example.test/stream"
	m.cfg.Transport, m.cfg.Listener, m.cfg.Clock = m, m, m.clock

	m.ref.Limits = m.cfg.Limits
	m.ref.SetLastEventID(m.cfg.LastEventID)
	m.heardID = m.cfg.LastEventID
	m.reconnectionTime = m.cfg.Policy.Delay
	if m.reconnectionTime <= 0 {
		m.reconnectionTime = DefaultDelay
	}

	m.src = New(m.cfg)
	m.logf("config %+v heartbeat=%v limits=%+v closeFrom=%d", m.cfg.Policy, m.cfg.HeartbeatTimeout, m.cfg.Limits, m.closeFrom)
	m.src.Start()
	if c1&128 != 0 {
		m.src.Start()
	}
	m.check()

	arg := func() byte {
		if len(program) == 0 {
			return 0
		}
		b := program[0]
		program = program[1:]
		return b
	}
	// A program that has fired this many timers has said what it can:
	// an hour with a heartbeat of a second is thousands of attempts, and
	// the fuzzer is better off trying other programs.
	const maxFired = 50_000
	for len(program) > 0 && m.clock.fired < maxFired {
		op := int(arg()) % ops
		switch op {
		case opResponse:
			a := arg()
			r := Response{Status: statuses[a&7], ContentType: contentTypes[a>>3&7], URL: m.cfg.URL}
			m.logf("response %d %q to attempt %d", r.Status, r.ContentType, m.last)
			if m.outstanding[m.last] && m.state == Connecting && !m.closed {
				m.lastActivity = m.clock.now
			}
			m.src.Response(m.last, r)
		case opChunk:
			n := int(arg() % 64)
			n = min(n, len(program))
			m.chunk(program[:n])
			program = program[n:]
		case opFragments:
			var b []byte
			for range int(arg()%4) + 1 {
				b = append(b, fragments[int(arg())%len(fragments)]...)
			}
			m.chunk(b)
		case opEnd:
			m.logf("end of attempt %d", m.last)
			m.src.End(m.last)
		case opFail:
			reason := ReasonNetwork
			if arg()&1 == 1 {
				reason = ReasonRequestSetup
			}
			m.logf("fail attempt %d: %s", m.last, reason)
			m.src.Fail(m.last, reason, errors.New("fuzz: "+string(reason)))
		case opClose:
			m.logf("close")
			m.pageClose()
		case opAdvance:
			d := advances[int(arg())%len(advances)]
			m.logf("advance %v", d)
			m.clock.Advance(d)
			m.checkTimersFired()
		case opStale:
			a := arg()
			m.stale(a)
		case opStart:
			m.logf("start again")
			m.src.Start()
		case opFailForGood:
			m.logf("fail for good")
			m.src.FailForGood(ReasonInternal, errors.New("fuzz: the module gave up"))
		case opPause:
			if arg()&1 == 0 {
				m.pause()
			} else {
				m.resume()
			}
		case opHold:
			if arg()&1 == 0 {
				m.logf("hold")
				m.held = true
				m.src.Hold()
			} else {
				m.logf("release")
				if m.held {
					m.lastActivity = m.clock.now
				}
				m.held = false
				m.src.Release()
			}
		}
		m.check()
	}
	m.finish()
	return m
}

// chunk delivers b to the current attempt. The source must accept it
// exactly when that attempt is outstanding and the source is open.
func (m *model) chunk(b []byte) {
	m.logf("chunk %q to attempt %d", b, m.last)
	accepted := m.outstanding[m.last] && m.state == Open && !m.closed
	if accepted {
		m.accepted = append(m.accepted, b...)
		m.lastActivity = m.clock.now
	}
	m.src.Chunk(m.last, b)
	if !accepted {
		return
	}
	// The batches keep the listener's view of the source's state current,
	// as the shim's lastEventId and reconnectionTime attributes need.
	if got := m.src.LastEventID(); m.heardID != got {
		m.failf("the batches said last event ID %q, the source has %q", m.heardID, got)
	}
	if m.heardRetry != "" {
		if got := strconv.FormatInt(m.src.ReconnectionTime().Milliseconds(), 10); m.heardRetry != got {
			m.failf("the batches said retry %s ms, the source has %s ms", m.heardRetry, got)
		}
	}
}

// stale sends a report for an attempt the transport was given earlier and
// that is no longer the current one; the source must ignore it.
func (m *model) stale(a byte) {
	var old []int
	for _, n := range m.issued {
		if !m.outstanding[n] {
			old = append(old, n)
		}
	}
	if len(old) == 0 {
		return
	}
	n := old[int(a>>2)%len(old)]
	m.logf("stale report %d for attempt %d", a&3, n)
	switch a & 3 {
	case 0:
		m.src.Response(n, Response{Status: 200, ContentType: "text/event-stream"})
	case 1:
		m.src.Chunk(n, []byte("id: stale\ndata: stale\n\n"))
	case 2:
		m.src.End(n)
	case 3:
		m.src.Fail(n, ReasonNetwork, errors.New("fuzz: stale"))
	}
}

// pause is Pause from the page (pauseWhenHidden): the attempt, if any,
// is over and aborted, no error is reported, and the source is CONNECTING.
func (m *model) pause() {
	m.logf("pause")
	if m.closed || m.paused {
		m.src.Pause()
		if len(m.outstanding) > 0 && m.closed {
			m.failf("Pause of a closed source left attempts %v outstanding", m.outstanding)
		}
		return
	}
	m.flushReference()
	m.paused = true
	m.state = Connecting
	m.reconnectDue = false
	m.src.Pause()
	if len(m.outstanding) > 0 {
		m.failf("Pause left attempts %v outstanding", m.outstanding)
	}
}

// resume is Resume from the page: a paused source connects at once.
func (m *model) resume() {
	m.logf("resume")
	if m.closed || !m.paused {
		before := m.connects
		m.src.Resume()
		if m.connects != before {
			m.failf("Resume of a source that was not paused connected")
		}
		return
	}
	m.paused = false
	m.resumeDue = true
	m.src.Resume()
	if m.resumeDue {
		m.failf("Resume made no request")
	}
}

// pageClose is close() from the page, in the program or in a handler.
func (m *model) pageClose() {
	if !m.closed {
		m.flushReference()
	}
	wasClosed := m.closed
	m.closed, m.closedByPage, m.state = true, true, Closed
	m.paused = false
	m.reconnectDue = false
	m.src.Close()
	if !wasClosed && len(m.outstanding) > 0 {
		m.failf("Close left attempts %v outstanding", m.outstanding)
	}
}

// flushReference decodes the bytes the current attempt accepted, in one
// piece, and resets the reference for the next attempt.
func (m *model) flushReference() {
	if m.refErr == nil {
		err := m.ref.Feed(m.accepted, refRecorder{m})
		if err != nil {
			m.refErr = err
		}
	}
	m.accepted = m.accepted[:0]
}

type refRecorder struct{ m *model }

func (r refRecorder) Event(e sse.Event) {
	r.m.refEvents = append(r.m.refEvents, fmt.Sprintf("%s %q id=%q", e.Type, e.Data, e.LastEventID))
}

func (r refRecorder) Retry(d time.Duration) { r.m.reconnectionTime = d }

// Connect is the transport's (Transport).
func (m *model) Connect(attempt int, req Request) {
	m.logf("connect %d last-event-id=%q", attempt, req.LastEventID)
	if m.closed {
		m.failf("Connect(%d) after the source closed", attempt)
	}
	if len(m.outstanding) > 0 {
		m.failf("Connect(%d) with attempts %v still outstanding", attempt, m.outstanding)
	}
	if attempt <= m.last {
		m.failf("Connect(%d) after attempt %d: attempts must increase", attempt, m.last)
	}
	if m.paused {
		m.failf("Connect(%d) while paused", attempt)
	}
	if m.resumeDue {
		// Resume connects at once, whatever delay was pending.
		m.resumeDue = false
	} else if m.connects > 0 {
		if !m.reconnectDue {
			m.failf("Connect(%d) with no reconnecting error before it", attempt)
		}
		if m.clock.now != m.reconnectAt {
			m.failf("Connect(%d) at %v, want at %v, the error's delay after it", attempt, m.clock.now, m.reconnectAt)
		}
	}
	// The previous attempt is over: the reference decodes what it got,
	// and the request must carry the last event ID that results.
	m.flushReference()
	m.ref.Reset()
	if m.refErr == nil {
		if want := string(m.ref.LastEventID()); req.LastEventID != want {
			m.failf("request Last-Event-ID %q, want %q from the reference decode", req.LastEventID, want)
		}
	}
	if req.URL != m.cfg.URL {
		m.failf("request URL %q, want %q", req.URL, m.cfg.URL)
	}
	m.reconnectDue = false
	m.connects++
	m.last = attempt
	m.issued = append(m.issued, attempt)
	m.outstanding[attempt] = true
	m.lastActivity = m.clock.now
}

// Abort is the transport's (Transport).
func (m *model) Abort(attempt int) {
	m.logf("abort %d", attempt)
	delete(m.outstanding, attempt)
}

// Opened is the listener's (Listener).
func (m *model) Opened(r Response) {
	m.logf("opened")
	m.heard("Opened")
	if m.state != Connecting {
		m.failf("Opened in state %v: only CONNECTING may become OPEN", m.state)
	}
	if got := m.src.ReadyState(); got != Open {
		m.failf("Opened with readyState %v", got)
	}
	if r.Status != 200 || !IsEventStream(r.ContentType) {
		m.failf("Opened for %d %q", r.Status, r.ContentType)
	}
	m.state = Open
	m.retries = 0
	if m.closeFrom == closeInOpened {
		m.pageClose()
	}
}

// Dispatch is the listener's (Listener).
func (m *model) Dispatch(b []byte) {
	m.heard("Dispatch")
	if m.state != Open {
		m.failf("Dispatch in state %v", m.state)
	}
	// Plain records carry the last event ID the listener heard before.
	split := batch.Splitter{LastEventID: m.heardID}
	records, ok := split.Split(string(b))
	if !ok {
		m.failf("malformed batch %q", b)
	}
	for _, r := range records {
		if r.Type == "" {
			// A change of state, not an event (package batch).
			switch r.Data {
			case "id":
				m.heardID = r.LastEventID
			case "retry":
				m.heardRetry = r.LastEventID
			default:
				m.failf("unknown state record %q in batch %q", r.Data, b)
			}
			continue
		}
		m.reported = append(m.reported, fmt.Sprintf("%s %q id=%q", r.Type, r.Data, r.LastEventID))
		m.heardID = r.LastEventID
	}
	m.logf("dispatch %d records", len(records))
	if m.closeFrom == closeInDispatch && !m.closed {
		m.pageClose()
	}
}

// Failed is the listener's (Listener).
func (m *model) Failed(e *Error) {
	m.logf("error %v", e)
	m.heard("Failed")
	if m.paused && e.Reason != ReasonInternal {
		m.failf("error %v while paused", e)
	}
	m.errorsReported++
	if m.state == Closed {
		m.failf("Failed in state CLOSED")
	}
	switch e.Reason {
	case ReasonEndOfStream, ReasonNetwork, ReasonRequestSetup, ReasonHeartbeat:
		if !e.Reconnect && !e.GaveUp {
			m.failf("error %v neither reconnects nor gave up", e)
		}
	case ReasonStatus, ReasonContentType, ReasonTooLarge, ReasonInternal:
		if e.Reconnect || e.GaveUp {
			m.failf("error %v must close the source", e)
		}
	default:
		m.failf("error with unknown reason %q", e.Reason)
	}
	if e.Reason == ReasonTooLarge {
		m.tooLarge++
		if !errors.As(e, new(*sse.LimitError)) {
			m.failf("too-large error %v wraps no *sse.LimitError", e)
		}
	}
	if e.Reason == ReasonHeartbeat {
		if m.held {
			m.failf("heartbeat timeout while the reads are held")
		}
		if idle := m.clock.now - m.lastActivity; idle < m.cfg.HeartbeatTimeout {
			m.failf("heartbeat timeout after %v of silence, want %v", idle, m.cfg.HeartbeatTimeout)
		}
	}
	// The attempt is over, whatever comes next.
	m.flushReference()
	if got := m.src.ReconnectionTime(); got != m.reconnectionTime {
		m.failf("reconnection time %v, want %v from the retry fields", got, m.reconnectionTime)
	}
	if e.Reconnect || e.GaveUp {
		m.retries++
		want := m.retries
		if e.GaveUp {
			want = m.cfg.Policy.MaxRetries
			if max := m.cfg.Policy.MaxRetries; max == 0 || m.retries <= max {
				m.failf("gave up after %d retries with MaxRetries %d", m.retries, max)
			}
		} else if max := m.cfg.Policy.MaxRetries; max > 0 && m.retries > max {
			m.failf("retry %d with MaxRetries %d", m.retries, max)
		}
		if e.Retries != want {
			m.failf("error says %d retries, want %d", e.Retries, want)
		}
	}
	if e.Reconnect {
		if got := m.src.ReadyState(); got != Connecting {
			m.failf("reconnecting error with readyState %v", got)
		}
		m.checkDelay(e.Delay)
		m.state = Connecting
		m.reconnectDue = true
		m.reconnectAt = addSaturating(m.clock.now, e.Delay)
		if m.closeFrom == closeInFailed {
			m.pageClose()
		}
		return
	}
	if got := m.src.ReadyState(); got != Closed {
		m.failf("final error with readyState %v", got)
	}
	if len(m.outstanding) > 0 {
		m.failf("final error with attempts %v outstanding", m.outstanding)
	}
	m.state, m.closed = Closed, true
}

// checkDelay checks an error's delay against the policy where the policy
// makes it exact, and bounds it elsewhere.
func (m *model) checkDelay(d time.Duration) {
	p := m.cfg.Policy
	if d < 0 {
		m.failf("negative delay %v", d)
	}
	want := m.reconnectionTime
	if p.MaxDelay > 0 {
		want = min(want, p.MaxDelay)
	}
	// The policy computes in float64: allow its rounding, which matters
	// only for delays of centuries.
	slack := want>>50 + 1
	switch {
	case p.Factor <= 1 && p.Jitter == 0:
		if diff := d - want; diff < -slack || diff > slack {
			m.failf("delay %v, want %v", d, want)
		}
	case p.Factor <= 1:
		if d-want > slack || float64(d) < float64(want)*(1-p.Jitter)-float64(slack) {
			m.failf("delay %v, want %v less up to %v jitter", d, want, p.Jitter)
		}
	case p.MaxDelay > 0 && d > p.MaxDelay:
		m.failf("delay %v beyond MaxDelay %v", d, p.MaxDelay)
	}
}

// heard fails if the listener hears anything once the source is closed.
func (m *model) heard(call string) {
	m.t.Helper()
	if m.closed {
		m.failf("%s after the source closed", call)
	}
}

// check compares the source's state with the model's after each step.
func (m *model) check() {
	m.t.Helper()
	if got := m.src.ReadyState(); got != m.state {
		m.failf("readyState %v, but the listener was last told %v", got, m.state)
	}
	if len(m.outstanding) > 1 {
		m.failf("attempts %v outstanding at once", m.outstanding)
	}
	if m.closed && len(m.outstanding) > 0 {
		m.failf("closed with attempts %v outstanding", m.outstanding)
	}
}

// checkTimersFired checks, after time passed, that the timers that were
// due did their work: a pending reconnection connected, and a silent
// connection timed out.
func (m *model) checkTimersFired() {
	if m.closed {
		return
	}
	if m.reconnectDue && m.clock.now >= m.reconnectAt {
		m.failf("no reconnection at %v, the error's delay", m.reconnectAt)
	}
	if hb := m.cfg.HeartbeatTimeout; hb > 0 && !m.held && len(m.outstanding) > 0 && m.clock.now-m.lastActivity >= hb {
		m.failf("no heartbeat timeout after %v of silence (timeout %v)", m.clock.now-m.lastActivity, hb)
	}
}

// finish lets a pending reconnection happen, then compares the events with
// the reference decode.
func (m *model) finish() {
	if !m.closed && m.reconnectDue && m.reconnectAt < math.MaxInt64 {
		m.logf("advance to the reconnection at %v", m.reconnectAt)
		m.clock.Advance(m.reconnectAt - m.clock.now)
		m.checkTimersFired()
		m.check()
	}
	if !m.closed {
		m.flushReference()
	}
	if !equalStrings(m.reported, m.refEvents) {
		m.failf("events reported:\n  %s\nreference decode:\n  %s",
			strings.Join(m.reported, "\n  "), strings.Join(m.refEvents, "\n  "))
	}
	// A limit error in the reference must have closed the source with
	// too-large, unless the page closed it first in the same chunk.
	if m.tooLarge > 0 && m.refErr == nil {
		m.failf("too-large error, but the reference decode hit no limit")
	}
	if m.refErr != nil && m.tooLarge == 0 && !m.closedByPage {
		m.failf("the reference decode hit %v, but the source reported no too-large error", m.refErr)
	}
	if m.refErr == nil {
		if got, want := m.src.LastEventID(), string(m.ref.LastEventID()); got != want {
			m.failf("LastEventID %q, want %q", got, want)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func addSaturating(t, d time.Duration) time.Duration {
	if d > math.MaxInt64-t {
		return math.MaxInt64
	}
	return t + d
}

// fuzzClock is a Clock whose time moves only when the program says so. A
// timer whose due time does not fit in a Duration is due at the end of
// time, and never fires.
type fuzzClock struct {
	now    time.Duration
	timers []*fuzzTimer
	seq    int
	fired  int
}

type fuzzTimer struct {
	due     time.Duration
	seq     int // timers due at once fire in the order they were set
	f       func()
	stopped bool
}

func (t *fuzzTimer) Stop() bool {
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fuzzClock) Now() time.Duration { return c.now }

func (c *fuzzClock) AfterFunc(d time.Duration, f func()) Timer {
	c.seq++
	t := &fuzzTimer{due: addSaturating(c.now, max(d, 0)), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time forward by d, firing the timers that fall due, in
// order, each at its due time.
func (c *fuzzClock) Advance(d time.Duration) {
	end := addSaturating(c.now, d)
	for {
		live := c.timers[:0]
		for _, t := range c.timers {
			if !t.stopped {
				live = append(live, t)
			}
		}
		c.timers = live
		sort.Slice(c.timers, func(i, j int) bool {
			a, b := c.timers[i], c.timers[j]
			return a.due < b.due || a.due == b.due && a.seq < b.seq
		})
		if len(c.timers) == 0 || c.timers[0].due > end || c.timers[0].due == math.MaxInt64 {
			break
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.now = t.due
		t.stopped = true
		c.fired++
		t.f()
	}
	c.now = end
}

// A programBuilder writes programs for the seed corpus.
type programBuilder []byte

func program(c0, c1 byte) programBuilder { return programBuilder{c0, c1, 0} }

func (p programBuilder) response(status, contentType int) programBuilder {
	return append(p, opResponse, byte(status|contentType<<3))
}

func (p programBuilder) ok() programBuilder { return p.response(0, 0) }

func (p programBuilder) chunk(s string) programBuilder {
	for len(s) > 63 {
		p = append(append(p, opChunk, 63), s[:63]...)
		s = s[63:]
	}
	return append(append(p, opChunk, byte(len(s))), s...)
}

func (p programBuilder) fragments(idx ...byte) programBuilder {
	return append(append(p, opFragments, byte(len(idx)-1)), idx...)
}

func (p programBuilder) end() programBuilder            { return append(p, opEnd) }
func (p programBuilder) fail() programBuilder           { return append(p, opFail, 0) }
func (p programBuilder) failSetup() programBuilder      { return append(p, opFail, 1) }
func (p programBuilder) close() programBuilder          { return append(p, opClose) }
func (p programBuilder) stale(kind byte) programBuilder { return append(p, opStale, kind) }
func (p programBuilder) start() programBuilder          { return append(p, opStart) }
func (p programBuilder) failForGood() programBuilder    { return append(p, opFailForGood) }

// advance passes time: i indexes advances.
func (p programBuilder) advance(i int) programBuilder { return append(p, opAdvance, byte(i)) }

// Indexes into advances. The longest is an hour: with a heartbeat of a
// second and a server that never answers, that is already thousands of
// attempts.
const (
	adv10ms  = 3
	adv100ms = 5
	adv1s    = 8
	adv3s    = 10
	adv10s   = 12
	adv1h    = 14
)

// The seed corpus: one program per behaviour of source_test.go and more.
var sourcePrograms = []struct {
	name    string
	program []byte
	check   func(t *testing.T, m *model)
}{
	{"open, events, end, reconnect with the last id",
		program(0, 0).ok().chunk("id: 7\ndata: a\n\nretry: 500\ndata: b\n\ndata: partial").end().advance(adv1s).ok().chunk("data: c\n\n"),
		wantEvents(`message "a" id="7"`, `message "b" id="7"`, `message "c" id="7"`)},
	{"fail the connection on status and type",
		program(0, 0).response(3, 0).advance(adv1h), wantEvents()},
	{"500 with an event stream", program(0, 0).response(5, 0).chunk("data: no\n\n"), wantEvents()},
	{"wrong content type", program(0, 0).response(0, 4).chunk("data: no\n\n"), wantEvents()},
	{"content type with parameters", program(0, 0).response(0, 1).chunk("data: yes\n\n"), wantEvents(`message "yes" id=""`)},
	{"network error reconnects", program(0, 0).fail().advance(adv3s).ok().chunk("data: after\n\n"), wantEvents(`message "after" id=""`)},
	{"request setup error reconnects", program(1, 0).failSetup().advance(adv10ms).ok(), nil},
	{"close stops everything",
		program(0, 0).ok().close().chunk("data: late\n\n").end().fail().advance(adv1h).close(), wantEvents()},
	{"close while waiting to reconnect", program(1, 0).ok().end().close().advance(adv1h), nil},
	{"close from the error handler", program(0, 0x20).ok().end().advance(adv1h), nil},
	{"close from an event handler", program(0, 0x10).ok().chunk("data: a\n\ndata: b\n\n").chunk("data: c\n\n"),
		wantEvents(`message "a" id=""`, `message "b" id=""`)},
	{"close from the open handler", program(0, 0x30).ok().chunk("data: a\n\n"), wantEvents()},
	{"stale reports are ignored",
		program(2, 0).ok().end().advance(adv1s).stale(0).stale(1).stale(2).stale(3).ok().chunk("data: now\n\n"),
		wantEvents(`message "now" id=""`)},
	{"backoff with a cap",
		program(3|4|8, 0).fail().advance(adv1s).fail().advance(adv1s).fail().advance(adv1s).fail().advance(adv1s).ok().end(), nil},
	{"server retry overrides the policy", program(2|8, 0).ok().chunk("retry: 250\n").chunk("retry: 60000\n").end().advance(adv1h), nil},
	{"jitter", program(2|16, 0).fail().advance(adv1s).fail().advance(adv1h), nil},
	{"max retries", program(2|2<<5, 0).fail().advance(adv1s).fail().advance(adv1s).fail().advance(adv1h), nil},
	{"a successful connection resets the retries", program(1|1<<5, 0).fail().advance(adv10ms).ok().end().advance(adv10ms).fail().advance(adv1h), nil},
	{"heartbeat timeout", program(2, 2).ok().advance(adv3s).chunk(": still here\n").advance(adv3s).advance(adv10s).advance(adv1s).advance(adv10s), nil},
	{"heartbeat on a server that never answers", program(2, 1).advance(adv3s).advance(adv3s), nil},
	{"line limit", program(0, 1<<2).ok().chunk("data: ok\n\ndata: this line is too long\n\n"), wantEvents(`message "ok" id=""`)},
	{"event limit", program(0, 2<<2).ok().chunk("data: ok\n\n").chunk("data: 0123456789\ndata: 0123456789\ndata: 0123456789\ndata: 0\n\n"),
		wantEvents(`message "ok" id=""`)},
	{"line limit across chunks", program(0, 1<<2).ok().chunk("data: 01234").chunk("567890\n\n"), wantEvents()},
	{"initial last event id", program(0, 0x40).ok().chunk("data: a\n\n").end().advance(adv3s), wantEvents(`message "a" id="7"`)},
	{"id without data, then reconnect", program(1, 0).ok().chunk("id: 5\n\n").end().advance(adv10ms).ok().chunk("data: b\n\n"),
		wantEvents(`message "b" id="5"`)},
	{"incomplete event's id is dropped at reconnection", program(1, 0).ok().chunk("id: 1\ndata: a\n\nid: 2\ndata: b\n").end().advance(adv10ms).ok().chunk("data: c\n\n"),
		wantEvents(`message "a" id="1"`, `message "c" id="1"`)},
	{"BOM and CR split across chunks", program(0, 0).ok().chunk("\xEF\xBB").chunk("\xBFdata: a\r").chunk("\ndata: b\r\r"),
		wantEvents(`message "a\nb" id=""`)},
	{"start twice", program(0, 0x80).start().ok(), nil},
	{"fail for good", program(0, 0).ok().failForGood().failForGood().advance(adv1h), nil},
	{"fragments", program(1, 0).ok().fragments(7, 3, 0, 6).fragments(11, 0, 3, 5).end().advance(adv10ms).ok().fragments(15, 0, 6), nil},
	{"huge retry", program(0, 0).ok().fragments(17).end().advance(adv1h), nil},
	{"response twice", program(0, 0).ok().ok().chunk("data: a\n\n"), wantEvents(`message "a" id=""`)},
	{"end before the response", program(1, 0).end().advance(adv10ms).ok(), nil},
}

// wantEvents checks the events a program reported.
func wantEvents(want ...string) func(t *testing.T, m *model) {
	return func(t *testing.T, m *model) {
		t.Helper()
		if !equalStrings(m.reported, want) {
			t.Errorf("events %q, want %q", m.reported, want)
		}
	}
}

// TestFuzzClock checks the fake clock the fuzzer relies on.
func TestFuzzClock(t *testing.T) {
	c := &fuzzClock{}
	var got []string
	c.AfterFunc(2*time.Second, func() { got = append(got, "b") })
	c.AfterFunc(time.Second, func() {
		got = append(got, "a")
		c.AfterFunc(time.Second, func() { got = append(got, "a2") })
	})
	stopped := c.AfterFunc(time.Second, func() { got = append(got, "stopped") })
	stopped.Stop()
	c.AfterFunc(math.MaxInt64, func() { got = append(got, "end of time") })
	c.Advance(2 * time.Second)
	c.Advance(math.MaxInt64)
	if want := "a b a2"; strings.Join(got, " ") != want || c.now != math.MaxInt64 {
		t.Errorf("at %v fired %q, want %q", c.now, got, want)
	}
	if !bytes.Equal([]byte(program(1, 2)), []byte{1, 2, 0}) {
		t.Error("program header")
	}
}
