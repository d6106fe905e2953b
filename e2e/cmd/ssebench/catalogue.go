package main

import (
	"fmt"
	"slices"
	"strings"
)

// An impl is an implementation under benchmark, as a page of web/bench
// loads it.
type impl struct {
	// Name is its name in flags, in reports and in the pages.
	Name string
	// Package is the npm package of a peer; "" for native, wasm and the
	// floors.
	Package string
	// Adapter is the file under web/bench/peers that adapts a peer to the
	// interface of bench.js; ssebench bundles it into
	// CACHE/bundles/NAME.js, which the server serves at /bench/bundles/.
	Adapter string
}

// Page returns the path of the bench page of im, with its query.
func (im impl) Page() string {
	switch im.Name {
	case "wasm":
		return "/bench/wasm.html?impl=wasm"
	case goFloor:
		return "/bench/gofloor.html?impl=" + goFloor
	}
	return "/bench/bench.html?impl=" + im.Name
}

// Peer reports whether im is an npm peer.
func (im impl) Peer() bool { return im.Package != "" }

// goFloor names the Go floor: a Go program built as the polyfill's module
// is (e2e/cmd/ssebench/gofloor), which starts in the ready and returning
// workloads, and decodes the stream with the least work a Go client can do
// in the EventSource API's throughput workloads (see AppliesTo).
const goFloor = "go-floor"

// impls is the catalogue of implementations, in the order of the reports.
var impls = []impl{
	{Name: "wasm"},
	{Name: "native"},
	{Name: "floor"},
	{Name: "event-floor"},
	{Name: goFloor},
	{Name: "event-source-polyfill", Package: "event-source-polyfill", Adapter: "event-source-polyfill.js"},
	{Name: "eventsource", Package: "eventsource", Adapter: "eventsource.js"},
	{Name: "eventsource-client", Package: "eventsource-client", Adapter: "eventsource-client.js"},
	{Name: "fetch-event-source", Package: "@microsoft/fetch-event-source", Adapter: "fetch-event-source.js"},
	{Name: "sse.js", Package: "sse.js", Adapter: "sse-js.js"},
}

func implNames() []string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.Name
	}
	return names
}

// A kind of workload says how it is measured.
type kind int

const (
	// throughput times N events of Size bytes from construction to the
	// last event.
	throughput kind = iota
	// latency sends N events Gap ms apart, each stamped with the server's
	// clock, and takes quantiles of the receive time minus the stamp.
	latency
	// firstEvent times the first event of a stream opened at page load,
	// from the start of the navigation, on a cold and on a warm page.
	firstEvent
	// ready times WasmEventSource.ready from the loader's start, on a
	// cold and on a warm page (wasm, and the Go floor's start).
	ready
	// returning times a visitor who comes back: a page that opens a
	// stream at once, loaded in a new browser context, left open for a
	// few seconds, then loaded again in a new tab of the same context,
	// where the later loads' ready times and first events are measured.
	// The Go floor's page opens no stream: it times its program's start.
	returning
	// concurrent opens Streams streams of N events at once over HTTP/2
	// and samples memory.
	concurrent
	// soak streams N events and samples memory after each tenth of them,
	// to compare its peaks over the first and the second half.
	soak
	// rounds runs Rounds rounds of the concurrent workload in one page,
	// samples memory after each, all streams closed, and compares its
	// peaks over the earlier and the later rounds.
	rounds
	// size measures the files of the polyfill and of the peer bundles.
	size
)

// A metric is one number that a workload measures.
type metric struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// Unit is "ms" or "bytes". Lower is better for every metric.
	Unit string `json:"unit"`
}

// A workload is one thing that ssebench measures, for each implementation
// that it applies to.
type workload struct {
	Name  string
	Title string
	Kind  kind
	// N events of Size bytes, Gap ms apart (0: as fast as the server can),
	// on each of Streams streams.
	N, Size, Gap, Streams, Rounds int
	Metrics                       []metric
	// Only lists the implementations a workload applies to; nil: all
	// but the Go floor, which opens a stream only in the EventSource
	// API's throughput workloads.
	Only []string
	// Iterate makes a throughput workload consume the stream through each
	// implementation's iterator API where it has one (the adapters'
	// iterate: WasmEventSource's and eventsource-client's for await, and
	// the floor's, which hands its events to a for await loop), and its
	// callbacks where not.
	Iterate bool
}

