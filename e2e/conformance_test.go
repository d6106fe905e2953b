package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.server.URL+"/conformance.html?run=simple,crlf"),
		chromedp.WaitVisible(chromedp.CSS(`html[data-conformance="ready"]`)),
	); err != nil {
		t.Fatalf("load conformance.html: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#rows tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	if rows < 40 {
		t.Errorf("before Run the matrix has %d rows, want the whole catalogue", rows)
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("run")),
		chromedp.WaitVisible(chromedp.CSS(`html[data-conformance="done"]`)),
	); err != nil {
		t.Fatalf("run: %v", err)
	}

	type cell struct {
		Scenario string `json:"scenario"`
		Impl     string `json:"impl"`
		Result   string `json:"result"`
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]cell](`[...document.querySelectorAll("#rows td.cell")]
		.filter((td) => !td.hidden)
		.map((td) => ({scenario: td.dataset.scenario, impl: td.dataset.impl, result: td.dataset.result}))`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cells {
		got = append(got, c.Scenario+"/"+c.Impl+"="+c.Result)
	}
	want := "simple/native=pass simple/wasm=pass crlf/native=pass crlf/wasm=pass"
	if strings.Join(got, " ") != want {
		t.Errorf("matrix: %s\nwant:   %s", strings.Join(got, " "), want)
		problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`sseConformance.results.filter((r) => !r.pass)`))
		t.Logf("failures: %s", problems)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(status, "Done: 4/4 passed") {
		t.Errorf("status %q, want Done: 4/4 passed", status)
	}
}
