package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

// The tests of WasmEventSource in workers. web/e2e/worker.html starts a
// worker of a given kind and runs web/e2e/worker-checks.js in it; the page
// uses only DOM APIs, so that the same page can run in any engine, and
// runWorkerChecks, the body of each case, takes only the test and the tab.

// workerKinds are the scopes the polyfill must run in: a dedicated or
// shared worker, with the classic script (importScripts) or the ES module.
var workerKinds = []string{"dedicated-classic", "shared-classic", "dedicated-module", "shared-module"}

// workerReport is what workerRun resolves with.
type workerReport struct {
	Env struct {
		HasDocument           bool   `json:"hasDocument"`
		Location              string `json:"location"`
		Shared                bool   `json:"shared"`
		GlobalWasmEventSource string `json:"globalWasmEventSource"`
		ReadyIsPromise        bool   `json:"readyIsPromise"`
		ReadyIsStatic         bool   `json:"readyIsStatic"`
	} `json:"env"`
	Results struct {
		Message   *Watch `json:"message"`
		Named     *Watch `json:"named"`
		Reconnect *Watch `json:"reconnect"`
		Close     *struct {
			Before               Watch    `json:"before"`
			ReadyStateAfterClose int      `json:"readyStateAfterClose"`
			After                []string `json:"after"`
			Sentinel             Watch    `json:"sentinel"`
		} `json:"close"`
		Headers *struct {
			Calls   int   `json:"calls"`
			Watched Watch `json:"watched"`
		} `json:"headers"`
		Relative *struct {
			URL      string `json:"url"`
			Resolved string `json:"resolved"`
			Watched  Watch  `json:"watched"`
		} `json:"relative"`
		Ready *struct {
			Reactions       int      `json:"reactions"`
			Value           string   `json:"value"`
			WasmFetches     []string `json:"wasmFetches"`
			SameAfterReload bool     `json:"sameAfterReload"`
		} `json:"ready"`
		Hidden *thrown `json:"hidden"`
	} `json:"results"`
	Errors map[string]string `json:"errors"`
}

// TestWorkers runs WasmEventSource in each kind of worker: events, named
// events, reconnection with Last-Event-ID, close(), a headers function,
// relative URLs against the worker's location, and one load of the module
// per worker.
func TestWorkers(t *testing.T) {
	t.Parallel()
	for _, kind := range workerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := openWorkerPage(t)
			runWorkerChecks(t, ctx, kind)
		})
	}
}

// openWorkerPage opens web/e2e/worker.html in a new tab.
func openWorkerPage(t *testing.T) context.Context {
	t.Helper()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	navigate(t, ctx, "worker.html")
	return ctx
}

