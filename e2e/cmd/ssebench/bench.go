package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

// busyShare is the share of the CPU that other processes may take during
// the run before the report warns that its numbers are noisy.
const busyShare = 0.10

// stallMs is how long a page waits for the next event before it gives up
// on a run.
const stallMs = 10_000

// A bencher runs the measurements of one run.
type bencher struct {
	cfg *config
	log io.Writer
	// browser is the browser of the engine that runs now; plain serves
	// HTTP/1.1 and secure serves HTTPS with HTTP/2, from one handler.
	browser benchBrowser
	plain   *httptest.Server
	secure  *httptest.Server
	// noHeap says why the engine that runs now gives no JS heap figures,
	// or is "" when it does (see probeEngine).
	noHeap string
	// isolate says whether the pages are cross-origin isolated in the
	// engine that runs now (see isolateQuery).
	isolate bool
	// loads counts the page loads, to give each a URL of its own.
	loads int
	// cpuMax points to the largest share of the CPU that other processes
	// took during one measurement, or to -1 when it cannot be known.
	cpuMax *float64
}

// benchmark runs every selected workload for every selected implementation,
// cfg.reps times in each engine, and returns the report. An engine whose
// run fails is in the report with its error, and the error is returned
// too, with the report, after the other engines have run.
func benchmark(ctx context.Context, cfg *config, log io.Writer) (*Report, error) {
	rep := &Report{
		Meta:    newMeta(cfg),
		Skipped: map[string]string{},
	}

	var ims []impl
	for _, im := range cfg.impls {
		if im.Name == "wasm" {
			if err := checkPolyfill(cfg.root); err != nil {
				return nil, err
			}
		}
		ims = append(ims, im)
	}
	versions, skipped := preparePeers(ctx, cfg.root, cfg.cacheDir, ims, log)
	rep.Meta.Peers = versions
	if slices.ContainsFunc(ims, func(im impl) bool { return im.Name == goFloor }) {
		if err := buildGoFloor(ctx, cfg.root, cfg.cacheDir); err != nil {
			skipped[goFloor] = err.Error()
		}
	}
	for _, name := range sortedKeys(skipped) {
		rep.Skipped[name] = skipped[name]
		fmt.Fprintf(log, "ssebench: %s will not run: %s\n", name, skipped[name])
	}
	ims = slices.DeleteFunc(ims, func(im impl) bool { _, ok := skipped[im.Name]; return ok })

	needBrowser := false
	for _, w := range cfg.workloads {
		if w.Kind == size {
			rep.Workloads = append(rep.Workloads, WorkloadResult{Name: w.Name, Title: w.Title, Metrics: w.Metrics})
			rep.Sizes, rep.Notes = measureSizes(cfg, ims, rep.Notes)
			continue
		}
		needBrowser = true
	}
	var failed error
	if needBrowser {
		var err error
		if failed, err = runBrowserWorkloads(ctx, cfg, log, rep, ims); err != nil {
			return nil, err
		}
	}
	if cfg.quick {
		rep.Notes = append(rep.Notes, "Quick run: a tenth of the events and one repetition; the targets are only indicative.")
	}
	rep.summarize()
	return rep, failed
}

// runBrowserWorkloads runs the workloads of the browsers in each engine of
// cfg, one engine after the other, against the same servers. failed joins
// the errors of the engines whose run stopped; err is the end of the whole
// run (an interrupt).
func runBrowserWorkloads(ctx context.Context, cfg *config, log io.Writer, rep *Report, ims []impl) (failed, err error) {
	b := &bencher{cfg: cfg, log: log}
	var logf func(string, ...any)
	if cfg.serverLog {
		logf = func(format string, args ...any) { fmt.Fprintf(log, "refserver: "+format+"\n", args...) }
	}
	// WebKit's driver cannot read the console: the relay puts a script
	// first in each page served to WebKit that keeps the console for
	// the tab to read (e2e/internal/browser). Other engines get the
	// pages as they are.
	handler := browser.ConsoleRelay(benchHandler(cfg.root, filepath.Join(cfg.cacheDir, "bundles"), logf))
	b.plain = httptest.NewServer(handler)
	b.secure = httptest.NewUnstartedServer(handler)
	b.secure.EnableHTTP2 = true
	// Go's default of 250 concurrent streams is enough for 200 streams
	// and a page, but leave room.
	b.secure.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 1000}
	b.secure.StartTLS()
	defer func() {
		for _, s := range []*httptest.Server{b.plain, b.secure} {
			s.CloseClientConnections()
			s.Close()
		}
	}()
	rep.Meta.BenchHTTP = "HTTP/1.1 on 127.0.0.1; HTTP/2 over TLS (self-signed) on 127.0.0.1 for the concurrent streams"

	first, cpuOK := sampleCPU()
	if cpuOK {
		rep.Meta.OtherCPUMax = 0
	}
	b.cpuMax = &rep.Meta.OtherCPUMax
	defer func() {
		if last, ok := sampleCPU(); ok && cpuOK {
			rep.Meta.OtherCPU = othersShare(first, last)
		}
	}()

	var errs []error
	var versions []string
	for _, e := range cfg.engines {
		// The engine's own report has the workloads of cfg, in its
		// order, size included, as runImpl and pruneSlowPeers want.
		er := &Report{}
		for _, w := range cfg.workloads {
			er.Workloads = append(er.Workloads, WorkloadResult{Name: w.Name, Engine: string(e), Title: w.Title, Metrics: w.Metrics})
		}
		run := EngineRun{Engine: string(e), ColdLoad: browser.FreshContextMeans(e)}
		err := b.runEngine(ctx, e, er, ims, &run)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			run.Error = err.Error()
			errs = append(errs, fmt.Errorf("%s: %w", e, err))
			fmt.Fprintf(log, "ssebench: %s: %v\n", e, err)
		}
		if run.Browser != "" {
			versions = append(versions, run.Browser)
		}
		rep.Engines = append(rep.Engines, run)
		for i, w := range cfg.workloads {
			if w.Kind != size {
				rep.Workloads = append(rep.Workloads, er.Workloads[i])
			}
		}
	}
	rep.Meta.Browser = strings.Join(versions, ", ")
	return errors.Join(errs...), nil
}

