package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// TestInterop runs real SSE servers built with Go libraries (see
// interopLibraries in interop_libs_test.go) and checks that the polyfill
// and the native EventSource receive exactly the same events from each:
// type, data and lastEventId, and the same Last-Event-ID on reconnection.
//
// Every library gets the same script (interopScript): three events, then
// the server closes the connection under the client in the middle of the
// stream, a fourth event is published while the client is away, and a
// fifth once it is back. The native run must also match what the library
// is known to deliver, including where it misbehaves: those cases are
// asserted as they are and logged, not hidden.
func TestInterop(t *testing.T) {
	t.Parallel()
	for _, lib := range interopLibraries {
		t.Run(lib.name, func(t *testing.T) {
			t.Parallel()
			logModule(t, lib.module)
			for _, quirk := range lib.quirks {
				t.Logf("known behaviour of %s: %s", lib.module, quirk)
			}
			runs := map[string]interopRun{}
			for _, impl := range impls {
				t.Run(impl, func(t *testing.T) {
					run := runInterop(t, lib, impl)
					if impl == "native" {
						checkLibrary(t, lib, run)
					}
					runs[impl] = run
				})
			}
			native, nok := runs["native"]
			wasm, wok := runs["wasm"]
			if !nok || !wok {
				return // a run failed and said why
			}
			if got, want := wasm.String(), native.String(); got != want {
				t.Errorf("WasmEventSource and the native EventSource differ on a %s server:\nnative:\n%s\nwasm:\n%s", lib.name, want, got)
			}
		})
	}
}

// An interopEvent is one event the test publishes through a library.
type interopEvent struct {
	ID    string
	Type  string
	Data  string
	Retry time.Duration
}

// interopScript is what every library publishes, in order. The first three
// go to the first connection, which the server cuts once the third is out
// (interopCutAfter); the fourth is published while the client is away, and
// the fifth once it is back and, where the library replays, once it has
// been sent the fourth again. The data of the second has a CRLF, which
// libraries encode differently.
var interopScript = []interopEvent{
	{ID: "1", Data: "one", Retry: 50 * time.Millisecond},
	{ID: "2", Type: "update", Data: "two\r\nlines"},
	{ID: "3", Data: "three"},
	{ID: "4", Data: "four"},
	{ID: "5", Data: "five"},
}

// interopCutAfter is written in the third event of interopScript: the
// server closes the first connection interopCutPause after a flush has sent
// it.
const interopCutAfter = "three"

// interopCutPause leaves the client the time to read what was sent before
// the connection is cut. Cut at once, the network error can overtake data
// that the page has not read yet, in Chromium's native EventSource on a busy
// machine as well as in a client on fetch (where Chromium drops the bytes a
// body stream has not delivered when the connection fails, and a tab of a
// busy machine can stall for a second); the test is about what the client
// does with the events it has.
const interopCutPause = 1500 * time.Millisecond

// interopReplayed is written in the fourth event: on the reconnection the
// test waits for it before it publishes the fifth.
const interopReplayed = "four"

// interopWait bounds each wait for the server or the client.
const interopWait = 10 * time.Second

// An interopLibrary is an SSE server library and what a browser receives
// from it for interopScript.
type interopLibrary struct {
	name   string
	module string // the module path, whose version the test logs
	// path is the stream's path and query on the server.
	path string
	// newServer makes a server of the library for one run.
	newServer func(t *testing.T) interopServer
	// id turns an id of interopScript into the one published.
	id func(string) string
	// want is what a browser dispatches, and wantLastEventIDs the
	// Last-Event-ID of each request ("" for none).
	want             []scenario.Event
	wantLastEventIDs []string
	// refused says the library refuses the reconnection, so that the
	// trace ends CLOSED after the first connection's events.
	refused bool
	// replays says the reconnection gets the fourth event again.
	replays bool
	// quirks describe where the library departs from the standard or
	// from what its user would expect; the test logs them.
	quirks []string
}

// An interopServer is a library's server for one run.
type interopServer struct {
	// handler serves the stream.
	handler http.Handler
	// publish sends an event to every subscriber, and keeps it for
	// replay where the library does.
	publish func(interopEvent)
	// subscribed gets a value each time the library has registered a
	// subscriber, so that an event published after it reaches that
	// subscriber. When nil, the first flush of a response says so.
	subscribed <-chan struct{}
}

// An interopRun is what one implementation received in a run.
type interopRun struct {
	Events       []scenario.Event
	LastEventIDs []string
	Statuses     []int
	EndedBy      string
}

