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
// page checks the count and the length of every event's data. wasm runs
// twice: with its listener, and through for await (the iterate workloads). Speed is not
// asserted: that is make bench's job.
func TestBenchAdapters(t *testing.T) {
	t.Parallel()
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	for _, name := range []string{"wasm", "native", "floor", "event-floor", "wasm-iterate"} {
		// wasm-iterate is wasm's adapter through for await, as the
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
