package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

// The reliability and security tests (issue #5): faults injected into
// streams (connections dropped mid-event, servers killed and restarted), a
// slow drip, a 10 MB event, a soak with the memory sampled, reconnection
// storms, panics and the exit of the Go runtime, cookies and headers across
// origins, and a page under a strict Content-Security-Policy. Each reports
// its figures in the test log (go test -v -run 'TestFault|TestSecurity').
//
//	E2E_SOAK=1   the soak streams 1,000,000 events instead of 100,000
//	             (make soak)

// faultPreload runs in every document of a fault tab before the page's own
// scripts: it keeps the Go module's WebAssembly.Memory, which the polyfill
// does not expose, as window.__faultWasmMemory.
const faultPreload = `(() => {
	const keep = (result) => {
		const instance = result && (result.instance || result);
		if (instance && instance.exports && instance.exports.mem instanceof WebAssembly.Memory) {
			window.__faultWasmMemory = instance.exports.mem;
		}
		return result;
	};
	const streaming = WebAssembly.instantiateStreaming, instantiate = WebAssembly.instantiate;
	WebAssembly.instantiateStreaming = function (...args) { return streaming.apply(this, args).then(keep); };
	WebAssembly.instantiate = function (...args) { return instantiate.apply(this, args).then(keep); };
})()`

// preloadFaults makes faultPreload run in every page of the tab, where the
// engine's driver can, and reports whether it will.
func preloadFaults(t *testing.T, ctx context.Context) bool {
	t.Helper()
	err := tabOf(t, ctx).Preload(ctx, faultPreload)
	if errors.Is(err, browser.ErrNoPreload) {
		t.Logf("%s: %v: the module memory cannot be seen", env.engine, err)
		return false
	}
	if err != nil {
		t.Fatalf("preload: %v", err)
	}
	return true
}

// faultTab opens a new tab with faultPreload, reporting the page's console
// to r, loads pageURL (a page of web/e2e/ on any server) and waits for
// recorder.loaded.
func faultTab(t *testing.T, r reporter, pageURL string) context.Context {
	t.Helper()
	if !strings.Contains(pageURL, "native.html") && env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ctx := newTabReporting(t, r)
	preloadFaults(t, ctx)
	navigateTo(t, ctx, pageURL)
	evaluate[string](t, ctx, `window.recorder ? recorder.loaded : Promise.reject(new Error("/e2e/recorder.js did not load"))`)
	return ctx
}

// faultPage opens web/e2e/<impl>.html of the reference server in a fault tab.
func faultPage(t *testing.T, impl string) context.Context {
	t.Helper()
	return faultTab(t, t, env.server.URL+"/e2e/"+pageFor(impl))
}

// A killableServer serves a handler on a fixed loopback port, and can be
// killed (every connection dropped, the port closed) and restarted on the
// same port, as a server process that crashes and comes back.
type killableServer struct {
	t       *testing.T
	handler http.Handler
	addr    string

	mu    sync.Mutex
	srv   *http.Server // nil while killed
	kills int
}

func startKillable(t *testing.T, handler http.Handler) *killableServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := &killableServer{t: t, handler: handler, addr: ln.Addr().String()}
	k.serve(ln)
	t.Cleanup(k.kill)
	return k
}

func (k *killableServer) URL() string { return "http://" + k.addr }

func (k *killableServer) serve(ln net.Listener) {
	srv := &http.Server{Handler: k.handler}
	k.srv = srv
	go srv.Serve(ln)
}

// kill closes the listener and every connection at once, mid-stream.
func (k *killableServer) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.srv != nil {
		k.srv.Close()
		k.srv = nil
		k.kills++
	}
}

// restart listens on the same port again.
func (k *killableServer) restart() {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.srv != nil {
		return
	}
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", k.addr); err == nil {
			k.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	k.t.Fatalf("restart on %s: %v", k.addr, err)
}

// faultCollector is a script that makes a source on url with the options
// init and keeps what it dispatches in window.__faultRun.
const faultCollector = `((url, init) => {
	const run = {data: [], ids: [], opens: 0, errors: 0, closed: false, reasons: {}};
	const source = new recorder.Source(url, init);
	source.onopen = () => { run.opens++; };
	source.onmessage = (e) => { run.data.push(e.data); run.ids.push(e.lastEventId); };
	source.onerror = (e) => {
		run.errors++;
		if (e.reason) run.reasons[e.reason] = (run.reasons[e.reason] || 0) + 1;
		if (source.readyState === 2) run.closed = true;
	};
	window.__faultRun = run;
	return true;
})`

type faultProgress struct {
	Events int  `json:"events"`
	Errors int  `json:"errors"`
	Opens  int  `json:"opens"`
	Closed bool `json:"closed"`
}

const faultProgressExpr = `({events: __faultRun.data.length, errors: __faultRun.errors, opens: __faultRun.opens, closed: __faultRun.closed})`

type faultRunResult struct {
	Data    []string       `json:"data"`
	IDs     []string       `json:"ids"`
	Reasons map[string]int `json:"reasons"`
}

