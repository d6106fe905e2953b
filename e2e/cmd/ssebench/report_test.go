package main

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"one", []float64{3}, 3},
		{"odd", []float64{5, 1, 3}, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"ties", []float64{2, 2, 9}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.xs); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
	xs := []float64{3, 1, 2}
	median(xs)
	if xs[0] != 3 || xs[1] != 1 || xs[2] != 2 {
		t.Errorf("median sorted its argument: %v", xs)
	}
}

// sampleReport builds a report with the given samples of metric "ms" (or
// the metric in the key after a colon) by workload and implementation.
func sampleReport(t *testing.T, samples map[string]map[string][]float64) *Report {
	t.Helper()
	rep := &Report{Skipped: map[string]string{}}
	for _, w := range catalogue(false) {
		byImpl, ok := samples[w.Name]
		if !ok {
			continue
		}
		wr := WorkloadResult{Name: w.Name, Title: w.Title, Metrics: w.Metrics}
		for _, im := range impls {
			for key, xs := range byImpl {
				name, metric, found := strings.Cut(key, ":")
				if !found {
					metric = "ms"
				}
				if name == im.Name {
					wr.result(name).Samples[metric] = xs
				}
			}
		}
		rep.Workloads = append(rep.Workloads, wr)
	}
	rep.summarize()
	return rep
}

func targetStatus(rep *Report, prefix string) string {
	for _, tg := range rep.Targets {
		if strings.HasPrefix(tg.Goal, prefix) {
			return tg.Status
		}
	}
	return "absent"
}

// targetSamples measures every target of an engine (issue #16's): the
// figures of TestTargets, and of the engines of TestEngineTargets.
func targetSamples() map[string]map[string][]float64 {
	return map[string]map[string][]float64{
		"100k": {
			"wasm":               {104, 110, 90},
			"native":             {900, 1000, 800}, // no target any more
			"event-floor":        {100},
			"go-floor":           {90},
			"eventsource":        {120, 130},
			"fetch-event-source": {105},
		},
		"20k": {
			"wasm":        {106},
			"event-floor": {100},
			"go-floor":    {95},
			"floor":       {90},
			// No peer finished.
		},
		"1k": {
			"wasm":               {300},
			"fetch-event-source": {250},
			"sse.js":             {400},
		},
		"iterate-100k": {
			"wasm":        {100},
			"eventsource": {110},
		},
		// iterate-20k not run.
		"latency": {
			"wasm:p99":        {5},
			"native:p99":      {6}, // no target any more
			"event-floor:p99": {4},
		},
		"ready": {
			"wasm:cold":     {52},
			"wasm:warm":     {30},
			"go-floor:cold": {50},
			"go-floor:warm": {20},
		},
		"ttfe": {
			// No target any more.
			"wasm:cold":   {500},
			"native:cold": {100},
		},
		"concurrent": {
			"wasm:p50":   {3},
			"native:p50": {2},
		},
		"returning": {
			"wasm:ready":         {80},
			"wasm:ready_again":   {120},
			"wasm:first":         {200},
			"wasm:first_again":   {210},
			"native:first":       {180},
			"native:first_again": {170},
		},
		"soak": {
			// WASM memory grows by 5%; the JS heap peaks at 16.5 MiB, within
			// 10% of the event floor's 15.5 MiB.
			"wasm:heap_early":        {14 << 20},
			"wasm:heap_late":         {16<<20 + 512<<10},
			"wasm:wasm_early":        {20 << 20},
			"wasm:wasm_late":         {21 << 20},
			"event-floor:heap_early": {15<<20 + 512<<10},
			"event-floor:heap_late":  {8 << 20},
		},
		"rounds": {
			// WASM memory grows by 30%: not flat.
			"wasm:heap_early": {3 << 20},
			"wasm:heap_late":  {3 << 20},
			"wasm:wasm_early": {10 << 20},
			"wasm:wasm_late":  {13 << 20},
		},
	}
}

// engineGoals are the goals of one engine, in order, by prefix.
var engineGoals = []string{
	"100k × 100 B: wasm ≤ 1.05× the event floor",
	"20k × 1000 B: wasm ≤ 1.05× the event floor",
	"20k × 1000 B: wasm ≤ 1.0× the fastest JS peer",
	"1k × 64 KiB: wasm ≤ 1.0× the fastest JS peer",
	"100k × 100 B through for await: wasm ≤ 1.0× the fastest JS peer through its iterator or callbacks",
	"20k × 1000 B through for await: wasm ≤ 1.0× the fastest JS peer through its iterator or callbacks",
	"cold start: wasm's ready ≤ 1.05× the Go floor's (cold page)",
	"latency: wasm p99 ≤ the event floor's p99",
	"concurrent streams over HTTP/2: wasm's median event latency ≤ 2× native's",
	"returning visitor: ready within 100 ms of the loader's start, on each of two returns",
	"returning visitor: first event within 50 ms of native's, on each of two returns",
	"memory flat over one long stream (soak)",
	"memory flat over rounds of concurrent streams (rounds)",
}

