package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestConformancePage loads web/conformance.html for two scenarios, presses
// Run, and waits for the matrix to fill: both scenarios pass with the
// native EventSource and with WasmEventSource.
func TestConformancePage(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test the wasm column: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	navigateTo(t, ctx, env.server.URL+"/conformance.html?run=simple,crlf")
	// The page marks its state on <html data-conformance>.
	untilState := func(state string) string {
		return `new Promise((resolve) => {
			const check = () => document.documentElement.dataset.conformance === ` + js(state) + `
				? resolve(true) : setTimeout(check, 20);
			check();
		})`
	}
	evaluate[bool](t, ctx, untilState("ready"))
	if rows := evaluate[int](t, ctx, `document.querySelectorAll("#rows tr").length`); rows < 40 {
		t.Errorf("before Run the matrix has %d rows, want the whole catalogue", rows)
	}

	evaluate[any](t, ctx, `document.getElementById("run").click()`)
	evaluateWithin[bool](t, ctx, 60*time.Second, untilState("done"))

	type cell struct {
		Scenario string `json:"scenario"`
		Impl     string `json:"impl"`
		Result   string `json:"result"`
	}
	cells := evaluate[[]cell](t, ctx, `[...document.querySelectorAll("#rows td.cell")]
		.filter((td) => !td.hidden)
		.map((td) => ({scenario: td.dataset.scenario, impl: td.dataset.impl, result: td.dataset.result}))`)
	var got []string
	for _, c := range cells {
		got = append(got, c.Scenario+"/"+c.Impl+"="+c.Result)
	}
	want := "simple/native=pass simple/wasm=pass crlf/native=pass crlf/wasm=pass"
	if strings.Join(got, " ") != want {
		t.Errorf("matrix: %s\nwant:   %s", strings.Join(got, " "), want)
		problems, _ := tryEvaluate[json.RawMessage](ctx, evalTimeout, `sseConformance.results.filter((r) => !r.pass)`)
		t.Logf("failures: %s", problems)
	}
	if status := evaluate[string](t, ctx, `document.getElementById("status").textContent`); !strings.HasPrefix(status, "Done: 4/4 passed") {
		t.Errorf("status %q, want Done: 4/4 passed", status)
	}
}