// countLossAndDuplicates compares the data and ids a page got from
// /sse/flaky with the numbers 1 to total: it returns the numbers never
// received, those received more than once, and the first place where the
// order or content is wrong.
func countLossAndDuplicates(total int, data, ids []string) (lost, duplicated []int, wrong string) {
	seen := make(map[int]int, total)
	for i, d := range data {
		k, err := strconv.Atoi(strings.SplitN(d, " ", 2)[0])
		if err != nil || d != fmt.Sprintf("%d flaky-%d", k, k) || i >= len(ids) || ids[i] != strconv.Itoa(k) {
			if wrong == "" {
				wrong = fmt.Sprintf("event %d: data %q, lastEventId %q", i+1, d, ids[min(i, len(ids)-1)])
			}
			continue
		}
		if wrong == "" && k != i+1 {
			wrong = fmt.Sprintf("event %d is number %d", i+1, k)
		}
		seen[k]++
	}
	for k := 1; k <= total; k++ {
		switch n := seen[k]; {
		case n == 0:
			lost = append(lost, k)
		case n > 1:
			duplicated = append(duplicated, k)
		}
	}
	return lost, duplicated, wrong
}

// TestFaultsLoseAndRepeatNothing streams 500 numbered events from
// /sse/flaky, whose every response breaks off after 20 to 50 events at a
// random point (between events, right after the id line, mid-line, before
// the blank line) in a random way (the body ends, the connection closes
// mid-body, or is reset), while the server process is killed every few
// hundred milliseconds and restarted on the same port. Native EventSource
// and the polyfill must each receive every event exactly once, in order,
// with its id as lastEventId: resumption after Last-Event-ID loses and
// repeats nothing.
func TestFaultsLoseAndRepeatNothing(t *testing.T) {
	t.Parallel()
	const total = 500
	forEachImpl(t, func(t *testing.T, impl string) {
		ks := startKillable(t, refserver.New(refserver.Options{Root: env.root}))
		ctx := faultTab(t, t, ks.URL()+"/e2e/"+pageFor(impl))
		session := newSession(t)
		seed := rand.Int64N(1 << 40)
		q := url.Values{
			"total": {strconv.Itoa(total)}, "min": {"20"}, "max": {"50"}, "seed": {strconv.FormatInt(seed, 10)},
			"gap": {"3"}, "retry": {"20"}, "session": {session},
		}
		streamURL := "/sse/flaky?" + q.Encode()
		t.Logf("%s: %s", impl, streamURL)
		evaluate[bool](t, ctx, faultCollector+"("+js(streamURL)+", {})")

		// Kill the server every 150 to 400 ms while events flow, for 50
		// to 250 ms each time.
		start := time.Now()
		deadline := start.Add(60 * time.Second)
		nextKill := start.Add(time.Duration(150+rand.IntN(250)) * time.Millisecond)
		var downUntil time.Time
		var p faultProgress
		for {
			p = evaluate[faultProgress](t, ctx, faultProgressExpr)
			if p.Closed || time.Now().After(deadline) {
				break
			}
			now := time.Now()
			switch {
			case !downUntil.IsZero() && now.After(downUntil):
				ks.restart()
				downUntil = time.Time{}
				nextKill = now.Add(time.Duration(150+rand.IntN(250)) * time.Millisecond)
			case downUntil.IsZero() && now.After(nextKill) && p.Events < total:
				ks.kill()
				downUntil = now.Add(time.Duration(50+rand.IntN(200)) * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
		}
		ks.restart()
		if !p.Closed {
			t.Fatalf("%s: after %v the source had %d events and was not closed", impl, time.Since(start).Round(time.Millisecond), p.Events)
		}
		res := evaluate[faultRunResult](t, ctx, `({data: __faultRun.data, ids: __faultRun.ids, reasons: __faultRun.reasons})`)
		lost, duplicated, wrong := countLossAndDuplicates(total, res.Data, res.IDs)

		var faults []refserver.Fault
		resp, err := http.Get(ks.URL() + "/sse/flaky/faults?session=" + url.QueryEscape(session))
		if err != nil {
			t.Fatal(err)
		}
		err = jsonDecode(resp, &faults)
		if err != nil {
			t.Fatal(err)
		}
		points, kinds := map[string]int{}, map[string]int{}
		for _, f := range faults {
			points[f.Point]++
			kinds[f.Kind]++
		}
		t.Logf("%s: %d events checked in %v; %d faults injected by the server (%v; %v) and %d server kills; "+
			"%d opens, %d error events %v; lost %d, duplicated %d",
			impl, len(res.Data), time.Since(start).Round(time.Millisecond), len(faults), points, kinds, ks.kills,
			p.Opens, p.Errors, res.Reasons, len(lost), len(duplicated))
		if len(lost) > 0 || len(duplicated) > 0 || wrong != "" || len(res.Data) != total {
			t.Errorf("%s: %d events; lost %v; duplicated %v; %s", impl, len(res.Data), lost, duplicated, wrong)
		}
		// A kill often cuts a response before its planned fault: count
		// both, and want each kind.
		if len(faults) == 0 || ks.kills == 0 || len(faults)+ks.kills < total/50 {
			t.Errorf("%s: only %d faults and %d kills were injected", impl, len(faults), ks.kills)
		}
	})
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

// TestFaultSlowDrip streams one event a byte every 100 ms, its UTF-8
// sequences split across chunks: both implementations dispatch it once,
// whole, only after its last byte, and the polyfill's heartbeat timeout of
// one second does not fire, as bytes keep coming.
func TestFaultSlowDrip(t *testing.T) {
	t.Parallel()
	forEachImpl(t, func(t *testing.T, impl string) {
		ctx := faultPage(t, impl)
		session := newSession(t)
		init := "{}"
		if impl == "wasm" {
			init = "{heartbeatTimeout: 1000}"
		}
		w := watch(t, ctx, "new recorder.Source("+js(sessionURL("/sse/drip", session, "ms", "100"))+", "+init+")", untilMessages(1))
		msgs := w.of("message")
		if len(msgs) != 1 || msgs[0].Data != "drip é€😀" || msgs[0].LastEventID != "1" {
			t.Fatalf("%s: %s; want one message %q with id 1", impl, w, "drip é€😀")
		}
		if errs := w.of("error"); len(errs) > 0 {
			t.Errorf("%s: error events during a slow drip: %v", impl, errs)
		}
		// The body has 28 bytes; the blank line is the last.
		if min := 27 * 100 * 0.9; msgs[0].T < min {
			t.Errorf("%s: the event came after %.0f ms, before its last byte (%.0f ms)", impl, msgs[0].T, min)
		}
		t.Logf("%s: one event of 28 bytes dripped a byte per 100 ms, dispatched whole after %.0f ms", impl, msgs[0].T)
	})
}

// TestFaultHugeEvent sends one event of 10 MiB of data: both
// implementations deliver it intact, the length and SHA-256 of its data,
// computed in the page, equal those of the body the server sends.
func TestFaultHugeEvent(t *testing.T) {
	t.Parallel()
	const size = 10 << 20
	streamURL := "/sse/bench?n=1&size=" + strconv.Itoa(size)
	resp, err := http.Get(env.server.URL + streamURL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	data, ok := strings.CutPrefix(string(body), "data: ")
	data, ok2 := strings.CutSuffix(data, "\n\n")
	if !ok || !ok2 || len(data) != size {
		t.Fatalf("GET %s: %d bytes, not one event of %d bytes of data", streamURL, len(body), size)
	}
	sum := sha256.Sum256([]byte(data))
	want := hex.EncodeToString(sum[:])

	forEachImpl(t, func(t *testing.T, impl string) {
		ctx := faultPage(t, impl)
		type result struct {
			Length int     `json:"length"`
			SHA256 string  `json:"sha256"`
			Ms     float64 `json:"ms"`
		}
		got := evaluate[result](t, ctx, `((url) => new Promise((resolve, reject) => {
			const start = performance.now();
			const source = new recorder.Source(url);
			source.onmessage = async (e) => {
				source.close();
				const ms = performance.now() - start;
				const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(e.data)));
				resolve({length: e.data.length, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""), ms});
			};
			source.onerror = (e) => {
				if (source.readyState === 2) reject(new Error("closed: " + (e.message || "error")));
			};
			setTimeout(() => { source.close(); reject(new Error("no event in 20 s")); }, 20000);
		}))(`+js(streamURL)+`)`)
		if got.Length != size || got.SHA256 != want {
			t.Errorf("%s: data of %d characters, SHA-256 %s; want %d, %s", impl, got.Length, got.SHA256, size, want)
		}
		t.Logf("%s: one event of %d bytes intact (SHA-256 %s…) in %.0f ms", impl, size, want[:12], got.Ms)
	})
}

// A pageMemory is the memory of a page at one moment of the soak.
type pageMemory struct {
	// Events is how many events the soak had received.
	Events int `json:"n"`
	// WasmBytes is the size of the Go module's WebAssembly.Memory, which
	// only grows; 0 on a native page.
	WasmBytes int64 `json:"wasm"`
	// JSHeap is DevTools' JSHeapUsedSize metric (Performance.getMetrics),
	// after a garbage collection.
	JSHeap int64 `json:"-"`
}

func (m pageMemory) String() string {
	return fmt.Sprintf("wasm memory %.1f MiB, JS heap %.1f MiB", mib(m.WasmBytes), mib(m.JSHeap))
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// measureMemory collects garbage in the page, then reads its memory.
func measureMemory(t *testing.T, ctx context.Context) pageMemory {
	t.Helper()
	if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatalf("HeapProfiler.collectGarbage: %v", err)
	}
	m := evaluate[pageMemory](t, ctx, `({n: window.__faultSoak ? __faultSoak.n : 0,
		wasm: window.__faultWasmMemory ? __faultWasmMemory.buffer.byteLength : 0})`)
	metrics, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		t.Fatalf("Performance.getMetrics: %v", err)
	}
	for _, metric := range metrics.Metrics {
		if metric.Name == "JSHeapUsedSize" {
			m.JSHeap = int64(metric.Value)
		}
	}
	return m
}

// faultSoakScript streams url, checks each event as it comes without
// keeping it, and records the size of the module's memory every twentieth
// of total events. It resolves when the source closes (the server ends
// the stream and answers the reconnection with 204), or after timeoutMs.
const faultSoakScript = `((url, total, timeoutMs) => new Promise((resolve) => {
	const soak = {n: 0, bad: 0, firstBad: "", samples: [], ms: 0, closed: false};
	window.__faultSoak = soak;
	const every = Math.max(1, Math.floor(total / 20));
	const memory = () => window.__faultWasmMemory ? __faultWasmMemory.buffer.byteLength : 0;
	const start = performance.now();
	const source = new recorder.Source(url);
	const done = () => { soak.ms = performance.now() - start; source.close(); resolve(soak); };
	source.onmessage = (e) => {
		const want = String(soak.n + 1);
		if (e.data !== want || e.lastEventId !== want) {
			if (soak.bad++ === 0) soak.firstBad = e.data + " id " + e.lastEventId + " after " + soak.n;
		}
		if (++soak.n % every === 0) soak.samples.push({n: soak.n, wasm: memory()});
	};
	source.onerror = () => { if (source.readyState === 2) { soak.closed = true; done(); } };
	setTimeout(done, timeoutMs);
}))`

// TestFaultSoak streams 100,000 small numbered events on one connection to
// the polyfill (1,000,000 with E2E_SOAK=1, and native EventSource too),
// checking each in the page as it comes without keeping it. The page
// samples the Go module's WebAssembly.Memory as events flow; DevTools
// measures the JS heap after a garbage collection before and after. Neither
// may grow with the count.
func TestFaultSoak(t *testing.T) {
	t.Parallel()
	chromiumOnly(t, "the JS heap is measured through DevTools")
	total, impls := 100_000, []string{"wasm"}
	if os.Getenv("E2E_SOAK") == "1" {
		total, impls = 1_000_000, []string{"native", "wasm"}
	}
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			ctx := faultPage(t, impl)
			if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
				t.Fatalf("Performance.enable: %v", err)
			}
			before := measureMemory(t, ctx)
			session := newSession(t)
			timeout := time.Duration(total/1000+60) * time.Second
			run, cancel := context.WithTimeout(ctx, timeout+10*time.Second)
			defer cancel()
			type result struct {
				N        int          `json:"n"`
				Bad      int          `json:"bad"`
				FirstBad string       `json:"firstBad"`
				Samples  []pageMemory `json:"samples"`
				Ms       float64      `json:"ms"`
				Closed   bool         `json:"closed"`
			}
			res, err := chromedp.Run(run, chromedp.Evaluate[result](faultSoakScript+"("+
				js(sessionURL("/sse/soak", session, "total", strconv.Itoa(total)))+", "+strconv.Itoa(total)+", "+
				strconv.FormatInt(timeout.Milliseconds(), 10)+")", chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("the soak: %v", err)
			}
			after := measureMemory(t, ctx)
			// The module's memory once the stream is well under way, its
			// buffers warm, and at its end.
			warm, end := before, before
			if n := len(res.Samples); n > 0 {
				warm, end = res.Samples[0], res.Samples[n-1]
			}
			t.Logf("%s: %d events in %.1f s (%.0f/s); before: %s; after: %s; wasm memory at %d events %.1f MiB, at %d events %.1f MiB",
				impl, res.N, res.Ms/1000, float64(res.N)/(res.Ms/1000), before, after,
				warm.Events, mib(warm.WasmBytes), end.Events, mib(end.WasmBytes))
			if impl == "wasm" {
				var series []string
				for _, m := range res.Samples {
					series = append(series, fmt.Sprintf("%.1f", mib(m.WasmBytes)))
				}
				t.Logf("wasm: the module's memory in MiB every %d events: %s", total/20, strings.Join(series, " "))
			}
			if !res.Closed || res.N != total || res.Bad > 0 {
				t.Fatalf("%s: %d of %d events, %d wrong (first: %s), closed %v", impl, res.N, total, res.Bad, res.FirstBad, res.Closed)
			}
			if impl == "wasm" {
				if before.WasmBytes == 0 {
					t.Fatal("wasm: the module's WebAssembly.Memory was not found")
				}
				if growth := after.WasmBytes - warm.WasmBytes; growth > 16<<20 {
					t.Errorf("wasm: the module's memory grew by %.1f MiB from event %d to %d", mib(growth), warm.Events, total)
				}
			}
			if growth := after.JSHeap - before.JSHeap; growth > 16<<20 {
				t.Errorf("%s: the JS heap grew by %.1f MiB over %d events", impl, mib(growth), total)
			}
		})
	}
}

