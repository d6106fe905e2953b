package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// The differences between engines, as data. Native Chromium is the oracle:
// testdata/<name>.golden is its trace, and the polyfill's trace must equal
// it in every engine, except where package known says why it cannot.
// Firefox's and WebKit's natives have golden files of their own
// (testdata/<engine>/<name>.golden, written by their -update runs), and
// nativeDifferences says why each differs from Chromium's. TestEnginesTable
// checks that every difference has a reason and every reason a difference,
// and generates docs/engines.md from the golden files.

// nativeDifferences lists, by engine, the scenarios where that engine's
// native EventSource does other than native Chromium's, and why.
var nativeDifferences = map[browser.Engine]map[string]string{
	browser.Firefox: {
		"empty-data-no-dispatch": "Firefox sets the last event ID only when it dispatches an event; the standard " +
			"sets it at every dispatch, also one with empty data that fires nothing (HTML §9.2.6, " +
			"\"dispatch the event\", step 1), so the next event's lastEventId is \"\" instead of \"9\".",
		"id-with-nul": "Firefox dispatches nothing after an id field that contains U+0000; the standard ignores " +
			"that field and goes on (HTML §9.2.6, \"id\").",
		"nul-in-data": "Firefox drops U+0000 from event data; the standard keeps it.",
		"server-restart": "Firefox fails the connection for good (CLOSED) when a reconnection gets a network " +
			"error; the standard reestablishes the connection again (HTML §9.2.3).",
		"cors-redirect-reconnect": "Firefox reconnects to the URL the page gave, and the origin of the " +
			"reconnection's events is the page's; Chromium reconnects to where the redirect led.",
		"stalled-after-headers": "Firefox fires open only when the first bytes of the body arrive, not with " +
			"the response head.",
	},
	browser.WebKit: {
		"bom-split": "WebKit dispatches no event when the three bytes of the leading BOM arrive in separate " +
			"chunks; the standard strips the BOM however it arrives (HTML §9.2.5, UTF-8 decode).",
		"retry-non-digits": "WebKit takes a retry field that is not all ASCII digits (such as \"5000x\") as a " +
			"reconnection time, waits about 5 s to reconnect, and the trace times out; the standard ignores " +
			"such a field (HTML §9.2.6, \"retry\").",
		"cors-redirect-reconnect": "WebKit reconnects to the URL the page gave, and the origin of the " +
			"reconnection's events is the page's; Chromium reconnects to where the redirect led.",
	},
}

const enginesTablePath = "../docs/engines.md"