// The targets of issue #16, each judged on the figures of one run: the
// event floor's and the Go floor's ratios, the fastest peer's, p99 against
// the event floor's; native's figures, which no longer make targets of
// their own, change nothing.
func TestTargets(t *testing.T) {
	rep := sampleReport(t, targetSamples())
	rep.Sizes = []FileSize{{Impl: "wasm", File: "dist/eventsource-wasm.wasm", Raw: 2 << 20, Gzip: 700 << 10, Brotli: 601 << 10}}
	rep.Targets = targets(rep)

	if len(rep.Targets) != len(engineGoals)+1 {
		var goals []string
		for _, tg := range rep.Targets {
			goals = append(goals, tg.Goal)
		}
		t.Fatalf("%d targets, want %d:\n%s", len(rep.Targets), len(engineGoals)+1, strings.Join(goals, "\n"))
	}
	for i, prefix := range append(slices.Clone(engineGoals), ".wasm ≤ 600 KiB brotli") {
		if !strings.HasPrefix(rep.Targets[i].Goal, prefix) {
			t.Errorf("target %d is %q, want %q", i, rep.Targets[i].Goal, prefix)
		}
	}

	for _, tc := range []struct{ prefix, status, detail string }{
		{"100k × 100 B: wasm ≤ 1.05× the event floor", "PASS", "wasm 104 ms vs event floor 100 ms: 1.04×"},
		{"20k × 1000 B: wasm ≤ 1.05× the event floor", "MISS", "wasm 106 ms vs event floor 100 ms: 1.06×; the Go floor 95.0 ms: 0.95× the event floor"},
		{"20k × 1000 B: wasm ≤ 1.0× the fastest JS peer", "n/a", "no peer finished 20k"},
		{"1k × 64 KiB: wasm ≤ 1.0× the fastest JS peer", "MISS", "wasm 300 ms vs fetch-event-source 250 ms: 1.20×"},
		{"100k × 100 B through for await", "PASS", "wasm 100 ms vs eventsource 110 ms: 0.91×"},
		{"20k × 1000 B through for await", "n/a", "workload iterate-20k not run"},
		{"cold start", "PASS", "wasm 52.0 ms vs the Go floor (a Go program that only starts) 50.0 ms cold: 1.04×; warm 30.0 ms vs 20.0 ms: 1.50×"},
		{"latency", "MISS", "wasm p99 5.00 ms vs event floor p99 4.00 ms: 1.25×"},
		{"concurrent streams", "PASS", "wasm p50 3.00 ms vs native 2.00 ms: 1.50×"},
		{"returning visitor: ready", "MISS", "ready 80.0 ms, 120 ms"},
		{"returning visitor: first event", "PASS", "wasm 200 ms, 210 ms vs native 180 ms, 170 ms: +20.0, +40.0 ms"},
		{"memory flat over one long stream (soak)", "PASS", ""},
		{"memory flat over rounds of concurrent streams", "MISS", ""},
		{".wasm", "MISS", "601.0 KiB brotli"},
	} {
		got := targetOf(rep, "", tc.prefix)
		if got.Status != tc.status || !strings.HasPrefix(got.Detail, tc.detail) {
			t.Errorf("target %q: %s — %s, want %s — %s…", tc.prefix, got.Status, got.Detail, tc.status, tc.detail)
		}
	}
	// The Go floor is named where wasm misses the event floor, to say
	// whether Go bounds it there, and not where wasm meets it.
	if got := targetOf(rep, "", "100k × 100 B: wasm ≤ 1.05× the event floor"); strings.Contains(got.Detail, "Go floor") {
		t.Errorf("100k, a PASS, names the Go floor: %s", got.Detail)
	}
}

// A miss of the concurrent streams' target names the event floor's median
// against native's, and a pass does not.
func TestConcurrentMissNamesEventFloor(t *testing.T) {
	for _, tc := range []struct {
		wasm         float64
		status, want string
	}{
		{6, "MISS", "wasm p50 6.00 ms vs native 2.00 ms: 3.00×; the event floor p50 5.00 ms: 2.50× native's"},
		{3, "PASS", "wasm p50 3.00 ms vs native 2.00 ms: 1.50×"},
	} {
		rep := sampleReport(t, map[string]map[string][]float64{
			"concurrent": {"wasm:p50": {tc.wasm}, "native:p50": {2}, "event-floor:p50": {5}},
		})
		got := targetOf(rep, "", "concurrent streams")
		if got.Status != tc.status || got.Detail != tc.want {
			t.Errorf("wasm p50 %v: %s — %s, want %s — %s", tc.wasm, got.Status, got.Detail, tc.status, tc.want)
		}
	}
}

// The Go floor starts in the ready and returning workloads, and streams in
// the EventSource API's throughput workloads, which its page drives as the
// event floor's; it has no iterator, and opens no streams elsewhere.
func TestGoFloorWorkloads(t *testing.T) {
	want := map[string]bool{"100k": true, "20k": true, "1k": true, "ready": true, "returning": true}
	for _, w := range catalogue(false) {
		if got := w.AppliesTo(goFloor); got != want[w.Name] {
			t.Errorf("%s applies to the Go floor: %v, want %v", w.Name, got, want[w.Name])
		}
		if !w.AppliesTo("wasm") && w.Kind != size {
			t.Errorf("%s does not apply to wasm", w.Name)
		}
	}
}

