package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"
)

// A benchBrowser is the browser of one engine in a run. Chromium is driven
// over DevTools with chromedp, as it always was here (cdpBrowser): the
// DevTools protocol lets ssebench turn off what would slow the pages down
// (Network.disable) and gives the JS heap figures of the memory workloads.
// Firefox and WebKit are driven through e2e/internal/browser (tabBrowser).
type benchBrowser interface {
	engine() browser.Engine
	version() string
	// newTab opens a tab; fresh puts it in a context of its own, for a
	// cold page load (browser.FreshContext).
	newTab(label string, fresh bool) (tab, error)
	stop()
}

// A tab is one page of a benchBrowser. It keeps the uncaught exceptions of
// its pages, and the deaths of the Go runtime in them, as problems.
type tab interface {
	// navigate loads url in the tab and waits for its load event.
	navigate(url string, timeout time.Duration) error
	// evaluateJSON evaluates expr in the tab's page, awaits the promise
	// it returns, and returns its value as JSON.
	evaluateJSON(timeout time.Duration, expr string) (json.RawMessage, error)
	// problem returns the first problem of the tab's pages, or "".
	problem() string
	// close closes the tab and, when it had one, its own context.
	close()
	// sibling opens another tab in the tab's context (its HTTP cache and
	// code caches), or, where the engine cannot, returns the tab itself.
	sibling(label string) (tab, error)
}

// startBrowser starts a browser of engine e with a fresh profile.
func startBrowser(ctx context.Context, e browser.Engine, log io.Writer, verbose bool) (benchBrowser, error) {
	if e == browser.Chromium {
		return startChromium(ctx, log, verbose)
	}
	b, err := browser.Start(ctx, e, browser.Options{
		Name: "eventsource-wasm-bench",
		// One tab at a time measures; a cold load opens a tab of its
		// own beside it (FreshContext). In WebKit each pooled tab is a
		// MiniBrowser of its own, so the pool is kept to one.
		Tabs: 1,
	})
	if err != nil {
		return nil, err
	}
	return &tabBrowser{b: b, log: log, verbose: verbose}, nil
}

// problems collects the problems of a tab's pages.
type problems struct {
	mu   sync.Mutex
	list []string
}

func (p *problems) add(what string) {
	p.mu.Lock()
	p.list = append(p.list, what)
	p.mu.Unlock()
}

func (p *problems) first() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.list) == 0 {
		return ""
	}
	return p.list[0]
}

// evaluate evaluates expr in the tab's page, awaits the promise it returns,
// and decodes the result into a T.
func evaluate[T any](t tab, timeout time.Duration, expr string) (T, error) {
	var v T
	data, err := t.evaluateJSON(timeout, expr)
	if err == nil {
		err = json.Unmarshal(data, &v)
	}
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

// cdpBrowser is Chromium, driven over DevTools with chromedp.
type cdpBrowser struct {
	// ctx is the chromedp context of the browser; each tab is a child of it.
	ctx     context.Context
	release func()
	ver     string
	log     io.Writer
	verbose bool
}

// startChromium starts a headless Chromium with a fresh profile.
func startChromium(ctx context.Context, log io.Writer, verbose bool) (*cdpBrowser, error) {
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
		return nil, err
	}
	return &cdpBrowser{ctx: b.Ctx, release: b.Stop, ver: b.Version, log: log, verbose: verbose}, nil
}

func (c *cdpBrowser) engine() browser.Engine { return browser.Chromium }
func (c *cdpBrowser) version() string        { return c.ver }
func (c *cdpBrowser) stop()                  { c.release() }

// A cdpTab is a tab of Chromium.
type cdpTab struct {
	ctx      context.Context
	closeTab func()
	label    string
	problems problems
	browser  *cdpBrowser
}

// newTab opens a tab; a fresh one is in a new browser context (see
// pageLoads).
func (c *cdpBrowser) newTab(label string, fresh bool) (tab, error) {
	var opts []chromedp.ContextOption
	if fresh {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	t := &cdpTab{label: label, browser: c}
	ctx, closeTab, err := headless.OpenTab(c.ctx, func(m chromedp.ConsoleMessage) { t.console(c, m) }, opts...)
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

func (t *cdpTab) console(c *cdpBrowser, m chromedp.ConsoleMessage) {
	what, problem := headless.PageProblem(m)
	if problem {
		t.problems.add(what + ": " + m.Text)
	}
	if c.verbose || problem {
		fmt.Fprintf(c.log, "ssebench: [%s] console.%s\n", t.label, m)
	}
}

func (t *cdpTab) problem() string { return t.problems.first() }

// sibling opens a tab as a child of t: in t's browser context. It must be
// closed before t, whose context it lives in.
func (t *cdpTab) sibling(label string) (tab, error) {
	s := &cdpTab{label: label}
	ctx, closeTab, err := headless.OpenTab(t.ctx, func(m chromedp.ConsoleMessage) { s.console(t.browser, m) })
	if err != nil {
		return nil, err
	}
	s.ctx, s.closeTab, s.browser = ctx, closeTab, t.browser
	if _, err := chromedp.Call(ctx, network.Disable, cdp.Empty{}); err != nil {
		s.close()
		return nil, fmt.Errorf("Network.disable: %w", err)
	}
	return s, nil
}

func (t *cdpTab) close() { t.closeTab() }

func (t *cdpTab) navigate(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("navigate to %s: %w", url, err)
	}
	return nil
}

func (t *cdpTab) evaluateJSON(timeout time.Duration, expr string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	// []byte: the value's JSON as DevTools returns it by value.
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return json.RawMessage("null"), nil // undefined
	}
	return v, nil
}

// tabBrowser is Firefox or WebKit, through e2e/internal/browser.
type tabBrowser struct {
	b       browser.Browser
	log     io.Writer
	verbose bool
}

func (b *tabBrowser) engine() browser.Engine { return b.b.Engine() }
func (b *tabBrowser) version() string        { return b.b.Version() }
func (b *tabBrowser) stop()                  { b.b.Close() }

// A browserTab is a tab of e2e/internal/browser.
type browserTab struct {
	t        browser.Tab
	label    string
	problems problems
}

func (b *tabBrowser) newTab(label string, fresh bool) (tab, error) {
	var opts []browser.TabOption
	if fresh {
		opts = append(opts, browser.FreshContext())
	}
	t := &browserTab{label: label}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bt, err := b.b.NewTab(ctx, func(m browser.ConsoleMessage) {
		what, problem := m.Problem()
		if problem {
			t.problems.add(what + ": " + m.Text)
		}
		if b.verbose || problem {
			fmt.Fprintf(b.log, "ssebench: [%s] console.%s\n", label, m)
		}
	}, opts...)
	if err != nil {
		return nil, err
	}
	t.t = bt
	return t, nil
}

func (t *browserTab) problem() string { return t.problems.first() }

// sibling returns t itself: e2e/internal/browser opens no second tab in
// the context of a FreshContext tab.
func (t *browserTab) sibling(string) (tab, error) { return t, nil }

func (t *browserTab) close() { t.t.Close() }

func (t *browserTab) navigate(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := t.t.Navigate(ctx, url); err != nil {
		return fmt.Errorf("navigate to %s: %w", url, err)
	}
	return nil
}

func (t *browserTab) evaluateJSON(timeout time.Duration, expr string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return t.t.Evaluate(ctx, expr)
}