// TestEnginesTable checks the golden files of every engine against the
// reasons above, and that docs/engines.md is what they make; with -update
// it rewrites docs/engines.md. It needs no browser: the traces are the
// ones the -update runs of each engine wrote.
func TestEnginesTable(t *testing.T) {
	catalogue := scenario.Catalogue()
	var b bytes.Buffer
	b.WriteString(enginesTableHead)
	fmt.Fprintf(&b, "| scenario | standard | Chromium | Firefox | WebKit | polyfill |\n|---|---|---|---|---|---|\n")
	var notes []string
	counts := map[browser.Engine]int{}
	for _, sc := range catalogue {
		chromium, err := readGolden(sc.Name)
		if err != nil {
			t.Fatal(err)
		}
		row := []string{"`" + sc.Name + "`", standardCell(sc, chromium), "oracle"}
		for _, e := range []browser.Engine{browser.Firefox, browser.WebKit} {
			native, err := readGolden(nativeGolden(e, sc.Name))
			if err != nil {
				t.Fatalf("%v; write it with E2E_BROWSER=%s go test ./e2e -run TestScenarios -update", err, e)
			}
			same := slices.Equal(trace.Lines(chromium), trace.Lines(native))
			why, explained := nativeDifferences[e][sc.Name]
			switch {
			case same && explained:
				t.Errorf("%s: nativeDifferences says %s differs from Chromium, but its golden file is the same", sc.Name, e)
			case !same && !explained:
				t.Errorf("%s: native %s differs from native Chromium, and nativeDifferences says not why:\n%s",
					sc.Name, e, diffTraces(chromium, native))
			}
			cell := "same"
			if !same {
				counts[e]++
				cell = fmt.Sprintf("differs [%d]", len(notes)+1)
				notes = append(notes, fmt.Sprintf("%s, `%s`: %s", engineTitle(e), sc.Name, why))
			}
			if standardCell(sc, native) != standardCell(sc, chromium) {
				cell += " (" + standardCell(sc, native) + ")"
			}
			row = append(row, cell)
		}
		var wasm []string
		for _, d := range known.Differences {
			if !slices.Contains(d.Scenarios, sc.Name) {
				continue
			}
			where := "all engines"
			if len(d.Engines) > 0 {
				var titles []string
				for _, e := range d.Engines {
					titles = append(titles, engineTitle(browser.Engine(e)))
				}
				where = strings.Join(titles, " and ")
			}
			wasm = append(wasm, fmt.Sprintf("differs in %s [%d]", where, len(notes)+1))
			notes = append(notes, fmt.Sprintf("polyfill in %s, `%s` (`%s`): %s", where, sc.Name, d.ID, d.Reason))
		}
		if len(wasm) == 0 {
			wasm = []string{"= Chromium"}
		}
		row = append(row, strings.Join(wasm, "; "))
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintf(&b, "\nOf %d scenarios, Firefox's native differs from Chromium's in %d and WebKit's in %d.\n\n## Why\n\n",
		len(catalogue), counts[browser.Firefox], counts[browser.WebKit])
	for i, n := range notes {
		fmt.Fprintf(&b, "%d. %s\n", i+1, n)
	}
	writeWPTEngines(t, &b)
	for e, reasons := range nativeDifferences {
		for name := range reasons {
			if !slices.ContainsFunc(catalogue, func(sc scenario.Scenario) bool { return sc.Name == name }) {
				t.Errorf("nativeDifferences[%s] names %q, which is not in the catalogue", e, name)
			}
		}
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(enginesTablePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(enginesTablePath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", enginesTablePath)
		return
	}
	have, err := os.ReadFile(enginesTablePath)
	if err != nil || !bytes.Equal(have, b.Bytes()) {
		t.Errorf("docs/engines.md is not what the golden files make (%v); rewrite it with\n\tgo test ./e2e -run TestEnginesTable -update\nand review the diff", err)
	}
}

// standardCell says whether a trace's message events are the ones the
// scenario expects by the standard (its Expect list).
func standardCell(sc scenario.Scenario, entries []Entry) string {
	if len(sc.Expect) == 0 {
		return "n/a"
	}
	var want, got []string
	for _, e := range sc.Expect {
		want = append(want, expectLine(e))
	}
	for _, e := range entries {
		if e.Type == "message" {
			got = append(got, messageLine(e))
		}
	}
	if slices.Equal(want, got) {
		return "as expected"
	}
	return "not as the standard"
}

func engineTitle(e browser.Engine) string {
	switch e {
	case browser.Firefox:
		return "Firefox"
	case browser.WebKit:
		return "WebKit"
	}
	return "Chromium"
}

const enginesTableHead = `# How the engines' EventSource differ

Generated by ` + "`go test ./e2e -run TestEnginesTable -update`" + ` from the golden traces in
` + "`e2e/testdata/`" + `, which the e2e runs of each engine write (` + "`E2E_BROWSER=<engine> go test ./e2e -run TestScenarios -update`" + `)
and check on every run. Do not edit it by hand: the reasons live in ` + "`e2e/engines_test.go`" + `.

Each row is a scenario of the reference server's catalogue (` + "`server/scenario`" + `), run through each
engine's native ` + "`EventSource`" + ` and through WasmEventSource. **Chromium** is the oracle; **Firefox** and
**WebKit** say whether their native trace (events, ready states, errors) is the same as Chromium's;
**standard** says whether Chromium dispatched the message events that the standard asks for (the
scenario's expected events; an engine's cell adds its own verdict where it differs); **polyfill** says
whether WasmEventSource's trace equals native Chromium's in every engine (Chromium 156, Firefox ESR 153,
WebKitGTK 2.50 here).

`

// writeWPTEngines adds to the table the WPT cases whose verdicts differ
// between engines, from the verdicts that TestWPT -update wrote in each.
func writeWPTEngines(t *testing.T, b *bytes.Buffer) {
	t.Helper()
	verdicts := map[browser.Engine]wptVerdicts{}
	for _, e := range browser.Engines {
		v, err := readWPTVerdicts(e)
		if err != nil {
			t.Fatalf("%v; write it with E2E_BROWSER=%s go test ./e2e -run TestWPT -update", err, e)
		}
		verdicts[e] = v
	}
	fmt.Fprintf(b, "\n## web-platform-tests\n\n"+
		"The cases of `e2e/wpt_test.go` (see `e2e/wpt.md`) whose verdict is not the same in every engine, natively or\n"+
		"through the polyfill, from `e2e/testdata/[<engine>/]wpt-verdicts.json`. The polyfill passes and fails the same\n"+
		"cases in every engine except where package known says why, or where it does as the engine's own\n"+
		"`EventSource` does (the back/forward cache is the engine's).\n\n")
	fmt.Fprintf(b, "| case | native Chromium | native Firefox | native WebKit | polyfill in Chromium | in Firefox | in WebKit |\n|---|---|---|---|---|---|---|\n")
	var groups []wptGroup = wptGroups()
	rows := 0
	for _, g := range groups {
		for _, c := range g.cases {
			var native, wasm []string
			for _, e := range browser.Engines {
				native = append(native, verdicts[e]["native"][c.ID])
				wasm = append(wasm, verdicts[e]["wasm"][c.ID])
			}
			if g.polyfillOnly != "" {
				native = []string{"n/a", "n/a", "n/a"}
			}
			same := func(v []string) bool { return v[0] == v[1] && v[1] == v[2] }
			if same(native) && same(wasm) {
				continue
			}
			rows++
			fmt.Fprintf(b, "| `%s` (%s) | %s | %s |\n", c.ID, c.Subtest, strings.Join(native, " | "), strings.Join(wasm, " | "))
		}
	}
	fmt.Fprintf(b, "\n%d cases differ. Where native Chromium fails, `e2e/wpt.md` says why; where the polyfill fails in\n"+
		"one engine only, package known does (README, \"Known differences\").\n", rows)
}
