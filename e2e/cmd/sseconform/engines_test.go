package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
)

// allEngines is the -browser list of the tests that run in every engine.
const allEngines = "chromium,firefox,webkit"

// TestConformEngines runs a few scenarios with native and the polyfill in
// Chromium, Firefox and WebKit: scenarios where an engine's native
// EventSource differs from Chromium's, where the polyfill has a known
// difference in one engine or in all, and one where all agree. Each engine
// has its matrix; every native trace equals its own engine's golden trace,
// the polyfill's equals native Chromium's or the known difference of that
// engine; the run passes.
func TestConformEngines(t *testing.T) {
	t.Parallel()
	needDist(t)
	out := t.TempDir()
	err, stdout, stderr := runCommand(t, "-browser", allEngines,
		"-run", "^(simple|nul-in-data|stalled-after-headers|unicode-id-reconnect|cors-no-acao)$",
		"-impl", "native,wasm", "-golden", goldenDir, "-dist", distDir, "-out", out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{
		"[1/5 chromium] simple: native ok, wasm ok",
		"[3/5 webkit] unicode-id-reconnect: native ok, wasm known difference",
		"[3/5 firefox] unicode-id-reconnect: native ok, wasm ok",
		"[4/5 firefox] stalled-after-headers: native ok, wasm known difference",
		"[4/5 webkit] stalled-after-headers: native ok, wasm ok",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the progress lacks %q", want)
		}
	}
	summary := strings.Join(strings.Fields(stdout), " ")
	for _, want := range []string{
		"chromium native behaviour 5/5, fidelity 5/5",
		"wasm behaviour 4/5 (+1 known), fidelity 4/5 (+1 known) firefox native behaviour 5/5, fidelity 5/5",
		"wasm behaviour 3/5 (+2 known), fidelity 3/5 (+2 known) webkit native behaviour 5/5, fidelity 5/5",
		"known difference cors-failure, which fails nothing (cors-no-acao wasm in chromium, firefox, webkit)",
		"known difference fetch-waits-for-body, which fails nothing (stalled-after-headers wasm in firefox)",
		"known difference header-utf8-twice, which fails nothing (unicode-id-reconnect wasm in webkit)",
		"native firefox differs from native Chromium in nul-in-data, stalled-after-headers",
		"docs/engines.md",
		"native firefox and the spec disagree on nul-in-data",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}

	rep, page := readReport(t, out)
	var engines []browser.Engine
	for _, er := range rep.Engines {
		engines = append(engines, er.Engine)
		if er.Browser == "" || len(er.Scenarios) != 5 {
			t.Errorf("%s: browser %q, %d scenarios", er.Engine, er.Browser, len(er.Scenarios))
		}
	}
	if !slices.Equal(engines, browser.Engines) {
		t.Fatalf("the report's engines are %v, want %v", engines, browser.Engines)
	}
	if rep.EnginesDoc == "" {
		t.Errorf("the report does not point at docs/engines.md")
	}
	cell := func(e browser.Engine, name, impl string) (*ScenarioResult, Cell) {
		t.Helper()
		for _, er := range rep.Engines {
			if er.Engine != e {
				continue
			}
			for s := range er.Scenarios {
				res := &er.Scenarios[s]
				for _, c := range res.Cells {
					if res.Name == name && c.Impl == impl {
						return res, c
					}
				}
			}
		}
		t.Fatalf("no cell %s %s in %s", name, impl, e)
		return nil, Cell{}
	}
	for _, e := range browser.Engines {
		res, native := cell(e, "nul-in-data", "native")
		wantGolden := goldenDir + "/nul-in-data.golden"
		if e != browser.Chromium {
			wantGolden = goldenDir + "/" + string(e) + "/nul-in-data.golden"
		}
		if !native.Pass || res.Expect.Golden != wantGolden {
			t.Errorf("native %s, nul-in-data: pass %v against %s; want a pass against %s", e, native.Pass, res.Expect.Golden, wantGolden)
		}
		// The polyfill follows Chromium in every engine.
		if _, wasm := cell(e, "nul-in-data", "wasm"); !wasm.Pass || wasm.Known != nil {
			t.Errorf("wasm in %s, nul-in-data: %+v; want a pass", e, wasm)
		}
		if x := res.expectFor(impl{Kind: "wasm"}); x.Golden != goldenDir+"/nul-in-data.golden" {
			t.Errorf("wasm in %s is checked against %s, want Chromium's golden", e, x.Golden)
		}
		if differs := res.NativeVsChromium != nil; differs != (e == browser.Firefox) {
			t.Errorf("native %s and Chromium differ on nul-in-data: %v, want %v", e, differs, e == browser.Firefox)
		}
		_, stalled := cell(e, "stalled-after-headers", "wasm")
		_, unicode := cell(e, "unicode-id-reconnect", "wasm")
		_, cors := cell(e, "cors-no-acao", "wasm")
		for _, c := range []struct {
			name  string
			cell  Cell
			known string
		}{
			{"stalled-after-headers", stalled, map[browser.Engine]string{browser.Firefox: "fetch-waits-for-body"}[e]},
			{"unicode-id-reconnect", unicode, map[browser.Engine]string{browser.WebKit: "header-utf8-twice"}[e]},
			{"cors-no-acao", cors, "cors-failure"},
		} {
			got := ""
			if c.cell.Known != nil {
				got = c.cell.Known.ID
			}
			d, _, _ := known.Scenario(string(e), c.name)
			if !c.cell.Pass || got != c.known || got != d.ID {
				t.Errorf("wasm in %s, %s: pass %v, known %q; want a pass, known %q", e, c.name, c.cell.Pass, got, c.known)
			}
		}
	}
	for _, want := range []string{
		`<th class="engine" colspan="4">Chromium</th><th class="engine" colspan="4">Firefox</th><th class="engine" colspan="4">WebKit</th>`,
		`href="#r-vs-chromium-firefox-nul-in-data">native Firefox ≠ Chromium</a>`,
		`id="r-vs-chromium-firefox-nul-in-data"`,
		`<th>Native Chromium</th>`, `<th>Native Firefox</th>`,
		`id="r-known-webkit-unicode-id-reconnect-wasm"`,
		`docs/engines.md</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %s", want)
		}
	}
}

// TestConformEnginesFail runs a polyfill that drops an event in Firefox
// and WebKit: each engine fails it, and the summary and the report say in
// which engine.
func TestConformEnginesFail(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	const dropping = "plain-events.js:DroppingPlainEventSource"
	err, stdout, stderr := runCommand(t, "-browser", "firefox,webkit", "-run", "^simple$",
		"-impl", "native,testdata/"+dropping, "-golden", goldenDir, "-timeout", "3s", "-out", out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	for _, e := range []string{"firefox", "webkit"} {
		if !strings.Contains(stderr, "[1/1 "+e+"] simple: native ok, "+dropping+" FAIL") {
			t.Errorf("the progress does not give the failure in %s", e)
		}
		if !strings.Contains(stdout, "FAIL simple "+dropping+" in "+e+": behaviour fail, fidelity fail") {
			t.Errorf("the summary does not give the failure in %s", e)
		}
	}
	rep, page := readReport(t, out)
	for _, er := range rep.Engines {
		if er.Failed[dropping] != 1 || er.Passed["native"] != 1 {
			t.Errorf("%s: passed %v, failed %v; want native passed, %s failed", er.Engine, er.Passed, er.Failed, dropping)
		}
	}
	if !strings.Contains(page, `id="r-webkit-simple-plain-events_js_DroppingPlainEventSource"`) {
		t.Errorf("the HTML report has no failure section for WebKit")
	}
}

// withoutCacheControl removes the Cache-Control that h sets.
func withoutCacheControl(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&dropHeader{ResponseWriter: w, name: "Cache-Control"}, r)
	})
}

type dropHeader struct {
	http.ResponseWriter
	name string
}

func (d *dropHeader) WriteHeader(status int) {
	d.Header().Del(d.name)
	d.ResponseWriter.WriteHeader(status)
}

func (d *dropHeader) Flush() { http.NewResponseController(d.ResponseWriter).Flush() }

// TestServerEngines checks a stream from a page in each engine, on the
// stream's own origin (DevTools in Chromium, sseconform's proxy in Firefox
// and WebKit): a compressor that holds the events back is an error seen
// from every engine, each with its own evidence, and the missing
// Cache-Control, which is the same in all, one warning with the engines
// listed. The proxy must pass the compressed stream on as it came.
func TestServerEngines(t *testing.T) {
	t.Parallel()
	needDist(t)
	srv := httptest.NewServer(gzipMiddleware(withoutCacheControl(tickStream(true, true)), false))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	out := t.TempDir()
	err, stdout, _ := runCommand(t, "-server", srv.URL+"/events", "-browser", allEngines, "-duration", "2s", "-max-events", "5",
		"-impl", "native,wasm", "-dist", distDir, "-out", out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run: %v, want errFailed", err)
	}
	run, page := readServerReport(t, out)
	if len(run.Engines) != 3 {
		t.Fatalf("%d engines in the report, want 3", len(run.Engines))
	}
	heldBackIn := map[browser.Engine]bool{}
	for _, f := range run.Findings {
		switch f.ID {
		case "held-back":
			if f.Severity != sevError || f.Evidence["contentEncoding"] != "gzip" || f.Evidence["pageEvents"] != "0" {
				t.Errorf("held-back %+v: want an error, gzip, no event to the page", f)
			}
			for _, e := range f.Engines {
				heldBackIn[e] = true
			}
		case "cache-control":
			if !slices.Equal(f.Engines, browser.Engines) {
				t.Errorf("cache-control in %v, want once, in every engine", f.Engines)
			}
		case "cors":
			t.Errorf("a CORS finding for a page on the stream's own origin: %+v", f)
		}
	}
	if len(heldBackIn) != 3 {
		t.Errorf("held-back in %v, want every engine", heldBackIn)
	}
	if n := strings.Count(stdout, "WARNING cache-control:"); n != 1 || !strings.Contains(stdout, "in: every engine (chromium, firefox, webkit)") {
		t.Errorf("the summary gives cache-control %d times, want once for every engine", n)
	}
	via := map[browser.Engine]string{browser.Chromium: "devtools", browser.Firefox: "proxy", browser.WebKit: "proxy"}
	for _, rep := range run.Engines {
		resp := rep.Response
		if rep.CrossOrigin || rep.PageOrigin != srv.URL || rep.Via != via[rep.Engine] || resp.ReadBy != "page" {
			t.Errorf("%s: page on %s (cross-origin %v, via %q), read by %q; want the page on the stream's origin, via %s",
				rep.Engine, rep.PageOrigin, rep.CrossOrigin, rep.Via, resp.ReadBy, via[rep.Engine])
		}
		// The proxy passes the compressed stream on untouched: the
		// page sees gzip, and no event comes through.
		if resp.Header["content-encoding"] != "gzip" || len(resp.Events) != 0 {
			t.Errorf("%s: Content-Encoding %q, %d events to the page; want gzip and none", rep.Engine, resp.Header["content-encoding"], len(resp.Events))
		}
		for _, tr := range rep.Traces {
			if !strings.HasPrefix(tr.Page, srv.URL+"/harness.html") || tr.Error != "" {
				t.Errorf("%s %s: from %s, error %q; want a trace from a page on %s", rep.Engine, tr.Impl, tr.Page, tr.Error, srv.URL)
			}
		}
	}
	for _, want := range []string{"Chrome/", "firefox/", "MiniBrowser/", `<span class="badge">every engine (chromium, firefox, webkit)</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %s", want)
		}
	}
}

