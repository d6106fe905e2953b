// Package headless finds the browser that the project's browser tests and
// tools drive, gives the flags every headless run of it uses, and starts
// it: the e2e tests, sseconform and ssebench start Chromium the same way.
package headless

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// Find returns the path of the browser: $CHROMIUM, else /usr/bin/chromium,
// else chromium, chromium-browser or google-chrome from PATH. Its error says
// how to get one.
func Find() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return found, nil
	}
	candidates := []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"}
	for _, name := range candidates {
		if found, err := exec.LookPath(name); err == nil {
			return found, nil
		}
	}
	return "", fmt.Errorf("no browser found: CHROMIUM is not set and none of %q exists; "+
		"install one (apt-get install -y chromium, or make deps) or set CHROMIUM=/path/to/chrome", candidates)
}

// Options are the allocator options of a headless run of the browser at
// path with the fresh profile directory userDataDir, followed by extra. The
// flags keep Chromium off the network it has no business with: without the
// background-networking ones it keeps dialling Google's hosts, which a
// closed network refuses.
func Options(path, userDataDir string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
	)
	return append(opts, extra...)
}

// A Browser is a running headless Chromium with a fresh profile.
type Browser struct {
	// Ctx is the chromedp context of the browser; tabs are its children.
	Ctx context.Context
	// Version is the browser's product name and version.
	Version string
	stop    func()
}

// Start finds the browser and starts it with a fresh profile directory
// named after name, with Options and extra. Stop ends it.
func Start(ctx context.Context, name string, extra ...chromedp.ExecAllocatorOption) (*Browser, error) {
	path, err := Find()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", name+"-")
	if err != nil {
		return nil, err
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, Options(path, dataDir, extra...)...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{Ctx: browserCtx}
	b.stop = func() {
		cancelBrowser()
		cancelAlloc()
		if err := RemoveAll(dataDir); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		}
	}
	// The first action starts the browser and binds its life to browserCtx.
	if err := chromedp.Do(browserCtx); err != nil {
		b.stop()
		return nil, fmt.Errorf("cannot start %s: %w", path, err)
	}
	v, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("%s: Browser.getVersion: %w", path, err)
	}
	b.Version = v.Product
	return b, nil
}

// Stop ends the browser and removes its profile.
func (b *Browser) Stop() { b.stop() }

// RemoveAll removes a browser's profile directory. The browser's processes
// can still write to it for a moment after it stops, so it tries again for
// a few seconds.
func RemoveAll(dir string) error {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("cannot remove %s: %w", dir, err)
}