// TestFaultReconnectStorm opens eight sources at once on /sse/overload,
// whose stream ends at once with retry: 10 so that they all reconnect
// together, and answers the reconnections with 503 and a retry field. A
// status other than 200 fails the connection for good (HTML §9.2.3): both
// implementations stop at CLOSED after exactly two requests each, and the
// 503 body's event is never dispatched. Then the polyfill's
// retry.maxRetries stops a storm of network errors (/sse/refuse): exactly
// 1 + maxRetries requests per source.
func TestFaultReconnectStorm(t *testing.T) {
	t.Parallel()
	const sources = 8
	// storm opens a source on each URL at once and watches them all.
	storm := func(t *testing.T, ctx context.Context, urls []string, init string) []Watch {
		t.Helper()
		return evaluate[[]Watch](t, ctx, `Promise.all(`+js(urls)+`.map((url) =>
			recorder.watch(new recorder.Source(url, `+init+`), {timeoutMs: 10000})))`)
	}
	// sessions returns a session for each source, and its URL of path.
	sessions := func(t *testing.T, path string, kv ...string) ([]string, []string) {
		t.Helper()
		base := newSession(t)
		var ids, urls []string
		for i := range sources {
			id := base + "-" + strconv.Itoa(i)
			ids, urls = append(ids, id), append(urls, sessionURL(path, id, kv...))
		}
		return ids, urls
	}
	// settled waits until each session has want requests, all over, then
	// checks that no more come, and returns them all.
	settled := func(t *testing.T, ids []string, want int) []SessionRequest {
		t.Helper()
		var all []SessionRequest
		for _, id := range ids {
			all = append(all, waitInactive(t, id, want)...)
		}
		time.Sleep(300 * time.Millisecond)
		for _, id := range ids {
			if more := fetchSession(t, id); len(more) != want {
				t.Errorf("session %s: the server saw %d requests, want %d: the storm did not stop", id, len(more), want)
			}
		}
		return all
	}

	forEachImpl(t, func(t *testing.T, impl string) {
		ctx := faultPage(t, impl)
		ids, urls := sessions(t, "/sse/overload", "ok", "1", "retry", "10")
		watches := storm(t, ctx, urls, "{}")
		for i, w := range watches {
			errs := w.of("error")
			if w.EndedBy != "closed" || len(w.of("open")) != 1 || len(errs) != 2 ||
				errs[0].ReadyState != 0 || errs[1].ReadyState != 2 || len(w.data()) != 1 || !strings.HasPrefix(w.data()[0], "open ") {
				t.Errorf("%s: source %d: %s\nwant open, one message, an error that reconnects, then one that closes", impl, i, w)
			}
			if impl == "wasm" && len(errs) == 2 && (errs[1].Reason != "http-status" || errs[1].Status != 503) {
				t.Errorf("wasm: source %d: final error %s, want http-status 503", i, errs[1])
			}
		}
		reqs := settled(t, ids, 2)
		statuses := map[int]int{}
		for _, r := range reqs {
			statuses[r.Status]++
		}
		if statuses[200] != sources || statuses[503] != sources {
			t.Errorf("%s: statuses %v, want %d of 200 and %d of 503", impl, statuses, sources, sources)
		}
		t.Logf("%s: %d sources reconnected together and met 503 + retry: %d requests in all (statuses %v), all CLOSED", impl, sources, len(reqs), statuses)
	})

	t.Run("wasm/maxRetries", func(t *testing.T) {
		t.Parallel()
		const maxRetries = 3
		ctx := faultPage(t, "wasm")
		ids, urls := sessions(t, "/sse/refuse")
		watches := storm(t, ctx, urls, `{retry: {delay: 10, maxRetries: `+strconv.Itoa(maxRetries)+`}}`)
		for i, w := range watches {
			errs := w.of("error")
			if w.EndedBy != "closed" || len(errs) != maxRetries+1 {
				t.Errorf("source %d: %s\nwant %d errors, the last closing", i, w, maxRetries+1)
				continue
			}
			last := errs[maxRetries]
			if last.Reason != "network" || last.WillReconnect == nil || *last.WillReconnect || last.Retries != maxRetries {
				t.Errorf("source %d: final error %s, want network, willReconnect false, %d retries", i, last, maxRetries)
			}
		}
		reqs := settled(t, ids, maxRetries+1)
		t.Logf("wasm: %d sources against network errors with retry.maxRetries %d: %d requests in all, all CLOSED", sources, maxRetries, len(reqs))
	})
}

