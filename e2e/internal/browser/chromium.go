package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"
)

// chromium is a headless Chromium driven by chromedp.
type chromium struct {
	ctx     context.Context // the browser's chromedp context; tabs are its children
	version string
	stop    func()
}

func startChromium(_ context.Context, opts Options) (Browser, error) {
	path, err := headless.Find()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", opts.Name+"-")
	if err != nil {
		return nil, err
	}
	extra := []chromedp.ExecAllocatorOption{
		// The HTTP/2 servers of the e2e tests have self-signed certificates.
		chromedp.IgnoreCertErrors,
	}
	if opts.Headful {
		extra = append(extra, chromedp.VisibleWindow)
	}
	if opts.Log != nil {
		extra = append(extra, chromedp.CombinedOutput(lineWriter(opts.Log)))
	}
	// The browser's life is bound to the context of its first action, which
	// must outlive the caller's: it ends with Close.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), headless.Options(path, dataDir, extra...)...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	c := &chromium{ctx: browserCtx}
	c.stop = func() {
		cancelBrowser()
		cancelAlloc()
		if err := headless.RemoveAll(dataDir); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", opts.Name, err)
		}
	}
	if err := chromedp.Do(browserCtx); err != nil {
		c.stop()
		return nil, fmt.Errorf("cannot start %s: %w", path, err)
	}
	v, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("%s: Browser.getVersion: %w", path, err)
	}
	c.version = v.Product
	return c, nil
}

func (c *chromium) Engine() Engine  { return Chromium }
func (c *chromium) Version() string { return c.version }
func (c *chromium) Close() error    { c.stop(); return nil }

func (c *chromium) NewTab(_ context.Context, onConsole func(ConsoleMessage), opts ...TabOption) (Tab, error) {
	var tabOpts []chromedp.ContextOption
	if newTabOptions(opts).fresh {
		// chromedp disposes of the browser context with the tab.
		tabOpts = append(tabOpts, chromedp.WithNewBrowserContext())
	}
	ctx, closeTab, err := headless.OpenTab(c.ctx, func(m chromedp.ConsoleMessage) { onConsole(fromChromedp(m)) }, tabOpts...)
	if err != nil {
		return nil, err
	}
	return &chromiumTab{ctx: ctx, close: closeTab}, nil
}

// A chromiumTab is a tab of Chromium. Its chromedp context is there for
// what only DevTools can do; see ChromedpContext.
type chromiumTab struct {
	ctx   context.Context
	close func()
}

func (t *chromiumTab) Navigate(ctx context.Context, url string) error {
	ctx, cancel := t.bound(ctx)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

func (t *chromiumTab) Evaluate(ctx context.Context, expr string) (json.RawMessage, error) {
	ctx, cancel := t.bound(ctx)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[*string](wrapExpression(expr), chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	return jsonOf(s), nil
}

func (t *chromiumTab) Preload(ctx context.Context, script string) error {
	ctx, cancel := t.bound(ctx)
	defer cancel()
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
	return err
}

func (t *chromiumTab) Close() error { t.close(); return nil }

// bound is the tab's chromedp context, ended when ctx ends too; cancel
// releases it.
func (t *chromiumTab) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	tabCtx, cancel := context.WithCancel(t.ctx)
	stop := context.AfterFunc(ctx, cancel)
	return tabCtx, func() { stop(); cancel() }
}

// ChromedpContext returns the chromedp context of a Chromium tab, and false
// for a tab of another engine.
func ChromedpContext(t Tab) (context.Context, bool) {
	c, ok := t.(*chromiumTab)
	if !ok {
		return nil, false
	}
	return c.ctx, true
}

// fromChromedp converts a console message of chromedp.
func fromChromedp(m chromedp.ConsoleMessage) ConsoleMessage {
	out := ConsoleMessage{
		Level:     string(m.Type),
		Text:      m.Text,
		URL:       m.URL,
		Line:      int(m.Line) + 1,
		Exception: m.IsException(),
	}
	if m.IsException() {
		out.Level = "error"
	}
	if m.Stack != nil {
		for _, f := range m.Stack.CallFrames {
			name := f.FunctionName
			if name == "" {
				name = "<anonymous>"
			}
			out.Stack = append(out.Stack, fmt.Sprintf("%s (%s:%d:%d)", name, f.URL, f.LineNumber+1, f.ColumnNumber+1))
		}
	}
	return out
}

// lineWriter is an io.Writer that calls f with each line written to it.
type lineWriter func(string)

func (f lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		f(line)
	}
	return len(p), nil
}