// runEngine starts the browser of engine e, runs the workloads in it into
// er, and stops it.
func (b *bencher) runEngine(ctx context.Context, e browser.Engine, er *Report, ims []impl, run *EngineRun) error {
	c, err := startBrowser(ctx, e, b.log, b.cfg.verbose)
	if err != nil {
		return err
	}
	defer c.stop()
	b.browser = c
	b.isolate = isolates(e)
	run.Browser = c.version()
	run.Isolated = b.isolate
	fmt.Fprintf(b.log, "ssebench: %s; server at %s and %s; %d repetition(s)\n", run.Browser, b.plain.URL, b.secure.URL, b.cfg.reps)

	probe, err := b.probeEngine()
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	run.TimerStepMs = probe.TimerStepMs
	if probe.Isolated != b.isolate {
		return fmt.Errorf("probe: the bench page's crossOriginIsolated is %v, want %v", probe.Isolated, b.isolate)
	}
	b.noHeap = probe.noHeap(e)
	if b.noHeap != "" {
		for i := range er.Workloads {
			w := &er.Workloads[i]
			for _, m := range w.Metrics {
				if isHeapMetric(m.Key) {
					if w.NotMeasured == nil {
						w.NotMeasured = map[string]string{}
					}
					w.NotMeasured[m.Key] = b.noHeap
				}
			}
		}
	}

	for r := range b.cfg.reps {
		// Turn the order of the implementations each repetition, so
		// that none always runs first or right after the same one.
		for i := range ims {
			im := ims[(i+r)%len(ims)]
			if err := b.runImpl(ctx, er, im, r); err != nil {
				return err
			}
		}
		if r == 0 && b.cfg.reps > 1 {
			pruneSlowPeers(er, b.cfg.workloads, b.cfg.prune)
		}
	}
	return nil
}

// engineProbe is what probeEngine finds out of an engine.
type engineProbe struct {
	// Memory and GC say whether a bench page has performance.memory
	// and a gc function.
	Memory bool `json:"memory"`
	GC     bool `json:"gc"`
	// TimerStepMs is the smallest step of performance.now() seen.
	TimerStepMs float64 `json:"timerStepMs"`
	// Isolated is the page's crossOriginIsolated.
	Isolated bool `json:"isolated"`
}

// noHeap says why engine e gives no JS heap figures, or is "" when it
// does: they need performance.memory, the only JS heap figure a page can
// read (a Chromium extension), and gc(), so that a sample counts live
// objects only.
func (p engineProbe) noHeap(e browser.Engine) string {
	switch {
	case !p.Memory && !p.GC:
		return fmt.Sprintf("not measured in %s: its pages have neither performance.memory nor gc()", e)
	case !p.Memory:
		return fmt.Sprintf("not measured in %s: its pages have no performance.memory", e)
	case !p.GC:
		return fmt.Sprintf("not measured in %s: its pages have no gc(), so a JS heap figure would count garbage", e)
	}
	return ""
}

// probe is the expression of probeEngine. It reads performance.now() for
// 50 ms and keeps its smallest step: engines coarsen it (to 1 ms, say)
// against timing attacks, which bounds what the latency quantiles can
// tell apart.
const probe = `(() => {
	let step = Infinity, last = performance.now();
	const end = last + 50;
	for (;;) {
		const now = performance.now();
		if (now !== last) {
			step = Math.min(step, now - last);
			last = now;
			if (now > end) break;
		}
	}
	return {memory: !!(performance.memory && performance.memory.usedJSHeapSize > 0), gc: typeof globalThis.gc === "function", timerStepMs: step,
		isolated: globalThis.crossOriginIsolated === true};
})()`

// probeEngine finds out, in a bench page, what the engine's pages can
// measure.
func (b *bencher) probeEngine() (engineProbe, error) {
	t, err := b.browser.newTab("probe", false)
	if err != nil {
		return engineProbe{}, err
	}
	defer t.close()
	if err := t.navigate(b.pageURL(b.plain, impl{Name: "native"}, ""), b.cfg.timeout); err != nil {
		return engineProbe{}, err
	}
	return evaluate[engineProbe](t, b.cfg.timeout, probe)
}

// isHeapMetric reports whether the metric of key is a JS heap figure, and
// isModuleMetric whether it is the size of a module's memory.
func isHeapMetric(key string) bool   { return strings.HasPrefix(key, "heap_") }
func isModuleMetric(key string) bool { return strings.HasPrefix(key, "wasm_") }

// hasModule reports whether the pages of im run a WebAssembly module,
// whose memory they can measure.
func hasModule(im impl) bool { return im.Name == "wasm" || im.Name == goFloor }