// consoleLog is a reporter that keeps the console of a page and forwards
// it to the test, except for the messages the test expects (allowed
// substrings), which do not fail it.
type consoleLog struct {
	t       *testing.T
	allowed []string
	mu      sync.Mutex
	lines   []string
}

func (c *consoleLog) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.lines = append(c.lines, msg)
	c.mu.Unlock()
	for _, a := range c.allowed {
		if strings.Contains(msg, a) {
			c.t.Logf("expected: %s", msg)
			return
		}
	}
	c.t.Errorf("%s", msg)
}

func (c *consoleLog) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.lines = append(c.lines, msg)
	c.mu.Unlock()
	c.t.Logf("%s", msg)
}

func (c *consoleLog) contains(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// faultModulePage is the harness page whose module is built with the
// faultinject tag: a source whose URL ends in #eventsource-wasm-fault=panic
// panics at its first chunk, and =exit makes the Go runtime exit.
const faultModulePage = "/e2e/wasm-faults.html"

// TestFaultGoPanicIsAnInternalError makes the module panic while it serves
// a source: the panic must be recovered and surface as an error event with
// reason "internal" that closes the source, and the module must go on
// serving other sources. The module pages load has no such hook: the same
// URL there streams as usual.
func TestFaultGoPanicIsAnInternalError(t *testing.T) {
	t.Parallel()
	ctx := faultTab(t, t, env.server.URL+faultModulePage)
	url := sessionURL("/sse/counter", newSession(t), "total", "3", "per", "3") + "#eventsource-wasm-fault=panic"
	w := watch(t, ctx, `new WasmEventSource(`+js(url)+`)`, untilClosed)
	errs := w.of("error")
	if w.EndedBy != "closed" || len(errs) != 1 || len(w.of("open")) != 1 {
		t.Fatalf("%s\nwant open, then one error that closes", w)
	}
	e := errs[0]
	if e.Reason != "internal" || e.WillReconnect == nil || *e.WillReconnect || e.ReadyState != 2 ||
		!strings.Contains(e.Message, "panic") || !strings.Contains(e.Message, "injected fault") {
		t.Errorf("error %s; want reason internal, willReconnect false, CLOSED, a message with the panic", e)
	}
	t.Logf("the panic's error event: %q", e.Message)
	w = watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/counter", newSession(t), "total", "3", "per", "3"))+`)`, untilMessages(3))
	if got := w.data(); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("after the panic, a new source got %q, want 1, 2, 3: the module must still serve", got)
	}
	plain := faultPage(t, "wasm")
	url = sessionURL("/sse/counter", newSession(t), "total", "3", "per", "3") + "#eventsource-wasm-fault=panic"
	w = watch(t, plain, `new WasmEventSource(`+js(url)+`)`, untilMessages(3))
	if got := w.data(); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("the module pages load must have no fault hook, but the fault URL got %q, want 1, 2, 3", got)
	}
}

