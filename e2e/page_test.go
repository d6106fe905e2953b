package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// impls are the two implementations under test. The native EventSource of
// the browser is the oracle; WasmEventSource is the polyfill.
var impls = []string{"native", "wasm"}

// traceTimeout is how long sseTrace.run waits before it gives up and records
// a timeout entry. Every scenario should end well before it.
const traceTimeout = 10 * time.Second

// The traces of web/trace.js, as package trace reads and compares them.
type (
	Entry        = trace.Entry
	Trace        = trace.Trace
	traceOptions = trace.Options
)

// newTab opens a new tab in the shared browser and returns its context. It
// forwards the console of the page to the test log, and fails the test on
// an uncaught exception in the page. It blocks while E2E_PARALLEL other tabs
// are open. The tab closes when the test ends.
//
// Each tab gets its own window, the chromedp default: a tab behind another
// in one window is hidden, and a hidden page is not what a user of an
// EventSource has (timers and rendering can be throttled). Own windows cost
// about 0.3 s a tab more.
func newTab(t *testing.T) context.Context {
	t.Helper()
	return newTabReporting(t, t)
}

// A reporter gets the console of a page: a *testing.T, or a recorder in
// the test of the harness itself.
type reporter interface {
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// newTabReporting is newTab with the console of the page going to r.
func newTabReporting(t *testing.T, r reporter) context.Context {
	t.Helper()
	env.tabs <- struct{}{}
	ctx, closeTab, err := headless.OpenTab(env.browser, func(m chromedp.ConsoleMessage) { reportConsole(r, m) })
	if err != nil {
		<-env.tabs
		t.Fatal(err)
	}
	t.Cleanup(func() {
		closeTab()
		<-env.tabs
	})
	return ctx
}

// reportConsole logs a console message of the page, and fails the test for
// an uncaught exception or for a Go runtime that died in the page.
func reportConsole(t reporter, m chromedp.ConsoleMessage) {
	where := ""
	if m.URL != "" {
		where = fmt.Sprintf(" (%s:%d)", strings.TrimPrefix(m.URL, env.server.URL), m.Line+1)
	}
	what, ok := headless.PageProblem(m)
	if !ok {
		t.Logf("console.%s%s", m, where)
		return
	}
	stack := ""
	if m.IsException() && m.Stack != nil {
		for _, f := range m.Stack.CallFrames {
			name := f.FunctionName
			if name == "" {
				name = "<anonymous>"
			}
			stack += fmt.Sprintf("\n\tat %s (%s:%d:%d)", name,
				strings.TrimPrefix(f.URL, env.server.URL), f.LineNumber+1, f.ColumnNumber+1)
		}
	}
	t.Errorf("%s: %s%s%s", what, m.Text, where, stack)
}

// openHarness loads web/harness.html for impl in the tab and waits until it
// says it is ready. A wasm test fails here, at once, when the polyfill does
// not load.
func openHarness(t *testing.T, ctx context.Context, impl string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.server.URL+"/harness.html?impl="+impl)); err != nil {
		t.Fatalf("open harness.html?impl=%s: %v", impl, err)
	}
	const loaded = `window.sseTrace ? sseTrace.loaded : Promise.reject(new Error("/trace.js did not load"))`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](loaded, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("harness.html?impl=%s did not load: %v", impl, err)
	}
}

// runTrace runs scenario sc with impl in a new tab, on the stream URL of the
// scenario for session, and returns the trace. It checks the invariants that
// hold for every scenario and implementation. A wasm test fails at once when
// the polyfill is not built.
func runTrace(t *testing.T, impl string, sc scenario.Scenario, session string) Trace {
	t.Helper()
	if impl == "wasm" && env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	openHarness(t, ctx, impl)

	opts := traceOptions{
		Impl:       impl,
		URL:        scenarioURL(sc.Name, session),
		Events:     sc.Client.Events,
		CloseAfter: sc.Client.CloseAfter,
		MaxErrors:  10,
		TimeoutMs:  traceTimeout.Milliseconds(),
	}
	if sc.Client.TimeoutMs > 0 {
		opts.TimeoutMs = int64(sc.Client.TimeoutMs)
	}
	if opts.Events == nil {
		opts.Events = []string{}
	}
	js, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}

	// The page times out on its own; this deadline only catches a page
	// that hangs.
	ctx, cancel := context.WithTimeout(ctx, traceTimeout+10*time.Second)
	defer cancel()
	tr, err := chromedp.Run(ctx, chromedp.Evaluate[Trace]("sseTrace.run("+string(js)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("sseTrace.run(%s): %v", js, err)
	}
	markOtherOrigin(tr.Entries)
	checkTrace(t, impl, tr)
	return tr
}