// AppliesTo reports whether w measures the implementation named name.
func (w workload) AppliesTo(name string) bool {
	if w.Only != nil {
		return slices.Contains(w.Only, name)
	}
	if name == goFloor {
		// The iterate workloads, which have an Only, leave it out.
		return w.Kind == throughput
	}
	return true
}

// StreamPath returns the path of the bench stream of w (server/refserver,
// GET /sse/bench).
func (w workload) StreamPath() string {
	p := fmt.Sprintf("/sse/bench?n=%d&size=%d", w.N, w.Size)
	if w.Kind == latency || w.Kind == concurrent || w.Kind == rounds {
		p += fmt.Sprintf("&ts=1&gap=%d", w.Gap)
	}
	return p
}

// Bytes returns the payload bytes of one stream of w.
func (w workload) Bytes() int { return w.N * w.Size }

var (
	throughputMetrics = []metric{
		{"ms", "time to last event", "ms"},
		{"first_ms", "time to first event", "ms"},
	}
	latencyMetrics = []metric{
		{"p50", "latency p50", "ms"},
		{"p90", "latency p90", "ms"},
		{"p99", "latency p99", "ms"},
		{"max", "latency max", "ms"},
	}
	loadMetrics = []metric{
		{"cold", "cold page", "ms"},
		{"warm", "warm page", "ms"},
	}
	// returningMetrics: the loads of a returning visitor, who comes back
	// twice (_again is the second return). First events are from the
	// start of the navigation (wasm and native; the Go floor opens no
	// stream), ready from the loader's start and ready_at from the start
	// of the navigation, to compare with native's first event (wasm and
	// the Go floor). wasm's and the Go floor's pages ask for their module
	// by its version, which the server serves as immutable; wasm's, as
	// _revalidate, also by the module's plain URL (no-cache and an ETag:
	// a 304 on return).
	returningMetrics = []metric{
		{"first_visit", "first event, first visit", "ms"},
		{"first", "first event, return", "ms"},
		{"first_again", "first event, 2nd return", "ms"},
		{"ready_first_visit", "ready, first visit", "ms"},
		{"ready", "ready, return", "ms"},
		{"ready_again", "ready, 2nd return", "ms"},
		{"ready_at", "ready since navigation, return", "ms"},
		{"ready_at_again", "ready since navigation, 2nd return", "ms"},
		{"first_revalidate", "revalidated: first event, return", "ms"},
		{"first_revalidate_again", "revalidated: first event, 2nd return", "ms"},
		{"ready_revalidate", "revalidated: ready, return", "ms"},
		{"ready_revalidate_again", "revalidated: ready, 2nd return", "ms"},
	}
	concurrentMetrics = []metric{
		{"ms", "all events", "ms"},
		{"p50", "latency p50", "ms"},
		{"p99", "latency p99", "ms"},
		{"heap_before", "JS heap before", "bytes"},
		{"heap_during", "JS heap, all open", "bytes"},
		{"heap_after", "JS heap, all closed", "bytes"},
		{"wasm_before", "WASM memory before", "bytes"},
		{"wasm_during", "WASM memory, all open", "bytes"},
	}
)