// notMeasured says why none of the metrics of w can be measured for im in
// the engine that runs now, or is "" when some can.
func (b *bencher) notMeasured(w workload, im impl) string {
	if b.noHeap == "" {
		return ""
	}
	for _, m := range w.Metrics {
		switch {
		case isHeapMetric(m.Key) && b.noHeap != "":
		case isModuleMetric(m.Key) && !hasModule(im):
		default:
			return ""
		}
	}
	return fmt.Sprintf("%s, and %s runs no WebAssembly module, so nothing else of the workload applies to it", b.noHeap, im.Name)
}

// primaryMetric is the metric that decides which peer is the fastest in a
// workload of kind k.
func primaryMetric(k kind) string {
	switch k {
	case latency:
		return "p99"
	case firstEvent:
		return "cold"
	}
	return "ms"
}

// pruneSlowPeers marks the peers whose first run of a workload was more
// than factor times slower than the fastest peer's, so that they are not
// run again: more runs would not make them the fastest, and the slowest
// peers would take most of the time of a run. A factor of 0 prunes none.
func pruneSlowPeers(rep *Report, workloads []workload, factor float64) {
	if factor <= 0 {
		return
	}
	for i, w := range workloads {
		wr := &rep.Workloads[i]
		key := primaryMetric(w.Kind)
		best, bestValue := "", 0.0
		for _, r := range wr.Results {
			if xs := r.Samples[key]; isPeer(r.Impl) && len(xs) > 0 && (best == "" || xs[0] < bestValue) {
				best, bestValue = r.Impl, xs[0]
			}
		}
		if best == "" {
			continue
		}
		for j := range wr.Results {
			r := &wr.Results[j]
			xs := r.Samples[key]
			if !isPeer(r.Impl) || len(xs) == 0 || xs[0] <= factor*bestValue {
				continue
			}
			r.Pruned = fmt.Sprintf("ran once: %s %s was %.1f× the fastest peer's (%s %s) in the first repetition",
				key, formatValue(xs[0], "ms"), xs[0]/bestValue, best, formatValue(bestValue, "ms"))
		}
	}
}

