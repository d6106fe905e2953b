package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The tests of how a page gets WasmEventSource: install(), the
// data-polyfill attribute, a browser without EventSource, the ES module,
// a module that cannot load, and sources made before the module runs.

// snippet is code written for native EventSource, unchanged: it must run
// on whatever window.EventSource is. It resolves with what it saw of the
// scenario "simple" at url.
const snippet = `((url) => new Promise((resolve, reject) => {
	const es = new EventSource(url);
	const got = [];
	es.onmessage = (e) => {
		got.push(e.data);
		if (got.length === 3) {
			es.close();
			resolve({got, isEventSource: es instanceof EventSource, isWasm: es instanceof WasmEventSource,
				constants: [EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED]});
		}
	};
	es.onerror = () => {
		if (es.readyState === EventSource.CLOSED) reject(new Error("closed after " + got.length + " events"));
	};
	setTimeout(() => reject(new Error("3 events did not come in 8 s; got " + got.length)), 8000);
}))`

type snippetResult struct {
	Got           []string `json:"got"`
	IsEventSource bool     `json:"isEventSource"`
	IsWasm        bool     `json:"isWasm"`
	Constants     []int    `json:"constants"`
}

// runSnippet runs snippet on the scenario "simple" and checks that it ran
// on WasmEventSource and got the three events.
func runSnippet(t *testing.T, ctx context.Context, session string) {
	t.Helper()
	got := evaluate[snippetResult](t, ctx, snippet+`(`+js(scenarioURL("simple", session))+`)`)
	if !slices.Equal(got.Got, []string{"one", "two", "three"}) || !got.IsEventSource || !got.IsWasm ||
		!slices.Equal(got.Constants, []int{0, 1, 2}) {
		t.Errorf("the EventSource snippet saw %+v; want one, two, three on a WasmEventSource that is an instance of EventSource, constants 0, 1, 2", got)
	}
	if reqs := fetchSession(t, session); len(reqs) != 1 {
		t.Errorf("the server saw %d requests, want 1", len(reqs))
	}
}

// watchSimple checks that the page's recorder.Source gets the scenario
// "simple"'s three events.
func watchSimple(t *testing.T, ctx context.Context) {
	t.Helper()
	w := watch(t, ctx, `new recorder.Source(`+js(scenarioURL("simple", newSession(t)))+`)`, untilMessages(3))
	if got := w.data(); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("events %q, want one, two, three", got)
	}
}

// TestInstall checks WasmEventSource.install(): it makes WasmEventSource the
// page's EventSource and returns the one it replaced, the browser's own,
// which WasmEventSource.native also is; then unmodified EventSource code
// runs on the polyfill.
func TestInstall(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	type result struct {
		PreviousIsOriginal bool   `json:"previousIsOriginal"`
		NativeIsOriginal   bool   `json:"nativeIsOriginal"`
		NativeName         string `json:"nativeName"`
		Installed          bool   `json:"installed"`
		SecondReturnsWasm  bool   `json:"secondReturnsWasm"`
	}
	got := evaluate[result](t, ctx, `(() => {
		const original = window.EventSource;
		const previous = WasmEventSource.install();
		return {
			previousIsOriginal: previous === original,
			nativeIsOriginal: WasmEventSource.native === original,
			nativeName: WasmEventSource.native.name,
			installed: window.EventSource === WasmEventSource,
			secondReturnsWasm: WasmEventSource.install() === WasmEventSource,
		};
	})()`)
	want := result{true, true, "EventSource", true, true}
	if got != want {
		t.Errorf("install(): %+v, want %+v", got, want)
	}
	runSnippet(t, ctx, newSession(t))
}

