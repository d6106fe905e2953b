package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"
)

// An engine is a browser engine that sseconform can run in: its name for
// -browser, and how to start it. The rest of the command drives the
// browser that start returns; an engine of the multi-engine browser layer
// plugs in here, with a browser of its own kind.
type engine struct {
	name  string
	start func(ctx context.Context, log io.Writer, verbose bool) (*chromium, func(), error)
}

// engines are the engines that -browser accepts today.
var engines = []engine{{name: "chromium", start: startChromium}}

// plannedEngines are the engines that the multi-engine browser layer
// brings; -browser names them, and says that they are not supported yet.
var plannedEngines = []string{"firefox", "webkit"}

// parseBrowser parses the -browser list. Until the multi-engine layer
// lands it holds one engine, chromium.
func parseBrowser(list string) (engine, error) {
	var chosen []engine
	for name := range strings.SplitSeq(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		i := slices.IndexFunc(engines, func(e engine) bool { return e.name == name })
		switch {
		case i >= 0:
			chosen = append(chosen, engines[i])
		case slices.Contains(plannedEngines, name):
			return engine{}, fmt.Errorf("%s is not supported yet: until the multi-engine browser layer lands, sseconform runs in Chromium only (-browser chromium)", name)
		default:
			return engine{}, fmt.Errorf("unknown browser engine %q: want chromium (%s are not supported yet)", name, strings.Join(plannedEngines, " and "))
		}
	}
	if len(chosen) != 1 {
		return engine{}, errors.New("want one engine: chromium")
	}
	return chosen[0], nil
}

// A chromium is the one browser of a run.
type chromium struct {
	// ctx is the chromedp context of the browser; each tab is a child of it.
	ctx     context.Context
	version string
	log     io.Writer
	verbose bool
}

// startChromium starts a headless Chromium with a fresh profile, with the
// flags of the e2e tests. The returned func stops it and removes the
// profile.
func startChromium(ctx context.Context, log io.Writer, verbose bool) (*chromium, func(), error) {
	b, err := headless.Start(ctx, "sseconform")
	if err != nil {
		return nil, nil, err
	}
	return &chromium{ctx: b.Ctx, version: b.Version, log: log, verbose: verbose}, b.Stop, nil
}

// A tab is one page of the browser. It keeps the uncaught exceptions of its
// page, and the deaths of the Go runtime in it, as problems, and the
// browser's log entries (CORS errors, for one) as notes.
type tab struct {
	ctx      context.Context
	closeTab func()
	label    string

	mu       sync.Mutex
	problems []string
	logs     []string
}

// newTab opens a tab of the browser.
func (c *chromium) newTab(label string) (*tab, error) {
	t := &tab{label: label}
	ctx, closeTab, err := headless.OpenTab(c.ctx, func(m chromedp.ConsoleMessage) { t.console(c, m) })
	if err != nil {
		return nil, err
	}
	t.ctx, t.closeTab = ctx, closeTab
	return t, nil
}

func (t *tab) console(c *chromium, m chromedp.ConsoleMessage) {
	t.mu.Lock()
	if what, ok := headless.PageProblem(m); ok {
		t.problems = append(t.problems, what+": "+m.Text)
	} else {
		t.logs = append(t.logs, fmt.Sprintf("console.%s", m))
	}
	t.mu.Unlock()
	if c.verbose {
		fmt.Fprintf(c.log, "sseconform: [%s] console.%s\n", t.label, m)
	}
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
func (t *tab) close() { t.closeTab() }
