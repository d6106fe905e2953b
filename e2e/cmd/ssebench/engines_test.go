package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// In an engine without JS heap figures, an implementation runs in a
// workload only when some metric of it can still be measured: wasm's
// module memory in soak and rounds, the times in concurrent. With heap
// figures, everything runs.
func TestNotMeasured(t *testing.T) {
	workloads := map[string]workload{}
	for _, w := range catalogue(false) {
		workloads[w.Name] = w
	}
	noHeap := engineProbe{TimerStepMs: 1}.noHeap("firefox")
	if !strings.HasPrefix(noHeap, "not measured in firefox: ") {
		t.Fatalf("noHeap without performance.memory and gc() = %q", noHeap)
	}
	if why := (engineProbe{Memory: true, GC: true}).noHeap("chromium"); why != "" {
		t.Errorf("noHeap with performance.memory and gc() = %q, want none", why)
	}
	if why := (engineProbe{Memory: true}).noHeap("x"); why == "" {
		t.Error("noHeap with performance.memory but no gc() is empty: a figure would count garbage")
	}

	without := &bencher{noHeap: noHeap}
	with := &bencher{}
	for _, tc := range []struct {
		workload, impl string
		skipped        bool
	}{
		{"soak", "native", true},
		{"soak", "event-floor", true},
		{"soak", "wasm", false},
		{"rounds", "native", true},
		{"rounds", "wasm", false},
		{"concurrent", "native", false},
		{"100k", "native", false},
	} {
		im := impl{Name: tc.impl}
		if got := without.notMeasured(workloads[tc.workload], im) != ""; got != tc.skipped {
			t.Errorf("without heap figures, %s in %s: not measured %v, want %v", tc.impl, tc.workload, got, tc.skipped)
		}
		if why := with.notMeasured(workloads[tc.workload], im); why != "" {
			t.Errorf("with heap figures, %s in %s is not measured: %s", tc.impl, tc.workload, why)
		}
	}
}

// The bench pages are cross-origin isolated when their URL asks for it,
// and only then.
func TestIsolatedPages(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(benchHandler(root, t.TempDir(), nil))
	defer srv.Close()
	for query, want := range map[string]string{
		"?impl=native":                      "",
		"?impl=native&" + isolateQuery:      "require-corp",
		"?impl=wasm&load=3&" + isolateQuery: "require-corp",
	} {
		resp, err := http.Get(srv.URL + "/bench/bench.html" + query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", query, resp.Status)
		}
		if got := resp.Header.Get("Cross-Origin-Embedder-Policy"); got != want {
			t.Errorf("%s: COEP %q, want %q", query, got, want)
		}
		wantCOOP := ""
		if want != "" {
			wantCOOP = "same-origin"
		}
		if got := resp.Header.Get("Cross-Origin-Opener-Policy"); got != wantCOOP {
			t.Errorf("%s: COOP %q, want %q", query, got, wantCOOP)
		}
	}
}
