package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
)

// The cases of the web-platform-tests eventsource/ directory, re-expressed:
// each WPT subtest that applies to a polyfill in a page is one case here,
// run with native EventSource and with WasmEventSource in the same browser.
// The facts each subtest checks carry over; the code is ours. The pages are
// web/wpt/native.html and web/wpt/wasm.html, whose web/wpt/wpt.js runs the
// cases; the server's /wpt/resources/ routes behave as WPT's handlers
// (server/refserver/wpt.go). e2e/wpt.md is the coverage table, written from
// a run with -wpt.report.

var (
	wptReport = flag.Bool("wpt.report", false, "rewrite e2e/wpt.md from the results of TestWPT (all cases must run)")
	wptRun    = flag.String("wpt.run", "", "run only the WPT cases whose id matches this regular expression")
)

// A wptCase is one WPT subtest, re-expressed.
type wptCase struct {
	// ID names the case: TestWPT/<group>/<ID>.
	ID string
	// File is the WPT file, under eventsource/, and Subtest the name of the
	// subtest in WPT's results.
	File, Subtest string
	// JS is an async function (ES, t) => …, where ES is the page's
	// EventSource and t a Context of web/wpt/wpt.js. It returns when the
	// case passes.
	JS string
	// Alone runs the case in a tab of its own: it changes the page.
	Alone bool
	// Timeout bounds the case in the page; 8 s when zero.
	Timeout time.Duration
	// Drive, if set, runs the case from Go instead of JS, in a tab of its
	// own that shows web/wpt/<impl>.html: for a case that navigates the
	// tab. It returns "" when the case passes, else why it fails.
	Drive func(ctx context.Context, t *testing.T, impl string) string
}

// wptResult is the result of one case with one implementation, as
// web/wpt/wpt.js reports it.
type wptResult struct {
	ID      string   `json:"id"`
	Status  string   `json:"status"` // "pass", "fail" or "timeout"
	Message string   `json:"message"`
	Notes   []string `json:"notes"`
	Ms      int      `json:"ms"`
}

func (r wptResult) passed() bool { return r.Status == "pass" }

func (r wptResult) String() string {
	if r.passed() {
		return "pass"
	}
	return r.Status + ": " + r.Message
}

// wptKnownDifferences lists the cases that WasmEventSource fails while
// native Chromium passes, each with the reason. TestWPT fails when any
// other case does, and when a case listed here passes, so that the list
// stays true. Only differences that a polyfill in a page cannot avoid, or
// that it makes by design, belong here; bugs go in wptPolyfillBugs. The
// reasons live in package known, which the README and sseconform share.
var wptKnownDifferences = known.WPTCases(string(browser.Chromium))

// wptPolyfillBugs explains the cases that WasmEventSource fails, while
// native Chromium passes, because of bugs in the polyfill: e2e/wpt.md gives
// the reasons. TestWPT still fails on each until the bug is fixed.
var wptPolyfillBugs = map[string]string{}

// wptNativeFailures lists the cases that native Chromium fails, each with
// the reason. TestWPT fails when native fails any other case: the case, or
// the server's handler, would be wrong.
var wptNativeFailures = map[string]string{
	"url-bogus": "Chromium's URL parser accepts a space in a host and percent-encodes it (the request goes to " +
		"http://this%20is%20invalid/), where the URL Standard makes it a host-parsing failure and the constructor " +
		"throws SyntaxError. WasmEventSource parses with new URL too, then fails a host that holds \"%\", which " +
		"only such a parser leaves, so it throws as the standard says in every engine.",
	"format-utf-8": "Chromium fails the connection when the Content-Type has a charset other than UTF-8 (\"EventSource's " +
		"response has a charset (\"windows-1252\") that is not UTF-8\"); the standard ignores the parameter and always " +
		"decodes UTF-8, as WasmEventSource does.",
	"bfcache": "Chromium keeps the connection of the page's EventSource open while the page is in the back/forward " +
		"cache (the page is restored from the cache with that connection still open); the case wants it closed when " +
		"the page goes into the cache and opened again when it comes back. WasmEventSource's fetch() stays open alike.",
	"cross-origin-preflight-long":   wptNoLastEventIDPreflight,
	"cross-origin-preflight-unsafe": wptNoLastEventIDPreflight,
}

const wptNoLastEventIDPreflight = "Chromium's EventSource sends Last-Event-ID cross-origin without a CORS preflight " +
	"whatever its value; the case wants one for a value over 128 bytes or with a CORS-unsafe byte, which are not " +
	"CORS-safelisted. WasmEventSource, through fetch(), preflights every Last-Event-ID, so it passes."

// wptGroup is a table of cases and how to check them.
type wptGroup struct {
	name  string
	cases []wptCase
	// polyfillOnly: native Chromium lacks the feature, so its results are
	// recorded but not checked.
	polyfillOnly string
}

func wptGroups() []wptGroup {
	return []wptGroup{
		{name: "window", cases: wptWindowCases()},
		{name: "fromReadableStream", cases: wptStreamCases(),
			polyfillOnly: "Chromium has no EventSource.fromReadableStream (whatwg/html#12272 is not in Chromium)"},
	}
}

// TestWPT runs every case with both implementations, then checks each in a
// subtest TestWPT/<group>/<case>. With -wpt.report it rewrites e2e/wpt.md.
func TestWPT(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	var filter *regexp.Regexp
	if *wptRun != "" {
		var err error
		if filter, err = regexp.Compile(*wptRun); err != nil {
			t.Fatalf("-wpt.run: %v", err)
		}
		if *wptReport {
			t.Fatal("-wpt.report needs every case: drop -wpt.run")
		}
	}
	if *wptReport && env.engine != browser.Chromium {
		t.Fatal("-wpt.report writes what native Chromium and the polyfill do: run it with E2E_BROWSER=chromium")
	}
	groups := wptGroups()
	var all []wptCase
	seen := map[string]bool{}
	for gi, g := range groups {
		var kept []wptCase
		for _, c := range g.cases {
			if seen[c.ID] {
				t.Fatalf("two cases are named %s", c.ID)
			}
			seen[c.ID] = true
			if filter == nil || filter.MatchString(c.ID) {
				kept = append(kept, c)
			}
		}
		groups[gi].cases = kept
		all = append(all, kept...)
	}
	for id := range wptKnownDifferences {
		if !seen[id] {
			t.Errorf("wptKnownDifferences names %s, which is no case", id)
		}
	}
	for _, m := range []map[string]string{wptNativeFailures, wptPolyfillBugs} {
		for id := range m {
			if !seen[id] {
				t.Errorf("a list of failures names %s, which is no case", id)
			}
		}
	}

	start := time.Now()
	run := runWPT(t, all)
	t.Logf("ran %d cases with each implementation in %v", len(all), time.Since(start).Round(time.Millisecond))
	if checkedIn, err := readWPTVerdicts(env.engine); err == nil {
		rerunTimeouts(t, all, run, checkedIn)
	}

	if *update && filter == nil {
		if err := writeWPTVerdicts(env.engine, run.results); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", wptVerdictsPath(env.engine))
	}
	mine, err := readWPTVerdicts(env.engine)
	if err != nil {
		t.Fatalf("%v; write it with E2E_BROWSER=%s go test ./e2e -run TestWPT -update and review it", err, env.engine)
	}
	oracle, err := readWPTVerdicts(browser.Chromium)
	if err != nil {
		t.Fatalf("%v; write it with E2E_BROWSER=chromium go test ./e2e -run TestWPT -update and review it", err)
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.ID, func(t *testing.T) {
					checkWPTVerdicts(t, c, run.results, mine, oracle)
					if env.engine == browser.Chromium {
						checkWPT(t, g, c, run.results)
					}
				})
			}
		})
	}
	if *wptReport {
		if err := writeWPTReport(groups, run); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", wptReportPath)
	}
}