// TestFaultGoRuntimeExit makes the Go runtime exit, as a fatal error that
// no recover catches would (the fault module's =exit hook). The shim sees
// runtime.run resolve: every live source must go CLOSED with an error
// event of reason "internal", and a source made afterwards must fail at
// once the same way, without the page seeing an uncaught exception.
func TestFaultGoRuntimeExit(t *testing.T) {
	t.Parallel()
	console := &consoleLog{t: t, allowed: []string{"injected fault: exiting"}}
	ctx := faultTab(t, console, env.server.URL+faultModulePage)
	session := newSession(t)
	type result struct {
		Live      []Watch  `json:"live"`
		Crash     Watch    `json:"crash"`
		Later     Watch    `json:"later"`
		Ready     string   `json:"ready"`
		Unhandled []string `json:"unhandled"`
	}
	res := evaluate[result](t, ctx, `(async () => {
		const unhandled = [];
		addEventListener("unhandledrejection", (e) => unhandled.push(String(e.reason && e.reason.stack || e.reason)));
		const live = [0, 1].map((i) => new WasmEventSource(`+js(sessionURL("/sse/echo", session))+` + "-" + i));
		const watches = live.map((s) => recorder.watch(s, {timeoutMs: 15000}));
		await Promise.all(live.map((s) => s.readyState === 1 ? null : new Promise((r) => s.addEventListener("open", r, {once: true}))));
		const crash = recorder.watch(new WasmEventSource(`+js(sessionURL("/sse/counter", session, "total", "3", "per", "3")+"#eventsource-wasm-fault=exit")+`), {timeoutMs: 15000});
		const [a, b, c] = await Promise.all([...watches, crash]);
		const later = await recorder.watch(new WasmEventSource(`+js(sessionURL("/sse/echo", session))+`), {timeoutMs: 5000});
		const ready = await WasmEventSource.ready.then(() => "resolved", (e) => "rejected: " + e);
		await new Promise((resolve) => setTimeout(resolve, 200));
		return {live: [a, b], crash: c, later, ready, unhandled};
	})()`)
	for i, w := range append(append([]Watch{}, res.Live...), res.Crash, res.Later) {
		errs := w.of("error")
		if w.EndedBy != "closed" || len(errs) != 1 {
			t.Errorf("source %d: %s\nwant one error that closes it", i, w)
			continue
		}
		if e := errs[0]; e.Reason != "internal" || e.ReadyState != 2 || e.WillReconnect == nil || *e.WillReconnect {
			t.Errorf("source %d: error %s, want reason internal, CLOSED", i, e)
		}
	}
	if len(res.Live) == 2 && len(res.Live[0].of("error")) == 1 {
		t.Logf("live sources: %q; a later one: %s", res.Live[0].of("error")[0].Message, res.Later)
	}
	if !console.contains("injected fault: exiting") {
		t.Errorf("the Go runtime did not report the injected exit; did it exit for another reason?")
	}
	if res.Ready != "resolved" {
		t.Errorf("WasmEventSource.ready is %s after the runtime exited, want still resolved", res.Ready)
	}
	// Aborting the live sources' requests settles the promises the module
	// was waiting on, whose callbacks are Go functions of a runtime that
	// is gone: wasm_exec.js throws "Go program has already exited" from
	// each, and the page must not see that as unhandled rejections.
	for _, u := range res.Unhandled {
		t.Errorf("unhandled rejection in the page after the Go runtime exited: %s", u)
	}
}