// Each ratio target passes at its threshold and misses just beyond it.
func TestTargetThresholds(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		samples      map[string]map[string][]float64
		want         string
	}{
		{"100k at 1.04× the event floor", "100k × 100 B: wasm ≤ 1.05× the event floor",
			map[string]map[string][]float64{"100k": {"wasm": {104}, "event-floor": {100}}}, "PASS"},
		{"100k at 1.06× the event floor", "100k × 100 B: wasm ≤ 1.05× the event floor",
			map[string]map[string][]float64{"100k": {"wasm": {106}, "event-floor": {100}}}, "MISS"},
		{"100k at the floor, not the event floor", "100k × 100 B: wasm ≤ 1.05× the event floor",
			map[string]map[string][]float64{"100k": {"wasm": {104}, "floor": {100}}}, "n/a"},
		{"20k at 1.04× the event floor", "20k × 1000 B: wasm ≤ 1.05× the event floor",
			map[string]map[string][]float64{"20k": {"wasm": {104}, "event-floor": {100}}}, "PASS"},
		{"20k at 1.06× the event floor", "20k × 1000 B: wasm ≤ 1.05× the event floor",
			map[string]map[string][]float64{"20k": {"wasm": {106}, "event-floor": {100}}}, "MISS"},
		{"20k as fast as the fastest peer", "20k × 1000 B: wasm ≤ 1.0× the fastest JS peer",
			map[string]map[string][]float64{"20k": {"wasm": {100}, "eventsource": {100}, "sse.js": {150}}}, "PASS"},
		{"20k slower than the fastest peer", "20k × 1000 B: wasm ≤ 1.0× the fastest JS peer",
			map[string]map[string][]float64{"20k": {"wasm": {101}, "eventsource": {100}, "sse.js": {150}}}, "MISS"},
		{"1k faster than the fastest peer", "1k × 64 KiB: wasm ≤ 1.0× the fastest JS peer",
			map[string]map[string][]float64{"1k": {"wasm": {99}, "eventsource": {100}, "native": {50}}}, "PASS"},
		{"1k slower than the fastest peer", "1k × 64 KiB: wasm ≤ 1.0× the fastest JS peer",
			map[string]map[string][]float64{"1k": {"wasm": {101}, "eventsource": {100}, "sse.js": {400}}}, "MISS"},
		{"ready at 1.04× the Go floor", "cold start: wasm's ready ≤ 1.05× the Go floor's",
			map[string]map[string][]float64{"ready": {"wasm:cold": {104}, "go-floor:cold": {100}}}, "PASS"},
		{"ready at 1.06× the Go floor", "cold start: wasm's ready ≤ 1.05× the Go floor's",
			map[string]map[string][]float64{"ready": {"wasm:cold": {106}, "go-floor:cold": {100}}}, "MISS"},
		{"ready with no Go floor", "cold start: wasm's ready ≤ 1.05× the Go floor's",
			map[string]map[string][]float64{"ready": {"wasm:cold": {20}}}, "n/a"},
		{"p99 at the event floor's", "latency: wasm p99 ≤ the event floor's p99",
			map[string]map[string][]float64{"latency": {"wasm:p99": {4}, "event-floor:p99": {4}, "native:p99": {3}}}, "PASS"},
		{"p99 above the event floor's", "latency: wasm p99 ≤ the event floor's p99",
			map[string]map[string][]float64{"latency": {"wasm:p99": {4.1}, "event-floor:p99": {4}, "native:p99": {5}}}, "MISS"},
	} {
		rep := sampleReport(t, tc.samples)
		if got := targetOf(rep, "", tc.prefix); got.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got.Status, got.Detail, tc.want)
		}
	}
	// The details. A miss against the fastest peer names the floor that
	// bounds wasm there, when the run has it; a pass does not.
	for _, tc := range []struct {
		name, prefix string
		samples      map[string]map[string][]float64
		want         string
	}{
		{"20k behind the peer, the event floor too", "20k × 1000 B: wasm ≤ 1.0× the fastest JS peer",
			map[string]map[string][]float64{"20k": {"wasm": {120}, "eventsource": {100}, "event-floor": {130}, "floor": {60}}},
			"wasm 120 ms vs eventsource 100 ms: 1.20×; the event floor 130 ms: 1.30× eventsource"},
		{"1k behind the peer, no event floor", "1k × 64 KiB: wasm ≤ 1.0× the fastest JS peer",
			map[string]map[string][]float64{"1k": {"wasm": {120}, "sse.js": {100}}},
			"wasm 120 ms vs sse.js 100 ms: 1.20×"},
		{"for await behind the peer", "100k × 100 B through for await",
			map[string]map[string][]float64{"iterate-100k": {"wasm": {120}, "eventsource-client": {100}, "floor": {110}}},
			"wasm 120 ms vs eventsource-client 100 ms: 1.20×; the floor through for await 110 ms: 1.10× eventsource-client"},
		{"for await ahead of the peer", "20k × 1000 B through for await",
			map[string]map[string][]float64{"iterate-20k": {"wasm": {90}, "eventsource-client": {100}, "floor": {80}}},
			"wasm 90.0 ms vs eventsource-client 100 ms: 0.90×"},
		// With more than one repetition, a ratio target says in how
		// many the repetition's own ratio met it, pairing each
		// implementation's samples by repetition, as far as both ran.
		{"event floor, two of three", "100k × 100 B: wasm ≤ 1.05× the event floor",
			map[string]map[string][]float64{"100k": {"wasm": {100, 110, 90}, "event-floor": {100, 100, 100}}},
			"wasm 100 ms vs event floor 100 ms: 1.00×; met in 2 of 3 repetitions"},
		{"the fastest peer, as far as it ran", "20k × 1000 B through for await",
			map[string]map[string][]float64{"iterate-20k": {"wasm": {95, 95, 200}, "eventsource-client": {100, 90}}},
			"wasm 95.0 ms vs eventsource-client 95.0 ms: 1.00×; met in 1 of 2 repetitions"},
		{"p99, none", "latency: wasm p99 ≤ the event floor's p99",
			map[string]map[string][]float64{"latency": {"wasm:p99": {5, 6}, "event-floor:p99": {4, 4}}},
			"wasm p99 5.50 ms vs event floor p99 4.00 ms: 1.38×; met in 0 of 2 repetitions"},
		{"one repetition: no count", "cold start",
			map[string]map[string][]float64{"ready": {"wasm:cold": {104}, "go-floor:cold": {100}}},
			"wasm 104 ms vs the Go floor (a Go program that only starts) 100 ms cold: 1.04×"},
	} {
		rep := sampleReport(t, tc.samples)
		if got := targetOf(rep, "", tc.prefix); got.Detail != tc.want {
			t.Errorf("%s: detail %q, want %q", tc.name, got.Detail, tc.want)
		}
	}
	// The warm figures are in the detail when there are any.
	rep := sampleReport(t, map[string]map[string][]float64{"ready": {"wasm:cold": {104}, "go-floor:cold": {100}, "wasm:warm": {40}}})
	if got := targetOf(rep, "", "cold start"); got.Detail != "wasm 104 ms vs the Go floor (a Go program that only starts) 100 ms cold: 1.04×; wasm 40.0 ms warm" {
		t.Errorf("cold start with wasm's warm figure only: detail %q", got.Detail)
	}
}

