package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// TestScenarios runs every scenario of the catalogue with the native
// EventSource and then with WasmEventSource, and compares each trace with the
// golden file testdata/<name>.golden. With -update the native run rewrites
// the golden file first; the wasm run always compares. Where package known
// explains why the polyfill cannot do what native Chromium does, the wasm
// run is compared with testdata/<name>.wasm.golden instead, which -update
// writes from the wasm run.
func TestScenarios(t *testing.T) {
	catalogue := scenario.Catalogue()
	if len(catalogue) == 0 {
		t.Fatal("scenario.Catalogue() is empty")
	}
	for _, sc := range catalogue {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			// In order: with -update, native writes the golden file
			// that wasm then reads.
			for _, impl := range bothImpls {
				t.Run(impl, func(t *testing.T) { checkScenario(t, impl, sc) })
			}
		})
	}
}

func checkScenario(t *testing.T, impl string, sc scenario.Scenario) {
	tr := runTrace(t, impl, sc, newSession(t))
	golden := sc.Name
	if impl == "native" {
		// Native Chromium is the oracle, whose traces the polyfill's
		// must equal in every engine; the other engines' natives have
		// golden files of their own.
		golden = nativeGolden(env.engine, sc.Name)
		checkNative(t, sc, tr)
		if *update {
			if t.Failed() {
				t.Fatalf("not writing %s: the native trace is not sound", goldenPath(golden))
			}
			if err := writeGolden(golden, tr.Entries); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", goldenPath(golden))
			return
		}
	}
	if d, file, ok := known.Scenario(string(env.engine), sc.Name); ok && impl == "wasm" {
		// A known, explained difference: the polyfill's own trace is
		// checked in beside native's, and must not change either.
		t.Logf("wasm differs from native Chromium by design (%s): %s", d.ID, d.Reason)
		golden = file
		if *update {
			if err := writeGolden(golden, tr.Entries); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", goldenPath(golden))
			return
		}
	}
	want, err := readGolden(golden)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s does not exist; write it from the native run with\n\tE2E_BROWSER=%s go test ./e2e -run 'TestScenarios/%s/native' -update\nand review it.\n%s trace:\n%s",
			goldenPath(golden), env.engine, sc.Name, impl, trace.Encode(tr.Entries))
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffTraces(want, tr.Entries); diff != "" {
		t.Errorf("%s trace differs from %s, %s", impl, goldenPath(golden), diff)
	}
}

// checkNative guards the oracle: it fails when the native trace is trivial
// where the scenario implies events, so that a golden file of an empty or
// cut-short trace cannot pass for one, and it compares the dispatched events
// with the scenario's Expect list, which follows the standard.
func checkNative(t *testing.T, sc scenario.Scenario, tr Trace) {
	t.Helper()
	if len(tr.Entries) == 0 {
		t.Fatalf("native: empty trace")
	}
	// In the other engines a native that strays is data, not a failure:
	// docs/engines.md tabulates it from their golden files.
	errorf := t.Errorf
	if env.engine != browser.Chromium {
		errorf = func(format string, args ...any) {
			t.Logf("native %s strays: "+format, append([]any{env.engine}, args...)...)
		}
	}
	switch tr.EndedBy {
	case "timeout":
		if sc.Client.TimeoutMs > 0 {
			break // a stalled scenario ends so by design
		}
		errorf("native: the trace timed out after %v; a scenario must end by itself (error with readyState CLOSED) or by closeAfter", traceTimeout)
	case "max-errors":
		errorf("native: the trace ended after 10 errors; a scenario must end by itself (error with readyState CLOSED) or by closeAfter")
	}
	if sc.Client.TimeoutMs > 0 && tr.EndedBy != "timeout" {
		errorf("native: the trace ended by %q; the scenario stalls until the recorder gives up after %d ms", tr.EndedBy, sc.Client.TimeoutMs)
	}
	if sc.Client.CloseAfter > 0 {
		if tr.MessageEvents == 0 {
			errorf("native: no message event, but the scenario closes after %d", sc.Client.CloseAfter)
		}
		if tr.EndedBy != "close-after" {
			errorf("native: the trace ended by %q, not after %d events (closeAfter)", tr.EndedBy, sc.Client.CloseAfter)
		}
	}

	// The events the scenario expects, and the events the browser dispatched.
	var want, got []string
	for _, e := range sc.Expect {
		want = append(want, expectLine(e))
	}
	for _, e := range tr.Entries {
		if e.Type == "message" {
			got = append(got, messageLine(e))
		}
	}
	if len(sc.Expect) > 0 && len(got) == 0 {
		errorf("native: no message event, but the scenario expects %d", len(sc.Expect))
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		msg := fmt.Sprintf("native Chromium dispatched other events than the scenario expects (Expect, from the standard):\n-want:\n%s\n+got:\n%s",
			indent(want), indent(got))
		if why, ok := nativeDeviations[sc.Name]; ok {
			t.Logf("known deviation: %s\n%s", why, msg)
		} else {
			errorf("%s", msg)
		}
	}
}