// wptVerdicts are the verdicts of every case in one engine, by
// implementation and case id: "pass", or "fail" for a failure or a
// timeout. testdata/wpt-verdicts.json has Chromium's, and
// testdata/<engine>/wpt-verdicts.json another engine's; -update writes
// them from a run of every case.
type wptVerdicts map[string]map[string]string

func wptVerdictsPath(engine browser.Engine) string {
	dir := "testdata"
	if engine != browser.Chromium {
		dir = filepath.Join(dir, string(engine))
	}
	return filepath.Join(dir, "wpt-verdicts.json")
}

func verdictOf(r wptResult) string {
	if r.passed() {
		return "pass"
	}
	return "fail"
}

func writeWPTVerdicts(engine browser.Engine, results map[string]map[string]wptResult) error {
	v := wptVerdicts{}
	for impl, byID := range results {
		v[impl] = map[string]string{}
		for id, r := range byID {
			v[impl][id] = verdictOf(r)
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	path := wptVerdictsPath(engine)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func readWPTVerdicts(engine browser.Engine) (wptVerdicts, error) {
	b, err := os.ReadFile(wptVerdictsPath(engine))
	if err != nil {
		return nil, err
	}
	var v wptVerdicts
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", wptVerdictsPath(engine), err)
	}
	return v, nil
}

// checkWPTVerdicts checks the verdicts of case c in this engine against
// its checked-in verdicts, and, in the engines other than Chromium, the
// polyfill's against native Chromium's run of the polyfill: it must pass
// and fail the same cases in every engine. An engine's native verdicts are
// data (docs/engines.md); they are checked so that a change shows.
func checkWPTVerdicts(t *testing.T, c wptCase, results map[string]map[string]wptResult, mine, oracle wptVerdicts) {
	t.Helper()
	for _, impl := range bothImpls {
		r, ok := results[impl][c.ID]
		if !ok {
			t.Fatalf("no %s result: its tab failed, or a -run pattern left out TestWPT/run "+
				"(select cases with -wpt.run instead)", impl)
		}
		t.Logf("%s %s: %s (%d ms)", env.engine, impl, r, r.Ms)
		if want := mine[impl][c.ID]; verdictOf(r) != want {
			t.Errorf("%s in %s: %s, but %s says %q; if the engine changed, rewrite it with -update and review the diff",
				impl, env.engine, r, wptVerdictsPath(env.engine), want)
		}
	}
	if env.engine == browser.Chromium {
		return
	}
	wasm, native := verdictOf(results["wasm"][c.ID]), verdictOf(results["native"][c.ID])
	wasmInChromium, nativeInChromium := oracle["wasm"][c.ID], oracle["native"][c.ID]
	why, known := known.WPTCases(string(env.engine))[c.ID]
	switch {
	case known:
		if wasm != "fail" {
			t.Errorf("WasmEventSource passes in %s, but package known says it fails there (%s): remove it", env.engine, why)
		} else {
			t.Logf("known difference in %s: %s", env.engine, why)
		}
	case wasm == wasmInChromium:
	case wasm == native && native != nativeInChromium:
		// A case of what the engine itself does, such as restoring a
		// page from the back/forward cache: the polyfill does as the
		// engine's own EventSource does.
		t.Logf("WasmEventSource %ss in %s and %ss in Chromium, as native %s does", wasm, env.engine, wasmInChromium, env.engine)
	default:
		t.Errorf("WasmEventSource: %s in %s, %s in Chromium (%s): the polyfill must do the same in every engine",
			wasm, env.engine, wasmInChromium, wptVerdictsPath(browser.Chromium))
	}
}

// checkWPT checks the results of case c.
func checkWPT(t *testing.T, g wptGroup, c wptCase, results map[string]map[string]wptResult) {
	native, okN := results["native"][c.ID]
	wasm, okW := results["wasm"][c.ID]
	if !okN || !okW {
		t.Fatalf("no result (native %v, wasm %v): its tab failed, or a -run pattern left out TestWPT/run "+
			"(select cases with -wpt.run instead)", okN, okW)
	}
	t.Logf("%s — %s\nnative: %s (%d ms)\nwasm:   %s (%d ms)", c.File, c.Subtest, native, native.Ms, wasm, wasm.Ms)
	if g.polyfillOnly != "" {
		if !wasm.passed() {
			t.Errorf("WasmEventSource: %s", wasm)
		}
		return
	}
	why, nativeKnown := wptNativeFailures[c.ID]
	switch {
	case !native.passed() && !nativeKnown:
		t.Errorf("native Chromium fails: %s\n(the case or the server's handler is likely wrong; "+
			"if Chromium is, add the case to wptNativeFailures with the reason)", native)
	case native.passed() && nativeKnown:
		t.Errorf("native Chromium passes, but wptNativeFailures says it fails (%s): remove it", why)
	}
	why, known := wptKnownDifferences[c.ID]
	switch {
	case native.passed() && !wasm.passed() && !known:
		if bug, ok := wptPolyfillBugs[c.ID]; ok {
			t.Errorf("WasmEventSource fails where native Chromium passes: %s\n%s", wasm, bug)
		} else {
			t.Errorf("WasmEventSource fails where native Chromium passes: %s", wasm)
		}
	case wptPolyfillBugs[c.ID] != "" && wasm.passed():
		t.Errorf("WasmEventSource passes, but wptPolyfillBugs says it fails: remove it")
	case known && wasm.passed():
		t.Errorf("WasmEventSource passes, but wptKnownDifferences says it fails (%s): remove it", why)
	case known:
		t.Logf("known difference: %s", why)
	}
}

// rerunTimeouts runs once more, after all the others, each case that timed
// out where its checked-in verdict is a pass, and keeps the second result.
// A case that hangs times out twice and still fails. What this is for: late
// in a full e2e pass, Firefox's parent process sometimes sent no request of
// any tab for 14 to 16 s (MOZ_LOG: no HttpChannelParent::RecvAsyncOpen
// meanwhile), and the cases that started then timed out at 8 s, native
// EventSource and the polyfill alike; a case run again after the stall
// passes.
func rerunTimeouts(t *testing.T, all []wptCase, run wptRunResults, checkedIn wptVerdicts) {
	t.Helper()
	var again []wptCase
	for _, c := range all {
		for _, impl := range bothImpls {
			if r, ok := run.results[impl][c.ID]; ok && r.Status == "timeout" && checkedIn[impl][c.ID] == "pass" {
				again = append(again, c)
				break
			}
		}
	}
	if len(again) == 0 {
		return
	}
	second := runWPT(t, again)
	for _, c := range again {
		for _, impl := range bothImpls {
			first := run.results[impl][c.ID]
			if first.Status != "timeout" {
				continue
			}
			r, ok := second.results[impl][c.ID]
			if !ok {
				continue
			}
			t.Logf("%s %s timed out (%s); run again after the other cases: %s", impl, c.ID, first.Message, r)
			run.results[impl][c.ID] = r
		}
	}
}

// wptRunResults is what runWPT found: results by implementation and case id, and
// the browser's user agent.
type wptRunResults struct {
	results   map[string]map[string]wptResult
	userAgent string
}

// runWPT runs the cases with each implementation, in parallel subtests
// TestWPT/run/<impl>/…, each with a tab that closes when it ends: the cases
// that share a page in one tab per implementation, three at a time, and
// each Alone case in a tab of its own. A -run pattern that leaves out
// TestWPT/run runs no case; -wpt.run selects cases.
func runWPT(t *testing.T, cases []wptCase) wptRunResults {
	var shared, alone []wptCase
	for _, c := range cases {
		if c.Alone || c.Drive != nil {
			alone = append(alone, c)
		} else {
			shared = append(shared, c)
		}
	}
	out := wptRunResults{results: map[string]map[string]wptResult{}}
	var mu sync.Mutex
	runTab := func(t *testing.T, impl string, cases []wptCase) {
		t.Parallel()
		rs, ua, err := runWPTTab(t, impl, cases)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if out.userAgent == "" {
			out.userAgent = ua
		}
		for _, r := range rs {
			out.results[impl][r.ID] = r
		}
	}
	t.Run("run", func(t *testing.T) {
		for _, impl := range bothImpls {
			out.results[impl] = map[string]wptResult{}
			t.Run(impl, func(t *testing.T) {
				t.Parallel()
				if len(shared) > 0 {
					t.Run("shared", func(t *testing.T) { runTab(t, impl, shared) })
				}
				for _, c := range alone {
					t.Run(c.ID, func(t *testing.T) { runTab(t, impl, []wptCase{c}) })
				}
			})
		}
	})
	return out
}

// runWPTTab opens web/wpt/<impl>.html in a new tab and runs the cases in it.
// It returns their results and the browser's user agent.
func runWPTTab(t *testing.T, impl string, cases []wptCase) ([]wptResult, string, error) {
	ctx := newTab(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := tabOf(t, ctx).Navigate(ctx, env.server.URL+"/wpt/"+impl+".html"); err != nil {
		return nil, "", fmt.Errorf("open /wpt/%s.html: %v", impl, err)
	}
	ua, err := tryEvaluate[string](ctx, 90*time.Second, "wpt.loaded.then(() => wpt.userAgent)")
	if err != nil {
		return nil, "", fmt.Errorf("/wpt/%s.html did not load: %v", impl, err)
	}
	if len(cases) == 1 && cases[0].Drive != nil {
		start := time.Now()
		r := wptResult{ID: cases[0].ID, Status: "pass"}
		if why := cases[0].Drive(ctx, t, impl); why != "" {
			r.Status, r.Message = "fail", why
		}
		r.Ms = int(time.Since(start).Milliseconds())
		return []wptResult{r}, ua, nil
	}
	var b strings.Builder
	b.WriteString("wpt.runAll([\n")
	for _, c := range cases {
		timeout := c.Timeout
		if timeout == 0 {
			timeout = 8 * time.Second
		}
		fmt.Fprintf(&b, "{id: %s, timeoutMs: %d, body: %s},\n", js(c.ID), timeout.Milliseconds(), strings.TrimSpace(c.JS))
	}
	fmt.Fprintf(&b, "], {concurrency: 3, cross: %s})", js(env.otherServer.URL+"/wpt/"))
	rs, err := tryEvaluate[[]wptResult](ctx, 90*time.Second, b.String())
	if err != nil {
		return nil, "", fmt.Errorf("running %d case(s) in /wpt/%s.html: %v", len(cases), impl, err)
	}
	return rs, ua, nil
}

// wptWindowCases are the subtests of eventsource/ that apply to a polyfill
// in a page. e2e/wpt.md lists the others and why they do not apply.
func wptWindowCases() []wptCase {
	cases := []wptCase{
		{
			ID: "event-data", File: "event-data.any.js", Subtest: "EventSource: lines and data parsing",
			JS: `async (ES, t) => {
				const es = t.source("resources/message2");
				const data = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						data.push(e.data);
						if (data.length === 3) pass();
					});
				});
				t.eq(data[0], "msg\nmsg", "data of the first event (two data lines)");
				t.eq(data[1], "", "data of the second event (a field with no colon)");
				t.eq(data[2], "end", "data of the third event");
			}`,
		},
		{
			ID: "close", File: "eventsource-close.window.js", Subtest: "EventSource: close()",
			JS: `async (ES, t) => {
				const es = t.source("resources/message");
				t.eq(es.readyState, ES.CONNECTING, "readyState after construction");
				await t.until((pass) => {
					es.onopen = t.guard(() => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						es.close();
						t.eq(es.readyState, ES.CLOSED, "readyState right after close()");
						pass();
					});
				});
			}`,
		},
		{
			ID: "close-events", File: "eventsource-close.window.js", Subtest: "EventSource: close(), test events",
			JS: `async (ES, t) => {
				// The server sends "opened", then "reconnected", then 204.
				const es = t.source("resources/reconnect-fail?id=" + t.token());
				const seen = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => seen.push(e.data));
					es.onerror = t.guard((e) => {
						t.eq(e.type, "error", "type of the error event");
						seen.push("error/" + es.readyState);
						if (es.readyState === ES.CLOSED) pass();
					});
				});
				await t.sleep(100); // nothing may follow
				t.eq(seen.join(" "), "opened error/0 reconnected error/0 error/2",
					"messages and the readyState at each error");
			}`,
		},
		{
			ID: "document-domain", File: "eventsource-constructor-document-domain.window.js", Subtest: "EventSource: document.domain",
			Alone: true,
			JS: `async (ES, t) => {
				document.domain = document.domain;
				const es = t.source("resources/message");
				const e = await t.until((pass) => {
					es.onopen = t.guard((e) => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						pass(e);
					});
				});
				t.simpleEvent(e, "the open event");
			}`,
		},
		{
			ID: "empty-url", File: "eventsource-constructor-empty-url.any.js", Subtest: "EventSource constructor with an empty url.",
			JS: `(ES, t) => {
				t.eq(t.source("").url, location.href, "url of new EventSource(\"\")");
			}`,
		},
		{
			ID: "stringify-object", File: "eventsource-constructor-stringify.window.js", Subtest: "EventSource: stringify argument, object",
			JS: `async (ES, t) => {
				const es = t.source({ toString() { return "resources/message"; } });
				const e = await t.until((pass) => { es.onopen = t.guard(pass); });
				t.ok(!Object.prototype.hasOwnProperty.call(e, "data"), "the open event has an own property data");
			}`,
		},
		{
			ID: "url-bogus", File: "eventsource-constructor-url-bogus.any.js", Subtest: "EventSource: constructor (invalid URL)",
			JS: `(ES, t) => {
				t.throws("SyntaxError", () => t.track(new ES("http://this is invalid/")), "new EventSource(\"http://this is invalid/\")");
			}`,
		},
		{
			ID: "url-multi-window", File: "eventsource-constructor-url-multi-window.htm", Subtest: "EventSource: resolving URLs",
			JS: `async (ES, t) => {
				// The frame is /wpt/resources/frame-*.html: "message" resolves
				// against it, to /wpt/resources/message, and not against this
				// page, where it would be /wpt/message, which does not exist.
				const win = await t.frame();
				const es = t.track(new win.EventSource("message"));
				const e = await t.until((pass) => {
					es.onopen = t.guard((e) => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						es.close();
						pass(e);
					});
					es.onerror = t.unreached("an error event: the URL resolved against the wrong document");
				});
				t.simpleEvent(e, "the open event");
			}`,
		},
		{
			ID: "cross-origin-redirect-origin", File: "eventsource-cross-origin-redirect-origin.any.js",
			Subtest: "MessageEvent.origin is the origin of the final URL after a cross-origin redirect",
			JS: `async (ES, t) => {
				const target = t.cross + "resources/cors?run=message";
				const es = t.source("resources/redirect?location=" + encodeURIComponent(target));
				es.onerror = t.unreached("an error event");
				const e = await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						es.close();
						pass(e);
					});
				});
				t.eq(e.data, "data", "data");
				t.eq(e.origin, t.crossOrigin, "origin");
			}`,
		},
		{
			ID: "eventtarget", File: "eventsource-eventtarget.any.js", Subtest: "EventSource: addEventListener()",
			JS: `async (ES, t) => {
				const es = t.source("resources/message");
				const e = await t.until((pass) => es.addEventListener("message", t.guard(pass), false));
				t.eq(e.data, "data", "data");
			}`,
		},
		{
			ID: "onmessage-realm", File: "eventsource-onmessage-realm.htm", Subtest: "the MessageEvent must be created in the Realm of the EventSource",
			JS: `async (ES, t) => {
				const win = await t.frame();
				const es = t.track(new win.EventSource("message"));
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.ok(e.constructor === win.MessageEvent, "the event is not a MessageEvent of the frame's realm");
			}`,
		},
		{
			ID: "onmessage-trusted", File: "eventsource-onmessage-trusted.any.js", Subtest: "EventSource message events are trusted",
			JS: `async (ES, t) => {
				const es = t.source("resources/message");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.isTrusted, true, "isTrusted");
			}`,
		},
		{
			ID: "onmessage", File: "eventsource-onmessage.any.js", Subtest: "EventSource: onmessage",
			JS: `async (ES, t) => {
				const es = t.source("resources/message");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "data", "data");
			}`,
		},
		{
			ID: "onopen", File: "eventsource-onopen.any.js", Subtest: "EventSource: onopen (announcing the connection)",
			JS: `async (ES, t) => {
				const es = t.source("resources/message");
				const e = await t.until((pass) => {
					es.onopen = t.guard((e) => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						pass(e);
					});
				});
				t.simpleEvent(e, "the open event");
			}`,
		},
		{
			ID: "prototype", File: "eventsource-prototype.any.js", Subtest: "EventSource: prototype et al",
			JS: `(ES, t) => {
				ES.prototype.ReturnTrue = function () { return true; };
				t.cleanup(() => { delete ES.prototype.ReturnTrue; });
				t.eq(t.source("resources/message").ReturnTrue(), true, "a method added to the prototype, called on an instance");
				t.ok(Object.prototype.hasOwnProperty.call(window, "EventSource"), "window has no own property EventSource");
			}`,
		},
		{
			ID: "readystate-connecting", File: "eventsource-readyState.html",
			Subtest: "Check if EventSource.readyState is CONNECTING when connection has not yet been established",
			JS: `(ES, t) => {
				t.eq(t.source("resources/message").readyState, ES.CONNECTING, "readyState after construction");
			}`,
		},
		{
			ID: "readystate-open", File: "eventsource-readyState.html",
			Subtest: "Check if ServerSentEvent.readyState is OPEN when the open event was dispatched",
			JS: `async (ES, t) => {
				const es = t.source("resources/message");
				await t.until((pass) => {
					es.onopen = t.guard(() => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						pass();
					});
				});
			}`,
		},
		{
			ID: "readystate-closed", File: "eventsource-readyState.html",
			Subtest: "Check if EventSource.readyState is CLOSED when the close method was invoked",
			JS: `(ES, t) => {
				const es = t.source("resources/message");
				es.close();
				t.eq(es.readyState, ES.CLOSED, "readyState after close()");
			}`,
		},
		{
			ID: "reconnect-200", File: "eventsource-reconnect.window.js", Subtest: "EventSource: reconnection 200",
			JS: `async (ES, t) => {
				// A 200 response with no event; the reconnection brings the
				// cookie the first response set, and gets an event.
				const es = t.source("resources/status-reconnect?status=200&id=" + t.token());
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "data", "data after the reconnection");
			}`,
		},
		{
			ID: "reconnect-events", File: "eventsource-reconnect.window.js", Subtest: "EventSource: reconnection, test reconnection events",
			JS: `async (ES, t) => {
				const es = t.source("resources/status-reconnect?status=200&ok_first&id=" + t.token());
				const seen = [];
				await t.until((pass) => {
					es.onerror = t.guard((e) => {
						t.eq(e.type, "error", "type of the error event");
						t.eq(es.readyState, ES.CONNECTING, "readyState in the error handler");
						t.ok(seen.includes("ok"), "an error event came before the first message");
						seen.push("error");
					});
					es.onmessage = t.guard((e) => {
						seen.push(e.data);
						if (e.data === "data") {
							es.close();
							pass();
						}
					});
				});
				t.eq(seen.join(" "), "ok error data", "the events in order");
			}`,
		},
		{
			ID: "request-cancellation", File: "eventsource-request-cancellation.any.window.js", Subtest: "EventSource: request cancellation",
			Alone: true,
			JS: `async (ES, t) => {
				// The response comes after 1 s; window.stop() comes first.
				const es = t.source("resources/message?sleep=1000&message=" + encodeURIComponent("retry:1000\ndata:abc\n\n"));
				await t.until((pass) => {
					es.onerror = t.guard((e) => {
						t.eq(es.readyState, ES.CLOSED, "readyState in the error handler after window.stop()" + t.detail(e));
						pass();
					});
					setTimeout(t.guard(() => {
						window.stop();
						es.onopen = t.unreached("an open event after window.stop()");
						es.onmessage = t.unreached("a message event after window.stop()");
					}), 0);
				});
				await t.sleep(1000);
				t.eq(es.readyState, ES.CLOSED, "readyState 1 s after window.stop()");
			}`,
		},
		{
			ID: "url", File: "eventsource-url.any.js", Subtest: "EventSource: url",
			JS: `(ES, t) => {
				const url = "resources/message";
				t.eq(t.source(url).url.slice(-url.length), url, "the end of url");
			}`,
		},
		{
			ID: "format-bom", File: "format-bom.any.js", Subtest: "EventSource: BOM",
			JS: `async (ES, t) => {
				// Only a BOM at the start of the stream is skipped; the second
				// makes the field name "\uFEFFdata", which is unknown.
				const es = t.source("resources/message?message=%EF%BB%BFdata%3A1%0A%0A%EF%BB%BFdata%3A2%0A%0Adata%3A3");
				const data = [];
				await t.until((pass) => {
					es.addEventListener("message", t.guard((e) => {
						data.push(e.data);
						if (e.data === "3") pass();
					}));
				});
				t.eq(data.join(" "), "1 3", "the data of the events");
			}`,
		},
		{
			ID: "format-bom-2", File: "format-bom-2.any.js", Subtest: "EventSource: Double BOM",
			JS: `async (ES, t) => {
				// The first BOM is skipped; the second starts an unknown field.
				const es = t.source("resources/message?message=%EF%BB%BF%EF%BB%BFdata%3A1%0A%0Adata%3A2%0A%0Adata%3A3");
				const data = [];
				await t.until((pass) => {
					es.addEventListener("message", t.guard((e) => {
						data.push(e.data);
						if (e.data === "3") pass();
					}));
				});
				t.eq(data.join(" "), "2 3", "the data of the events");
			}`,
		},
		{
			ID: "format-comments", File: "format-comments.any.js", Subtest: "EventSource: comment fest",
			JS: `async (ES, t) => {
				const long = "x".repeat(2048);
				const stream = "data:1\r:\0\n:\r\ndata:2\n:" + long + "\rdata:3\n:data:fail\r:" + long + "\ndata:4\n";
				const es = t.source("resources/message?newline=none&message=" + encodeURIComponent(stream));
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "1\n2\n3\n4", "data: comments in between, with CR, LF and CRLF");
			}`,
		},
		{
			ID: "format-data-before-final-empty-line", File: "format-data-before-final-empty-line.any.js",
			Subtest: "EventSource: a data before final empty line",
			JS: `async (ES, t) => {
				// The stream ends inside an event that set an id: the event is
				// not dispatched, and its id is not kept.
				const stream = "retry:1000\ndata:test1\n\nid:test\ndata:test2";
				const es = t.source("resources/message?newline=none&message=" + encodeURIComponent(stream));
				const events = [];
				const e = await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						events.push(e);
						if (events.length === 2) pass(e);
					});
				});
				t.eq(e.data, "test1", "data of the event after the reconnection");
				t.eq(e.lastEventId, "", "lastEventId of the event after the reconnection");
			}`,
		},
		{
			ID: "format-field-data", File: "format-field-data.any.js", Subtest: "EventSource: data field parsing",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?message=data%3A%0A%0Adata%0Adata%0A%0Adata%3Atest");
				const data = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						data.push(e.data);
						if (data.length === 3) pass();
					});
				});
				t.eq(JSON.stringify(data), JSON.stringify(["", "\n", "test"]), "the data of the events");
			}`,
		},
		{
			ID: "format-field-event-empty", File: "format-field-event-empty.any.js", Subtest: "EventSource: empty \"event\" field",
			JS: `async (ES, t) => {
				// "event: " with an empty value leaves the type "message".
				const es = t.source("resources/message?message=event%3A%20%0Adata%3Adata");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "data", "data");
			}`,
		},
		{
			ID: "format-field-event", File: "format-field-event.any.js", Subtest: "EventSource: custom event name",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?message=event%3Atest%0Adata%3Ax%0A%0Adata%3Ax");
				let custom = false;
				es.addEventListener("test", t.guard(() => { custom = true; }));
				await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.ok(custom, "no event of type test came before the message event");
			}`,
		},
		{
			ID: "format-field-id", File: "format-field-id.any.js", Subtest: "EventSource: Last-Event-ID",
			JS: `async (ES, t) => {
				// The id "…" (U+2026) goes back in Last-Event-ID as UTF-8; the
				// server echoes it as data.
				const es = t.source("resources/last-event-id");
				const events = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						events.push(e.data + "/" + e.lastEventId);
						if (events.length === 2) pass();
					});
				});
				t.eq(events.join(" "), "hello/\u2026 \u2026/\u2026", "data/lastEventId of the two events");
			}`,
		},
		{
			ID: "format-field-id-2", File: "format-field-id-2.any.js", Subtest: "EventSource: Last-Event-ID (2)",
			JS: `async (ES, t) => {
				// Twice over: the id persists over reconnections.
				const es = t.source("resources/last-event-id");
				const events = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						events.push(e.data + "/" + e.lastEventId);
						if (events.length === 3) pass();
					});
				});
				t.eq(events.join(" "), "hello/\u2026 \u2026/\u2026 \u2026/\u2026", "data/lastEventId of the three events");
			}`,
		},
		{
			ID: "format-field-parsing", File: "format-field-parsing.any.js", Subtest: "EventSource: field parsing",
			JS: `async (ES, t) => {
				const stream = "data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n";
				const es = t.source("resources/message?newline=none&message=" + encodeURIComponent(stream));
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "\0\n 2\n1\n3\n\n4", "data");
			}`,
		},
		{
			ID: "format-field-retry-bogus", File: "format-field-retry-bogus.any.js", Subtest: "EventSource: \"retry\" field (bogus)",
			Timeout: 12 * time.Second,
			JS:      wptRetryCase("retry%3A3000%0Aretry%3A1000x%0Adata%3Ax"),
		},
		{
			ID: "format-field-retry-empty", File: "format-field-retry-empty.any.js", Subtest: "EventSource: empty retry field",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?message=retry%0Adata%3Atest");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "test", "data");
			}`,
		},
		{
			ID: "format-field-retry", File: "format-field-retry.any.js", Subtest: "EventSource: \"retry\" field",
			Timeout: 12 * time.Second,
			JS:      wptRetryCase("retry%3A03000%0Adata%3Ax"),
		},
		{
			ID: "format-field-unknown", File: "format-field-unknown.any.js", Subtest: "EventSource: unknown fields and parsing fun",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?message=data%3Atest%0A%20data%0Adata%0Afoobar%3Axxx%0Ajustsometext%0A%3Athisisacommentyay%0Adata%3Atest");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "test\n\ntest", "data");
			}`,
		},
		{
			ID: "format-leading-space", File: "format-leading-space.any.js", Subtest: "EventSource: leading space",
			JS: `async (ES, t) => {
				// One space after the colon goes; a tab stays.
				const es = t.source("resources/message?message=data%3A%09test%0Ddata%3A%20%0Adata%3Atest");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "\ttest\n\ntest", "data");
			}`,
		},
		{
			ID: "format-mime-bogus", File: "format-mime-bogus.any.js", Subtest: "EventSource: bogus MIME type",
			JS: wptFailsConnectionCase("resources/message?mime=x%20bogus"),
		},
		{
			ID: "format-mime-trailing-semicolon", File: "format-mime-trailing-semicolon.any.js", Subtest: "EventSource: MIME type with trailing ;",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?mime=text/event-stream%3B");
				es.onerror = t.unreached("an error event");
				await t.until((pass) => {
					es.onopen = t.guard(() => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						es.close();
						pass();
					});
				});
			}`,
		},
		{
			ID: "format-mime-valid-bogus", File: "format-mime-valid-bogus.any.js", Subtest: "EventSource: incorrect valid MIME type",
			JS: wptFailsConnectionCase("resources/message?mime=text/x-bogus"),
		},
		{
			ID: "format-newlines", File: "format-newlines.any.js", Subtest: "EventSource: newline fest",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?newline=none&message=data%3Atest%0D%0Adata%0Adata%3Atest%0D%0A%0D");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "test\n\ntest", "data");
			}`,
		},
		{
			ID: "format-null-character", File: "format-null-character.any.js", Subtest: "EventSource: null character in response",
			JS: `async (ES, t) => {
				const es = t.source("resources/message?message=data%3A%00%0A%0A");
				es.onerror = t.unreached("an error event");
				const e = await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						es.close();
						pass(e);
					});
				});
				t.eq(e.data, "\0", "data");
			}`,
		},
		{
			ID: "format-utf-8", File: "format-utf-8.any.js", Subtest: "EventSource always UTF-8",
			JS: `async (ES, t) => {
				// The charset parameter is ignored: the stream is UTF-8.
				const es = t.source("resources/message?mime=text/event-stream%3bcharset=windows-1252&message=data%3Aok%E2%80%A6");
				es.onerror = t.unreached("an error event");
				const e = await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						es.close();
						pass(e);
					});
				});
				t.eq(e.data, "ok\u2026", "data");
			}`,
		},
		{
			ID: "request-accept", File: "request-accept.any.js", Subtest: "EventSource: Accept header",
			JS: `async (ES, t) => {
				const es = t.source("resources/accept");
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "text/event-stream", "the Accept header of the request");
			}`,
		},
	}

	for _, c := range []struct{ id, url, subtest string }{
		{"non-same-origin-ftp", "ftp://example.not/", ""},
		{"non-same-origin-about", "about:blank", ""},
		{"non-same-origin-mailto", "mailto:whatwg@awesome.example", ""},
		{"non-same-origin-javascript", "javascript:alert('FAIL')", ""},
	} {
		cases = append(cases, wptCase{
			ID: c.id, File: "eventsource-constructor-non-same-origin.window.js",
			Subtest: "EventSource: constructor (act as if there is a network error) (" + c.url + ")",
			JS:      wptFailsConnectionCase(c.url),
		})
	}
	for _, v := range []string{"1", "null", "undefined"} {
		cases = append(cases, wptCase{
			ID: "stringify-" + v, File: "eventsource-constructor-stringify.window.js", Subtest: "EventSource: stringify argument, " + v,
			JS: `(ES, t) => {
				t.match(t.source(` + v + `).url, /\/` + v + `$/, "url of new EventSource(` + v + `)");
			}`,
		})
	}
	cases = append(cases, wptCrossOriginCases()...)
	for _, c := range []struct{ id, fixture, name string }{
		{"cross-origin-preflight-safe", "safe", "safe `last-event-id` (no preflight)"},
		{"cross-origin-preflight-long", "long", "unsafe `last-event-id` (too long)"},
		{"cross-origin-preflight-unsafe", "unsafe", "unsafe `last-event-id` (unsafe characters)"},
	} {
		cases = append(cases, wptCase{
			ID: c.id, File: "eventsource-cross-origin-preflight.window.js", Subtest: "EventSource: cross-origin preflight - " + c.name,
			JS: `async (ES, t) => {
				// The first event sets an id that the reconnection sends back
				// in Last-Event-ID; the server answers it with an event
				// "success", or "failure" and why.
				const fixture = ` + js(c.fixture) + `;
				const es = t.source(t.cross + "resources/cors-unsafe-last-event-id?fixture=" + fixture + "&token=" + t.token());
				es.addEventListener("message", t.guard((e) => t.eq(e.data, fixture, "data of the first event")));
				await t.until((pass) => {
					es.addEventListener("success", t.guard(() => pass()));
					es.addEventListener("failure", t.guard((e) => t.fail("the server says: " + e.data)));
					es.addEventListener("error", t.guard((e) => {
						if (es.readyState === ES.CLOSED) t.fail("the source closed: the reconnection failed" + t.detail(e));
						t.note("error event, readyState " + es.readyState + t.detail(e));
					}));
				});
			}`,
		})
	}
	for _, c := range []struct{ id, idvalue, encoded string }{
		{"format-field-id-null-1", "\x00\x00", "%00%00"},
		{"format-field-id-null-2", "x\x00", "x%00"},
		{"format-field-id-null-3", "\x00x", "%00x"},
		{"format-field-id-null-4", "x\x00x", "x%00x"},
		{"format-field-id-null-5", " \x00", "%20%00"},
	} {
		cases = append(cases, wptCase{
			ID: c.id, File: "format-field-id-null.window.js", Subtest: "EventSource: id field set to " + c.encoded,
			JS: `async (ES, t) => {
				// An id with U+0000 is ignored: the event has none, and the
				// reconnection sends no Last-Event-ID, so the server sends
				// "hello" again.
				const es = t.source("resources/last-event-id?idvalue=" + ` + js(c.encoded) + `);
				const events = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						events.push(e.data + "/" + e.lastEventId);
						if (events.length === 2) pass();
					});
				});
				t.eq(events.join(" "), "hello/ hello/", "data/lastEventId of the two events");
			}`,
		})
	}
	for _, c := range []struct {
		id, name, typ string
		want          string
	}{
		{"format-field-id-3-persists", "persists", "1", "1 1"},
		{"format-field-id-3-changes", "changes and persists", "2", "1 2 2"},
		{"format-field-id-3-resets", "resets", "3", "1 (none) (none)"},
	} {
		n := len(strings.Fields(c.want))
		cases = append(cases, wptCase{
			ID: c.id, File: "format-field-id-3.window.js", Subtest: "EventSource: lastEventId " + c.name,
			JS: `async (ES, t) => {
				const es = t.source("resources/last-event-id2?type=` + c.typ + `");
				const ids = [];
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						ids.push(e.lastEventId === "" ? "(none)" : e.lastEventId);
						if (ids.length === ` + fmt.Sprint(n) + `) pass();
					});
				});
				t.eq(ids.join(" "), ` + js(c.want) + `, "lastEventId of the events");
			}`,
		})
	}
	// request-cache-control.any.js runs each URL twice, the second time
	// after the first source closed, to check that it stays the same.
	for _, c := range []struct{ id, base, path, wptURL string }{
		{"request-cache-control", "", "resources/cache-control", "resources/cache-control.event_stream?pipe=sub"},
		{"request-cache-control-cross-origin", "t.cross + ", "resources/cors?run=cache-control", "http://www2.../resources/cors.py?run=cache-control"},
	} {
		for _, n := range []int{1, 2} {
			cases = append(cases, wptCase{
				ID: fmt.Sprintf("%s-%d", c.id, n), File: "request-cache-control.any.js", Subtest: fmt.Sprintf("%s%d", c.wptURL, n),
				JS: `async (ES, t) => {
				const url = ` + c.base + js(c.path) + `;
				for (let i = 1; i <= ` + fmt.Sprint(n) + `; i++) {
					const es = t.source(url);
					const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
					es.close();
					t.eq(e.data, "no-cache", "the Cache-Control header of request " + i);
				}
			}`,
			})
		}
	}
	for _, c := range []struct{ name, init, want string }{
		{"enabled", "{ withCredentials: true }", "COOKIE"},
		{"disabled", "{ withCredentials: false }", "NO_COOKIE"},
		{"default", "{}", "NO_COOKIE"},
	} {
		cases = append(cases, wptCase{
			ID: "request-credentials-" + c.name, File: "request-credentials.any.window.js", Subtest: "EventSource: credentials: credentials " + c.name,
			JS: `async (ES, t) => {
				// The first response sets a cookie; the reconnection has it
				// only if the source sends credentials cross-origin.
				const es = t.source(t.cross + "resources/cors-cookie?ident=" + t.token(), ` + c.init + `);
				const data = [];
				es.onerror = t.guard((e) => t.note("error event, readyState " + es.readyState + t.detail(e)));
				await t.until((pass) => {
					es.onmessage = t.guard((e) => {
						data.push(e.data);
						if (data.length === 2) pass();
					});
				});
				t.eq(data.join(", "), "first NO_COOKIE, second ` + c.want + `", "the cookie on each request");
			}`,
		})
	}
	for _, status := range []string{"301", "302", "303", "307"} {
		cases = append(cases, wptCase{
			ID: "request-redirect-" + status, File: "request-redirect.any.window.js", Subtest: "EventSource: redirect (" + status + ")",
			JS: `async (ES, t) => {
				const es = t.source("resources/redirect?status=` + status + `&location=" + encodeURIComponent("/wpt/resources/message"));
				es.onerror = t.unreached("an error event");
				await t.until((pass) => {
					es.onopen = t.guard(() => {
						t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
						es.close();
						pass();
					});
				});
			}`,
		})
	}
	for _, status := range []string{"204", "205", "210", "299", "404", "410", "503"} {
		cases = append(cases, wptCase{
			ID: "request-status-error-" + status, File: "request-status-error.window.js", Subtest: "EventSource: incorrect HTTP status code (" + status + ")",
			JS: `async (ES, t) => {
				const es = t.source("resources/status-error?status=` + status + `");
				es.onmessage = t.unreached("a message event");
				await t.until((pass) => {
					es.onerror = t.guard(() => {
						t.eq(es.readyState, ES.CLOSED, "readyState in the error handler");
						pass();
					});
				});
			}`,
		})
	}
	cases = append(cases, wptInterfaceCases()...)
	cases = append(cases, wptCase{
		ID: "bfcache", File: "eventsource-bfcache.window.js",
		Subtest: "EventSource should close when a page enters BFCache and reconnect when restored.",
		Drive:   wptBFCache,
	})
	return cases
}

