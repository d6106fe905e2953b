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
	// Passed and Failed count the scenarios of each implementation, by
	// name.
	Passed    map[string]int   `json:"passed"`
	Failed    map[string]int   `json:"failed"`
	Scenarios []ScenarioResult `json:"scenarios"`
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

// A Cell is the result of one scenario with one implementation.
type Cell struct {
	Impl string `json:"impl"`
	Pass bool   `json:"pass"`
	// Problems say why it failed, one line each.
	Problems []string `json:"problems,omitempty"`
	// Notes are worth knowing but fail nothing.
	Notes   []string `json:"notes,omitempty"`
	EndedBy string   `json:"endedBy,omitempty"`
	// Trace is the trace as recorded, kept in the report only when the
	// cell failed; Entries counts its entries. Diff compares the expected
	// trace (left) with it, or with its spec view (right), when they
	// differ.
	Trace   []Entry `json:"trace,omitempty"`
	Entries int     `json:"entries"`
	Diff    []row   `json:"diff,omitempty"`
	Seconds float64 `json:"seconds"`
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
		Failed:    map[string]int{},
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
	browser, stopBrowser, err := startChromium(ctx, stderr, cfg.verbose)
	if err != nil {
		return err
	}
	defer stopBrowser()
	rep.Browser = browser.version
	fmt.Fprintf(stderr, "sseconform: %d scenarios × %s in %s\n", len(scenarios), implNames(cfg.impls), browser.version)

	// The cells go to the workers scenario by scenario, so that the
	// scenarios end about in order; a scenario's progress line is printed
	// when its last cell is done.
	type job struct{ s, i int }
	jobs := make(chan job)
	var (
		mu      sync.Mutex
		pending = make([]int, len(scenarios))
		done    = 0
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
					done++
					finishScenario(res, cfg.impls, scenarios[j.s])
					fmt.Fprintf(stderr, "[%d/%d] %s: %s\n", done, len(scenarios), res.Name, cellSummary(res.Cells))
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

	for s := range rep.Scenarios {
		res := &rep.Scenarios[s]
		allPass := true
		for i := range res.Cells {
			c := &res.Cells[i]
			c.Entries = len(c.Trace)
			if c.Pass {
				rep.Passed[c.Impl]++
				// Its trace is the expected one: the report need
				// not hold it twice (many-tiny-events has 10 000
				// entries).
				c.Trace = nil
			} else {
				rep.Failed[c.Impl]++
				allPass = false
			}
		}
		if allPass {
			res.Expect.Want = nil
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
	cell.Problems = append(cell.Problems, apiProblems(im, tr)...)
	if im.Kind == "script" && tr.NativeConstructed > 0 {
		cell.Notes = append(cell.Notes, fmt.Sprintf("the script made %d native EventSource object(s)", tr.NativeConstructed))
	}
	if want, got, ok := x.check(tr); !ok {
		cell.Diff = sideBySide(trace.Lines(want), trace.Lines(got))
		what := "the golden trace"
		if x.Source == fromSpec {
			what = "the standard"
		}
		cell.Problems = append(cell.Problems, fmt.Sprintf("the trace differs from %s: %s", what, firstDifference(cell.Diff)))
	}
	if tr.EndedBy == "timeout" && im.Kind == "wasm" {
		cell.Notes = append(cell.Notes, "WasmEventSource.ready is "+tr.PolyfillReady)
	}
	cell.Pass = len(cell.Problems) == 0
	return cell
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
		verdict := "ok"
		if !c.Pass {
			verdict = "FAIL"
		}
		parts[i] = c.Impl + " " + verdict
	}
	return strings.Join(parts, ", ")
}

func implNames(impls []impl) string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.Name
	}
	return strings.Join(names, ", ")
}

// printSummary writes what a person reads at the end of a run: the score of
// each implementation, each failure with its first difference, and where
// native Chromium and the standard disagree.
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
	for _, im := range rep.Impls {
		fmt.Fprintf(w, "  %-*s %3d passed, %3d failed\n", width, im.Name, rep.Passed[im.Name], rep.Failed[im.Name])
	}
	for _, res := range rep.Scenarios {
		for _, c := range res.Cells {
			if c.Pass {
				continue
			}
			fmt.Fprintf(w, "FAIL %s %s:\n", res.Name, c.Impl)
			for _, p := range c.Problems {
				fmt.Fprintf(w, "\t%s\n", p)
			}
		}
	}
	for _, res := range rep.Scenarios {
		if res.SpecDisagreement != nil {
			fmt.Fprintf(w, "native and the spec disagree on %s (-spec +native):\n%s", res.Name, indentText(textDiff(res.SpecDisagreement)))
		}
	}
	fmt.Fprintf(w, "reports: %s, %s\n",
		filepath.Join(outDir, "sseconform.html"), filepath.Join(outDir, "sseconform.json"))
}

func indentText(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t") + "\n"
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