// A preflight is an OPTIONS request that the other origin received.
type preflight struct {
	Path, Session, Method, Headers, Origin string
}

// otherOrigin is a second reference server on another loopback port,
// another origin than the pages' (and the same site: cookies for
// 127.0.0.1 go to both), which notes every CORS preflight it answers.
type otherOriginServer struct {
	*httptest.Server
	mu         sync.Mutex
	preflights []preflight
}

func startOtherOrigin(t *testing.T) *otherOriginServer {
	t.Helper()
	o := &otherOriginServer{}
	handler := refserver.New(refserver.Options{Root: env.root})
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			o.mu.Lock()
			o.preflights = append(o.preflights, preflight{
				Path: r.URL.Path, Session: r.URL.Query().Get("session"),
				Method:  r.Header.Get("Access-Control-Request-Method"),
				Headers: r.Header.Get("Access-Control-Request-Headers"),
				Origin:  r.Header.Get("Origin"),
			})
			o.mu.Unlock()
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		o.CloseClientConnections()
		o.Close()
	})
	return o
}

// preflightsOf returns the preflights of a session.
func (o *otherOriginServer) preflightsOf(session string) []preflight {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []preflight
	for _, p := range o.preflights {
		if p.Session == session {
			out = append(out, p)
		}
	}
	return out
}