// String prints the run one event a line, for comparison and diffs.
func (r interopRun) String() string {
	var b strings.Builder
	for _, e := range r.Events {
		fmt.Fprintf(&b, "\tevent %q data %q lastEventId %q\n", e.Type, e.Data, e.LastEventID)
	}
	fmt.Fprintf(&b, "\trequests: Last-Event-ID %q, status %v; trace ended by %s\n", r.LastEventIDs, r.Statuses, r.EndedBy)
	return b.String()
}

// runInterop runs interopScript through lib with impl and returns what the
// page received.
func runInterop(t *testing.T, lib interopLibrary, impl string) interopRun {
	t.Helper()
	if impl == "wasm" && env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ls := lib.newServer(t)
	rec := &interopRecorder{next: ls.handler}
	base := serveInterop(t, lib.path, rec)

	ctx := newTab(t)
	openHarnessAt(t, ctx, base, impl)
	want := len(lib.want)
	if lib.refused {
		want = 0 // the trace ends CLOSED
	}
	traced := traceAsync(t, ctx, traceOptions{
		Impl:       impl,
		URL:        lib.path,
		Events:     []string{"update"},
		CloseAfter: want,
		MaxErrors:  10,
		TimeoutMs:  traceTimeout.Milliseconds(),
	})

	publish := func(i int) {
		e := interopScript[i]
		e.ID = lib.id(e.ID)
		ls.publish(e)
	}
	subscribed := func(n int) bool {
		if ls.subscribed == nil {
			return rec.wait(interopWait, func() bool { return len(rec.reqs) >= n && rec.reqs[n-1].flushes > 0 })
		}
		select {
		case <-ls.subscribed:
			return true
		case <-time.After(interopWait):
			return false
		}
	}

	if !subscribed(1) {
		t.Errorf("%s: the client did not subscribe within %v", impl, interopWait)
	} else {
		publish(0)
		publish(1)
		publish(2)
		// The recorder cuts the connection once "three" is flushed;
		// the fourth event must find the client away.
		if !rec.wait(interopWait, func() bool { return rec.reqs[0].done }) {
			t.Errorf("%s: the first response did not end after the server closed its connection", impl)
		}
		publish(3)
		switch {
		case lib.refused:
		case !subscribed(2):
			t.Errorf("%s: the client did not reconnect within %v", impl, interopWait)
		case lib.replays && !rec.wait(interopWait, func() bool { return strings.Contains(rec.reqs[1].body.String(), interopReplayed) }):
			t.Errorf("%s: the reconnection was not sent %q within %v", impl, interopReplayed, interopWait)
		default:
			publish(4)
		}
	}

	tr := <-traced
	checkTrace(t, impl, tr)
	run := interopRun{EndedBy: tr.EndedBy}
	for _, e := range tr.Entries {
		if e.Type == "message" {
			run.Events = append(run.Events, scenario.Event{Type: deref(e.Event), Data: deref(e.Data), LastEventID: deref(e.LastEventID)})
		}
	}
	rec.mu.Lock()
	for _, r := range rec.reqs {
		run.LastEventIDs = append(run.LastEventIDs, r.lastEventID)
		run.Statuses = append(run.Statuses, r.status)
	}
	rec.mu.Unlock()
	t.Logf("%s received from %s:\n%s", impl, lib.name, run)
	return run
}

// checkLibrary compares the native run with what the library is known to
// deliver.
func checkLibrary(t *testing.T, lib interopLibrary, run interopRun) {
	t.Helper()
	if !slices.Equal(run.Events, lib.want) {
		t.Errorf("native: the events differ from what %s is known to deliver:\n got %+q\nwant %+q", lib.name, run.Events, lib.want)
	}
	if !slices.Equal(run.LastEventIDs, lib.wantLastEventIDs) {
		t.Errorf("native: the requests sent Last-Event-ID %q, want %q", run.LastEventIDs, lib.wantLastEventIDs)
	}
	wantEnd := "close-after"
	if lib.refused {
		wantEnd = "closed"
	}
	if run.EndedBy != wantEnd {
		t.Errorf("native: the trace ended by %q, want %q", run.EndedBy, wantEnd)
	}
}

