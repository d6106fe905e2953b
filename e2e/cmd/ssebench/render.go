package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func renderJSON(rep *Report) ([]byte, error) {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// A column of the medians table: one metric of one workload.
type column struct {
	workload, key, label string
}

var medianColumns = []column{
	{"100k", "ms", ""},
	{"20k", "ms", ""},
	{"1k", "ms", ""},
	{"latency", "p50", "latency p50"},
	{"latency", "p99", "latency p99"},
	{"ttfe", "cold", "first event, cold"},
	{"ttfe", "warm", "first event, warm"},
}

// implOrder returns the implementations that appear in rep, in the order of
// the catalogue.
func implOrder(rep *Report) []string {
	seen := map[string]bool{}
	for _, w := range rep.Workloads {
		for _, r := range w.Results {
			seen[r.Impl] = true
		}
	}
	for _, f := range rep.Sizes {
		seen[f.Impl] = true
	}
	var out []string
	for _, im := range impls {
		if seen[im.Name] {
			out = append(out, im.Name)
		}
	}
	return out
}

// cell formats the median of key for im in w, with the spread of its samples
// (half the range, relative to the median) when there are several.
func cell(w *WorkloadResult, im, key, unit string) string {
	r := w.lookup(im)
	if r == nil {
		return "–"
	}
	v, ok := r.Median[key]
	if !ok {
		switch {
		case len(r.Errors) > 0:
			return "failed"
		case w.NotMeasured[key] != "" || r.NotMeasured != "":
			return "not measured"
		}
		return "–"
	}
	s := formatValue(v, unit)
	if xs := r.Samples[key]; len(xs) > 1 && v != 0 {
		spread := (slices.Max(xs) - slices.Min(xs)) / 2 / math.Abs(v) * 100
		s += fmt.Sprintf(" ±%.0f%%", spread)
	}
	return s
}

func formatValue(v float64, unit string) string {
	if unit == "bytes" {
		return kib(int64(v))
	}
	return strings.TrimSuffix(ms(v), " ms")
}

func formatRatio(r float64) string {
	if r == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", r)
}

func renderMarkdown(rep *Report) string {
	var b strings.Builder
	m := rep.Meta
	fmt.Fprintf(&b, "# eventsource-wasm benchmark\n\n")
	fmt.Fprintf(&b, "%s · %s · %s (%d cores) · %s %s · commit %s · %d repetition(s), medians · took %s\n\n",
		m.Date, orNA(m.Browser), orNA(m.CPU), m.Cores, m.Go, m.OS, orNA(m.Commit), m.Reps, orNA(m.Duration))

	if busy := busyWarning(m); busy != "" {
		fmt.Fprintf(&b, "> **%s**\n\n", busy)
	}

	engines := rep.engineNames()
	multi := len(engines) > 1
	if len(rep.Targets) > 0 {
		b.WriteString("## Targets\n\n")
		if multi {
			b.WriteString("Judged in each engine, against that engine's native EventSource, peers and floors in the same run; the returning visitor's are targets in Chromium only, and only reported elsewhere.\n\n")
		}
		for _, t := range rep.Targets {
			where := ""
			if multi && t.Engine != "" {
				where = "[" + t.Engine + "] "
			}
			fmt.Fprintf(&b, "- **%s** %s%s — %s\n", t.Status, where, t.Goal, t.Detail)
		}
		b.WriteString("\n")
	}

	if !multi {
		renderEngine(&b, rep, "##")
		for _, e := range rep.Engines {
			b.WriteString(engineNotes(e, "- ") + "\n")
		}
	} else {
		renderAcrossEngines(&b, rep)
		for _, e := range engines {
			v := rep.view(e)
			title := e
			if len(v.Engines) == 1 && v.Engines[0].Browser != "" {
				title += ": " + v.Engines[0].Browser
			}
			fmt.Fprintf(&b, "## %s\n\n", title)
			for _, er := range v.Engines {
				b.WriteString(engineNotes(er, "- ") + "\n")
			}
			renderEngine(&b, v, "###")
		}
	}

	if len(rep.Sizes) > 0 {
		b.WriteString("## Sizes\n\n| implementation | file | raw | gzip -9 | brotli -q 11 |\n|---|---|---:|---:|---:|\n")
		for _, f := range rep.Sizes {
			br := "n/a"
			if f.Brotli >= 0 {
				br = kib(f.Brotli)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", f.Impl, f.File, kib(f.Raw), kib(f.Gzip), br)
		}
		b.WriteString("\n")
	}

	// where names the engine of w in a report of several.
	where := func(w WorkloadResult) string {
		if multi && w.Engine != "" {
			return w.Engine + ", "
		}
		return ""
	}
	var problems []string
	for _, w := range rep.Workloads {
		for _, r := range w.Results {
			for _, e := range r.Errors {
				problems = append(problems, fmt.Sprintf("%s%s, %s: %s", where(w), r.Impl, w.Name, e))
			}
		}
	}
	var pruned []string
	for _, w := range rep.Workloads {
		for _, r := range w.Results {
			if r.Pruned != "" {
				pruned = append(pruned, fmt.Sprintf("%s%s, %s: %s", where(w), r.Impl, w.Name, r.Pruned))
			}
		}
	}
	if len(pruned) > 0 {
		b.WriteString("## Peers that ran once\n\nAfter the first repetition, a peer far slower than the fastest peer in a workload is not repeated (`-prune`).\n\n")
		for _, p := range pruned {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}
	for _, e := range rep.Engines {
		if e.Error != "" {
			problems = append(problems, fmt.Sprintf("%s: the run in this engine stopped: %s", e.Engine, e.Error))
		}
	}
	for _, name := range sortedKeys(rep.Skipped) {
		problems = append(problems, fmt.Sprintf("%s: not benchmarked: %s", name, rep.Skipped[name]))
	}
	if len(problems) > 0 {
		b.WriteString("## Failures\n\n")
		for _, p := range problems {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}

	b.WriteString("## Workloads\n\n")
	listed := map[string]bool{}
	for _, name := range workloadNames() {
		for _, w := range rep.Workloads {
			if w.Name == name && !listed[name] {
				listed[name] = true
				fmt.Fprintf(&b, "- `%s`: %s\n", w.Name, w.Title)
			}
		}
	}
	if len(rep.Meta.Peers) > 0 {
		var peers []string
		for _, name := range sortedKeys(rep.Meta.Peers) {
			peers = append(peers, name+" "+rep.Meta.Peers[name])
		}
		fmt.Fprintf(&b, "\nnpm peers: %s.\n", strings.Join(peers, ", "))
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	return b.String()
}

// engineNotes says how the workloads ran in the engine of e: what a cold
// page load is there, and what its timers and memory figures are. Each
// line starts with bullet.
func engineNotes(e EngineRun, bullet string) string {
	var lines []string
	if e.ColdLoad != "" {
		lines = append(lines, fmt.Sprintf("Cold page loads in %s: %s.", e.Engine, e.ColdLoad))
	}
	if e.TimerStepMs > 0 {
		line := fmt.Sprintf("performance.now() stepped by %s ms in its bench pages", strconv.FormatFloat(e.TimerStepMs, 'g', 3, 64))
		if e.Isolated {
			line += " (served cross-origin isolated, with COOP and COEP: without, the step is 1 ms in Firefox and WebKit)"
		}
		lines = append(lines, line+".")
	}
	if e.Engine != "" && e.Engine != "chromium" {
		lines = append(lines, "Latencies (latency, concurrent): each page first measured how far its clock was behind the server's, from the quickest of ten one-event requests, and added that to every latency; the JSON report has the offset and its uncertainty (half that round trip) as clock_offset and clock_error. WASM memory is the byteLength of the module's exported memory, as in every engine.")
	}
	for i := range lines {
		lines[i] = bullet + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// renderAcrossEngines writes the headline's ratios of every engine in one
// table, each against that engine's own native EventSource, peers and
// floors.
func renderAcrossEngines(b *strings.Builder, rep *Report) {
	if len(rep.Headline) == 0 {
		return
	}
	b.WriteString("## Across engines\n\n")
	b.WriteString("Medians; each ratio is wasm ÷ the other in the same engine, so below 1.00× wasm is faster (or smaller). " +
		"The engines' own sections below have every figure.\n\n")
	b.WriteString("| measure | engine | wasm | wasm ÷ native | wasm ÷ fastest peer | wasm ÷ floor | wasm ÷ event floor |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	for _, h := range headlineMetrics {
		for _, e := range rep.engineNames() {
			found := false
			for _, r := range rep.Headline {
				if r.Engine != e || r.Workload != h.workload || r.Metric != h.key {
					continue
				}
				found = true
				peer := formatRatio(r.VsPeer)
				if r.PeerName != "" {
					peer += " (" + r.PeerName + ")"
				}
				fmt.Fprintf(b, "| %s (%s) | %s | %s | %s | %s | %s | %s |\n", r.Label, unitLabel(r.Unit), e,
					formatValue(r.Wasm, r.Unit), formatRatio(r.VsNative), peer, formatRatio(r.VsFloor), formatRatio(r.VsEventFloor))
			}
			// A measure another engine has and this one cannot give
			// gets a row that says so.
			if w := rep.view(e).workload(h.workload); !found && w != nil && w.NotMeasured[h.key] != "" {
				fmt.Fprintf(b, "| %s (%s) | %s | not measured | – | – | – | – |\n", withCounts(h.label, w), unitLabel(unitOf(w, h.key)), e)
			}
		}
	}
	b.WriteString("\n")
}

// renderEngine writes the tables of the browser workloads of rep, the
// report of one engine, under headings of level h.
func renderEngine(b *strings.Builder, rep *Report, h string) {
	if len(rep.Headline) > 0 {
		b.WriteString(h + " wasm against native, the fastest npm peer and the floors\n\n")
		b.WriteString("Medians; each ratio is wasm ÷ the other, so below 1.00× wasm is faster (or smaller). " +
			"The event floor is the floor plus one real MessageEvent dispatched per event: " +
			"the least an EventSource whose listeners get DOM events can cost.\n\n")
		b.WriteString("| measure | wasm | native | wasm ÷ native | fastest peer | wasm ÷ peer | floor | wasm ÷ floor | event floor | wasm ÷ event floor |\n")
		b.WriteString("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n")
		for _, r := range rep.Headline {
			peer := "–"
			if r.PeerName != "" {
				peer = fmt.Sprintf("%s %s", r.PeerName, formatValue(r.Peer, r.Unit))
			}
			fmt.Fprintf(b, "| %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				r.Label, unitLabel(r.Unit), formatValue(r.Wasm, r.Unit), valueOrDash(r.Native, r.Unit), formatRatio(r.VsNative),
				peer, formatRatio(r.VsPeer), valueOrDash(r.Floor, r.Unit), formatRatio(r.VsFloor),
				valueOrDash(r.EventFloor, r.Unit), formatRatio(r.VsEventFloor))
		}
		b.WriteString("\n")
	}

	order := implOrder(rep)
	var cols []column
	for _, c := range medianColumns {
		if w := rep.workload(c.workload); w != nil {
			if c.label == "" {
				c.label = withCounts("", w)
			}
			cols = append(cols, c)
		}
	}
	if len(cols) > 0 {
		b.WriteString(h + " Medians (ms, lower is better; ± is half the range of the repetitions)\n\n")
		b.WriteString("| implementation |")
		for _, c := range cols {
			fmt.Fprintf(b, " %s |", c.label)
		}
		b.WriteString("\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
		for _, im := range order {
			ran := slices.ContainsFunc(cols, func(c column) bool { return rep.workload(c.workload).lookup(im) != nil })
			if !ran {
				continue // the Go floor, say, runs in none of them
			}
			fmt.Fprintf(b, "| %s |", im)
			for _, c := range cols {
				fmt.Fprintf(b, " %s |", cell(rep.workload(c.workload), im, c.key, "ms"))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}

	if w := rep.workload("ready"); w != nil {
		b.WriteString(h + " WasmEventSource.ready, from the loader's script tag (ms)\n\n")
		b.WriteString("The Go floor is a Go program built as the module is (GOOS=js, safejs), which here only starts, from its loader's script tag to its first call to the page: what the Go runtime costs before any code of the polyfill runs.\n\n")
		b.WriteString("| implementation | cold page | warm page |\n|---|---:|---:|\n")
		for _, im := range order {
			if w.lookup(im) != nil {
				fmt.Fprintf(b, "| %s | %s | %s |\n", im, cell(w, im, "cold", "ms"), cell(w, im, "warm", "ms"))
			}
		}
		b.WriteString("\n")
	}

	if w := rep.workload("returning"); w != nil {
		fmt.Fprintf(b, "%s Returning visitor (ms)\n\n%s. Ready is from the loader's script tag, first events and ready since navigation from the start of the navigation. "+
			"wasm's page asks for the module at the classic loader's default URL, which names the module's version and which the reference server serves as immutable; "+
			"\"revalidated\" is the same page with the module's plain URL, served with no-cache and an ETag (a 304 on return). "+
			"The Go floor, a Go program built as the module is, which here only starts, asks for its module by its version too, served as immutable, and opens no stream: "+
			"its ready is what the Go runtime costs a returning visitor before any code of the polyfill runs.\n\n", h, upperFirst(w.Title))
		metricsTable(b, w, order, func(m metric) string { return m.Label })
	}

	// The workloads that sample memory get a table of every metric each.
	memoryNote := "Memory after a full GC: JS heap is `performance.memory.usedJSHeapSize` (precise), WASM memory the byteLength of the memory the module exports."
	for _, name := range []string{"concurrent", "soak", "rounds"} {
		w := rep.workload(name)
		if w == nil {
			continue
		}
		note := memoryNote
		if why := heapNotMeasured(rep, name); why != "" {
			note = "WASM memory is the byteLength of the memory the module exports; the JS heap is " + why + "."
		} else {
			memoryNote = "Memory as above."
		}
		fmt.Fprintf(b, "%s %s\n\n%s\n\n", h, w.Title, note)
		metricsTable(b, w, order, func(m metric) string { return m.Label + " (" + unitLabel(m.Unit) + ")" })
	}

	renderNotMeasured(b, rep, h)
}

// metricsTable writes a table of every metric of w, a column each headed
// by its label, and a row for each implementation of order that w ran.
func metricsTable(b *strings.Builder, w *WorkloadResult, order []string, label func(metric) string) {
	b.WriteString("| implementation |")
	for _, m := range w.Metrics {
		fmt.Fprintf(b, " %s |", label(m))
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(w.Metrics)) + "\n")
	for _, im := range order {
		if w.lookup(im) == nil {
			continue
		}
		fmt.Fprintf(b, "| %s |", im)
		for _, m := range w.Metrics {
			fmt.Fprintf(b, " %s |", cell(w, im, m.Key, m.Unit))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// renderNotMeasured lists what the engine of rep could not measure, and
// why.
func renderNotMeasured(b *strings.Builder, rep *Report, h string) {
	var lines []string
	for _, w := range rep.Workloads {
		byReason := map[string][]string{}
		var reasons []string
		for _, m := range w.Metrics {
			if why := w.NotMeasured[m.Key]; why != "" {
				if _, ok := byReason[why]; !ok {
					reasons = append(reasons, why)
				}
				byReason[why] = append(byReason[why], m.Label)
			}
		}
		for _, why := range reasons {
			lines = append(lines, fmt.Sprintf("`%s`: %s — %s", w.Name, strings.Join(byReason[why], "; "), why))
		}
		for _, r := range w.Results {
			if r.NotMeasured != "" {
				lines = append(lines, fmt.Sprintf("`%s`: %s not run — %s", w.Name, r.Impl, r.NotMeasured))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString(h + " Not measured\n\n")
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", l)
	}
	b.WriteString("\n")
}

// busyWarning says that other processes took much of the CPU during the
// run, or is "".
func busyWarning(m Meta) string {
	if m.OtherCPU < busyShare && m.OtherCPUMax < 2*busyShare {
		return ""
	}
	return fmt.Sprintf("The machine was busy: other processes took %.0f%% of its CPU during the run (up to %.0f%% during one measurement), "+
		"so these numbers are slower and noisier than on a quiet machine. The JSON report has the share for each sample (otherCPU).",
		max(m.OtherCPU, 0)*100, m.OtherCPUMax*100)
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

func valueOrDash(v float64, unit string) string {
	if v == 0 {
		return "–"
	}
	return formatValue(v, unit)
}

func unitLabel(unit string) string {
	if unit == "bytes" {
		return "size"
	}
	return unit
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// A chart is a horizontal bar chart of one metric, one bar per
// implementation, under the title of its workload (Group) when it is the
// first of the workload.
type chart struct {
	Group string
	Title string
	SVG   template.HTML
}

// barChart draws bars of values (label → value) as inline SVG, wasm's bar
// in its own colour.
func barChart(labels []string, values []float64, unit string) template.HTML {
	const (
		rowH   = 22
		labelW = 170
		barW   = 420
		valueW = 110
	)
	maxV := 0.0
	for _, v := range values {
		maxV = max(maxV, v)
	}
	height := rowH*len(labels) + 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, labelW+barW+valueW, height)
	for i, label := range labels {
		y := i*rowH + 2
		w := 0.0
		if maxV > 0 {
			w = values[i] / maxV * barW
		}
		colour := "#8aa4c8"
		if label == "wasm" {
			colour = "#d9822b"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" dominant-baseline="middle">%s</text>`,
			labelW-6, y+rowH/2, template.HTMLEscapeString(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelW, y+3, max(w, 1), rowH-6, colour)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" dominant-baseline="middle">%s</text>`,
			float64(labelW)+max(w, 1)+4, y+rowH/2, template.HTMLEscapeString(formatValue(values[i], unit)+" "+unitSuffix(unit)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func unitSuffix(unit string) string {
	if unit == "ms" {
		return "ms"
	}
	return ""
}

// charts returns a chart for each metric of each workload that has values.
func charts(rep *Report) []chart {
	order := implOrder(rep)
	var out []chart
	multi := len(rep.engineNames()) > 1
	for i := range rep.Workloads {
		w := &rep.Workloads[i]
		group := w.Title
		if multi && w.Engine != "" {
			group = w.Engine + ": " + w.Title
		}
		for _, m := range w.Metrics {
			var labels []string
			var values []float64
			for _, im := range order {
				if v, ok := w.lookup(im).median(m.Key); ok {
					labels = append(labels, im)
					values = append(values, v)
				}
			}
			if len(labels) == 0 {
				continue
			}
			out = append(out, chart{Group: group, Title: fmt.Sprintf("%s (%s)", m.Label, unitLabel(m.Unit)), SVG: barChart(labels, values, m.Unit)})
			group = ""
		}
	}
	for _, kind := range []struct{ name, unit string }{{"raw", "bytes"}, {"gzip", "bytes"}, {"brotli", "bytes"}} {
		var labels []string
		var values []float64
		for _, f := range rep.Sizes {
			v := map[string]int64{"raw": f.Raw, "gzip": f.Gzip, "brotli": f.Brotli}[kind.name]
			if v < 0 {
				continue
			}
			labels = append(labels, f.File)
			values = append(values, float64(v))
		}
		if len(labels) > 0 {
			group := ""
			if kind.name == "raw" {
				group = "Sizes of the files a page loads"
			}
			out = append(out, chart{Group: group, Title: kind.name, SVG: barChart(labels, values, kind.unit)})
		}
	}
	return out
}

var htmlPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>eventsource-wasm benchmark</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
h1, h2, h3 { font-weight: 600; }
h3 { font-size: 15px; margin: 2em 0 .3em; }
h4 { font-size: 13px; font-weight: 500; margin: .8em 0 .2em; color: #444; }
.pass { color: #1a7f37; font-weight: 600; }
.miss { color: #b42318; font-weight: 600; }
.na { color: #777; font-weight: 600; }
pre { background: #f6f8fa; padding: 1em; overflow-x: auto; font-size: 12px; }
.meta { color: #555; }
</style>
</head>
<body>
<h1>eventsource-wasm benchmark</h1>
{{with .Busy}}<p class="miss">{{.}}</p>
{{end}}<p class="meta">{{.Meta.Date}} · {{.Meta.Browser}} · {{.Meta.CPU}} ({{.Meta.Cores}} cores) · {{.Meta.Go}} · commit {{.Meta.Commit}} · {{.Meta.Reps}} repetition(s), medians · took {{.Meta.Duration}}</p>
{{if .Targets}}<h2>Targets</h2>
<ul>{{range .Targets}}<li><span class="{{if eq .Status "PASS"}}pass{{else if eq .Status "MISS"}}miss{{else}}na{{end}}">{{.Status}}</span> {{.Goal}} — {{.Detail}}</li>{{end}}</ul>{{end}}
<h2>Charts (medians; wasm in orange)</h2>
{{range .Charts}}{{if .Group}}<h3>{{.Group}}</h3>
{{end}}<h4>{{.Title}}</h4>
{{.SVG}}
{{end}}
<h2>Report</h2>
<pre>{{.Markdown}}</pre>
</body>
</html>
`))

// renderHTML renders a self-contained page: the targets, a bar chart for
// each metric, and the markdown report. It loads nothing.
func renderHTML(rep *Report) ([]byte, error) {
	var buf bytes.Buffer
	err := htmlPage.Execute(&buf, struct {
		*Report
		Charts   []chart
		Markdown string
		Busy     string
	}{rep, charts(rep), renderMarkdown(rep), busyWarning(rep.Meta)})
	return buf.Bytes(), err
}

// upperFirst returns s with its first letter in upper case.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