// wptBFCache is the case of eventsource-bfcache.window.js: when the page
// goes into the back/forward cache, its connection must close, and when
// the page comes back from the cache, the source must connect again. The
// server's session log counts the open connections, as WPT's
// bfcache-counter.py does. Like WPT, it does not fail when the browser does
// not restore the page from the cache, but says so.
func wptBFCache(ctx context.Context, t *testing.T, impl string) string {
	session := newSession(t)
	open := func() (n int) {
		for _, r := range fetchSession(t, session) {
			if r.Active {
				n++
			}
		}
		return n
	}
	// waitOpen waits up to 3 s, as WPT does, for n open connections.
	waitOpen := func(n int) bool {
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if open() == n {
				return true
			}
		}
		return false
	}
	const start = `new Promise((resolve, reject) => {
		addEventListener("pageshow", (e) => { if (e.persisted) window.restoredFromCache = true; });
		window.source = new EventSource("/sse/echo?session=" + SESSION);
		source.onopen = () => resolve();
		source.onerror = () => reject(new Error("the EventSource did not open"));
	})`
	if _, err := tryEvaluate[any](ctx, evalTimeout, strings.Replace(start, "SESSION", js(session), 1)); err != nil {
		return err.Error()
	}
	if !waitOpen(1) {
		return fmt.Sprintf("%d open connections after the open event, want 1", open())
	}
	if err := tabOf(t, ctx).Navigate(ctx, env.server.URL+"/wpt/resources/frame-native.html"); err != nil {
		return "navigating away: " + err.Error()
	}
	if !waitOpen(0) {
		return fmt.Sprintf("%d open connection(s) 3 s after the page went into the back/forward cache, want 0", open())
	}
	// history.back() from the page that replaced it; a restore from the
	// cache fires no load event, so poll instead of waiting for one.
	if _, err := tryEvaluate[any](ctx, evalTimeout, "void setTimeout(() => history.back(), 0)"); err != nil {
		return "history.back(): " + err.Error()
	}
	restored := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !restored; time.Sleep(100 * time.Millisecond) {
		restored, _ = tryEvaluate[bool](ctx, evalTimeout, "window.restoredFromCache === true")
	}
	if !restored {
		return "the browser did not restore the page from the back/forward cache (WPT: optional)"
	}
	if !waitOpen(1) {
		return fmt.Sprintf("%d open connections 3 s after the page came back from the cache, want 1", open())
	}
	return ""
}

