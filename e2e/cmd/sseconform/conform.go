package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// A Report is the result of a run over the catalogue, as sseconform.json
// holds it.
type Report struct {
	Browser  string    `json:"browser"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	// GoldenDir is where the golden traces came from, or "".
	GoldenDir string `json:"goldenDir,omitempty"`
	Impls     []impl `json:"impls"`
	// Passed, Known and Failed count the scenarios of each
	// implementation, by name, compared in full: a known difference
	// fails nothing.
	Passed map[string]int `json:"passed"`
	Known  map[string]int `json:"known"`
	Failed map[string]int `json:"failed"`
	// Levels counts the verdicts of each implementation at each level:
	// Levels[impl][level][verdict].
	Levels    map[string]map[string]map[string]int `json:"levels"`
	Scenarios []ScenarioResult                     `json:"scenarios"`
}

// A ScenarioResult is one row of the matrix.
type ScenarioResult struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Expect      expectation `json:"expect"`
	// SpecDisagreement is set when native Chromium dispatches other
	// events than the standard asks for, or ends otherwise: a diff of
	// the spec view (left) and native (right).
	SpecDisagreement []row `json:"specDisagreement,omitempty"`
	// Cells are in the order of Report.Impls.
	Cells []Cell `json:"cells"`
}

// The verdicts of a cell at a level.
const (
	verdictPass  = "pass"
	verdictKnown = "known" // equal to the polyfill trace of a known difference
	verdictFail  = "fail"
)

// A Cell is the result of one scenario with one implementation, at two
// levels: Behaviour, with object fidelity set aside (the events a page
// gets), and Fidelity, in full.
type Cell struct {
	Impl string `json:"impl"`
	// Pass is false when the cell failed in full; a known difference
	// passes.
	Pass      bool   `json:"pass"`
	Behaviour string `json:"behaviour"` // a verdict
	Fidelity  string `json:"fidelity"`  // a verdict
	// Known is the difference that explains the trace, when a level's
	// verdict is known.
	Known *known.Difference `json:"known,omitempty"`
	// Problems say why the behaviour failed, one line each, and
	// FidelityProblems why the objects differ from native ones.
	Problems         []string `json:"problems,omitempty"`
	FidelityProblems []string `json:"fidelityProblems,omitempty"`
	// Notes are worth knowing but fail nothing.
	Notes   []string `json:"notes,omitempty"`
	EndedBy string   `json:"endedBy,omitempty"`
	// Trace is the trace as recorded, kept in the report only when the
	// cell failed; Entries counts its entries. Diff compares the
	// expected trace (left) with it, with object fidelity set aside when
	// the behaviour differs, in full when only the fidelity does.
	Trace     []Entry `json:"trace,omitempty"`
	Entries   int     `json:"entries"`
	DiffLevel string  `json:"diffLevel,omitempty"`
	Diff      []row   `json:"diff,omitempty"`
	Seconds   float64 `json:"seconds"`
}

// conform runs the scenarios that cfg selects with each implementation and
// writes the reports.
func conform(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	var scenarios []scenario.Scenario
	for _, sc := range scenario.Catalogue() {
		if cfg.run.MatchString(sc.Name) {
			scenarios = append(scenarios, sc)
		}
	}
	if len(scenarios) == 0 {
		return fmt.Errorf("-run %q matches no scenario", cfg.run)
	}
	rep := &Report{
		Started:   time.Now(),
		GoldenDir: cfg.goldenDir,
		Impls:     cfg.impls,
		Passed:    map[string]int{},
		Known:     map[string]int{},
		Failed:    map[string]int{},
		Levels:    map[string]map[string]map[string]int{},
		Scenarios: make([]ScenarioResult, len(scenarios)),
	}
	for i, sc := range scenarios {
		x, err := expect(sc, cfg.goldenDir)
		if err != nil {
			return err
		}
		rep.Scenarios[i] = ScenarioResult{Name: sc.Name, Description: sc.Description, Expect: x, Cells: make([]Cell, len(cfg.impls))}
	}

	srv, err := startLocal(cfg.impls, cfg.distDir)
	if err != nil {
		return err
	}
	defer srv.close()
	browser, stopBrowser, err := cfg.engine.start(ctx, stderr, cfg.verbose)
	if err != nil {
		return err
	}
	defer stopBrowser()
	rep.Browser = browser.version
	if err := checkImpls(ctx, browser, srv, cfg.impls); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sseconform: %d scenarios × %s in %s\n", len(scenarios), implNames(cfg.impls), browser.version)

	// The cells go to the workers scenario by scenario. A scenario is
	// done when its last cell is; the progress lines come in the order
	// of the catalogue, each as soon as its scenario and all before it
	// are done.
	type job struct{ s, i int }
	jobs := make(chan job)
	var (
		mu      sync.Mutex
		pending = make([]int, len(scenarios))
		printed = 0
	)
	for s := range pending {
		pending[s] = len(cfg.impls)
	}
	var wg sync.WaitGroup
	for range cfg.parallel {
		wg.Go(func() {
			for j := range jobs {
				res := &rep.Scenarios[j.s]
				cell := runCell(ctx, browser, srv, cfg, j.i, scenarios[j.s], res.Expect)
				mu.Lock()
				res.Cells[j.i] = cell
				pending[j.s]--
				if pending[j.s] == 0 {
					finishScenario(res, cfg.impls, scenarios[j.s])
				}
				for printed < len(scenarios) && pending[printed] == 0 {
					r := &rep.Scenarios[printed]
					printed++
					fmt.Fprintf(stderr, "[%d/%d] %s: %s\n", printed, len(scenarios), r.Name, cellSummary(r.Cells))
				}
				mu.Unlock()
			}
		})
	}
feed:
	for s := range scenarios {
		for i := range cfg.impls {
			select {
			case jobs <- job{s, i}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.Duration = time.Since(rep.Started).Round(time.Millisecond).String()

	for _, im := range cfg.impls {
		rep.Levels[im.Name] = map[string]map[string]int{levelBehaviour: {}, levelFidelity: {}}
	}
	for s := range rep.Scenarios {
		res := &rep.Scenarios[s]
		allPass := true
		for i := range res.Cells {
			c := &res.Cells[i]
			c.Entries = len(c.Trace)
			rep.Levels[c.Impl][levelBehaviour][c.Behaviour]++
			rep.Levels[c.Impl][levelFidelity][c.Fidelity]++
			switch {
			case !c.Pass:
				rep.Failed[c.Impl]++
				allPass = false
			case c.Fidelity == verdictKnown:
				rep.Known[c.Impl]++
				c.Trace = nil
			default:
				rep.Passed[c.Impl]++
				// Its trace is the expected one: the report need
				// not hold it twice (many-tiny-events has 10 000
				// entries).
				c.Trace = nil
			}
		}
		if allPass {
			res.Expect.Want = nil
		}
		if res.Expect.Known != nil {
			res.Expect.Known.Want = nil
		}
	}
	if err := writeReports(cfg.outDir, "sseconform", rep, renderConformHTML); err != nil {
		return err
	}
	printSummary(stdout, rep, cfg.outDir)
	for _, n := range rep.Failed {
		if n > 0 {
			return errFailed
		}
	}
	return nil
}

// runCell runs scenario sc with the i-th implementation in a new tab, on a
// new session of the server, and checks its trace.
func runCell(ctx context.Context, browser *chromium, srv *local, cfg *config, i int, sc scenario.Scenario, x expectation) (cell Cell) {
	im := cfg.impls[i]
	start := time.Now()
	cell.Impl = im.Name
	// A trace that cannot run fails at both levels; judge gives the
	// verdicts of one that ran.
	cell.Behaviour, cell.Fidelity = verdictFail, verdictFail
	defer func() { cell.Seconds = time.Since(start).Seconds() }()

	t, err := browser.newTab(sc.Name + "/" + im.Name)
	if err != nil {
		cell.Problems = []string{err.Error()}
		return cell
	}
	defer t.close()
	session := strings.ToLower(rand.Text())
	tr, err := runTrace(ctx, t, srv.harnessURL(i, im), traceOptions{
		Impl:       im.Kind,
		URL:        "/sse/scenario/" + url.PathEscape(sc.Name) + "?session=" + session,
		Events:     sc.Client.Events,
		CloseAfter: sc.Client.CloseAfter,
		MaxErrors:  10,
		TimeoutMs:  timeoutFor(sc, cfg.timeout).Milliseconds(),
	}, false)
	cell.Problems = append(cell.Problems, t.pageProblems()...)
	if err != nil {
		cell.Problems = append(cell.Problems, err.Error())
		return cell
	}
	markOtherOrigin(tr.Entries, srv.otherOrigin())
	cell.Trace, cell.EndedBy = tr.Entries, tr.EndedBy
	behaviour, fidelity := apiProblems(im, tr)
	cell.Problems = append(cell.Problems, behaviour...)
	cell.FidelityProblems = fidelity
	if im.Kind == "script" && tr.NativeConstructed > 0 {
		cell.Notes = append(cell.Notes, fmt.Sprintf("the script made %d native EventSource object(s)", tr.NativeConstructed))
	}
	judge(&cell, im, x, tr)
	if tr.EndedBy == "timeout" && im.Kind == "wasm" {
		cell.Notes = append(cell.Notes, "WasmEventSource.ready is "+tr.PolyfillReady)
	}
	return cell
}

// judge gives the cell its verdict at each level: the trace is compared
// with the expected one in full and with object fidelity set aside, and a
// polyfill's trace that differs from native's may equal the polyfill trace
// of a known difference. The cell keeps the diff of the level that says
// most: behaviour when it fails, else the full trace.
func judge(cell *Cell, im impl, x expectation, tr Trace) {
	what := "the golden trace"
	if x.Source == fromSpec {
		what = "the standard"
	}
	// A native trace that equals the polyfill's known one is a change
	// in Chromium, not a known difference.
	mayBeKnown := im.Kind != "native"
	verdict := func(level string, problems []string) (string, []row) {
		want, got, ok := x.check(tr, level)
		switch {
		case len(problems) > 0:
			if !ok {
				return verdictFail, sideBySide(trace.Lines(want), trace.Lines(got))
			}
			return verdictFail, nil
		case ok:
			return verdictPass, nil
		case mayBeKnown && x.checkKnown(tr, level):
			return verdictKnown, nil
		}
		return verdictFail, sideBySide(trace.Lines(want), trace.Lines(got))
	}
	var behaviourDiff, fullDiff []row
	cell.Behaviour, behaviourDiff = verdict(levelBehaviour, cell.Problems)
	cell.Fidelity, fullDiff = verdict(levelFidelity, append(slices.Clone(cell.Problems), cell.FidelityProblems...))
	if cell.Behaviour == verdictKnown || cell.Fidelity == verdictKnown {
		cell.Known = &x.Known.Difference
	}
	switch {
	case behaviourDiff != nil:
		cell.DiffLevel, cell.Diff = levelBehaviour, behaviourDiff
		cell.Problems = append(cell.Problems, fmt.Sprintf("the events differ from %s: %s", what, firstDifference(behaviourDiff)))
	case fullDiff != nil:
		cell.DiffLevel, cell.Diff = levelFidelity, fullDiff
		cell.FidelityProblems = append(cell.FidelityProblems, fmt.Sprintf("the trace differs from %s in fidelity only: %s", what, firstDifference(fullDiff)))
	}
	cell.Pass = cell.Fidelity != verdictFail
}

// timeoutFor is how long a trace of sc may take: the scenario's own
// timeout, for one that stalls by design, or else limit.
func timeoutFor(sc scenario.Scenario, limit time.Duration) time.Duration {
	if sc.Client.TimeoutMs > 0 {
		return time.Duration(sc.Client.TimeoutMs) * time.Millisecond
	}
	return limit
}

// otherOrigin stands for the reference server's other origin in a trace,
// as "<self>" stands for the page's, as in the golden files.
const otherOrigin = "<other>"

// markOtherOrigin replaces the origin other in the entries with
// otherOrigin.
func markOtherOrigin(entries []Entry, other string) {
	for i, e := range entries {
		if e.Origin != nil && *e.Origin == other {
			entries[i].Origin = new(otherOrigin)
		}
	}
}

// finishScenario compares native Chromium with the standard: the native
// trace of this run when there is one, else the golden file.
func finishScenario(res *ScenarioResult, impls []impl, sc scenario.Scenario) {
	var native []Entry
	endedBy := ""
	for i, im := range impls {
		if im.Kind == "native" && res.Cells[i].Trace != nil {
			native, endedBy = res.Cells[i].Trace, res.Cells[i].EndedBy
		}
	}
	if native == nil && res.Expect.Source == fromGolden {
		native = res.Expect.Want
	}
	if native == nil {
		return
	}
	want, got := trace.Lines(specWant(sc)), trace.Lines(specView(native, endedBy))
	if !slices.Equal(want, got) {
		res.SpecDisagreement = sideBySide(want, got)
	}
}

func cellSummary(cells []Cell) string {
	parts := make([]string, len(cells))
	for i, c := range cells {
		parts[i] = c.Impl + " " + cellVerdict(c)
	}
	return strings.Join(parts, ", ")
}

// cellVerdict says in a word or three how a cell did.
func cellVerdict(c Cell) string {
	switch {
	case c.Behaviour == verdictFail:
		return "FAIL"
	case c.Fidelity == verdictFail:
		return "FAIL (fidelity only)"
	case c.Fidelity == verdictKnown || c.Behaviour == verdictKnown:
		return "known difference"
	}
	return "ok"
}

func implNames(impls []impl) string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.Name
	}
	return strings.Join(names, ", ")
}

// printSummary writes what a person reads at the end of a run: the score of
// each implementation at each level, each failure with every entry that
// differs, the known differences with their reasons, and where native
// Chromium and the standard disagree.
func printSummary(w io.Writer, rep *Report, outDir string) {
	fmt.Fprintf(w, "sseconform: %d scenarios in %s, %s\n", len(rep.Scenarios), rep.Browser, rep.Duration)
	if rep.GoldenDir != "" {
		fmt.Fprintf(w, "expected: the golden traces in %s (native Chromium), else the standard\n", rep.GoldenDir)
	} else {
		fmt.Fprintf(w, "expected: the standard (the events of each scenario and how it ends)\n")
	}
	width := 0
	for _, im := range rep.Impls {
		width = max(width, len(im.Name))
	}
	n := len(rep.Scenarios)
	for _, im := range rep.Impls {
		l := rep.Levels[im.Name]
		fmt.Fprintf(w, "  %-*s behaviour %s, fidelity %s\n", width, im.Name, levelScore(l[levelBehaviour], n), levelScore(l[levelFidelity], n))
	}
	fmt.Fprintf(w, "  (behaviour: the events a page gets, with object fidelity set aside; fidelity: the whole trace, with origin,\n"+
		"  class, target, EventTarget-ness and URL resolution)\n")
	for _, res := range rep.Scenarios {
		for _, c := range res.Cells {
			if c.Pass {
				continue
			}
			fmt.Fprintf(w, "FAIL %s %s: behaviour %s, fidelity %s\n", res.Name, c.Impl, c.Behaviour, c.Fidelity)
			for _, p := range c.Problems {
				fmt.Fprintf(w, "\t%s\n", p)
			}
			for _, p := range c.FidelityProblems {
				fmt.Fprintf(w, "\tfidelity: %s\n", p)
			}
			if c.Diff != nil {
				fmt.Fprintf(w, "\tevery differing entry (%s), the differing fields in ⟦ ⟧:\n%s", c.DiffLevel, indentText(entryDiff(c.Diff)))
			}
		}
	}
	// The known differences, each once, with the cells it explains.
	var knownIDs []string
	cellsOf, reasons := map[string][]string{}, map[string]string{}
	for _, res := range rep.Scenarios {
		for _, c := range res.Cells {
			if c.Pass && c.Known != nil {
				if _, ok := cellsOf[c.Known.ID]; !ok {
					knownIDs = append(knownIDs, c.Known.ID)
				}
				cellsOf[c.Known.ID] = append(cellsOf[c.Known.ID], res.Name+" "+c.Impl)
				reasons[c.Known.ID] = c.Known.Reason
			}
		}
	}
	for _, id := range knownIDs {
		fmt.Fprintf(w, "known difference %s, which fails nothing (%s):\n\t%s\n", id, strings.Join(cellsOf[id], ", "), reasons[id])
	}
	for _, res := range rep.Scenarios {
		if res.SpecDisagreement != nil {
			fmt.Fprintf(w, "native and the spec disagree on %s (-spec +native):\n%s", res.Name, indentText(textDiff(res.SpecDisagreement)))
		}
	}
	fmt.Fprintf(w, "reports in %s: sseconform.html, sseconform.json\n", absPath(outDir))
}

// levelScore is "77/80", with "(+3 known)" when some are known
// differences.
func levelScore(verdicts map[string]int, n int) string {
	s := fmt.Sprintf("%d/%d", verdicts[verdictPass], n)
	if k := verdicts[verdictKnown]; k > 0 {
		s += fmt.Sprintf(" (+%d known)", k)
	}
	return s
}

func indentText(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t") + "\n"
}

// absPath is path made absolute, or path when it cannot be.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// writeReports writes NAME.json and NAME.html to dir.
func writeReports[R any](dir, name string, rep R, html func(R) ([]byte, error)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := marshalIndent(rep)
	if err != nil {
		return err
	}
	page, err := html(rep)
	if err != nil {
		return err
	}
	return errors.Join(
		os.WriteFile(filepath.Join(dir, name+".json"), js, 0o644),
		os.WriteFile(filepath.Join(dir, name+".html"), page, 0o644),
	)
}