// catalogue returns the workloads in the order of the reports. quick has a
// tenth of the events, or so.
func catalogue(quick bool) []workload {
	scale := func(full, small int) int {
		if quick {
			return small
		}
		return full
	}
	tp := func(name string, n, size int) workload {
		n = scale(n, n/10)
		return workload{
			Name:    name,
			Title:   fmt.Sprintf("%s events × %s, time from construction to the last event", count(n), bytesLabel(size)),
			Kind:    throughput,
			N:       n,
			Size:    size,
			Metrics: throughputMetrics,
		}
	}
	lat := scale(2000, 200)
	streams, perStream := scale(200, 50), scale(40, 20)
	// The module's memory grows over the first rounds while the Go heap
	// finds its size (to the fourth, in runs of 16 rounds), and is flat
	// after: ten rounds put that in the earlier half, so growth in the later
	// one is a leak (a 4 KiB read buffer kept per stream is 0.8 MiB a round).
	soakEvents, roundCount := scale(1_000_000, 100_000), scale(10, 2)
	return []workload{
		tp("100k", 100_000, 100),
		tp("20k", 20_000, 1000),
		tp("1k", 1000, 64<<10),
		iterate(tp("iterate-100k", 100_000, 100)),
		iterate(tp("iterate-20k", 20_000, 1000)),
		{
			Name:    "latency",
			Title:   fmt.Sprintf("latency of %s events of 100 B, 1 ms apart: receive time minus the server's timestamp", count(lat)),
			Kind:    latency,
			N:       lat,
			Size:    100,
			Gap:     1,
			Metrics: latencyMetrics,
		},
		{
			Name:    "ttfe",
			Title:   "time to first event of a stream opened at page load, from navigation start",
			Kind:    firstEvent,
			N:       1,
			Size:    100,
			Metrics: loadMetrics,
		},
		{
			Name:    "ready",
			Title:   "time from the loader's script tag to WasmEventSource.ready (for the Go floor, to its program's first call to the page)",
			Kind:    ready,
			Metrics: loadMetrics,
			Only:    []string{"wasm", goFloor},
		},
		{
			Name: "returning",
			Title: fmt.Sprintf("a returning visitor: a page that opens a stream at once (the Go floor's only starts its program), loaded in a new browser context and left open %v, "+
				"then, %v after leaving it, loaded again in a new tab of that context (Chromium; the same tab elsewhere), twice", returnDwell, returnAway),
			Kind:    returning,
			N:       1,
			Size:    100,
			Metrics: returningMetrics,
			Only:    []string{"wasm", "native", goFloor},
		},
		{
			Name: "concurrent",
			Title: fmt.Sprintf("%d concurrent streams over HTTP/2 in one page, %d events × 100 B each, 25 ms apart",
				streams, perStream),
			Kind:    concurrent,
			N:       perStream,
			Size:    100,
			Gap:     25,
			Streams: streams,
			Metrics: concurrentMetrics,
		},
		{
			Name:  "soak",
			Title: fmt.Sprintf("memory (after a gc) at each tenth of %s events × 100 B on one stream: peaks over the first and the second half", count(soakEvents)),
			Kind:  soak,
			N:     soakEvents,
			Size:  100,
			Metrics: []metric{
				{"heap_early", "JS heap, first half", "bytes"},
				{"heap_late", "JS heap, second half", "bytes"},
				{"wasm_early", "WASM memory, first half", "bytes"},
				{"wasm_late", "WASM memory, second half", "bytes"},
			},
			Only: []string{"wasm", "native", "event-floor"},
		},
		{
			Name: "rounds",
			Title: fmt.Sprintf("memory (after a gc, all streams closed) after each of %d rounds of the concurrent workload in one page: peaks over the earlier half of the rounds and the later",
				roundCount),
			Kind:    rounds,
			N:       perStream,
			Size:    100,
			Gap:     25,
			Streams: streams,
			Rounds:  roundCount,
			Metrics: []metric{
				{"heap_early", "JS heap, earlier rounds", "bytes"},
				{"heap_late", "JS heap, later rounds", "bytes"},
				{"wasm_early", "WASM memory, earlier rounds", "bytes"},
				{"wasm_late", "WASM memory, later rounds", "bytes"},
			},
			Only: []string{"wasm", "native"},
		},
		{
			Name:    "size",
			Title:   "size of the files a page loads: raw, gzip -9, brotli -q 11",
			Kind:    size,
			Metrics: []metric{{"raw", "raw", "bytes"}, {"gzip", "gzip", "bytes"}, {"brotli", "brotli", "bytes"}},
		},
	}
}

// iterate makes w an iterate workload (workload.Iterate), of wasm, the
// floor and the npm peers.
func iterate(w workload) workload {
	w.Iterate = true
	w.Title = strings.Replace(w.Title, ", time", " through for await (wasm, eventsource-client, the floor) or the callbacks (the other peers), time", 1)
	w.Only = []string{"wasm", "floor"}
	for _, im := range impls {
		if im.Peer() {
			w.Only = append(w.Only, im.Name)
		}
	}
	return w
}

func workloadNames() []string {
	var names []string
	for _, w := range catalogue(false) {
		names = append(names, w.Name)
	}
	return names
}

// count writes n with a k for thousands when it is a round number of them.
func count(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// bytesLabel writes a size in B or KiB.
func bytesLabel(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}