// wptRetryCase is a case of format-field-retry*.any.js: the stream sets the
// reconnection time to 3 s, and the second open event must come 3 s ± 25 %
// after the first.
func wptRetryCase(message string) string {
	return `async (ES, t) => {
		const es = t.source("resources/message?message=` + message + `");
		const opens = [];
		await t.until((pass) => {
			es.onopen = t.guard(() => {
				opens.push(performance.now());
				if (opens.length === 2) pass();
			});
		});
		const gap = opens[1] - opens[0];
		t.note("reconnected after " + Math.round(gap) + " ms");
		t.ok(Math.abs(1 - gap / 3000) < 0.25, "the second open came " + Math.round(gap) + " ms after the first, want 3000 ms ± 25 %");
	}`
}

// wptFailsConnectionCase is a case whose source must fail for good: an
// error event, with readyState CLOSED, that is a simple event and no
// MessageEvent, and no message event.
func wptFailsConnectionCase(url string) string {
	return `async (ES, t) => {
		const es = t.source(` + js(url) + `);
		es.onmessage = t.unreached("a message event");
		const e = await t.until((pass) => {
			es.onerror = t.guard((e) => {
				t.eq(es.readyState, ES.CLOSED, "readyState in the error handler" + t.detail(e));
				pass(e);
			});
		});
		t.simpleEvent(e, "the error event");
	}`
}

