// Package headless finds the browser that the project's browser tests and
// tools drive, and gives the flags every headless run of it uses: the e2e
// tests, sseconform and ssebench start Chromium the same way.
package headless

import (
	"fmt"
	"os"
	"os/exec"

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