// runImpl runs every selected workload once for im, in a tab of its own:
// each measurement loads a new page in it, and the tab is new again after
// a failure.
func (b *bencher) runImpl(ctx context.Context, rep *Report, im impl, r int) error {
	var t tab
	defer func() {
		if t != nil {
			t.close()
		}
	}()
	for wi, w := range b.cfg.workloads {
		if w.Kind == size || !w.AppliesTo(im.Name) {
			continue
		}
		res := rep.Workloads[wi].result(im.Name)
		if why := b.notMeasured(w, im); why != "" {
			res.NotMeasured = why
			continue
		}
		if len(res.Errors) > 0 || res.Pruned != "" {
			continue // it failed before, or is too slow to repeat
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		var values map[string]float64
		var err error
		if t == nil {
			t, err = b.browser.newTab(im.Name, false)
		}
		cpuBefore, cpuOK := sampleCPU()
		if err == nil {
			values, err = b.measure(t, w, im)
		}
		took := time.Since(start).Round(time.Millisecond)
		others := -1.0
		if cpuAfter, ok := sampleCPU(); ok && cpuOK && *b.cpuMax >= 0 {
			others = othersShare(cpuBefore, cpuAfter)
			*b.cpuMax = max(*b.cpuMax, others)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.Errors = append(res.Errors, fmt.Sprintf("repetition %d: %v", r+1, err))
			fmt.Fprintf(b.log, "ssebench: [%s %d/%d] %-10s %-22s FAILED (%v): %v\n", b.browser.engine(), r+1, b.cfg.reps, w.Name, im.Name, took, err)
			if t != nil {
				t.close()
				t = nil
			}
			continue
		}
		for k, v := range values {
			res.Samples[k] = append(res.Samples[k], v)
		}
		busy := ""
		if others >= 0 {
			res.OtherCPU = append(res.OtherCPU, others)
			if others >= busyShare {
				busy = fmt.Sprintf("; other processes took %.0f%% of the CPU", others*100)
			}
		}
		fmt.Fprintf(b.log, "ssebench: [%s %d/%d] %-10s %-22s %s (%v%s)\n", b.browser.engine(), r+1, b.cfg.reps, w.Name, im.Name, describe(w, values), took, busy)
	}
	return nil
}

// describe writes the main numbers of one measurement for the progress log.
func describe(w workload, v map[string]float64) string {
	switch w.Kind {
	case throughput:
		return fmt.Sprintf("%s (%.1f MB/s)", ms(v["ms"]), float64(w.Bytes())/v["ms"]/1e3)
	case latency:
		return fmt.Sprintf("p50 %s p99 %s", ms(v["p50"]), ms(v["p99"]))
	case firstEvent, ready:
		return fmt.Sprintf("cold %s warm %s", ms(v["cold"]), ms(v["warm"]))
	case returning:
		return describeReturning(v)
	case soak, rounds:
		var parts []string
		if _, ok := v["heap_early"]; ok {
			parts = append(parts, fmt.Sprintf("peak JS heap %s → %s", kib(int64(v["heap_early"])), kib(int64(v["heap_late"]))))
		}
		if _, ok := v["wasm_early"]; ok {
			parts = append(parts, fmt.Sprintf("wasm memory %s → %s", kib(int64(v["wasm_early"])), kib(int64(v["wasm_late"]))))
		}
		return strings.Join(parts, ", ")
	case concurrent:
		s := fmt.Sprintf("%s p99 %s", ms(v["ms"]), ms(v["p99"]))
		if _, ok := v["heap_before"]; ok {
			s += fmt.Sprintf(" heap %s → %s", kib(int64(v["heap_before"])), kib(int64(v["heap_during"])))
		}
		if wasm, ok := v["wasm_during"]; ok {
			s += fmt.Sprintf(" wasm memory %s", kib(int64(wasm)))
		}
		return s
	}
	return fmt.Sprint(v)
}

// describeReturning writes the figures of one returning visitor that v
// has: the Go floor has no first events, and native no ready.
func describeReturning(v map[string]float64) string {
	var visit, returns, revalidated []string
	if x, ok := v["first_visit"]; ok {
		visit = append(visit, "first event "+ms(x))
	}
	if x, ok := v["ready_first_visit"]; ok {
		visit = append(visit, "ready "+ms(x))
	}
	// both adds the figures of key on the two returns to parts.
	both := func(parts *[]string, label, key string) {
		if x, ok := v[key]; ok {
			*parts = append(*parts, fmt.Sprintf("%s %s, %s", label, ms(x), ms(v[key+"_again"])))
		}
	}
	both(&returns, "first event", "first")
	both(&returns, "ready", "ready")
	both(&returns, "ready since navigation", "ready_at")
	both(&revalidated, "first event", "first_revalidate")
	both(&revalidated, "ready", "ready_revalidate")
	s := "first visit: " + strings.Join(visit, ", ") + "; returns: " + strings.Join(returns, ", ")
	if len(revalidated) > 0 {
		s += "; module revalidated: " + strings.Join(revalidated, ", ")
	}
	return s
}

// measure runs w once for im in the tab t.
func (b *bencher) measure(t tab, w workload, im impl) (map[string]float64, error) {
	switch w.Kind {
	case throughput:
		return b.throughput(t, w, im)
	case latency:
		return b.latency(t, w, im)
	case firstEvent:
		return b.pageLoads(t, im, b.plain.URL+w.StreamPath())
	case ready:
		return b.pageLoads(t, im, "")
	case returning:
		return b.returning(im, b.plain.URL+w.StreamPath())
	case concurrent:
		return b.concurrent(t, w, im)
	case soak:
		return b.soak(t, w, im)
	case rounds:
		return b.rounds(t, w, im)
	}
	return nil, fmt.Errorf("workload %s cannot run in the browser", w.Name)
}

// pageURL returns the URL of a new load of the bench page of im on server,
// with query added. Each load has a URL of its own, so that none counts as
// a reload of the one before.
func (b *bencher) pageURL(server *httptest.Server, im impl, query string) string {
	b.loads++
	if b.isolate {
		query += "&" + isolateQuery
	}
	return fmt.Sprintf("%s%s&load=%d%s", server.URL, im.Page(), b.loads, query)
}

// openBench loads the bench page of im from server in t and waits until the
// implementation is ready.
func (b *bencher) openBench(t tab, server *httptest.Server, im impl) error {
	if err := t.navigate(b.pageURL(server, im, ""), b.cfg.timeout); err != nil {
		return err
	}
	const loaded = `window.ssebench ? ssebench.loaded : Promise.reject(new Error("/bench/bench.js did not load"))`
	_, err := evaluate[json.RawMessage](t, b.cfg.timeout, loaded)
	return err
}

// streamResult is what ssebench.throughput, .latency and .concurrent in
// web/bench/bench.js resolve with.
type streamResult struct {
	Ms       float64  `json:"ms"`
	FirstMs  float64  `json:"firstMs"`
	P50      *float64 `json:"p50"`
	P90      *float64 `json:"p90"`
	P99      *float64 `json:"p99"`
	Max      *float64 `json:"max"`
	Events   int      `json:"events"`
	Bad      int      `json:"bad"`
	Error    *string  `json:"error"`
	Protocol string   `json:"protocol"`
	Heap     struct {
		Before, During, After *float64
	} `json:"heap"`
	Wasm struct {
		Before, During, After *float64
	} `json:"wasm"`
	Memory []struct {
		Events int      `json:"events"`
		JS     *float64 `json:"js"`
		Wasm   *float64 `json:"wasm"`
	} `json:"memory"`
	// Clock is how far the page's clock was behind the server's, which
	// the page added to each latency (see clockURL).
	Clock *struct {
		OffsetMs float64 `json:"offsetMs"`
		ErrorMs  float64 `json:"errorMs"`
	} `json:"clock"`
}

// clockValues adds the clock offset of r, when the page measured one, to
// into: clock_offset and clock_error, kept in the JSON report's samples.
func clockValues(r streamResult, into map[string]float64) map[string]float64 {
	if r.Clock != nil {
		into["clock_offset"] = r.Clock.OffsetMs
		into["clock_error"] = r.Clock.ErrorMs
	}
	return into
}

// clockURL returns the clock stream that the latency pages on server
// measure their clock against (web/bench/bench.js, clockOffset), or "" in
// engines whose pages need not: Chromium's time origin agrees with the
// server's clock, and its pages are left as they were.
func (b *bencher) clockURL(server *httptest.Server) string {
	if b.browser.engine() == browser.Chromium {
		return ""
	}
	return server.URL + "/sse/bench?n=1&size=40&ts=1&gap=0"
}

// check turns what went wrong in a run into an error.
func (r streamResult) check(t tab, want int) error {
	if r.Error != nil {
		return errors.New(*r.Error)
	}
	if r.Bad > 0 {
		return fmt.Errorf("%d of %d events had data of the wrong length", r.Bad, r.Events)
	}
	if r.Events != want {
		return fmt.Errorf("%d events, want %d", r.Events, want)
	}
	if p := t.problem(); p != "" {
		return errors.New(p)
	}
	return nil
}

// call evaluates ssebench.fn(arg) in the page of t.
func call(t tab, timeout time.Duration, fn string, arg any) (streamResult, error) {
	js, err := json.Marshal(arg)
	if err != nil {
		return streamResult{}, err
	}
	return evaluate[streamResult](t, timeout, "ssebench."+fn+"("+string(js)+")")
}

func (b *bencher) throughput(t tab, w workload, im impl) (map[string]float64, error) {
	if err := b.openBench(t, b.plain, im); err != nil {
		return nil, err
	}
	r, err := call(t, b.cfg.timeout, "throughput", map[string]any{"url": b.plain.URL + w.StreamPath(), "n": w.N, "size": w.Size, "stallMs": stallMs, "iterate": w.Iterate})
	if err != nil {
		return nil, err
	}
	if err := r.check(t, w.N); err != nil {
		return nil, err
	}
	return map[string]float64{"ms": r.Ms, "first_ms": r.FirstMs}, nil
}

func (b *bencher) latency(t tab, w workload, im impl) (map[string]float64, error) {
	if err := b.openBench(t, b.plain, im); err != nil {
		return nil, err
	}
	r, err := call(t, b.cfg.timeout, "latency", map[string]any{"url": b.plain.URL + w.StreamPath(), "n": w.N, "size": w.Size, "stallMs": stallMs, "clockURL": nullable(b.clockURL(b.plain))})
	if err != nil {
		return nil, err
	}
	if err := r.check(t, w.N); err != nil {
		return nil, err
	}
	return clockValues(r, quantileValues(r, nil)), nil
}

// nullable is s, or nil (null in JSON) for "".
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func quantileValues(r streamResult, into map[string]float64) map[string]float64 {
	if into == nil {
		into = map[string]float64{}
	}
	for key, v := range map[string]*float64{"p50": r.P50, "p90": r.P90, "p99": r.P99, "max": r.Max} {
		if v != nil {
			into[key] = *v
		}
	}
	return into
}

func (b *bencher) concurrent(t tab, w workload, im impl) (map[string]float64, error) {
	if err := b.openBench(t, b.secure, im); err != nil {
		return nil, err
	}
	r, err := b.concurrentRound(t, w)
	if err != nil {
		return nil, err
	}
	v := clockValues(r, quantileValues(r, map[string]float64{"ms": r.Ms}))
	for key, p := range map[string]*float64{
		"heap_before": r.Heap.Before, "heap_during": r.Heap.During, "heap_after": r.Heap.After,
		"wasm_before": r.Wasm.Before, "wasm_during": r.Wasm.During, "wasm_after": r.Wasm.After,
	} {
		if p != nil {
			v[key] = *p
		}
	}
	return v, nil
}

// concurrentRound opens the w.Streams streams of w at once in the page of
// t, which came over HTTP/2, and waits for all their events.
func (b *bencher) concurrentRound(t tab, w workload) (streamResult, error) {
	// Each stream has a URL of its own, so that no cache lock holds one
	// request behind another for the same URL.
	urls := make([]string, w.Streams)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s%s&stream=%d", b.secure.URL, w.StreamPath(), i)
	}
	r, err := call(t, b.cfg.timeout, "concurrent", map[string]any{"urls": urls, "n": w.N, "size": w.Size, "stallMs": stallMs, "clockURL": nullable(b.clockURL(b.secure))})
	if err != nil {
		return r, err
	}
	if err := r.check(t, w.N*w.Streams); err != nil {
		return r, err
	}
	if r.Protocol != "h2" {
		return r, fmt.Errorf("the page came over %q, not h2", r.Protocol)
	}
	return r, nil
}