// wptCrossOriginCases are the subtests of eventsource-cross-origin.window.js,
// with the second port of the test server as the other origin. WPT's other
// origin is another host of the same site; so is ours (cookies ignore the
// port).
func wptCrossOriginCases() []wptCase {
	var cases []wptCase
	for _, c := range []struct{ id, path, name string }{
		{"cross-origin-basic", `"resources/cors?run=message"`, "basic use"},
		{"cross-origin-redirect", `"resources/cors?run=redirect&location=/wpt/resources/cors?run=message"`, "redirect use"},
		{"cross-origin-redirect-recon", `"resources/cors?run=status-reconnect&status=200&id=" + t.token()`, "redirect use recon"},
	} {
		cases = append(cases, wptCase{
			ID: c.id, File: "eventsource-cross-origin.window.js", Subtest: "EventSource: cross-origin " + c.name,
			JS: `async (ES, t) => {
				const es = t.source(t.cross + ` + c.path + `, { withCredentials: true });
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "data", "data");
				t.eq(e.origin, t.crossOrigin, "origin");
			}`,
		})
	}
	for _, c := range []struct{ id, path, name string }{
		{"cross-origin-wrong-origin", "resources/cors?run=message&origin=http://example.org", "allow-origin: http://example.org should fail"},
		{"cross-origin-empty-origin", "resources/cors?run=message&origin=", "allow-origin:'' should fail"},
		{"cross-origin-no-allow-origin", "resources/message", "No allow-origin should fail"},
	} {
		cases = append(cases, wptCase{
			ID: c.id, File: "eventsource-cross-origin.window.js", Subtest: "EventSource: cross-origin " + c.name,
			JS: `async (ES, t) => {
				const es = t.source(t.cross + ` + js(c.path) + `);
				es.onmessage = t.unreached("a message event");
				es.onopen = t.unreached("an open event");
				const e = await t.until((pass) => {
					es.onerror = t.guard((e) => {
						t.eq(es.readyState, ES.CLOSED, "readyState in the error handler" + t.detail(e));
						pass(e);
					});
				});
				t.ok(!Object.prototype.hasOwnProperty.call(e, "data"), "the error event has an own property data");
			}`,
		})
	}
	return cases
}