// TestInstallByDataPolyfill checks that the data-polyfill attribute of the
// script tag installs WasmEventSource as the script loads.
func TestInstallByDataPolyfill(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "polyfill.html")
	type result struct {
		Installed        bool `json:"installed"`
		NativeIsOriginal bool `json:"nativeIsOriginal"`
	}
	got := evaluate[result](t, ctx, `({
		installed: window.EventSource === WasmEventSource,
		nativeIsOriginal: typeof preload.eventSource === "function" && WasmEventSource.native === preload.eventSource,
	})`)
	if !got.Installed || !got.NativeIsOriginal {
		t.Errorf("with data-polyfill: %+v, want EventSource === WasmEventSource and WasmEventSource.native the page's EventSource before", got)
	}
	runSnippet(t, ctx, newSession(t))
}

// TestInstallWithoutEventSource checks that in a browser without
// EventSource the classic script installs WasmEventSource by itself, and
// that WasmEventSource.native is then undefined.
func TestInstallWithoutEventSource(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "no-eventsource.html")
	type result struct {
		Removed   bool   `json:"removed"`
		Installed bool   `json:"installed"`
		Native    string `json:"native"`
	}
	got := evaluate[result](t, ctx, `({
		removed: preload.removed === true,
		installed: window.EventSource === WasmEventSource,
		native: typeof WasmEventSource.native,
	})`)
	if got != (result{true, true, "undefined"}) {
		t.Errorf("without a native EventSource: %+v, want it removed, WasmEventSource installed, native undefined", got)
	}
	runSnippet(t, ctx, newSession(t))
}

// TestModuleESM checks the ES module: its exports work, ready resolves, and
// it defines no global, neither WasmEventSource nor the Go runtime's names.
func TestModuleESM(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "esm.html")
	type result struct {
		GlobalWasmEventSource    string   `json:"globalWasmEventSource"`
		LeakedRuntimeNames       []string `json:"leakedRuntimeNames"`
		DefaultIsWasmEventSource bool     `json:"defaultIsWasmEventSource"`
		ReadyIsStatic            bool     `json:"readyIsStatic"`
		InstallType              string   `json:"installType"`
		EventSourceUntouched     bool     `json:"eventSourceUntouched"`
	}
	got := evaluate[result](t, ctx, `window.esm`)
	want := result{"undefined", []string{}, true, true, "function", true}
	if got.GlobalWasmEventSource != want.GlobalWasmEventSource || len(got.LeakedRuntimeNames) != 0 ||
		got.DefaultIsWasmEventSource != want.DefaultIsWasmEventSource || got.ReadyIsStatic != want.ReadyIsStatic ||
		got.InstallType != want.InstallType || got.EventSourceUntouched != want.EventSourceUntouched {
		t.Errorf("the module: %+v, want %+v", got, want)
	}
	watchSimple(t, ctx)
	if g := evaluate[string](t, ctx, `typeof window.WasmEventSource`); g != "undefined" {
		t.Errorf("after use, typeof window.WasmEventSource is %s, want undefined", g)
	}
}

// TestModuleFetchedAtOnce checks when the classic script asks for the
// module in a window: during its own run, before it makes the API (nothing
// can call configure() in between), once, and then the polyfill works.
// preload.js records the page's fetch() calls and whether WasmEventSource
// was defined at each.
func TestModuleFetchedAtOnce(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "fetch-order.html")
	type fetchCall struct {
		URL string `json:"url"`
		API bool   `json:"api"`
	}
	calls := evaluate[[]fetchCall](t, ctx, `WasmEventSource.ready.then(() => preload.fetches)`)
	var module []fetchCall
	for _, c := range calls {
		if strings.Contains(c.URL, "eventsource-wasm.wasm") {
			module = append(module, c)
		}
	}
	if len(module) != 1 || module[0].API || !strings.Contains(module[0].URL, "eventsource-wasm.wasm?v=") {
		t.Errorf("the module's requests: %+v; want one, for the versioned URL, made before WasmEventSource was defined", module)
	}
	watchSimple(t, ctx)
}