// otherOrigin stands for the origin of env.otherServer in a trace, as
// "<self>" stands for the page's, so that golden files do not depend on
// the ports of the test servers.
const otherOrigin = "<other>"

// markOtherOrigin replaces the origin of env.otherServer in the entries
// with otherOrigin.
func markOtherOrigin(entries []Entry) {
	for i, e := range entries {
		if e.Origin != nil && *e.Origin == env.otherServer.URL {
			o := otherOrigin
			entries[i].Origin = &o
		}
	}
}

// checkTrace checks what must hold for any trace of any scenario.
func checkTrace(t *testing.T, impl string, tr Trace) {
	t.Helper()
	if !tr.AllMessageEvents {
		t.Errorf("%s: a message event was not an instance of MessageEvent", impl)
	}
	if !tr.AllTargetsSource {
		t.Errorf("%s: a message event had a target other than its EventSource", impl)
	}
	api := tr.API
	if api.InitialReadyState != 0 {
		t.Errorf("%s: readyState after construction = %d, want 0 (CONNECTING)", impl, api.InitialReadyState)
	}
	if !api.URLResolved {
		t.Errorf("%s: url is not the URL resolved against the document", impl)
	}
	if api.WithCredentials {
		t.Errorf("%s: withCredentials = true, want false by default", impl)
	}
	if !api.IsEventTarget {
		t.Errorf("%s: the source is not an EventTarget", impl)
	}
	if want := []int{0, 1, 2, 0, 1, 2}; fmt.Sprint(api.Constants) != fmt.Sprint(want) {
		t.Errorf("%s: CONNECTING, OPEN, CLOSED on the constructor and the instance = %v, want %v", impl, api.Constants, want)
	}
	if impl == "wasm" && tr.NativeConstructed > 0 {
		t.Errorf("wasm: the page made %d native EventSource object(s): the polyfill must not use the browser's EventSource", tr.NativeConstructed)
	}
	if tr.EndedBy == "timeout" && impl == "wasm" {
		t.Logf("wasm: the trace timed out; WasmEventSource.ready is %s", tr.PolyfillReady)
	}
}

// scenarioURL is the stream URL of a scenario, relative to the harness page.
func scenarioURL(name, session string) string {
	return "/sse/scenario/" + url.PathEscape(name) + "?session=" + url.QueryEscape(session)
}

// newSession returns a fresh random session name, so that the requests of
// one test are apart from the others in the server's log.
func newSession(t *testing.T) string {
	t.Helper()
	s := strings.ToLower(rand.Text())
	t.Logf("session %s", s)
	return s
}

// SessionRequest is one request that the server saw in a session, as
// GET /sse/session/{id} reports it (server/refserver).
type SessionRequest struct {
	Path     string `json:"path"`
	Scenario string `json:"scenario"`
	Method   string `json:"method"`
	// Header has the first value of each request header, by its canonical
	// name (e.g. "Cache-Control").
	Header         map[string]string `json:"header"`
	LastEventID    string            `json:"lastEventId"`
	HasLastEventID bool              `json:"hasLastEventId"`
	Body           string            `json:"body"`
	Status         int               `json:"status"`
	StartedMs      float64           `json:"startedMs"`
	EndedMs        float64           `json:"endedMs"`
	Active         bool              `json:"active"`
	Aborted        bool              `json:"aborted"`
}

// fetchSession returns the requests that the server saw in a session, in
// the order they started.
func fetchSession(t *testing.T, session string) []SessionRequest {
	t.Helper()
	resp, err := http.Get(env.server.URL + "/sse/session/" + url.PathEscape(session))
	if err != nil {
		t.Fatalf("GET /sse/session/%s: %v", session, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse/session/%s: %s", session, resp.Status)
	}
	var log struct {
		Requests []SessionRequest `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil {
		t.Fatalf("GET /sse/session/%s: %v", session, err)
	}
	return log.Requests
}

// waitFor calls cond until it returns true, and fails the test when it has
// not after timeout. It polls a condition; it does not sleep for a fixed time
// and hope. describe says what the test waited for, and the last state.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, describe())
		}
		<-tick.C
	}
}