// TestSecurityCookiesCrossOrigin checks that a cookie of the page's site
// goes to another origin only when the source asks for credentials:
// withCredentials or credentials: "include"; not by default, nor with
// "same-origin" or "omit". The server sees the page's Origin.
func TestSecurityCookiesCrossOrigin(t *testing.T) {
	t.Parallel()
	type credentialsCase struct {
		init   string
		cookie bool
	}
	cases := map[string][]credentialsCase{
		"native": {{`{}`, false}, {`{withCredentials: true}`, true}},
		"wasm": {
			{`{}`, false}, {`{credentials: "same-origin"}`, false}, {`{credentials: "omit"}`, false},
			{`{withCredentials: true}`, true}, {`{credentials: "include"}`, true},
			{`{withCredentials: true, credentials: "omit"}`, false},
		},
	}
	forEachImpl(t, func(t *testing.T, impl string) {
		other := startOtherOrigin(t)
		ctx := faultPage(t, impl)
		session := newSession(t)
		cookie := "x_" + session
		evaluate[string](t, ctx, `document.cookie = `+js(cookie+"=1; path=/sse/echo"))
		t.Cleanup(func() { evaluate[string](t, ctx, `document.cookie = `+js(cookie+"=; path=/sse/echo; max-age=0")) })
		for i, c := range cases[impl] {
			streamURL := other.URL + sessionURL("/sse/echo", fmt.Sprintf("%s-%d", session, i))
			w := watch(t, ctx, `new recorder.Source(`+js(streamURL)+`, `+c.init+`)`, untilEchoed(1))
			reqs := echoed(t, w)
			if len(reqs) != 1 {
				t.Errorf("%s %s: /sse/echo described %d requests, want 1\n%s", impl, c.init, len(reqs), w)
				continue
			}
			if got := slices.Contains(reqs[0].Cookies, cookie); got != c.cookie {
				t.Errorf("%s %s: the cookie went cross-origin: %v, want %v", impl, c.init, got, c.cookie)
			}
			if got := reqs[0].Headers["Origin"]; got != env.server.URL {
				t.Errorf("%s %s: Origin %q, want %q", impl, c.init, got, env.server.URL)
			}
		}
	})
}

// TestSecurityAuthorizationNotForwardedCrossOrigin checks that request
// headers set with the polyfill's headers option do not leak through a
// redirect to another origin: fetch removes Authorization when a redirect
// crosses origins (Fetch, "HTTP-redirect fetch"); a same-origin redirect
// keeps it. The first hop got it either way.
func TestSecurityAuthorizationNotForwardedCrossOrigin(t *testing.T) {
	t.Parallel()
	other := startOtherOrigin(t)
	ctx := faultPage(t, "wasm")
	session := newSession(t)
	const headers = `{headers: {Authorization: "Bearer secret-token", "X-Custom": "custom value"}}`
	for _, tc := range []struct {
		name, to      string
		status        string
		authorization bool
	}{
		{"cross-origin 307", other.URL, "307", false},
		{"cross-origin 302", other.URL, "302", false},
		{"cross-origin 308", other.URL, "308", false},
		{"same-origin 307", env.server.URL, "307", true},
	} {
		hop := session + "-" + strings.ReplaceAll(tc.name, " ", "-")
		target := tc.to + sessionURL("/sse/echo", hop+"-target")
		first := sessionURL("/sse/redirect", hop, "to", target, "status", tc.status)
		w := watch(t, ctx, `new WasmEventSource(`+js(first)+`, `+headers+`)`, untilEchoed(1))
		reqs := echoed(t, w)
		if len(reqs) != 1 {
			t.Errorf("%s: /sse/echo described %d requests, want 1\n%s", tc.name, len(reqs), w)
			continue
		}
		h := reqs[0].Headers
		if _, got := h["Authorization"]; got != tc.authorization {
			t.Errorf("%s: Authorization reached the target: %v (%q), want %v", tc.name, got, h["Authorization"], tc.authorization)
		}
		if h["X-Custom"] != "custom value" {
			t.Errorf("%s: X-Custom %q at the target, want it kept (only Authorization is removed)", tc.name, h["X-Custom"])
		}
		if hops := fetchSession(t, hop); len(hops) != 1 || hops[0].Header["Authorization"] != "Bearer secret-token" {
			t.Errorf("%s: the redirect saw %+v, want one request with the Authorization header", tc.name, hops)
		}
		t.Logf("%s: target headers Authorization=%q X-Custom=%q Origin=%q", tc.name, h["Authorization"], h["X-Custom"], h["Origin"])
	}
}

// TestSecurityPreflight checks the CORS preflight of a cross-origin
// polyfill request (README, "Cross-origin requests"): custom headers and
// Last-Event-ID are not CORS-safelisted for fetch, so the browser first
// sends OPTIONS, which the reference server answers, and the stream then
// works. The first request with no custom header needs none. Native
// EventSource is logged for comparison: Chromium sends its Last-Event-ID
// cross-origin without a preflight.
func TestSecurityPreflight(t *testing.T) {
	t.Parallel()
	forEachImpl(t, func(t *testing.T, impl string) {
		other := startOtherOrigin(t)
		ctx := faultPage(t, impl)
		session := newSession(t)
		// Reconnections carry Last-Event-ID.
		counter := session + "-counter"
		w := watch(t, ctx, `new recorder.Source(`+js(other.URL+sessionURL("/sse/counter", counter, "total", "2", "per", "1", "retry", "10"))+`)`, untilClosed)
		if got := w.data(); !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("%s: cross-origin counter: %q, want 1, 2\n%s", impl, got, w)
		}
		pf := other.preflightsOf(counter)
		t.Logf("%s: preflights for a cross-origin stream that reconnects with Last-Event-ID: %+v", impl, pf)
		if impl == "wasm" {
			if len(pf) == 0 || !strings.Contains(pf[0].Headers, "last-event-id") || pf[0].Method != "GET" || pf[0].Origin != env.server.URL {
				t.Errorf("wasm: preflights %+v, want one for GET with last-event-id from %s", pf, env.server.URL)
			}
			// Custom headers: one preflight names them, then the
			// request carries them.
			echo := session + "-echo"
			w := watch(t, ctx, `new WasmEventSource(`+js(other.URL+sessionURL("/sse/echo", echo))+`,
				{headers: {Authorization: "Bearer cross", "X-Custom": "1"}})`, untilEchoed(1))
			reqs := echoed(t, w)
			if len(reqs) != 1 || reqs[0].Headers["Authorization"] != "Bearer cross" || reqs[0].Headers["X-Custom"] != "1" {
				t.Errorf("wasm: cross-origin request with custom headers: %s", w)
			}
			pf := other.preflightsOf(echo)
			if len(pf) != 1 || !strings.Contains(pf[0].Headers, "authorization") || !strings.Contains(pf[0].Headers, "x-custom") {
				t.Errorf("wasm: preflights %+v, want one naming authorization and x-custom", pf)
			}
			t.Logf("wasm: preflight for custom headers: %+v", pf)
		}
	})
}