// runWorkerChecks runs every check of worker-checks.js in a new worker of
// kind, in the tab ctx with worker.html open, and checks what the worker
// and the server saw.
func runWorkerChecks(t *testing.T, ctx context.Context, kind string) {
	sessions := map[string]string{}
	for _, name := range []string{"message", "named", "reconnect", "close", "headers", "relative"} {
		sessions[name] = newSession(t)
	}
	const header = "X-Attempt"
	// Resolved against the worker's location, /e2e/worker-*.js, this is
	// /sse/counter; against the page's base URL, /nowhere/deep/, it is
	// /nowhere/sse/counter, which the server does not record.
	relativeQuery := url.Values{"session": {sessions["relative"]}, "total": {"2"}, "per": {"2"}}.Encode()
	relative := "../sse/counter?" + relativeQuery
	checks := map[string]any{
		"message":   map[string]string{"url": sessionURL("/sse/counter", sessions["message"], "total", "3", "per", "3")},
		"named":     map[string]string{"url": scenarioURL("named-events", sessions["named"])},
		"reconnect": map[string]string{"url": sessionURL("/sse/counter", sessions["reconnect"], "total", "4", "per", "2", "retry", "20")},
		"close": map[string]string{
			"echo":     sessionURL("/sse/echo", sessions["close"]),
			"sentinel": sessionURL("/sse/counter", sessions["close"], "total", "1"),
		},
		"headers":  map[string]string{"url": sessionURL("/sse/counter", sessions["headers"], "total", "2", "per", "1", "retry", "10"), "header": header},
		"relative": map[string]any{"url": relative, "messages": 2},
		"ready":    map[string]string{},
		"hidden":   map[string]string{"url": "/sse/echo"},
	}
	r := evaluate[workerReport](t, ctx, `workerRun(`+js(kind)+`, `+js(checks)+`)`)
	for name, err := range r.Errors {
		t.Errorf("the check %s threw in the worker: %s", name, err)
	}

	script := "/e2e/worker-classic.js"
	if strings.HasSuffix(kind, "-module") {
		script = "/e2e/worker-module.mjs"
	}
	e := r.Env
	if e.HasDocument || e.Location != absoluteURL(script) || e.Shared != strings.HasPrefix(kind, "shared-") {
		t.Errorf("the worker's scope: document %v, location %s, shared %v; want no document, %s, shared %v",
			e.HasDocument, e.Location, e.Shared, absoluteURL(script), strings.HasPrefix(kind, "shared-"))
	}
	wantGlobal := "function" // the classic script defines the global
	if strings.HasSuffix(kind, "-module") {
		wantGlobal = "undefined"
	}
	if e.GlobalWasmEventSource != wantGlobal || !e.ReadyIsPromise || !e.ReadyIsStatic {
		t.Errorf("typeof self.WasmEventSource %s, ready a Promise %v, ready WasmEventSource.ready %v; want %s, true, true",
			e.GlobalWasmEventSource, e.ReadyIsPromise, e.ReadyIsStatic, wantGlobal)
	}

	res := r.Results
	if w := res.Message; w == nil {
		t.Error("the message check gave no result")
	} else {
		t.Logf("message: %s", w)
		var got []string
		for _, m := range w.of("message") {
			got = append(got, fmt.Sprintf("%s %s@%s %s %v", m.Event, m.Data, m.LastEventID, m.Origin, m.IsMessageEvent))
		}
		want := []string{}
		for _, k := range []string{"1", "2", "3"} {
			want = append(want, fmt.Sprintf("message %s@%s %s true", k, k, env.server.URL))
		}
		if !slices.Equal(got, want) || len(w.of("open")) != 1 {
			t.Errorf("message events %q, want %q after one open", got, want)
		}
	}

	if w := res.Named; w == nil {
		t.Error("the named check gave no result")
	} else {
		t.Logf("named: %s", w)
		var got []string
		for _, m := range w.of("message") {
			got = append(got, m.Event+" "+m.Data)
		}
		if want := []string{"add a1", "remove r1", "message plain"}; !slices.Equal(got, want) {
			t.Errorf("named events %q, want %q", got, want)
		}
	}

	if w := res.Reconnect; w == nil {
		t.Error("the reconnect check gave no result")
	} else {
		t.Logf("reconnect: %s", w)
		if d := w.data(); !slices.Equal(d, []string{"1", "2", "3", "4"}) || w.EndedBy != "closed" {
			t.Errorf("reconnect: events %q, ended by %s; want 1 to 4, then CLOSED by the 204", d, w.EndedBy)
		}
		reqs := fetchSession(t, sessions["reconnect"])
		var ids []string
		var statuses []int
		for _, q := range reqs {
			ids = append(ids, fmt.Sprintf("%v %q", q.HasLastEventID, q.LastEventID))
			statuses = append(statuses, q.Status)
		}
		if want := []string{`false ""`, `true "2"`, `true "4"`}; !slices.Equal(ids, want) || !slices.Equal(statuses, []int{200, 200, 204}) {
			t.Errorf("the server saw Last-Event-ID %q with statuses %v; want %q, 200 200 204: %s", ids, statuses, want, requestsString(reqs))
		}
	}

	if c := res.Close; c == nil {
		t.Error("the close check gave no result")
	} else {
		t.Logf("close: before %s\nsentinel %s", c.Before, c.Sentinel)
		if len(echoed(t, c.Before)) != 1 || c.ReadyStateAfterClose != 2 || len(c.After) != 0 || len(c.Sentinel.of("message")) != 1 {
			t.Errorf("close: the echo %d time(s), readyState %d after close(), events after it %q, sentinel events %d; "+
				"want 1, 2, none, 1", len(echoed(t, c.Before)), c.ReadyStateAfterClose, c.After, len(c.Sentinel.of("message")))
		}
		if reqs := closedRequests(t, sessions["close"]); len(reqs) != 1 {
			t.Errorf("the server saw %d request(s) of the closed source, want 1 (aborted by close()): %s", len(reqs), requestsString(reqs))
		}
	}

	if h := res.Headers; h == nil {
		t.Error("the headers check gave no result")
	} else {
		t.Logf("headers: %d calls, %s", h.Calls, h.Watched)
		reqs := fetchSession(t, sessions["headers"])
		var sent []string
		for _, q := range reqs {
			sent = append(sent, q.Header[header])
		}
		if want := []string{"1", "2", "3"}; !slices.Equal(sent, want) || h.Calls != 3 ||
			!slices.Equal(h.Watched.data(), []string{"1", "2"}) || h.Watched.EndedBy != "closed" {
			t.Errorf("headers: called %d times, the server saw %s %q, events %q ended by %s; "+
				"want one call before each of 3 requests, %q, events 1 and 2, CLOSED by the 204",
				h.Calls, header, sent, h.Watched.data(), h.Watched.EndedBy, want)
		}
	}

	if rel := res.Relative; rel == nil {
		t.Error("the relative check gave no result")
	} else {
		t.Logf("relative: url %s, %s", rel.URL, rel.Watched)
		want := absoluteURL("/sse/counter?" + relativeQuery)
		if rel.URL != want || rel.Resolved != want || !slices.Equal(rel.Watched.data(), []string{"1", "2"}) {
			t.Errorf("relative %q: url %s (the worker resolves it to %s), events %q; want url %s, events 1 and 2",
				relative, rel.URL, rel.Resolved, rel.Watched.data(), want)
		}
		if reqs := fetchSession(t, sessions["relative"]); len(reqs) == 0 || reqs[0].Path != "/sse/counter" {
			t.Errorf("the server saw no request to /sse/counter of the relative URL: %s", requestsString(reqs))
		}
	}

	// A worker has no document to be hidden: pauseWhenHidden is a
	// TypeError there (README, "Hidden pages").
	if h := res.Hidden; h == nil {
		t.Error("the hidden check gave no result")
	} else if h.Name != "TypeError" || !strings.Contains(h.Message, "pauseWhenHidden") {
		t.Errorf("pauseWhenHidden in a worker threw %s %q; want a TypeError naming the option", h.Name, h.Message)
	}

	if rd := res.Ready; rd == nil {
		t.Error("the ready check gave no result")
	} else {
		// The classic script asks for the module with its version
		// (dist/eventsource-wasm.js, defaultWasm); the ES module for
		// the file as it is.
		want := []string{absoluteURL("/dist/eventsource-wasm.wasm")}
		if strings.HasSuffix(kind, "-classic") {
			want[0] += "?v=" + distVersion(t, "eventsource-wasm.wasm")
		}
		if rd.Reactions != 1 || rd.Value != "undefined" || !slices.Equal(rd.WasmFetches, want) || !rd.SameAfterReload {
			t.Errorf("ready: its reaction ran %d time(s) with %s, the worker fetched %q, loading again kept ready %v; "+
				"want once with undefined, %q (beside the script, once), true", rd.Reactions, rd.Value, rd.WasmFetches, rd.SameAfterReload, want)
		}
	}
}