// wptInterfaceCases re-express interfaces.html, which checks the
// EventSource interface against its IDL with idlharness.js: one case per
// subtest that idlharness makes for the interface EventSource and for an
// instance of it. The checks follow WebIDL §3.7 ("Interfaces") and are ours.
func wptInterfaceCases() []wptCase {
	const file = "interfaces.html"
	// instance is the object that the instance subtests check; WPT makes it
	// with new EventSource("http://foo").
	const instance = `t.source("resources/message")`
	cases := []wptCase{
		{ID: "idl-interface-object", Subtest: "EventSource interface: existence and properties of interface object", JS: `(ES, t) => {
			t.descriptor(window, "EventSource", { writable: true, enumerable: false, configurable: true }, "window.EventSource");
			t.eq(typeof ES, "function", "type of the interface object");
			t.eq(Object.getPrototypeOf(ES), EventTarget, "[[Prototype]] of the interface object");
			t.throws(TypeError, () => ES("resources/message"), "calling the interface object without new");
		}`},
		{ID: "idl-interface-length", Subtest: "EventSource interface object length", JS: `(ES, t) => {
			t.descriptor(ES, "length", { value: 1, writable: false, enumerable: false, configurable: true }, "EventSource.length");
		}`},
		{ID: "idl-interface-name", Subtest: "EventSource interface object name", JS: `(ES, t) => {
			t.descriptor(ES, "name", { value: "EventSource", writable: false, enumerable: false, configurable: true }, "EventSource.name");
		}`},
		{ID: "idl-prototype-object", Subtest: "EventSource interface: existence and properties of interface prototype object", JS: `(ES, t) => {
			t.descriptor(ES, "prototype", { writable: false, enumerable: false, configurable: false }, "EventSource.prototype");
			t.eq(Object.getPrototypeOf(ES.prototype), EventTarget.prototype, "[[Prototype]] of the interface prototype object");
			t.descriptor(ES.prototype, Symbol.toStringTag, { value: "EventSource", writable: false, enumerable: false, configurable: true },
				"EventSource.prototype[@@toStringTag]");
			t.eq(Object.prototype.toString.call(ES.prototype), "[object EventSource]", "class string of the interface prototype object");
		}`},
		{ID: "idl-prototype-constructor", Subtest: "EventSource interface: existence and properties of interface prototype object's \"constructor\" property", JS: `(ES, t) => {
			t.descriptor(ES.prototype, "constructor", { value: ES, writable: true, enumerable: false, configurable: true }, "EventSource.prototype.constructor");
		}`},
		{ID: "idl-prototype-unscopables", Subtest: "EventSource interface: existence and properties of interface prototype object's @@unscopables property", JS: `(ES, t) => {
			t.ok(!Object.prototype.hasOwnProperty.call(ES.prototype, Symbol.unscopables), "EventSource has no [Unscopable] member, but its prototype has @@unscopables");
		}`},
		{ID: "idl-operation-close", Subtest: "EventSource interface: operation close()", JS: `(ES, t) => {
			const d = t.descriptor(ES.prototype, "close", { writable: true, enumerable: true, configurable: true }, "EventSource.prototype.close");
			t.eq(typeof d.value, "function", "type of close");
			t.eq(d.value.name, "close", "name of close");
			t.eq(d.value.length, 0, "length of close");
			t.throws(TypeError, () => d.value.call({}), "close called on an object that is no EventSource");
		}`},
		{ID: "idl-instance-primary", Subtest: "EventSource must be primary interface of new EventSource(\"http://foo\")", JS: `(ES, t) => {
			t.eq(Object.getPrototypeOf(` + instance + `), ES.prototype, "[[Prototype]] of an instance");
		}`},
		{ID: "idl-instance-stringification", Subtest: "Stringification of new EventSource(\"http://foo\")", JS: `(ES, t) => {
			t.eq(String(` + instance + `), "[object EventSource]", "String(instance)");
		}`},
	}
	for _, a := range []struct {
		name     string
		readonly bool
	}{{"url", true}, {"withCredentials", true}, {"readyState", true}, {"onopen", false}, {"onmessage", false}, {"onerror", false}} {
		cases = append(cases, wptCase{
			ID: "idl-attribute-" + a.name, Subtest: "EventSource interface: attribute " + a.name,
			JS: fmt.Sprintf(`(ES, t) => { t.attribute(ES.prototype, %s, %v); }`, js(a.name), a.readonly),
		})
	}
	for i, name := range []string{"CONNECTING", "OPEN", "CLOSED"} {
		for _, where := range []struct{ id, obj, name string }{
			{"object", "ES", "interface object"},
			{"prototype", "ES.prototype", "interface prototype object"},
		} {
			cases = append(cases, wptCase{
				ID: "idl-constant-" + strings.ToLower(name) + "-" + where.id, Subtest: "EventSource interface: constant " + name + " on " + where.name,
				JS: fmt.Sprintf(`(ES, t) => {
					t.descriptor(%s, %s, { value: %d, writable: false, enumerable: true, configurable: false }, %s);
				}`, where.obj, js(name), i, js(where.name+"."+name)),
			})
		}
	}
	for _, m := range []struct{ name, check string }{
		{"url", `typeof x.url === "string"`},
		{"withCredentials", `typeof x.withCredentials === "boolean"`},
		{"CONNECTING", `x.CONNECTING === 0`},
		{"OPEN", `x.OPEN === 1`},
		{"CLOSED", `x.CLOSED === 2`},
		{"readyState", `typeof x.readyState === "number"`},
		{"onopen", `x.onopen === null`},
		{"onmessage", `x.onmessage === null`},
		{"onerror", `x.onerror === null`},
		{"close()", `typeof x.close === "function"`},
	} {
		key := strings.TrimSuffix(m.name, "()")
		cases = append(cases, wptCase{
			ID: "idl-instance-" + strings.ToLower(key), Subtest: "EventSource interface: new EventSource(\"http://foo\") must inherit property \"" + m.name + "\" with the proper type",
			JS: `(ES, t) => {
				const x = ` + instance + `;
				t.ok(` + js(key) + ` in x, "the instance has no property ` + key + `");
				t.ok(!Object.prototype.hasOwnProperty.call(x, ` + js(key) + `), "` + key + ` is an own property of the instance");
				t.ok(` + m.check + `, "want ` + strings.ReplaceAll(m.check, `"`, `'`) + `, got " + String(x[` + js(key) + `]));
			}`,
		})
	}
	for _, m := range []struct{ name, call string }{
		{"addEventListener(type, callback, options)", "addEventListener"},
		{"removeEventListener(type, callback, options)", "removeEventListener"},
		{"dispatchEvent(event)", "dispatchEvent"},
	} {
		cases = append(cases,
			wptCase{
				ID: "idl-eventtarget-" + strings.ToLower(m.call), Subtest: "EventTarget interface: new EventSource(\"http://foo\") must inherit property \"" + m.name + "\" with the proper type",
				JS: `(ES, t) => {
					const x = ` + instance + `;
					t.eq(typeof x.` + m.call + `, "function", "type of ` + m.call + `");
					t.eq(x.` + m.call + `, EventTarget.prototype.` + m.call + `, "` + m.call + ` is not EventTarget's");
				}`,
			},
			wptCase{
				ID: "idl-eventtarget-" + strings.ToLower(m.call) + "-arguments", Subtest: "EventTarget interface: calling " + m.name + " on new EventSource(\"http://foo\") with too few arguments must throw TypeError",
				JS: `(ES, t) => {
					const x = ` + instance + `;
					t.throws(TypeError, () => x.` + m.call + `(), "` + m.call + ` with no argument");
				}`,
			})
	}
	for i := range cases {
		cases[i].File = file
	}
	return cases
}
