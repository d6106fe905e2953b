package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// benchRun is what ssebench.throughput of web/bench/bench.js reports.
type benchRun struct {
	Events int     `json:"events"`
	Bad    int     `json:"bad"`
	Error  *string `json:"error"`
}

// TestBenchAdapters runs the adapters that `make bench` measures without
// npm (wasm, native and the two floors) through a short stream of the bench
// page, so that a broken adapter fails here rather than in a long run. The
// page checks the count and the length of every event's data. wasm and the
// floor run twice: as in the throughput workloads, and through for await,
// as in the iterate workloads. Speed is not asserted: that is make bench's
// job.
func TestBenchAdapters(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	for _, name := range []string{"wasm", "native", "floor", "event-floor", "wasm-iterate", "floor-iterate"} {
		// NAME-iterate is NAME's adapter through for await, as the
		// iterate workloads run it.
		impl, iterate := strings.CutSuffix(name, "-iterate")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			page := "/bench/bench.html?impl=" + impl
			if impl == "wasm" {
				page = "/bench/wasm.html?impl=wasm"
			}
			ctx := newTab(t)
			navigateTo(t, ctx, env.server.URL+page)
			const n, size = 3000, 100
			got := evaluate[benchRun](t, ctx, fmt.Sprintf(`(async () => {
				await ssebench.loaded;
				return ssebench.throughput({url: "/sse/bench?n=%d&size=%d", n: %d, size: %d, stallMs: 10000, iterate: %v});
			})()`, n, size, n, size, iterate))
			if got.Error != nil || got.Events != n || got.Bad != 0 {
				errText := "none"
				if got.Error != nil {
					errText = *got.Error
				}
				t.Errorf("%s: %d events, %d of a wrong size, error %s; want %d events of %d B and no error",
					impl, got.Events, got.Bad, errText, n, size)
			}
		})
	}
}

// TestBenchClock runs the latency page of `make bench` as ssebench runs it
// in Firefox and WebKit: the page first measures how far its clock is
// behind the server's (web/bench/bench.js, clockOffset) and adds that to
// each latency. The offset's value is the machine's; what is checked is
// that the page measured one, with its uncertainty, and still received
// every event intact.
func TestBenchClock(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	navigateTo(t, ctx, env.server.URL+"/bench/bench.html?impl=native")
	const n, size = 50, 100
	got := evaluate[struct {
		benchRun
		P50   *float64 `json:"p50"`
		Clock *struct {
			OffsetMs *float64 `json:"offsetMs"`
			ErrorMs  *float64 `json:"errorMs"`
		} `json:"clock"`
	}](t, ctx, fmt.Sprintf(`(async () => {
		await ssebench.loaded;
		return ssebench.latency({url: "/sse/bench?n=%d&size=%d&ts=1&gap=1", n: %d, size: %d, stallMs: 10000,
			clockURL: "/sse/bench?n=1&size=40&ts=1&gap=0"});
	})()`, n, size, n, size))
	if got.Error != nil || got.Events != n || got.Bad != 0 || got.P50 == nil {
		t.Errorf("%d events, %d of a wrong size, error %v, p50 %v; want %d events of %d B, no error and a p50", got.Events, got.Bad, got.Error, got.P50, n, size)
	}
	if got.Clock == nil || got.Clock.OffsetMs == nil || got.Clock.ErrorMs == nil || *got.Clock.ErrorMs < 0 {
		t.Errorf("clock = %+v, want the offset of the page's clock and its uncertainty (≥ 0)", got.Clock)
	}
}
