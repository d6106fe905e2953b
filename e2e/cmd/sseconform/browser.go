package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"
)

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
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	label  string

	mu       sync.Mutex
	problems []string
	logs     []string
}

// newTab opens a tab of the browser.
func (c *chromium) newTab(label string) (*tab, error) {
	ctx, cancel := chromedp.NewContext(c.ctx)
	t := &tab{ctx: ctx, cancel: cancel, done: make(chan struct{}), label: label}
	// Console opens the tab and subscribes before anything runs in it.
	messages := chromedp.Console(ctx)
	go func() {
		defer close(t.done)
		for m, err := range messages {
			if err != nil {
				return
			}
			t.console(c, m)
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.close()
		return nil, fmt.Errorf("open a tab: %w", err)
	}
	return t, nil
}

func (t *tab) console(c *chromium, m chromedp.ConsoleMessage) {
	t.mu.Lock()
	switch {
	case m.IsException():
		t.problems = append(t.problems, "uncaught exception in the page: "+m.Text)
	case strings.HasPrefix(m.Text, "panic: ") || strings.HasPrefix(m.Text, "fatal error: "):
		// wasm_exec.js writes the Go runtime's stderr to console.log.
		t.problems = append(t.problems, "the Go runtime in the page died: "+m.Text)
	default:
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
func (t *tab) close() {
	t.cancel()
	<-t.done
}
