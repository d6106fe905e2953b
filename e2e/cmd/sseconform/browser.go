package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

// parseBrowser parses the -browser list: engines of package browser, each
// once, in the order given.
func parseBrowser(list string) ([]browser.Engine, error) {
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no engine: want one or more of %v, comma-separated", browser.Engines)
	}
	return browser.ParseEngines(strings.Join(names, ","))
}

// An engineBrowser is the browser of one engine in a run.
type engineBrowser struct {
	engine  browser.Engine
	b       browser.Browser
	version string
	log     io.Writer
	verbose bool
}

// startBrowser starts a browser of engine e with a fresh profile. tabs is
// how many tabs the run opens at once (WebKit starts a driver for each),
// and proxy, when not "", the HTTP proxy of every request (see
// streamProxy). A missing browser is an error that says how to install it.
func startBrowser(ctx context.Context, e browser.Engine, tabs int, proxy string, log io.Writer, verbose bool) (*engineBrowser, error) {
	opts := browser.Options{Name: "sseconform-" + string(e), Tabs: tabs, Proxy: proxy}
	if verbose {
		opts.Log = func(line string) { fmt.Fprintf(log, "sseconform: [%s] %s\n", e, line) }
	}
	b, err := browser.Start(ctx, e, opts)
	if err != nil {
		return nil, fmt.Errorf("-browser %s: %w", e, err)
	}
	return &engineBrowser{engine: e, b: b, version: b.Version(), log: log, verbose: verbose}, nil
}

func (b *engineBrowser) close() { b.b.Close() }

// A tab is one page of a browser. It keeps the uncaught exceptions of its
// page, and the deaths of the Go runtime in it, as problems, and the other
// console messages (the browser's CORS errors, for one) as notes.
type tab struct {
	t      browser.Tab
	engine browser.Engine
	label  string

	mu       sync.Mutex
	problems []string
	logs     []string
}

// newTab opens a tab of the browser.
func (b *engineBrowser) newTab(ctx context.Context, label string) (*tab, error) {
	t := &tab{engine: b.engine, label: label}
	bt, err := b.b.NewTab(ctx, func(m browser.ConsoleMessage) { t.console(b, m) })
	if err != nil {
		return nil, err
	}
	t.t = bt
	return t, nil
}

func (t *tab) console(b *engineBrowser, m browser.ConsoleMessage) {
	t.mu.Lock()
	if what, ok := m.Problem(); ok {
		t.problems = append(t.problems, what+": "+m.Text)
	} else {
		t.logs = append(t.logs, "console."+m.String())
	}
	t.mu.Unlock()
	if b.verbose {
		fmt.Fprintf(b.log, "sseconform: [%s %s] console.%s\n", b.engine, t.label, m)
	}
}

// navigate loads url in the tab.
func (t *tab) navigate(ctx context.Context, url string) error {
	return t.t.Navigate(ctx, url)
}

// evaluate evaluates a JavaScript expression in the tab's page, awaits it,
// and decodes its value into a T.
func evaluate[T any](ctx context.Context, t *tab, expr string) (T, error) {
	var v T
	js, err := t.t.Evaluate(ctx, expr)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(js, &v); err != nil {
		return v, fmt.Errorf("the value of %.40q…: %w", expr, err)
	}
	return v, nil
}

// addProblem records a problem of the tab that is no console message.
func (t *tab) addProblem(p string) {
	t.mu.Lock()
	t.problems = append(t.problems, p)
	t.mu.Unlock()
}

// pageProblems returns the problems of the tab's page so far.
func (t *tab) pageProblems() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.problems...)
}

// consoleLogs returns the other console messages so far.
func (t *tab) consoleLogs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.logs...)
}

// close closes the tab.
func (t *tab) close() { t.t.Close() }