func TestHeadline(t *testing.T) {
	rep := sampleReport(t, map[string]map[string][]float64{
		"100k": {
			"wasm":        {200},
			"native":      {400},
			"floor":       {100},
			"event-floor": {160}, // faster than every peer, but not one
			"eventsource": {250},
			"sse.js":      {500},
		},
	})
	if len(rep.Headline) != 1 {
		t.Fatalf("headline has %d rows, want 1: %+v", len(rep.Headline), rep.Headline)
	}
	h := rep.Headline[0]
	if h.PeerName != "eventsource" || h.VsNative != 0.5 || h.VsPeer != 0.8 || h.VsFloor != 2 || h.VsEventFloor != 1.25 {
		t.Errorf("headline = %+v, want eventsource as the fastest peer and ratios 0.5, 0.8, 2, 1.25", h)
	}
}

func TestPruneSlowPeers(t *testing.T) {
	rep := sampleReport(t, map[string]map[string][]float64{
		"100k": {
			"wasm":                  {1000}, // never pruned: not a peer
			"eventsource":           {100},
			"sse.js":                {151},
			"event-source-polyfill": {149},
		},
	})
	pruneSlowPeers(rep, catalogue(false)[:1], 1.5)
	w := rep.workload("100k")
	for im, want := range map[string]bool{"wasm": false, "eventsource": false, "sse.js": true, "event-source-polyfill": false} {
		if got := w.lookup(im).Pruned != ""; got != want {
			t.Errorf("%s pruned = %v, want %v", im, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	rep := sampleReport(t, map[string]map[string][]float64{
		"100k": {
			"wasm":   {200, 220},
			"native": {400},
			"floor":  {100},
		},
		"concurrent": {
			"wasm:heap_during": {2 << 20},
			"wasm:wasm_during": {8 << 20},
		},
	})
	w := rep.workload("100k")
	w.result("sse.js").Errors = []string{"repetition 1: 3 of 10 events had data of the wrong length"}
	rep.Skipped["eventsource"] = "npm is not installed"

	rep.Meta.OtherCPU, rep.Meta.OtherCPUMax = 0.5, 0.8
	md := renderMarkdown(rep)
	for _, want := range []string{
		"The machine was busy: other processes took 50% of its CPU",
		"## Targets",
		"| wasm | 210 ±5% |",
		"| sse.js | failed |",
		"sse.js, 100k: repetition 1: 3 of 10 events",
		"eventsource: not benchmarked: npm is not installed",
		"8.0 MiB",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}

	html, err := renderHTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", " src=", "<link", "@import"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("the HTML report loads something (%q); it must be self-contained", bad)
		}
	}
	if !bytes.Contains(html, []byte("<svg")) {
		t.Error("the HTML report has no chart")
	}

	js, err := renderJSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("the JSON report does not decode: %v", err)
	}
	if got := back.workload("100k").lookup("wasm").Median["ms"]; got != 210 {
		t.Errorf("JSON: median of wasm in 100k = %v, want 210", got)
	}
}