// earlyResult is what a test reads of early.js.
type earlyResult struct {
	ReadyWhenMade     string   `json:"readyWhenMade"`
	Ready             string   `json:"ready"`
	InitialReadyState int      `json:"initialReadyState"`
	Watched           Watch    `json:"watched"`
	ClosedReadyStates []int    `json:"closedReadyStates"`
	ClosedLog         []Record `json:"closedLog"`
	ProbeFetches      int      `json:"probeFetches"`
	After             *Watch   `json:"after"`
	Sentinel          *Watch   `json:"sentinel"`
}

// TestModuleLoadFailure checks a module that cannot load (data-wasm names a
// file that does not exist): WasmEventSource.ready rejects with an error
// that says what failed, and a source made before and one made after close
// with an error event of reason "internal".
func TestModuleLoadFailure(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	session := newSession(t)
	navigate(t, ctx, "missing-wasm.html?session="+session)
	got := evaluate[earlyResult](t, ctx, `(async () => {
		const ready = await WasmEventSource.ready.then(() => "resolved", (e) => "rejected: " + (e && e.message));
		const watched = await early.watched;
		const after = await recorder.watch(new WasmEventSource(`+js(sessionURL("/sse/counter", session+"-after"))+`));
		return {readyWhenMade: await early.readyWhenMade, ready, initialReadyState: early.initialReadyState, watched, after};
	})()`)
	t.Logf("ready: %s\nbefore: %s\nafter: %s", got.Ready, got.Watched, got.After)
	if !strings.HasPrefix(got.Ready, "rejected: ") || !strings.Contains(got.Ready, "missing.wasm") {
		t.Errorf("WasmEventSource.ready: %s; want a rejection that names missing.wasm", got.Ready)
	}
	if got.ReadyWhenMade != "pending" || got.InitialReadyState != 0 {
		t.Errorf("the early source was made with ready %s, readyState %d; want pending, 0", got.ReadyWhenMade, got.InitialReadyState)
	}
	for name, w := range map[string]Watch{"made before": got.Watched, "made after": *got.After} {
		errs := w.of("error")
		if len(errs) != 1 || len(w.of("open")) > 0 || len(w.of("message")) > 0 || w.EndedBy != "closed" {
			t.Errorf("the source %s the failure: want only one error event, then CLOSED; %s", name, w)
			continue
		}
		wantError(t, "the source "+name+" the failure", errs[0], "internal", false, 0, 0)
		if !strings.Contains(errs[0].Message, "missing.wasm") {
			t.Errorf("the source %s the failure: the message %q does not name missing.wasm", name, errs[0].Message)
		}
	}
}

