package headless

import (
	"context"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// OpenTab opens a tab as a child of parent (a browser's context, or another
// tab's to share its browser context) with opts, and calls onConsole with
// each console message of its pages, from before anything runs in them.
// closeTab closes the tab and returns once onConsole has had the last
// message.
func OpenTab(parent context.Context, onConsole func(chromedp.ConsoleMessage), opts ...chromedp.ContextOption) (ctx context.Context, closeTab func(), err error) {
	ctx, cancel := chromedp.NewContext(parent, opts...)
	// Console opens the tab and subscribes before anything runs in it.
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			onConsole(m)
		}
	}()
	closeTab = func() {
		cancel()
		<-done
	}
	if err := chromedp.Do(ctx); err != nil {
		closeTab()
		return nil, nil, fmt.Errorf("open a tab: %w", err)
	}
	return ctx, closeTab, nil
}

// PageProblem says what a console message tells of a page that went wrong:
// "uncaught exception in the page", or "the Go runtime in the page died"
// for what wasm_exec.js writes of a Go panic or fatal error (it writes the
// runtime's stderr to console.log). ok is false for any other message.
func PageProblem(m chromedp.ConsoleMessage) (what string, ok bool) {
	switch {
	case m.IsException():
		return "uncaught exception in the page", true
	case strings.HasPrefix(m.Text, "panic: ") || strings.HasPrefix(m.Text, "fatal error: "):
		return "the Go runtime in the page died", true
	}
	return "", false
}