// TestSecurityStrictCSP loads the trace harness under a strict policy,
// script-src 'self' 'wasm-unsafe-eval' with no eval and no inline script:
// the polyfill loads and streams, and the page reports no violation.
// Under script-src 'self' alone, WebAssembly cannot compile: the page gets
// a violation, WasmEventSource.ready rejects, and a source fails with
// reason "internal" instead of hanging.
func TestSecurityStrictCSP(t *testing.T) {
	t.Parallel()
	// open returns the tab, with the page loaded. trace.js records the
	// page's policy violations (sseTrace.violations) from before the
	// polyfill loads, in every engine.
	open := func(t *testing.T, console *consoleLog, policy string) context.Context {
		t.Helper()
		ctx := newTabReporting(t, console)
		pageURL := env.server.URL + "/csp/" + policy + "/harness.html?impl=wasm"
		resp, err := http.Get(pageURL)
		if err != nil {
			t.Fatalf("GET %s: %v", pageURL, err)
		}
		resp.Body.Close()
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s came without a Content-Security-Policy header: %v", pageURL, resp.Header)
		}
		navigateTo(t, ctx, pageURL)
		evaluate[any](t, ctx, `sseTrace.loaded`)
		return ctx
	}
	type violation struct {
		Directive, Blocked, Source, Sample string
	}

	t.Run("strict", func(t *testing.T) {
		t.Parallel()
		console := &consoleLog{t: t}
		ctx := open(t, console, "strict")
		session := newSession(t)
		tr := evaluate[Trace](t, ctx, `sseTrace.run({impl: "wasm", url: `+js(scenarioURL("simple", session))+`, events: [], closeAfter: 3, maxErrors: 10, timeoutMs: 10000})`)
		var got []string
		for _, e := range tr.Entries {
			if e.Type == "message" && e.Data != nil {
				got = append(got, *e.Data)
			}
		}
		if !slices.Equal(got, []string{"one", "two", "three"}) || tr.PolyfillReady != "resolved" {
			t.Errorf("under the strict policy: events %q, ready %s; want one, two, three, resolved", got, tr.PolyfillReady)
		}
		if v := evaluate[[]violation](t, ctx, `sseTrace.violations`); len(v) > 0 {
			t.Errorf("Content-Security-Policy violations: %+v", v)
		}
		if console.contains("Content Security Policy") || console.contains("Refused to") {
			t.Errorf("the console reports a Content-Security-Policy refusal")
		}
	})

	t.Run("no-wasm", func(t *testing.T) {
		t.Parallel()
		console := &consoleLog{t: t, allowed: []string{"could not compile"}}
		ctx := open(t, console, "no-wasm")
		type result struct {
			Ready string `json:"ready"`
			Watch Watch  `json:"watch"`
		}
		res := evaluate[result](t, ctx, `(async () => {
			const ready = await WasmEventSource.ready.then(() => "resolved", (e) => "rejected: " + e.message);
			const watch = await new Promise((resolve) => {
				const source = new WasmEventSource("/sse/echo");
				source.onerror = (e) => resolve({log: [{type: "error", reason: e.reason, message: e.message,
					willReconnect: e.willReconnect, readyState: source.readyState}], endedBy: "closed", readyState: source.readyState});
				setTimeout(() => resolve({log: [], endedBy: "timeout", readyState: source.readyState}), 5000);
			});
			return {ready, watch};
		})()`)
		if !strings.HasPrefix(res.Ready, "rejected: ") || !strings.Contains(res.Ready, "could not compile") {
			t.Errorf("WasmEventSource.ready: %s, want rejected as the module could not compile", res.Ready)
		}
		if errs := res.Watch.of("error"); len(errs) != 1 || errs[0].Reason != "internal" || errs[0].ReadyState != 2 {
			t.Errorf("a source under a policy without wasm-unsafe-eval: %s; want an internal error that closes it", res.Watch)
		}
		v := evaluate[[]violation](t, ctx, `sseTrace.violations`)
		switch {
		case len(v) > 0:
		case env.engine == browser.WebKit:
			// WebKitGTK 2.50 refuses the compilation (its CompileError
			// says so) but fires no securitypolicyviolation event for it.
			t.Logf("%s reports no violation event for the blocked WebAssembly compilation", env.engine)
		default:
			t.Error("no violation reported for the blocked WebAssembly compilation")
		}
		t.Logf("no-wasm: ready %s; violations %+v", res.Ready, v)
	})
}