// TestModuleSourcesBeforeReady checks sources made before the module runs,
// as a page that does not await WasmEventSource.ready makes them: one gets
// its events, and ones closed at once stay CLOSED, dispatch nothing and
// make no request: their fetch option is never called, and the server sees
// nothing of them. A sentinel source made after ready, in the same
// session, shows when the server would have seen a request. Native
// EventSource closed in its constructor's task sends nothing either.
func TestModuleSourcesBeforeReady(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	t.Run("native", func(t *testing.T) {
		t.Parallel()
		ctx := openPage(t, "native.html")
		session := newSession(t)
		evaluate[any](t, ctx, `(async (session) => {
			new EventSource("/sse/echo?session=" + session).close();
			new EventSource("/sse/echo?session=" + session).close();
			await new Promise((resolve, reject) => {
				const sentinel = new EventSource("/sse/counter?total=1&session=" + session);
				sentinel.onmessage = () => { sentinel.close(); resolve(); };
				setTimeout(() => reject(new Error("the sentinel got no event in 8 s")), 8000);
			});
		})(`+js(session)+`)`)
		if reqs := closedRequests(t, session); len(reqs) != 0 {
			t.Errorf("native: the server saw %d request(s) of sources closed in their constructor's task, want none: %s", len(reqs), requestsString(reqs))
		}
	})

	t.Run("wasm", func(t *testing.T) {
		t.Parallel()
		ctx := newTab(t)
		session := newSession(t)
		navigate(t, ctx, "early.html?session="+session)
		got := evaluate[earlyResult](t, ctx, `(async () => {
			const ready = await WasmEventSource.ready.then(() => "resolved", (e) => "rejected: " + (e && e.message));
			const watched = await early.watched;
			const sentinel = await recorder.watch(
				new WasmEventSource("/sse/counter?total=1&session=" + encodeURIComponent(early.closedSession)),
				{until: (log) => log.some((e) => e.type === "message")});
			return {
				readyWhenMade: await early.readyWhenMade, ready, initialReadyState: early.initialReadyState, watched,
				closedReadyStates: early.closedReadyStates, closedLog: early.closedLog, probeFetches: early.probeFetches(),
				sentinel,
			};
		})()`)
		t.Logf("ready when made: %s; ready: %s\nthe source made before ready: %s\nthe sentinel: %s",
			got.ReadyWhenMade, got.Ready, got.Watched, got.Sentinel)
		if got.ReadyWhenMade != "pending" {
			t.Fatalf("WasmEventSource.ready was %s when early.js made the sources: the test proves nothing", got.ReadyWhenMade)
		}
		if got.Ready != "resolved" || got.InitialReadyState != 0 {
			t.Errorf("ready %s, the early source's first readyState %d; want resolved, 0", got.Ready, got.InitialReadyState)
		}
		if d := got.Watched.data(); !slices.Equal(d, []string{"1", "2"}) || got.Watched.EndedBy != "closed" {
			t.Errorf("the source made before ready: events %q, ended by %s; want 1 and 2, then CLOSED by the 204", d, got.Watched.EndedBy)
		}
		if n := len(fetchSession(t, session)); n != 2 {
			t.Errorf("the server saw %d requests from the source made before ready, want 2 (the stream, then 204)", n)
		}

		if !slices.Equal(got.ClosedReadyStates, []int{2, 2}) || len(got.ClosedLog) > 0 {
			t.Errorf("the sources closed before ready: readyStates %v, events %+v; want CLOSED and none", got.ClosedReadyStates, got.ClosedLog)
		}
		if got.ProbeFetches != 0 {
			t.Errorf("the fetch option of a source closed before ready was called %d time(s), want none", got.ProbeFetches)
		}
		if got.Sentinel == nil || len(got.Sentinel.of("message")) == 0 {
			t.Fatalf("the sentinel got no event: %v", got.Sentinel)
		}
		reqs := closedRequests(t, session+"-closed")
		if len(reqs) != 0 {
			t.Errorf("the server saw %d request(s) of the 2 sources closed before ready, want none, as with native EventSource: %s", len(reqs), requestsString(reqs))
		}
	})
}

// closedRequests returns the requests to /sse/echo of a session, once none
// is active, and fails the test for any that the client did not abort.
func closedRequests(t *testing.T, session string) []SessionRequest {
	t.Helper()
	var echo []SessionRequest
	waitFor(t, 5*time.Second, func() bool {
		echo = echo[:0]
		for _, r := range fetchSession(t, session) {
			if r.Path != "/sse/echo" {
				continue
			}
			if r.Active {
				return false
			}
			echo = append(echo, r)
		}
		return true
	}, func() string {
		return fmt.Sprintf("a request of a closed source is still active: %s", requestsString(echo))
	})
	for _, r := range echo {
		if !r.Aborted {
			t.Errorf("a request of a closed source was not aborted: %s", requestsString([]SessionRequest{r}))
		}
	}
	return echo
}