func TestParseFlags(t *testing.T) {
	var stderr bytes.Buffer
	cfg, err := parseFlags([]string{"-impl", "wasm,peers", "-workload", "100k,latency", "-quick"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.reps != 1 {
		t.Errorf("-quick: reps = %d, want 1", cfg.reps)
	}
	var names []string
	for _, im := range cfg.impls {
		names = append(names, im.Name)
	}
	if got, want := strings.Join(names, ","), "wasm,event-source-polyfill,eventsource,eventsource-client,fetch-event-source,sse.js"; got != want {
		t.Errorf("-impl wasm,peers: %s, want %s", got, want)
	}
	if len(cfg.workloads) != 2 || cfg.workloads[0].N != 10_000 {
		t.Errorf("-workload 100k,latency -quick: %+v, want 100k with 10k events, and latency", cfg.workloads)
	}

	cfg, err = parseFlags([]string{"-quick", "-reps", "3"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.reps != 3 {
		t.Errorf("-quick -reps 3: reps = %d, want 3", cfg.reps)
	}

	for _, args := range [][]string{
		{"-impl", "nope"},
		{"-workload", "nope"},
		{"-impl", ""},
		{"-reps", "0"},
		{"extra"},
	} {
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
}

func TestStreamPath(t *testing.T) {
	for _, w := range catalogue(false) {
		switch w.Name {
		case "100k":
			if got, want := w.StreamPath(), "/sse/bench?n=100000&size=100"; got != want {
				t.Errorf("100k: %s, want %s", got, want)
			}
		case "latency":
			if got, want := w.StreamPath(), "/sse/bench?n=2000&size=100&ts=1&gap=1"; got != want {
				t.Errorf("latency: %s, want %s", got, want)
			}
		case "concurrent":
			if w.Streams != 200 || w.N < 2 {
				t.Errorf("concurrent: %d streams of %d events, want 200 streams of at least 2", w.Streams, w.N)
			}
		case "soak":
			if w.N != 1_000_000 || w.AppliesTo("floor") || !w.AppliesTo("wasm") || !w.AppliesTo("event-floor") {
				t.Errorf("soak: %d events for %v, want 1M events for wasm and the event floor, not the floor", w.N, w.Only)
			}
		case "rounds":
			if got, want := w.StreamPath(), "/sse/bench?n=40&size=100&ts=1&gap=25"; got != want || w.Streams != 200 || w.Rounds < 10 {
				t.Errorf("rounds: %d rounds of %d streams of %s, want at least 10 rounds of 200 streams of %s", w.Rounds, w.Streams, got, want)
			}
		}
	}
}

// The soak's JS heap is held to the event floor's peak: a module that keeps
// the stream's chunks alive (the JS heap at 109 MiB where the event floor
// peaks at 20 MiB) misses, although its two halves differ by less than 10%.
func TestSoakTarget(t *testing.T) {
	for _, tc := range []struct {
		name       string
		wasmHeap   [2]float64
		floorHeap  [2]float64
		wasmMemory [2]float64
		want       string
	}{
		{"like the event floor", [2]float64{14 << 20, 17 << 20}, [2]float64{18 << 20, 20 << 20}, [2]float64{9 << 20, 9 << 20}, "PASS"},
		{"chunks kept alive", [2]float64{100 << 20, 109 << 20}, [2]float64{18 << 20, 20 << 20}, [2]float64{17 << 20, 17 << 20}, "MISS"},
		{"module memory grows", [2]float64{14 << 20, 14 << 20}, [2]float64{18 << 20, 20 << 20}, [2]float64{9 << 20, 19 << 20}, "MISS"},
	} {
		rep := sampleReport(t, map[string]map[string][]float64{
			"soak": {
				"wasm:heap_early":        {tc.wasmHeap[0]},
				"wasm:heap_late":         {tc.wasmHeap[1]},
				"wasm:wasm_early":        {tc.wasmMemory[0]},
				"wasm:wasm_late":         {tc.wasmMemory[1]},
				"event-floor:heap_early": {tc.floorHeap[0]},
				"event-floor:heap_late":  {tc.floorHeap[1]},
			},
		})
		rep.Targets = targets(rep)
		if got := targetStatus(rep, "memory flat over one long stream"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// engineReport builds a report of several engines, each with its samples
// as sampleReport takes them, and with the JS heap not measured in the
// engines of noHeap.
func engineReport(t *testing.T, byEngine map[string]map[string]map[string][]float64, order []string, noHeap map[string]bool) *Report {
	t.Helper()
	rep := &Report{Skipped: map[string]string{}}
	for _, e := range order {
		part := sampleReport(t, byEngine[e])
		for _, w := range part.Workloads {
			w.Engine = e
			if noHeap[e] {
				for _, m := range w.Metrics {
					if isHeapMetric(m.Key) {
						if w.NotMeasured == nil {
							w.NotMeasured = map[string]string{}
						}
						w.NotMeasured[m.Key] = "not measured in " + e + ": no performance.memory"
					}
				}
			}
			rep.Workloads = append(rep.Workloads, w)
		}
		rep.Engines = append(rep.Engines, EngineRun{Engine: e, Browser: e + "/1.0", ColdLoad: "a fresh context of " + e})
	}
	rep.summarize()
	return rep
}

func targetOf(rep *Report, engine, prefix string) Target {
	for _, tg := range rep.Targets {
		if tg.Engine == engine && strings.HasPrefix(tg.Goal, prefix) {
			return tg
		}
	}
	return Target{Status: "absent"}
}

// Each engine's ratios and targets are against its own native, peers and
// floors: wasm is faster than Chromium's native and slower than Firefox's,
// within 1.05× of Chromium's event floor and not of Firefox's, with the
// same wasm figures in both.
func TestEngineRatios(t *testing.T) {
	rep := engineReport(t, map[string]map[string]map[string][]float64{
		"chromium": {"100k": {"wasm": {100}, "native": {1000}, "floor": {50}, "event-floor": {96}, "eventsource": {200}}},
		"firefox":  {"100k": {"wasm": {100}, "native": {50}, "floor": {25}, "event-floor": {90}, "sse.js": {80}}},
	}, []string{"chromium", "firefox"}, nil)

	if len(rep.Headline) != 2 {
		t.Fatalf("headline has %d rows, want one per engine: %+v", len(rep.Headline), rep.Headline)
	}
	for _, h := range rep.Headline {
		switch h.Engine {
		case "chromium":
			if h.VsNative != 0.1 || h.PeerName != "eventsource" || h.VsPeer != 0.5 || h.VsFloor != 2 {
				t.Errorf("chromium headline = %+v, want 0.1× native, 0.5× eventsource, 2× floor", h)
			}
		case "firefox":
			if h.VsNative != 2 || h.PeerName != "sse.js" || h.VsPeer != 1.25 || h.VsFloor != 4 {
				t.Errorf("firefox headline = %+v, want 2× native, 1.25× sse.js, 4× floor", h)
			}
		default:
			t.Errorf("headline row of engine %q", h.Engine)
		}
	}
	for engine, want := range map[string]string{"chromium": "PASS", "firefox": "MISS"} {
		if got := targetOf(rep, engine, "100k × 100 B: wasm ≤ 1.05× the event floor"); got.Status != want {
			t.Errorf("%s: the event floor target is %s (%s), want %s", engine, got.Status, got.Detail, want)
		}
	}
	// The module's size is no engine's: one target, with no engine.
	n := 0
	for _, tg := range rep.Targets {
		if strings.HasPrefix(tg.Goal, ".wasm") {
			n++
			if tg.Engine != "" {
				t.Errorf("the size target names engine %q", tg.Engine)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d size targets, want 1", n)
	}
}

// In each engine every target is judged on that engine's figures, except
// the returning visitor's, targets in Chromium only: elsewhere they are
// n/a, with the figures that Chromium's detail gives, or why there are
// none.
func TestEngineTargets(t *testing.T) {
	webkit := targetSamples()
	delete(webkit["returning"], "native:first")
	rep := engineReport(t, map[string]map[string]map[string][]float64{
		"chromium": targetSamples(),
		"firefox":  targetSamples(),
		"webkit":   webkit,
	}, []string{"chromium", "firefox", "webkit"}, nil)

	for _, e := range []string{"chromium", "firefox", "webkit"} {
		var goals []Target
		for _, tg := range rep.Targets {
			if tg.Engine == e {
				goals = append(goals, tg)
			}
		}
		if len(goals) != len(engineGoals) {
			t.Errorf("%s: %d targets, want %d: %+v", e, len(goals), len(engineGoals), goals)
			continue
		}
		for i, prefix := range engineGoals {
			if !strings.HasPrefix(goals[i].Goal, prefix) {
				t.Errorf("%s: target %d is %q, want %q", e, i, goals[i].Goal, prefix)
			}
		}
		// The other targets are judged in every engine alike.
		for prefix, want := range map[string]string{
			"100k × 100 B: wasm ≤ 1.05× the event floor": "PASS",
			"20k × 1000 B: wasm ≤ 1.05× the event floor": "MISS",
			"cold start":         "PASS",
			"latency":            "MISS",
			"concurrent streams": "PASS",
		} {
			if got := targetOf(rep, e, prefix); got.Status != want {
				t.Errorf("%s: target %q is %s (%s), want %s", e, prefix, got.Status, got.Detail, want)
			}
		}
	}

	for _, prefix := range []string{"returning visitor: ready", "returning visitor: first event"} {
		chromium := targetOf(rep, "chromium", prefix)
		if chromium.Status != "MISS" && chromium.Status != "PASS" {
			t.Errorf("chromium: %q is %s (%s), want it judged", prefix, chromium.Status, chromium.Detail)
		}
		firefox := targetOf(rep, "firefox", prefix)
		if want := "reported, not a target in firefox: " + chromium.Detail; firefox.Status != "n/a" || firefox.Detail != want {
			t.Errorf("firefox: %q is %s — %s, want n/a — %s", prefix, firefox.Status, firefox.Detail, want)
		}
	}
	if got := targetOf(rep, "chromium", "returning visitor: ready"); got.Status != "MISS" || got.Detail != "ready 80.0 ms, 120 ms; a cold page's 52.0 ms (opening no stream)" {
		t.Errorf("chromium returning ready: %+v, want MISS with its figures", got)
	}
	if got := targetOf(rep, "webkit", "returning visitor: ready"); got.Status != "n/a" || got.Detail != "reported, not a target in webkit: ready 80.0 ms, 120 ms; a cold page's 52.0 ms (opening no stream)" {
		t.Errorf("webkit returning ready: %+v, want n/a with the figures", got)
	}
	if got := targetOf(rep, "webkit", "returning visitor: first event"); got.Status != "n/a" || got.Detail != "reported, not a target in webkit: native has no first" {
		t.Errorf("webkit returning first event: %+v, want n/a saying what is missing", got)
	}

	md := renderMarkdown(rep)
	for _, want := range []string{
		"the returning visitor's are targets in Chromium only",
		"- **n/a** [firefox] returning visitor: ready within 100 ms of the loader's start, on each of two returns — reported, not a target in firefox: ready 80.0 ms, 120 ms",
		"- **MISS** [chromium] returning visitor: ready within 100 ms",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}
}

// withWasmFirstVisit gives wasm's returning visitor a first visit's ready,
// which the ready target's detail then gives in place of the ready
// workload's cold page (which opens no stream, where the returning
// workload's pages do).
func withWasmFirstVisit(rep *Report) *Report {
	r := rep.workload("returning").result("wasm")
	r.Median["ready_first_visit"] = 150
	rep.Targets = targets(rep)
	return rep
}

// withGoFloorReturning adds the Go floor's returning visitor to samples,
// and returns them.
func withGoFloorReturning(samples map[string]map[string][]float64) map[string]map[string][]float64 {
	r := samples["returning"]
	r["go-floor:ready_first_visit"] = []float64{400}
	r["go-floor:ready"] = []float64{125}
	r["go-floor:ready_again"] = []float64{110}
	r["go-floor:ready_at"] = []float64{240}
	r["go-floor:ready_at_again"] = []float64{215}
	return samples
}

// The returning visitor's targets give the Go floor's figures of the same
// run after wasm's, where it has both returns: its ready from the loader's
// start, and its ready from the navigation's start against native's first
// event, saying so where the floor itself is over the target. Without them
// the details are as before, and they never change PASS or MISS.
func TestReturningGoFloor(t *testing.T) {
	const (
		ready      = "ready 80.0 ms, 120 ms; a cold page's 52.0 ms (opening no stream)"
		readyFloor = "; the Go floor (a Go program that only starts) ready 125 ms, 110 ms on return, over the target itself"
		first      = "wasm 200 ms, 210 ms vs native 180 ms, 170 ms: +20.0, +40.0 ms"
		firstFloor = "; the Go floor is ready +60.0, +45.0 ms after native's first event, over the target itself"
	)
	within := withGoFloorReturning(targetSamples())
	within["returning"]["go-floor:ready"] = []float64{90}
	within["returning"]["go-floor:ready_again"] = []float64{100}
	within["returning"]["go-floor:ready_at"] = []float64{230}
	within["returning"]["go-floor:ready_at_again"] = []float64{220}
	partial := targetSamples()
	partial["returning"]["go-floor:ready"] = []float64{125}
	partial["returning"]["go-floor:ready_at"] = []float64{240}
	failed := sampleReport(t, targetSamples())
	failed.workload("returning").result(goFloor).Errors = []string{"repetition 1: first visit: no ready"}
	failed.summarize()

	for _, tc := range []struct {
		name         string
		rep          *Report
		ready, first string
	}{
		{"with the Go floor", sampleReport(t, withGoFloorReturning(targetSamples())), ready + readyFloor, first + firstFloor},
		{"with the Go floor within the targets", sampleReport(t, within),
			ready + "; the Go floor (a Go program that only starts) ready 90.0 ms, 100 ms on return",
			first + "; the Go floor is ready +50.0, +50.0 ms after native's first event"},
		{"without it", sampleReport(t, targetSamples()), ready, first},
		{"with one return of it", sampleReport(t, partial), ready, first},
		{"with it failed", failed, ready, first},
		{"with wasm's own first visit", withWasmFirstVisit(sampleReport(t, targetSamples())),
			"ready 80.0 ms, 120 ms; the first visit's 150 ms", first},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := targetOf(tc.rep, "", "returning visitor: ready"); got.Status != "MISS" || got.Detail != tc.ready {
				t.Errorf("ready: %s — %s, want MISS — %s", got.Status, got.Detail, tc.ready)
			}
			if got := targetOf(tc.rep, "", "returning visitor: first event"); got.Status != "PASS" || got.Detail != tc.first {
				t.Errorf("first event: %s — %s, want PASS — %s", got.Status, got.Detail, tc.first)
			}
		})
	}

	// Outside Chromium, the floor is reported with the rest.
	rep := engineReport(t, map[string]map[string]map[string][]float64{
		"chromium": withGoFloorReturning(targetSamples()),
		"firefox":  withGoFloorReturning(targetSamples()),
	}, []string{"chromium", "firefox"}, nil)
	for prefix, want := range map[string]string{
		"returning visitor: ready":       ready + readyFloor,
		"returning visitor: first event": first + firstFloor,
	} {
		if got := targetOf(rep, "chromium", prefix); got.Detail != want {
			t.Errorf("chromium %q: %s — %s, want %s", prefix, got.Status, got.Detail, want)
		}
		if got := targetOf(rep, "firefox", prefix); got.Status != "n/a" || got.Detail != "reported, not a target in firefox: "+want {
			t.Errorf("firefox %q: %s — %s, want n/a with the figures", prefix, got.Status, got.Detail)
		}
	}

	// The floor's row has its ready figures and no first events.
	md := renderMarkdown(sampleReport(t, withGoFloorReturning(targetSamples())))
	if want := "| go-floor | – | – | – | 400 | 125 | 110 | 240 | 215 | – | – | – | – |"; !strings.Contains(md, want) {
		t.Errorf("the markdown lacks the Go floor's returning row %q:\n%s", want, md)
	}
}

// An engine without JS heap figures says so, in the cells, the list of
// what it did not measure and the memory targets, which judge the module's
// memory alone there; Chromium's are as before.
func TestEngineNotMeasured(t *testing.T) {
	soak := map[string][]float64{
		"wasm:heap_early":        {14 << 20},
		"wasm:heap_late":         {14 << 20},
		"wasm:wasm_early":        {20 << 20},
		"wasm:wasm_late":         {30 << 20}, // grows by half: not flat
		"event-floor:heap_early": {15 << 20},
		"event-floor:heap_late":  {15 << 20},
	}
	rep := engineReport(t, map[string]map[string]map[string][]float64{
		"chromium": {"soak": soak},
		"webkit": {
			"soak": {"wasm:wasm_early": {20 << 20}, "wasm:wasm_late": {20 << 20}},
			"concurrent": {
				"wasm:ms": {700}, "native:ms": {600},
				"wasm:wasm_during": {4 << 20},
			},
		},
	}, []string{"chromium", "webkit"}, map[string]bool{"webkit": true})
	for i := range rep.Workloads {
		if w := &rep.Workloads[i]; w.Engine == "webkit" && w.Name == "soak" {
			w.result("native").NotMeasured = "not measured in webkit: no performance.memory; for native, the JS heap only"
		}
	}

	chromium := targetOf(rep, "chromium", "memory flat over one long stream")
	if chromium.Status != "MISS" || strings.Contains(chromium.Goal, "WASM memory only") {
		t.Errorf("chromium soak target: %+v, want MISS on the heap and module memory", chromium)
	}
	webkit := targetOf(rep, "webkit", "memory flat over one long stream")
	if webkit.Status != "PASS" || !strings.Contains(webkit.Goal, "WASM memory only") || !strings.Contains(webkit.Goal, "not measured in webkit") {
		t.Errorf("webkit soak target: %+v, want PASS on WASM memory only, saying why", webkit)
	}

	md := renderMarkdown(rep)
	for _, want := range []string{
		"## Across engines",
		"## chromium: chromium/1.0",
		"## webkit: webkit/1.0",
		"### Not measured",
		"`concurrent`: JS heap before; JS heap, all open; JS heap, all closed — not measured in webkit: no performance.memory",
		"`soak`: native not run — not measured in webkit",
		"| native | not measured | not measured | not measured | not measured |",
		"| concurrent streams, JS heap with all open (size) | webkit | not measured | – | – | – | – |",
		"| native | 600 | – | – | not measured | not measured | not measured |",
		"Cold page loads in webkit: a fresh context of webkit.",
		"[webkit] memory flat over one long stream (soak), WASM memory only",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}
	// No figure of one engine shows in the other's section.
	chromiumPart := md[strings.Index(md, "## chromium:"):strings.Index(md, "## webkit:")]
	if strings.Contains(chromiumPart, "not measured") {
		t.Errorf("Chromium's section says something is not measured:\n%s", chromiumPart)
	}

	js, err := renderJSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.view("webkit").workload("concurrent").lookup("wasm").Median["ms"]; got != 700 {
		t.Errorf("JSON: webkit's concurrent wasm median = %v, want 700", got)
	}
	if got := back.view("webkit").workload("concurrent").NotMeasured["heap_during"]; !strings.Contains(got, "not measured in webkit") {
		t.Errorf("JSON: webkit's concurrent heap_during not measured = %q", got)
	}
	if len(back.Engines) != 2 || back.Engines[1].ColdLoad == "" {
		t.Errorf("JSON: engines = %+v", back.Engines)
	}
	html, err := renderHTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("webkit: ")) {
		t.Error("the HTML report's charts do not name their engine")
	}
}

func TestParseBrowsers(t *testing.T) {
	var stderr bytes.Buffer
	cfg, err := parseFlags(nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.engines) != 1 || cfg.engines[0] != "chromium" {
		t.Errorf("default engines %v, want chromium alone (make bench as it was)", cfg.engines)
	}
	for list, want := range map[string]string{
		"firefox,webkit":  "firefox webkit",
		"webkit chromium": "webkit chromium",
		"all":             "chromium firefox webkit",
	} {
		cfg, err := parseFlags([]string{"-browser", list}, &stderr)
		if err != nil {
			t.Errorf("-browser %q: %v", list, err)
			continue
		}
		var got []string
		for _, e := range cfg.engines {
			got = append(got, string(e))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("-browser %q: %v, want %s", list, got, want)
		}
	}
	for _, bad := range []string{"", "opera", "chromium,edge"} {
		if _, err := parseFlags([]string{"-browser", bad}, &stderr); err == nil {
			t.Errorf("-browser %q succeeded, want an error", bad)
		}
	}
}