// soak streams w.N events in one page, samples its memory after each tenth
// of them, and reports the peaks over the first and the second half: the
// JS heap after a gc goes up and down with what is in flight, so single
// samples say little (the targets compare the peaks; see targets).
func (b *bencher) soak(t tab, w workload, im impl) (map[string]float64, error) {
	if err := b.openBench(t, b.plain, im); err != nil {
		return nil, err
	}
	var marks []int
	for i := 1; i <= 10; i++ {
		marks = append(marks, w.N*i/10)
	}
	r, err := call(t, b.cfg.timeout, "throughput", map[string]any{"url": b.plain.URL + w.StreamPath(), "n": w.N, "size": w.Size, "stallMs": stallMs, "marks": marks})
	if err != nil {
		return nil, err
	}
	if err := r.check(t, w.N); err != nil {
		return nil, err
	}
	if len(r.Memory) != len(marks) {
		return nil, fmt.Errorf("%d memory samples, want %d", len(r.Memory), len(marks))
	}
	var p peaks
	for i, m := range r.Memory {
		p.add(i < len(marks)/2, m.JS, m.Wasm)
	}
	return p.values(), nil
}

// rounds runs the concurrent workload w.Rounds times in one page, samples
// its memory after each round, with every stream closed, and reports the
// peaks over the earlier and the later half of the rounds.
func (b *bencher) rounds(t tab, w workload, im impl) (map[string]float64, error) {
	if err := b.openBench(t, b.secure, im); err != nil {
		return nil, err
	}
	var p peaks
	for i := range w.Rounds {
		r, err := b.concurrentRound(t, w)
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", i+1, err)
		}
		p.add(i < w.Rounds/2, r.Heap.After, r.Wasm.After)
	}
	return p.values(), nil
}