// nativeDeviations lists the scenarios where Chromium's EventSource is known
// to dispatch other events than the standard asks for, and why. The golden
// file still records what Chromium does.
var nativeDeviations = map[string]string{}

// expectLine and messageLine format an expected event and a recorded message
// event alike, so that they compare as strings. Long data is shortened as
// web/trace.js shortens it.
func expectLine(e scenario.Event) string {
	data, length, hash := trace.Shorten(e.Data)
	return fmt.Sprintf("%s %q len=%d hash=%s id=%q", e.Type, data, length, hash, e.LastEventID)
}

func messageLine(e Entry) string {
	var typ, data, id string
	if e.Event != nil {
		typ = *e.Event
	}
	if e.Data != nil {
		data = *e.Data
	}
	if e.LastEventID != nil {
		id = *e.LastEventID
	}
	length, hash := len(utf16.Encode([]rune(data))), ""
	if e.DataLength != nil {
		length, hash = *e.DataLength, e.DataHash
	}
	return fmt.Sprintf("%s %q len=%d hash=%s id=%q", typ, data, length, hash, id)
}

func indent(lines []string) string {
	if len(lines) == 0 {
		return "\t(none)"
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// lookup returns the scenario with the given name from the catalogue.
func lookup(t *testing.T, name string) scenario.Scenario {
	t.Helper()
	for _, sc := range scenario.Catalogue() {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("the catalogue has no scenario %q", name)
	return scenario.Scenario{}
}

// forEachImpl runs f in a parallel subtest for each implementation.
func forEachImpl(t *testing.T, f func(t *testing.T, impl string)) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			f(t, impl)
		})
	}
}

// TestLastEventIDSentOnReconnect checks that the client sends the last event
// ID it saw in the Last-Event-ID header when it reconnects (HTML §9.2.3:
// "If the event source's last event ID string is not the empty string, set
// `Last-Event-ID`").
func TestLastEventIDSentOnReconnect(t *testing.T) {
	t.Parallel()
	sc := lookup(t, "ids-reconnect")
	forEachImpl(t, func(t *testing.T, impl string) {
		session := newSession(t)
		tr := runTrace(t, impl, sc, session)
		reqs := fetchSession(t, session)
		if len(reqs) < 2 {
			t.Fatalf("%s: the server saw %d request(s), want a reconnection; trace:\n%s", impl, len(reqs), trace.Encode(tr.Entries))
		}
		if reqs[0].HasLastEventID {
			t.Errorf("%s: the first request has Last-Event-ID %q, want none", impl, reqs[0].LastEventID)
		}
		if r := reqs[1]; !r.HasLastEventID || r.LastEventID != "2" {
			t.Errorf("%s: the reconnection has Last-Event-ID %q (sent: %v), want %q", impl, r.LastEventID, r.HasLastEventID, "2")
		}
	})
}