// TestMissingBrowser checks that a browser that is not there fails the run
// at once, before any engine runs, with how to install it.
func TestMissingBrowser(t *testing.T) {
	t.Setenv("FIREFOX", "")
	t.Setenv("PATH", t.TempDir())
	err := run(t.Context(), []string{"-browser", "chromium,firefox", "-impl", "native", "-golden", "none", "-out", t.TempDir()}, new(strings.Builder), new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "-browser firefox: no browser found") || !strings.Contains(err.Error(), "apt-get install -y firefox-esr") {
		t.Errorf("run: %v; want an error that says how to install Firefox", err)
	}
}

// TestServerFirefoxHTTPS checks an https stream from a page on its own
// origin in Firefox: sseconform's proxy answers the CONNECT with TLS of
// its own, serves the harness there and passes the stream on.
func TestServerFirefoxHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(tickStream(true, true))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	out := t.TempDir()
	// sseconform's own requests verify certificates, and this one is
	// self-signed: they fail, which is not what this test is about.
	runCommand(t, "-server", srv.URL+"/events", "-browser", "firefox", "-duration", "2s", "-max-events", "5", "-impl", "native", "-out", out)
	run, _ := readServerReport(t, out)
	rep := run.Engines[0]
	if rep.Via != "proxy" || rep.CrossOrigin || rep.PageOrigin != srv.URL || rep.Response.ReadBy != "page" || rep.Response.Status != 200 {
		t.Errorf("firefox: page on %s via %q (cross-origin %v), status %d, read by %q; want a page on %s through the proxy that reads the stream",
			rep.PageOrigin, rep.Via, rep.CrossOrigin, rep.Response.Status, rep.Response.ReadBy, srv.URL)
	}
	if tr := rep.Traces[0]; tr.Messages != 5 || !strings.HasPrefix(tr.Page, srv.URL+"/harness.html") {
		t.Errorf("native from %s: %d messages, error %q; want 5 from a page on %s", tr.Page, tr.Messages, tr.Error, srv.URL)
	}
}