// peaks keeps the largest samples of the JS heap and of WASM memory in the
// early and in the late half of a run.
type peaks struct {
	heap, wasm [2]*float64 // early, late
}

func (p *peaks) add(early bool, heap, wasm *float64) {
	half := 1
	if early {
		half = 0
	}
	keepMax(&p.heap[half], heap)
	keepMax(&p.wasm[half], wasm)
}

func keepMax(peak **float64, v *float64) {
	if v != nil && (*peak == nil || *v > **peak) {
		*peak = v
	}
}

// values returns heap_early, heap_late, wasm_early and wasm_late, as far as
// there were samples of them.
func (p *peaks) values() map[string]float64 {
	v := map[string]float64{}
	for i, when := range []string{"early", "late"} {
		if p.heap[i] != nil {
			v["heap_"+when] = *p.heap[i]
		}
		if p.wasm[i] != nil {
			v["wasm_"+when] = *p.wasm[i]
		}
	}
	return v
}

// pageLoad is what ssebench.pageLoad in web/bench/bench.js resolves with.
type pageLoad struct {
	FirstEventMs *float64 `json:"firstEventMs"`
	ReadyMs      *float64 `json:"readyMs"`
	ReadyAtMs    *float64 `json:"readyAtMs"`
	Error        *string  `json:"error"`
}

// figure returns the figure of p that names: "first", the first event
// from the start of the navigation; "ready", ready from the loader's
// start; "ready_at", ready from the start of the navigation. It is an
// error for the page to have reported none.
func (p pageLoad) figure(name string) (float64, error) {
	var v *float64
	what := name
	switch name {
	case "first":
		v, what = p.FirstEventMs, "first event"
	case "ready":
		v, what = p.ReadyMs, "ready time"
	case "ready_at":
		v, what = p.ReadyAtMs, "ready time since the navigation's start"
	}
	if v == nil {
		return 0, fmt.Errorf("the page reported no %s", what)
	}
	return *v, nil
}

// pageLoads loads the bench page of im three times, with the page opening
// stream at once (with stream "", it only waits for the implementation):
// once cold, then twice warm in t, measuring the second. With a stream, it
// returns the time of the first event from the start of the navigation;
// without, the time from the loader's start to WasmEventSource.ready.
//
// Cold is a load in a tab of a new browser context, as on a first visit:
// its HTTP cache and code caches are empty, and its renderer process is new,
// so V8 has no compiled module in memory either. (Disabling the cache of t
// with Network.setCacheDisabled would be neither: the renderer keeps the
// module that earlier workloads compiled, and the Network domain, which that
// command needs, makes the browser report every chunk of every response to
// DevTools, which here made the 3 MB module's download take 1.5 to 2 times
// as long.) In Firefox and WebKit, cold is a load in a tab of
// browser.FreshContext: a new user context in Firefox, a new MiniBrowser in
// private browsing in WebKit (browser.FreshContextMeans, which the report
// quotes). Warm is a load right after another load of the same page, with
// the HTTP cache (which revalidates, since the server says no-cache) and
// the code caches as a returning visitor finds them.
func (b *bencher) pageLoads(t tab, im impl, stream string) (map[string]float64, error) {
	query := "&first=" + url.QueryEscape(stream)
	key := "firstEventMs"
	pick := func(p pageLoad) *float64 { return p.FirstEventMs }
	if stream == "" {
		key = "readyMs"
		pick = func(p pageLoad) *float64 { return p.ReadyMs }
	}
	load := func(t tab) (float64, error) {
		if err := t.navigate(b.pageURL(b.plain, im, query), b.cfg.timeout); err != nil {
			return 0, err
		}
		p, err := evaluate[pageLoad](t, b.cfg.timeout, `window.ssebench ? ssebench.pageLoad : Promise.reject(new Error("/bench/bench.js did not load"))`)
		if err != nil {
			return 0, err
		}
		if p.Error != nil {
			return 0, errors.New(*p.Error)
		}
		if v := pick(p); v != nil {
			return *v, nil
		}
		return 0, fmt.Errorf("the page reported no %s", key)
	}

	fresh, err := b.browser.newTab(im.Name+" (cold)", true)
	if err != nil {
		return nil, fmt.Errorf("cold: %w", err)
	}
	coldMs, err := load(fresh)
	if err == nil {
		if p := fresh.problem(); p != "" {
			err = errors.New(p)
		}
	}
	fresh.close()
	if err != nil {
		return nil, fmt.Errorf("cold: %w", err)
	}
	if _, err := load(t); err != nil {
		return nil, fmt.Errorf("warm, first load: %w", err)
	}
	warmMs, err := load(t)
	if err != nil {
		return nil, fmt.Errorf("warm: %w", err)
	}
	if p := t.problem(); p != "" {
		return nil, errors.New(p)
	}
	return map[string]float64{"cold": coldMs, "warm": warmMs}, nil
}

// returnDwell is how long the first visit's page of the returning workload
// stays open before the visitor leaves. Chromium writes a module's
// compiled code to its cache about two seconds after the module's first
// function was optimized (in this project's traces, 2.0 to 2.5 s after
// instantiation: V8 waits that long for more functions to be optimized);
// a visitor who leaves sooner finds nothing cached on return.
const returnDwell = 4 * time.Second