// TestCloseInConstructorTask checks that a source closed in the task that
// made it sends no request, as native EventSource does: Chromium connects
// in a later task. The module is running here; TestModuleSourcesBeforeReady
// checks the same before it runs.
func TestCloseInConstructorTask(t *testing.T) {
	t.Parallel()
	forEachImpl(t, func(t *testing.T, impl string) {
		ctx := openPage(t, pageFor(impl))
		session := newSession(t)
		evaluate[any](t, ctx, `(async (session) => {
			new recorder.Source("/sse/echo?session=" + session).close();
			new recorder.Source("/sse/echo?session=" + session).close();
			const sentinel = new recorder.Source("/sse/counter?total=1&session=" + session);
			const w = await recorder.watch(sentinel, {until: (log) => log.some((e) => e.type === "message")});
			if (w.endedBy !== "until") throw new Error("the sentinel got no event: " + JSON.stringify(w));
		})(`+js(session)+`)`)
		if reqs := closedRequests(t, session); len(reqs) != 0 {
			t.Errorf("the server saw %d request(s) of the 2 sources closed in their constructor's task, want none: %s", len(reqs), requestsString(reqs))
		}
	})
}

// probeCall is one call that web/e2e/lazy-probe.js recorded.
type probeCall struct {
	What string   `json:"what"`
	URL  string   `json:"url"`
	Args []string `json:"args"`
}

func (c probeCall) String() string {
	return strings.TrimSpace(c.What + " " + c.URL + " " + strings.Join(c.Args, " "))
}

