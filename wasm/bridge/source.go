//go:build js && wasm

package bridge

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/conn"
	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
	"github.com/hack-pad/safejs"
)

// Default limits on what one source buffers: far beyond any sensible event,
// and far below what takes a tab down.
const (
	defaultMaxLineSize  = 32 << 20
	defaultMaxEventSize = 32 << 20
)

// injectFault, when set (only in a module built with the faultinject tag;
// see faultinject.go), may fail on purpose at each chunk of a source.
var injectFault func(url string)

// A source serves one WasmEventSource: it is the state machine's Transport
// and Listener, and reaches the shim through the functions of the sink the
// shim gave it: connect(lastEventID) → promise of a Response,
// read(reader, address, capacity, id, onError), abort(),
// opened(response), dispatch(address, length) and failed(...). Body bytes
// and batches pass through the module's memory, as an address and a length
// (see connection.read and Dispatch).
type source struct {
	m    *module
	id   int
	url  string
	core *conn.Source

	connect, read, abort, opened, dispatch, failed safejs.Value
	conn                                           *connection // the current attempt, if any
}

// newSource makes a source from the shim's sink and its normalized options
// (lastEventId, retry, heartbeatTimeout, maxEventSize, maxLineSize, once;
// the shim keeps the request options itself).
func newSource(m *module, id int, sink safejs.Value, url string, o safejs.Value) (*source, error) {
	s := &source{m: m, id: id, url: url}
	for _, f := range []struct {
		name string
		dst  *safejs.Value
	}{{"connect", &s.connect}, {"read", &s.read}, {"abort", &s.abort}, {"opened", &s.opened}, {"dispatch", &s.dispatch}, {"failed", &s.failed}} {
		v := field(sink, f.name)
		if v.Type() != safejs.TypeFunction {
			return nil, errors.New("eventsource-wasm: the sink has no " + f.name + " function")
		}
		*f.dst = v
	}
	retry := field(o, "retry")
	ms := func(v safejs.Value, name string) time.Duration {
		return time.Duration(numberField(v, name, 0) * float64(time.Millisecond))
	}
	s.core = conn.New(conn.Config{
		URL:         url,
		LastEventID: stringField(o, "lastEventId", ""),
		Policy: conn.Policy{
			Delay:      ms(retry, "delay"),
			Factor:     numberField(retry, "factor", 1),
			MaxDelay:   ms(retry, "maxDelay"),
			Jitter:     numberField(retry, "jitter", 0),
			MaxRetries: int(numberField(retry, "maxRetries", 0)),
		},
		HeartbeatTimeout: ms(o, "heartbeatTimeout"),
		Limits: sse.Limits{
			MaxLine:  int(numberField(o, "maxLineSize", defaultMaxLineSize)),
			MaxEvent: int(numberField(o, "maxEventSize", defaultMaxEventSize)),
		},
		Once:      truthy(field(o, "once")),
		Transport: s,
		Listener:  s,
		Clock:     systemClock{},
		Random:    rand.Float64,
	})
	return s, nil
}

// Connect starts an attempt (conn.Transport). The shim sends the request:
// it knows the URL, and where a redirect led; the module gives it the last
// event ID.
func (s *source) Connect(attempt int, req conn.Request) {
	c, err := newConnection(s, attempt)
	if err != nil {
		s.core.FailForGood(conn.ReasonInternal, err)
		return
	}
	s.conn = c
	c.start(req.LastEventID)
}

// Abort cancels an attempt (conn.Transport): the shim aborts its request,
// which also errors the body stream the connection may be reading.
func (s *source) Abort(attempt int) {
	if c := s.conn; c != nil && c.attempt == attempt {
		s.conn = nil
		c.finish()
		_, _ = s.abort.Invoke()
	}
}

// Opened passes the response to the shim, which announces the connection
// (conn.Listener).
func (s *source) Opened(conn.Response) {
	response := safejs.Undefined()
	if s.conn != nil {
		response = s.conn.response
	}
	_, _ = s.opened.Invoke(response)
}

// Dispatch hands one chunk's events to the shim (conn.Listener): where the
// batch lies in the module's memory. Within readDone for this source's
// connection, it leaves the batch for the shim to dispatch once readDone
// returns (see next); otherwise it calls the shim's dispatch function. The
// shim decodes the batch into a JavaScript string before it dispatches any
// event, so no handler that calls into the module can change it first.
func (s *source) Dispatch(b []byte) {
	if len(b) == 0 {
		return
	}
	if next.reading == nil || next.reading.src != s {
		s.dispatchNow(b)
		return
	}
	if next.flags&nextBatch != 0 {
		// conn.Source.Chunk dispatches once a chunk, from a buffer that it
		// reuses: a second batch would have overwritten the first.
		panic("eventsource-wasm: two batches in one read")
	}
	next.batchAt, next.batchLen = addressOf(b), uint32(len(b))
	next.batch = b
	next.flags |= nextBatch
}

func (s *source) dispatchNow(b []byte) {
	_, _ = s.dispatch.Invoke(addressOf(b), len(b))
}

// Failed reports an error event to the shim (conn.Listener).
func (s *source) Failed(e *conn.Error) {
	if !e.Reconnect {
		s.m.forget(s.id)
	}
	_, _ = s.failed.Invoke(string(e.Reason), e.Error(), e.Status, e.StatusText, e.ContentType,
		e.Reconnect, e.Delay.Milliseconds(), e.Retries)
}

// recoverPanic turns a panic in the module into an error event that closes
// the source, instead of a dead module.
func (s *source) recoverPanic() {
	if p := recover(); p != nil {
		msg := "panic"
		switch v := p.(type) {
		case error:
			msg += ": " + v.Error()
		case string:
			msg += ": " + v
		}
		s.core.FailForGood(conn.ReasonInternal, errors.New(msg))
	}
}

// timersArmed notes that a timer was set, for readDone.
var timersArmed bool

// systemClock is the conn.Clock of real time; in js/wasm the Go runtime
// implements its timers with the page's setTimeout.
type systemClock struct{}

var clockStart = time.Now()

func (systemClock) Now() time.Duration { return time.Since(clockStart) }

// AfterFunc returns the timer's Stop method, never the *time.Timer itself:
// putting that in an interface would keep time's formatting code in the
// module (through its channel of time.Time).
func (systemClock) AfterFunc(d time.Duration, f func()) conn.Timer {
	timersArmed = true
	return stopFunc(time.AfterFunc(d, f).Stop)
}

type stopFunc func() bool

func (stop stopFunc) Stop() bool { return stop() }