// returnAway is how long the visitor is away: the first visit's tab shows
// about:blank for that long before the return visit loads the page.
const returnAway = time.Second

// returnVisits is how many times the visitor of the returning workload
// comes back. Twice, since Chromium kept the compiled code of a module
// that was revalidated (a 304) for the first return only, and compiled it
// again on each return after that.
const returnVisits = 2

// revalidatePage is the bench page of wasm whose loader asks for the
// module's plain URL (data-wasm), which the reference server serves with
// no-cache and an ETag, where the default URL names the module's version
// and is served as immutable. benchHandler serves it.
const revalidatePage = "/bench/wasm-revalidate.html?impl=wasm"

// returning measures a returning visitor of im's bench page, which opens
// stream at once: a first visit in a new browser context, whose page stays
// open returnDwell and then leaves for about:blank; returnAway later, the
// page loads again in a new tab of the same context (in Chromium; the
// engines behind e2e/internal/browser have no second tab in a fresh
// context, and load it again in the same tab), with the HTTP cache and the
// code caches as the first visit left them. For wasm it does so twice:
// with the loader's default, versioned module URL, and with the module's
// plain URL, revalidated on return (revalidatePage).
//
// The Go floor's page opens no stream, and its load ends at ready: its
// figures are the floor under wasm's ready, and its ready since the
// navigation's start the floor under wasm's first event, for a returning
// visitor whose module is served as wasm's is (by its version, as
// immutable; see benchHandler).
func (b *bencher) returning(im impl, stream string) (map[string]float64, error) {
	if im.Name == goFloor {
		stream = ""
	}
	// figures are the figures of each return that the page gives (see
	// pageLoad.figure).
	var figures []string
	if stream != "" {
		figures = append(figures, "first")
	}
	readies := im.Name == "wasm" || im.Name == goFloor
	if readies {
		figures = append(figures, "ready", "ready_at")
	}
	query := "&first=" + url.QueryEscape(stream)
	load := func(t tab, page string) (pageLoad, error) {
		b.loads++
		u := fmt.Sprintf("%s%s&load=%d%s", b.plain.URL, page, b.loads, query)
		if b.isolate {
			u += "&" + isolateQuery
		}
		if err := t.navigate(u, b.cfg.timeout); err != nil {
			return pageLoad{}, err
		}
		p, err := evaluate[pageLoad](t, b.cfg.timeout, `window.ssebench ? ssebench.pageLoad : Promise.reject(new Error("/bench/bench.js did not load"))`)
		if err == nil && p.Error != nil {
			err = errors.New(*p.Error)
		}
		if err == nil {
			for _, f := range figures {
				if _, err = p.figure(f); err != nil {
					break
				}
			}
		}
		if err == nil {
			err = problemOf(t)
		}
		return p, err
	}
	// visit loads page as a first visit, then returnVisits times again,
	// and returns the loads in order.
	visit := func(page string) ([]pageLoad, error) {
		t, err := b.browser.newTab(im.Name+" (first visit)", true)
		if err != nil {
			return nil, err
		}
		defer t.close()
		var loads []pageLoad
		at := t
		for i := 0; i <= returnVisits; i++ {
			if i > 0 {
				next, err := t.sibling(fmt.Sprintf("%s (return %d)", im.Name, i))
				if err != nil {
					return nil, err
				}
				if next != t {
					defer next.close() // before t, whose context it lives in
				}
				at = next
			}
			p, err := load(at, page)
			if err != nil {
				if i == 0 {
					return nil, fmt.Errorf("first visit: %w", err)
				}
				return nil, fmt.Errorf("return visit %d: %w", i, err)
			}
			loads = append(loads, p)
			if i == returnVisits {
				break
			}
			time.Sleep(returnDwell)
			if err := at.navigate("about:blank", b.cfg.timeout); err != nil {
				return nil, err
			}
			time.Sleep(returnAway)
		}
		return loads, nil
	}
	// record puts the figures of the return visits of loads into v,
	// under the figure's name with suffix after it (and "_again" for the
	// second return). load checked that the page gave them all.
	record := func(v map[string]float64, loads []pageLoad, suffix string, figures ...string) {
		for i, p := range loads[1:] {
			key := suffix
			if i > 0 {
				key += "_again"
			}
			for _, f := range figures {
				v[f+key], _ = p.figure(f)
			}
		}
	}

	loads, err := visit(im.Page())
	if err != nil {
		return nil, err
	}
	v := map[string]float64{}
	if stream != "" {
		v["first_visit"], _ = loads[0].figure("first")
	}
	if readies {
		v["ready_first_visit"], _ = loads[0].figure("ready")
	}
	record(v, loads, "", figures...)
	if im.Name != "wasm" {
		return v, nil
	}
	// The revalidated module's loader asks for the same module, so
	// ready since the navigation's start tells nothing that ready does
	// not.
	if loads, err = visit(revalidatePage); err != nil {
		return nil, fmt.Errorf("module revalidated: %w", err)
	}
	record(v, loads, "_revalidate", "first", "ready")
	return v, nil
}

// problemOf returns the first problem of t's pages as an error, or nil.
func problemOf(t tab) error {
	if p := t.problem(); p != "" {
		return errors.New(p)
	}
	return nil
}

