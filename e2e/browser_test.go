package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the native runs (native Chromium is the oracle)")

// env is what TestMain sets up once for every test of the package.
var env struct {
	// browser is the chromedp context of the one browser. Each test opens
	// its own tab as a child context of it; see newTab.
	browser context.Context

	// server is the reference server, on 127.0.0.1 and a free port.
	server *httptest.Server

	// otherServer serves the same handler on another port, which is
	// another origin: the cross-origin scenarios redirect to it
	// ("{{otherOrigin}}").
	otherServer *httptest.Server

	// root is the repository root, which the server serves web/ and dist/ from.
	root string

	// polyfillErr says why the wasm subtests cannot run, or is nil.
	polyfillErr error

	// tabs bounds the number of open tabs: newTab sends to it, and the
	// cleanup of the tab receives.
	tabs chan struct{}
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

// runMain starts the server and the browser, runs the tests, and stops both.
// It returns the exit code. It never skips: without a browser the package
// fails, so that CI cannot pass by running nothing.
func runMain(m *testing.M) int {
	chrome, err := headless.Find()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\n"+
			"e2e: FAIL: %v\n"+
			"e2e: these tests need Chromium. Install it with\n"+
			"e2e:     apt-get update && apt-get install -y chromium\n"+
			"e2e: or `make deps`, or set CHROMIUM=/path/to/chrome.\n\n", err)
		return 1
	}

	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
		return 1
	}
	env.root = root

	env.polyfillErr = checkPolyfill(root)
	if env.polyfillErr != nil {
		fmt.Fprintf(os.Stderr, "\n"+
			"e2e: *** %v\n"+
			"e2e: *** Every wasm subtest will fail. Run `make build` first (`make e2e` does).\n\n",
			env.polyfillErr)
	}

	parallel := 4
	if s := os.Getenv("E2E_PARALLEL"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: E2E_PARALLEL=%q is not a positive number\n", s)
			return 1
		}
		parallel = n
	}
	env.tabs = make(chan struct{}, parallel)

	serverLog := log.New(io.Discard, "", 0)
	if os.Getenv("E2E_SERVER_LOG") != "" {
		serverLog = log.New(os.Stderr, "refserver: ", log.Lmicroseconds)
	}
	env.otherServer = httptest.NewUnstartedServer(nil)
	handler := refserver.New(refserver.Options{
		Root:        root,
		Logf:        serverLog.Printf,
		OtherOrigin: "http://" + env.otherServer.Listener.Addr().String(),
	})
	env.otherServer.Config.Handler = handler
	env.otherServer.Start()
	env.server = httptest.NewServer(handler)
	defer func() {
		// The browser is gone by now, but a stream handler can still
		// wait on its connection: close them, or Close waits for ever.
		for _, srv := range []*httptest.Server{env.server, env.otherServer} {
			srv.CloseClientConnections()
			srv.Close()
		}
	}()

	dataDir, err := os.MkdirTemp("", "eventsource-wasm-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
		return 1
	}
	defer func() {
		if err := headless.RemoveAll(dataDir); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		}
	}()

	opts := headless.Options(chrome, dataDir,
		// The HTTP/2 servers of transport_test.go have self-signed certificates.
		chromedp.IgnoreCertErrors,
	)
	if os.Getenv("E2E_HEADFUL") == "1" {
		opts = append(opts, chromedp.VisibleWindow)
	}
	if os.Getenv("E2E_BROWSER_LOG") != "" {
		opts = append(opts, chromedp.CombinedOutput(os.Stderr))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Start the browser now, with a context that has no deadline: the
	// first run binds the life of the browser to its context.
	start := time.Now()
	if err := chromedp.Do(browserCtx); err != nil {
		fmt.Fprintf(os.Stderr, "\ne2e: FAIL: cannot start %s: %v\n"+
			"e2e: set E2E_BROWSER_LOG=1 to see its output.\n\n", chrome, err)
		return 1
	}
	env.browser = browserCtx
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: %s started in %v; server at %s; %d tabs at once\n",
			chrome, time.Since(start).Round(time.Millisecond), env.server.URL, parallel)
	}

	code := m.Run()

	// Stop the browser before the deferred server close, which waits for
	// the handlers of its connections.
	cancelBrowser()
	cancelAlloc()
	return code
}

// checkPolyfill reports whether make build has put the polyfill in dist/.
func checkPolyfill(root string) error {
	for _, name := range []string{"eventsource-wasm.js", "eventsource-wasm.wasm"} {
		path := filepath.Join(root, "dist", name)
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("dist/%s does not exist: run `make build`", name)
			}
			return err
		}
	}
	return nil
}