// serveInterop serves the recorder at path, and the reference server's
// pages and dist/ beside it, so that the stream is same-origin for the
// harness. It returns the server's URL. The server closes when the test
// ends, after its tab.
func serveInterop(t *testing.T, path string, rec *interopRecorder) string {
	t.Helper()
	mux := http.NewServeMux()
	p, _, _ := strings.Cut(path, "?")
	mux.Handle(p, rec)
	mux.Handle("/", env.server.Config.Handler)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// openHarnessAt is openHarness on another server than the reference one.
func openHarnessAt(t *testing.T, ctx context.Context, base, impl string) {
	t.Helper()
	navigateTo(t, ctx, base+"/harness.html?impl="+impl)
	const loaded = `window.sseTrace ? sseTrace.loaded : Promise.reject(new Error("/trace.js did not load"))`
	if _, err := tryEvaluate[any](ctx, 20*time.Second, loaded); err != nil {
		t.Fatalf("harness.html?impl=%s did not load: %v", impl, err)
	}
}

// traceAsync starts sseTrace.run(opts) in the tab and returns a channel
// that gets the trace. A trace that cannot run fails the test and yields
// an empty trace.
func traceAsync(t *testing.T, ctx context.Context, opts traceOptions) <-chan Trace {
	t.Helper()
	js, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Trace, 1)
	go func() {
		tr, err := tryEvaluate[Trace](ctx, traceTimeout+10*time.Second, "sseTrace.run("+string(js)+")")
		if err != nil {
			t.Errorf("sseTrace.run(%s): %v", js, err)
		}
		ch <- tr
	}()
	return ch
}

// connKey is the context key of the network connection of a request.
type connKey struct{}

// An interopRecorder wraps a library's stream handler. It records each
// request and the bytes of its response, and it closes the first
// connection under the library interopCutPause after a flush has sent
// interopCutAfter: to the client, the server went away in the middle of the
// stream.
type interopRecorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []*interopRequest
}

// An interopRequest is one request the recorder saw; the recorder's mutex
// guards it.
type interopRequest struct {
	lastEventID string
	status      int
	body        strings.Builder
	flushes     int
	cut         bool
	done        bool
}

func (rec *interopRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &interopRequest{lastEventID: r.Header.Get("Last-Event-ID")}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, req)
	first := len(rec.reqs) == 1
	rec.mu.Unlock()
	iw := &interopWriter{ResponseWriter: w, rec: rec, req: req}
	if first {
		iw.conn, _ = r.Context().Value(connKey{}).(net.Conn)
	}
	defer func() {
		rec.mu.Lock()
		req.done = true
		rec.mu.Unlock()
	}()
	rec.next.ServeHTTP(iw, r)
}

// wait polls cond, under the recorder's mutex, until it holds or timeout
// passes, and reports whether it held.
func (rec *interopRecorder) wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		rec.mu.Lock()
		ok := cond()
		rec.mu.Unlock()
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An interopWriter records a response for its interopRecorder. It is an
// http.Flusher, and an http.CloseNotifier too, which
// donovanhide/eventsource asserts without checking.
type interopWriter struct {
	http.ResponseWriter
	rec  *interopRecorder
	req  *interopRequest
	conn net.Conn // the connection to cut, or nil
}

func (w *interopWriter) WriteHeader(code int) {
	w.rec.mu.Lock()
	if w.req.status == 0 {
		w.req.status = code
	}
	w.rec.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

func (w *interopWriter) Write(b []byte) (int, error) {
	w.rec.mu.Lock()
	if w.req.status == 0 {
		w.req.status = http.StatusOK
	}
	w.req.body.Write(b)
	w.rec.mu.Unlock()
	return w.ResponseWriter.Write(b)
}

// Flush sends what was written, then cuts the connection if that sent
// interopCutAfter on the first one.
func (w *interopWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
	w.rec.mu.Lock()
	w.req.flushes++
	cut := w.conn != nil && !w.req.cut && strings.Contains(w.req.body.String(), interopCutAfter)
	if cut {
		w.req.cut = true
	}
	w.rec.mu.Unlock()
	if cut {
		time.AfterFunc(interopCutPause, func() { w.conn.Close() })
	}
}

// CloseNotify is for donovanhide/eventsource, which needs the deprecated
// http.CloseNotifier.
func (w *interopWriter) CloseNotify() <-chan bool {
	return w.ResponseWriter.(http.CloseNotifier).CloseNotify()
}

// logModule logs the version of module that the test binary is built with.
func logModule(t *testing.T, module string) {
	t.Helper()
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, m := range info.Deps {
		if m.Path == module {
			t.Logf("%s %s", m.Path, m.Version)
			return
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