// serveCompressed serves the copy of a bundle that compressLikeModule
// wrote, brotli or gzip, when the request accepts its encoding, as the
// reference server serves the module's, and reports whether it did.
func serveCompressed(w http.ResponseWriter, r *http.Request, bundles string) bool {
	name := strings.TrimPrefix(r.URL.Path, "/bench/bundles/")
	if name == "" || strings.Contains(name, "/") || strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
		return false
	}
	orig, err := os.Stat(filepath.Join(bundles, name))
	if err != nil {
		return false
	}
	accept := r.Header.Get("Accept-Encoding")
	for _, c := range []struct{ encoding, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !strings.Contains(accept, c.encoding) {
			continue
		}
		f, err := os.Open(filepath.Join(bundles, name+c.suffix))
		if err != nil {
			continue
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return false
		}
		if info.ModTime().Before(orig.ModTime()) {
			// A copy older than the bundle is of an earlier build, and
			// may be served as immutable under the new one's version:
			// never serve it.
			continue
		}
		if ct := mime.TypeByExtension(filepath.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Content-Encoding", c.encoding)
		http.ServeContent(w, r, name, info.ModTime(), f)
		return true
	}
	return false
}

// benchHandler serves the reference server, with the bundles of the peers
// and of the Go floor at /bench/bundles/. Like the static files of the
// reference server, a bundle must be revalidated before each use, unless
// the request names its version (v=VERSION, see fileVersion): then it is
// immutable, as the polyfill's module is at the URL its loader asks for,
// so that the Go floor's module reaches a returning visitor as the
// polyfill's does.
func benchHandler(root, bundles string, logf func(string, ...any)) http.Handler {
	mux := http.NewServeMux()
	files := http.StripPrefix("/bench/bundles/", http.FileServer(http.Dir(bundles)))
	var versions refserver.VersionCache
	mux.Handle("/bench/bundles/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cacheControl := "no-cache"
		name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, "/bench/bundles/")), "/")
		if v := r.URL.Query().Get("v"); v != "" {
			// The bundles are opened as a root on each request, as the
			// reference server opens its directories.
			if dir, err := os.OpenRoot(bundles); err == nil {
				if v == versions.Of(dir, name) {
					cacheControl = immutable
				}
				dir.Close()
			}
		}
		w.Header().Set("Cache-Control", cacheControl)
		w.Header().Add("Vary", "Accept-Encoding")
		if serveCompressed(w, r, bundles) {
			return
		}
		files.ServeHTTP(w, r)
	}))
	mux.Handle("/", refserver.New(refserver.Options{Root: root, Logf: logf}))
	mux.HandleFunc("GET "+strings.Split(revalidatePage, "?")[0], func(w http.ResponseWriter, r *http.Request) {
		page, err := os.ReadFile(filepath.Join(root, "web", "bench", "wasm.html"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		const loader = `<script src="/dist/eventsource-wasm.js">`
		if !bytes.Contains(page, []byte(loader)) {
			http.Error(w, "ssebench: web/bench/wasm.html has no "+loader, http.StatusInternalServerError)
			return
		}
		page = bytes.Replace(page, []byte(loader), []byte(`<script src="/dist/eventsource-wasm.js" data-wasm="/dist/eventsource-wasm.wasm">`), 1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has(strings.Split(isolateQuery, "=")[0]) {
			// HTML, "Cross-origin isolation": every resource of the
			// bench pages is same-origin, so nothing else changes.
			w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
			w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		}
		mux.ServeHTTP(w, r)
	})
}

// immutable is the Cache-Control of a bundle asked for by its version:
// the reference server's for a static file so asked for.
const immutable = "public, max-age=31536000, immutable"

// fileVersion returns the version of the content of file: the first 16 hex
// digits of its SHA-256, as the polyfill's module's version is (the
// reference server's FileVersion).
func fileVersion(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	v, err := refserver.FileVersion(f)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", file, err)
	}
	return v, nil
}

// isolateQuery, in the URL of a bench page, has the server make the page
// cross-origin isolated. Firefox and WebKit step performance.now() by 1 ms
// in other pages, and by 20 µs in those: 1 ms steps, in the page's clock
// and in its time origin, make the latency workload's receive times (about
// 0.2 ms after the server's stamp, here) land before the stamp as often as
// not. Chromium's pages are left as they were (it steps by about 0.1 ms).
const isolateQuery = "coi=1"

// isolates reports whether the bench pages are cross-origin isolated in
// engine e (see isolateQuery).
func isolates(e browser.Engine) bool { return e != browser.Chromium }

// checkPolyfill reports whether make build has put the polyfill in dist/.
func checkPolyfill(root string) error {
	for _, name := range []string{"eventsource-wasm.js", "eventsource-wasm.wasm"} {
		if !isFile(filepath.Join(root, "dist", name)) {
			return fmt.Errorf("dist/%s does not exist: run `make build` first (`make bench` does), or leave wasm out with -impl", name)
		}
	}
	return nil
}

// newMeta describes the run and the machine.
func newMeta(cfg *config) Meta {
	m := Meta{
		Date:  time.Now().UTC().Format(time.RFC3339),
		Go:    runtime.Version(),
		OS:    runtime.GOOS + "/" + runtime.GOARCH,
		Cores: runtime.NumCPU(),
		Reps:  cfg.reps,
		Quick: cfg.quick,
		Args:  os.Args[1:],
		CPU:   cpuModel(),
		// Unknown until the browser workloads measure them.
		OtherCPU:    -1,
		OtherCPUMax: -1,
	}
	if out, err := exec.Command("git", "-C", cfg.root, "describe", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// cpuModel returns the model name in /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if name, value, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}