// thrownError is an exception a page caught: its name and message.
type thrownError struct {
	Call    string `json:"call"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// TestModuleLazy checks that importing the ES module does nothing (no
// fetch, no compiling, no console), nor does a constructor that throws for
// a bad URL, until the first source is made
// ("source") or ready is awaited ("ready"); that configure({ wasmURL })
// before then decides where the module comes from, resolved against the
// page's base URL; that configure() rejects bad input with a TypeError and comes too
// late once loading has started. web/e2e/lazy-probe.js records every
// fetch(), WebAssembly compile and console call from before the import.
func TestModuleLazy(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	for _, start := range []string{"source", "ready"} {
		t.Run(start, func(t *testing.T) {
			t.Parallel()
			ctx := newTab(t)
			navigate(t, ctx, "lazy.html")
			session := newSession(t)
			type result struct {
				AfterImport []probeCall `json:"afterImport"`
				BadURL      *struct {
					Name           string `json:"name"`
					Message        string `json:"message"`
					IsDOMException bool   `json:"isDOMException"`
					Cause          string `json:"cause"`
				} `json:"badURL"`
				ReadyIsPromise bool          `json:"readyIsPromise"`
				BadConfigs     []thrownError `json:"badConfigs"`
				WasmURL        string        `json:"wasmURL"`
				BeforeStart    []probeCall   `json:"beforeStart"`
				TooLate        *thrownError  `json:"tooLate"`
				Ready          string        `json:"ready"`
				Watched        Watch         `json:"watched"`
				Calls          []probeCall   `json:"calls"`
				WasmResources  []string      `json:"wasmResources"`
			}
			got := evaluate[result](t, ctx, `window.lazy ? lazy.run(`+js(start)+`, `+js(session)+`) : Promise.reject(new Error("lazy.mjs did not run"))`)
			t.Logf("after the import: %v\nbefore loading: %v\nfrom the start of loading: %v\nwatched: %s",
				got.AfterImport, got.BeforeStart, got.Calls, got.Watched)

			if len(got.AfterImport) != 0 || len(got.BeforeStart) != 0 {
				t.Errorf("importing the module and calling configure() did %v, then %v; want nothing at all", got.AfterImport, got.BeforeStart)
			}
			if b := got.BadURL; b == nil || b.Name != "SyntaxError" || !b.IsDOMException || b.Cause == "undefined" ||
				!strings.Contains(b.Message, "The URL 'http://[' is invalid: it does not parse against the base URL "+absoluteURL("/slow/dist/")) {
				t.Errorf(`new WasmEventSource("http://[") threw %+v; want a SyntaxError DOMException that says why, with the URL parser's error as its cause`, b)
			}
			if !got.ReadyIsPromise {
				t.Error("ready is not an instance of Promise")
			}
			// Each message names the option or says what configure() takes.
			wantIn := map[string]string{
				"configure()":                        "takes an object",
				"configure(null)":                    "takes an object",
				`configure("/x.wasm")`:               `"/x.wasm"`,
				"configure({ wasmURL: 42 })":         "wasmURL must be a string or a URL, not 42",
				`configure({ wasmUrl: "/x.wasm" })`:  `no option "wasmUrl"`,
				`configure({ wasmURL: "" })`:         "wasmURL must not be empty",
				`configure({ wasmURL: "http://[" })`: `wasmURL "http://[" is not a valid URL`,
			}
			if len(got.BadConfigs) != len(wantIn) {
				t.Errorf("%d bad configure() calls ran, want %d", len(got.BadConfigs), len(wantIn))
			}
			for _, c := range got.BadConfigs {
				if c.Name != "TypeError" || !strings.Contains(c.Message, wantIn[c.Call]) {
					t.Errorf("%s threw %s %q; want a TypeError that says %q", c.Call, c.Name, c.Message, wantIn[c.Call])
				}
			}
			why := map[string]string{"source": "a WasmEventSource was made", "ready": "ready was awaited"}[start]
			if got.TooLate == nil || got.TooLate.Name != "Error" || !strings.Contains(got.TooLate.Message, "too late") ||
				!strings.Contains(got.TooLate.Message, why) {
				t.Errorf("configure() after loading started: %+v; want an Error that says it is too late because %s", got.TooLate, why)
			}

			// Resolved against the page's base URL, /slow/dist/, as fetch()
			// would resolve it there; not against the module's URL.
			wasm := absoluteURL("/slow/dist/eventsource-wasm.wasm?delay=300&configured=" + session)
			var fetched []string
			compiles := 0
			fetchedBeforeCompile := 0
			for _, c := range got.Calls {
				switch {
				case c.What == "fetch":
					fetched = append(fetched, c.URL)
				case strings.HasPrefix(c.What, "WebAssembly."):
					if compiles == 0 {
						fetchedBeforeCompile = len(fetched)
					}
					compiles++
				default:
					t.Errorf("the page's console got %s", c)
				}
			}
			stream := absoluteURL("/sse/counter?total=3&per=3&session=" + session) // as lazy.mjs writes it
			if len(fetched) < 2 || fetched[0] != wasm || !slices.Contains(fetched[1:], stream) || compiles != 1 {
				t.Errorf("from the start of loading the page fetched %q and compiled %d time(s); want %s first, then the stream, and one compile", fetched, compiles, wasm)
			}
			// A source made before the module runs sends its first request
			// at once: here the module takes 300 ms to come.
			if start == "source" && fetchedBeforeCompile != 2 {
				t.Errorf("the page fetched %q before it compiled the module; want the module, then the stream", fetched[:fetchedBeforeCompile])
			}
			if !slices.Equal(got.WasmResources, []string{wasm}) {
				t.Errorf("the page's resource timing has the .wasm files %q, want only %s", got.WasmResources, wasm)
			}
			if got.Ready != "resolved" || !slices.Equal(got.Watched.data(), []string{"1", "2", "3"}) {
				t.Errorf("ready %s, events %q; want resolved, 1 2 3", got.Ready, got.Watched.data())
			}
		})
	}
}

// TestClassicConfigureTooLate checks configure() on the classic script in
// a page: the script starts loading as soon as it has run, so a later
// configure() throws, and says to use data-wasm.
func TestClassicConfigureTooLate(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	got := evaluate[thrownError](t, ctx, `(() => {
		try { WasmEventSource.configure({ wasmURL: "/x.wasm" }); return {name: "none"}; }
		catch (e) { return {name: e.name, message: e.message}; }
	})()`)
	if got.Name != "Error" || !strings.Contains(got.Message, "too late") || !strings.Contains(got.Message, "classic script") {
		t.Errorf("configure() after the classic script ran: %+v; want an Error that says it is too late", got)
	}
}
