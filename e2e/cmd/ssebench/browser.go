package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
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

// startChromium starts a headless Chromium with a fresh profile. The
// returned func stops it and removes the profile.
func startChromium(ctx context.Context, log io.Writer, verbose bool) (*chromium, func(), error) {
	opts := []chromedp.ExecAllocatorOption{
		// The HTTP/2 server has a self-signed certificate.
		chromedp.IgnoreCertErrors,
		// performance.memory to the byte, and gc() for the pages, so
		// that memory samples are of live objects only.
		chromedp.Flag("enable-precise-memory-info", true),
		chromedp.Flag("js-flags", "--expose-gc"),
	}
	for _, f := range strings.Fields(os.Getenv("SSEBENCH_CHROMIUM_FLAGS")) {
		name, value, ok := strings.Cut(f, "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	b, err := headless.Start(ctx, "eventsource-wasm-bench", opts...)
	if err != nil {
		return nil, nil, err
	}
	return &chromium{ctx: b.Ctx, version: b.Version, log: log, verbose: verbose}, b.Stop, nil
}

// A tab is one page of the browser. It keeps the uncaught exceptions of its
// pages, and the deaths of the Go runtime in them, as problems.
type tab struct {
	ctx      context.Context
	closeTab func()
	label    string
	mu       sync.Mutex
	problems []string
}

// newTab opens a tab as a child of parent (the browser's context, or
// another tab's to share its browser context), with opts.
func (c *chromium) newTab(parent context.Context, label string, opts ...chromedp.ContextOption) (*tab, error) {
	t := &tab{label: label}
	ctx, closeTab, err := headless.OpenTab(parent, func(m chromedp.ConsoleMessage) { t.console(c, m) }, opts...)
	if err != nil {
		return nil, err
	}
	t.ctx, t.closeTab = ctx, closeTab
	// chromedp enables the Network domain in every tab. Then the browser
	// reports each chunk of a response, and each message of a native
	// EventSource with its data, to the DevTools client: a cost per event
	// that a page in the wild does not pay, and that falls on some
	// implementations more than others. None of ssebench needs it.
	if _, err := chromedp.Call(ctx, network.Disable, cdp.Empty{}); err != nil {
		t.close()
		return nil, fmt.Errorf("Network.disable: %w", err)
	}
	return t, nil
}

func (t *tab) console(c *chromium, m chromedp.ConsoleMessage) {
	what, problem := headless.PageProblem(m)
	if problem {
		t.mu.Lock()
		t.problems = append(t.problems, what+": "+m.Text)
		t.mu.Unlock()
	}
	if c.verbose || problem {
		fmt.Fprintf(c.log, "ssebench: [%s] console.%s\n", t.label, m)
	}
}

// problem returns the first problem of the tab's pages, or "".
func (t *tab) problem() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.problems) == 0 {
		return ""
	}
	return t.problems[0]
}

// close closes the tab and, when it made one, its browser context.
func (t *tab) close() { t.closeTab() }

// navigate loads url in the tab and waits for its load event.
func (t *tab) navigate(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("navigate to %s: %w", url, err)
	}
	return nil
}

// evaluate evaluates expr in the tab's page, awaits the promise it returns,
// and decodes the result into a T.
func evaluate[T any](t *tab, timeout time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		short := expr
		if len(short) > 80 {
			short = short[:80] + "…"
		}
		if p := t.problem(); p != "" {
			return v, fmt.Errorf("%s: %w (the page: %s)", short, err, p)
		}
		return v, fmt.Errorf("%s: %w", short, err)
	}
	return v, nil
}