// TestRetryDelay checks that the client waits the reconnection time that a
// retry field sets before it reconnects (HTML §9.2.6, "retry"; §9.2.3,
// "reestablish the connection": wait "the event source's reconnection time").
func TestRetryDelay(t *testing.T) {
	t.Parallel()
	sc := lookup(t, "retry")
	forEachImpl(t, func(t *testing.T, impl string) {
		session := newSession(t)
		tr := runTrace(t, impl, sc, session)
		reqs := fetchSession(t, session)
		if len(reqs) < 2 {
			t.Fatalf("%s: the server saw %d request(s), want a reconnection; trace:\n%s", impl, len(reqs), trace.Encode(tr.Entries))
		}
		gap := time.Duration((reqs[1].StartedMs - reqs[0].EndedMs) * float64(time.Millisecond))
		t.Logf("%s: reconnected %v after the first response ended", impl, gap)
		// The scenario's retry is well above the lower bound and well
		// below the default reconnection time of browsers (about 3 s).
		if gap < 250*time.Millisecond || gap > 2500*time.Millisecond {
			t.Errorf("%s: reconnected %v after the first response ended, want 250ms to 2.5s", impl, gap)
		}
	})
}

// TestCloseAbortsFetch checks that close() ends the request (HTML §9.2.2:
// close() must "abort any instances of the fetch algorithm started for this
// EventSource object").
func TestCloseAbortsFetch(t *testing.T) {
	t.Parallel()
	sc := lookup(t, "close")
	forEachImpl(t, func(t *testing.T, impl string) {
		session := newSession(t)
		tr := runTrace(t, impl, sc, session)
		if tr.EndedBy != "close-after" {
			t.Fatalf("%s: the trace ended by %q, not by close(); trace:\n%s", impl, tr.EndedBy, trace.Encode(tr.Entries))
		}
		var reqs []SessionRequest
		waitFor(t, 5*time.Second, func() bool {
			reqs = fetchSession(t, session)
			for _, r := range reqs {
				if r.Active {
					return false
				}
			}
			return len(reqs) > 0
		}, func() string {
			return fmt.Sprintf("%s: after close() the server still has an active request: %+v", impl, reqs)
		})
		// The response repeats for ever, so only the client can end it.
		if !reqs[0].Aborted {
			t.Errorf("%s: the server did not see the client go away: %+v", impl, reqs[0])
		}
	})
}

// TestRequestHeaders checks the headers of the request: Accept must be
// text/event-stream (HTML §9.2.2, the EventSource constructor), and the
// Cache-Control that the fetch with cache mode "no-store" adds must be the
// same for both implementations.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	sc := lookup(t, "simple")
	headers := map[string]map[string]string{}
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			session := newSession(t)
			runTrace(t, impl, sc, session)
			reqs := fetchSession(t, session)
			if len(reqs) == 0 {
				t.Fatalf("%s: the server saw no request", impl)
			}
			h := reqs[0].Header
			t.Logf("%s: request headers: %v", impl, h)
			if got := h["Accept"]; got != "text/event-stream" {
				t.Errorf("%s: Accept = %q, want text/event-stream", impl, got)
			}
			headers[impl] = h
		})
	}
	native, wasm := headers["native"], headers["wasm"]
	if native == nil || wasm == nil {
		return // a subtest failed and said why
	}
	for _, name := range []string{"Accept", "Cache-Control"} {
		n, nok := native[name]
		w, wok := wasm[name]
		if n != w || nok != wok {
			t.Errorf("%s: native sends %s, wasm sends %s", name, headerValue(n, nok), headerValue(w, wok))
		}
	}
}

func headerValue(v string, ok bool) string {
	if !ok {
		return "none"
	}
	return fmt.Sprintf("%q", v)
}