// TestWorkerConfigure checks configure({ wasmURL }) in each kind of
// worker, called by the worker script before it makes a source: with the
// classic script right after importScripts(), with the module after its
// import. A relative URL resolves against the worker's location,
// /e2e/worker-*.js: "eventsource-wasm.wasm" is then /e2e/eventsource-wasm.wasm,
// which does not exist (beside the script, /dist/, it would), so the
// module cannot load and a source fails with an error event that names it.
func TestWorkerConfigure(t *testing.T) {
	t.Parallel()
	for _, kind := range workerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := openWorkerPage(t)
			runWorkerConfigure(t, ctx, kind)
		})
	}
}

// runWorkerConfigure is the body of TestWorkerConfigure for one kind.
func runWorkerConfigure(t *testing.T, ctx context.Context, kind string) {
	for _, c := range []struct {
		wasmURL string // relative to /e2e/worker-*.js
		wantURL string
		loads   bool
	}{
		{"../dist/eventsource-wasm.wasm?worker=" + kind, "/dist/eventsource-wasm.wasm?worker=" + kind, true},
		{"eventsource-wasm.wasm?worker=" + kind, "/e2e/eventsource-wasm.wasm?worker=" + kind, false},
	} {
		session := newSession(t)
		checks := map[string]any{
			"message": map[string]string{"url": sessionURL("/sse/counter", session, "total", "3", "per", "3")},
			"ready":   map[string]string{},
		}
		r := evaluate[workerReport](t, ctx, `workerRun(`+js(kind)+`, `+js(checks)+`, {wasmURL: `+js(c.wasmURL)+`})`)
		for name, err := range r.Errors {
			t.Errorf("%s: the check %s threw in the worker: %s", c.wasmURL, name, err)
		}
		w, rd := r.Results.Message, r.Results.Ready
		if w == nil || rd == nil {
			t.Errorf("%s: the checks gave no result: %+v", c.wasmURL, r.Results)
			continue
		}
		want := absoluteURL(c.wantURL)
		if c.loads {
			if !slices.Equal(rd.WasmFetches, []string{want}) {
				t.Errorf("with configure({ wasmURL: %q }) the worker fetched %q; want %s", c.wasmURL, rd.WasmFetches, want)
			}
			if !slices.Equal(w.data(), []string{"1", "2", "3"}) || rd.Value != "undefined" {
				t.Errorf("%s: events %q, ready %s; want 1, 2, 3 and ready resolved", c.wasmURL, w.data(), rd.Value)
			}
			continue
		}
		t.Logf("%s: ready %s; %s", c.wasmURL, rd.Value, w)
		errs := w.of("error")
		if !strings.HasPrefix(rd.Value, "rejected: ") || !strings.Contains(rd.Value, want) || !strings.Contains(rd.Value, "404") {
			t.Errorf("%s: ready %s; want a rejection that names %s and its 404", c.wasmURL, rd.Value, want)
		}
		if len(errs) != 1 || len(w.of("message")) != 0 || w.EndedBy != "closed" {
			t.Errorf("%s: want one error event that closes the source, and no message: %s", c.wasmURL, w)
		} else {
			wantError(t, c.wasmURL, errs[0], "internal", false, 0, 0)
			if !strings.Contains(errs[0].Message, want) {
				t.Errorf("%s: the error event's message %q does not name %s", c.wasmURL, errs[0].Message, want)
			}
		}
	}
}

// distVersion returns the version of dist/name that the reference server
// serves as immutable, and that the build writes into the classic script.
func distVersion(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(env.root, "dist", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := refserver.FileVersion(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
