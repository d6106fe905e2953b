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

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// bothImpls are the two implementations under test. The native
// EventSource of the browser is the oracle; WasmEventSource is the
// polyfill. The catalogue (TestScenarios) and WPT run both in every
// engine: each engine's native traces are data (testdata/<engine>/,
// docs/engines.md).
var bothImpls = []string{"native", "wasm"}

// impls are the implementations that the behaviour tests check: both in
// Chromium, whose native is the oracle; the polyfill alone in the other
// engines, where it must still do what native Chromium does and their
// natives, which do otherwise, are recorded by the catalogue. runMain
// sets it.
var impls = bothImpls

// traceTimeout is how long sseTrace.run waits before it gives up and records
// a timeout entry. Every scenario should end well before it.
const traceTimeout = 10 * time.Second

// The traces of web/trace.js, as package trace reads and compares them.
type (
	Entry        = trace.Entry
	Trace        = trace.Trace
	traceOptions = trace.Options
)

// newTab opens a new tab in the shared browser and returns its context,
// through which evaluate, navigate and the other helpers reach the tab. In
// Chromium it is the tab's chromedp context too. It forwards the console
// of the page to the test log, and fails the test on an uncaught exception
// in the page. It blocks while E2E_PARALLEL other tabs are open. The tab
// closes when the test ends.
//
// Each tab gets its own window: a tab behind another in one window is
// hidden, and a hidden page is not what a user of an EventSource has
// (timers and rendering can be throttled).
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

// tabKey is the key of a tab's browser.Tab in its context.
type tabKey struct{}

// tabOf returns the tab of a context that newTab made.
func tabOf(t *testing.T, ctx context.Context) browser.Tab {
	t.Helper()
	tab, ok := ctx.Value(tabKey{}).(browser.Tab)
	if !ok {
		t.Fatal("the context is not a tab's: make it with newTab")
	}
	return tab
}

// newTabReporting is newTab with the console of the page going to r.
func newTabReporting(t *testing.T, r reporter) context.Context {
	t.Helper()
	env.tabs <- struct{}{}
	open, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tab, err := env.browser.NewTab(open, func(m browser.ConsoleMessage) { reportConsole(r, m) })
	if err != nil {
		<-env.tabs
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tab.Close(); err != nil {
			t.Logf("close the tab: %v", err)
		}
		<-env.tabs
	})
	ctx, ok := browser.ChromedpContext(tab)
	if !ok {
		ctx = context.Background()
	}
	return context.WithValue(ctx, tabKey{}, tab)
}

// chromiumOnly ends a test that needs what only Chromium's DevTools can do
// (why), in the runs of the other engines; it runs in Chromium's.
func chromiumOnly(t *testing.T, why string) {
	t.Helper()
	if env.engine != browser.Chromium {
		t.Skipf("Chromium only (%s); it runs with E2E_BROWSER=chromium", why)
	}
}

// onceForAllEngines ends a test whose subject does not depend on the
// engine (why), in the runs of the engines other than Chromium, so that
// make e2e runs it once.
func onceForAllEngines(t *testing.T, why string) {
	t.Helper()
	if env.engine != browser.Chromium {
		t.Skipf("the same in every engine (%s): it runs with E2E_BROWSER=chromium", why)
	}
}

// reportConsole logs a console message of the page, and fails the test for
// an uncaught exception or for a Go runtime that died in the page.
func reportConsole(t reporter, m browser.ConsoleMessage) {
	where := ""
	if m.URL != "" {
		where = fmt.Sprintf(" (%s:%d)", strings.TrimPrefix(m.URL, env.server.URL), m.Line)
	}
	what, ok := m.Problem()
	if !ok {
		t.Logf("console.%s%s", m, where)
		return
	}
	stack := ""
	for _, f := range m.Stack {
		stack += "\n\tat " + strings.ReplaceAll(f, env.server.URL, "")
	}
	t.Errorf("%s: %s%s%s", what, m.Text, where, stack)
}

// openHarness loads web/harness.html for impl in the tab and waits until it
// says it is ready. A wasm test fails here, at once, when the polyfill does
// not load.
func openHarness(t *testing.T, ctx context.Context, impl string) {
	t.Helper()
	openHarnessAt(t, ctx, env.server.URL, impl)
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
	tr := evaluateWithin[Trace](t, ctx, traceTimeout+10*time.Second, "sseTrace.run("+string(js)+")")
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
	Query    string `json:"query"` // the raw query, as sent
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
