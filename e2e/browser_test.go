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

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the native runs (native Chromium is the oracle)")

// env is what TestMain sets up once for every test of the package.
var env struct {
	// engine is the engine of this run, from E2E_BROWSER (chromium by
	// default): the package runs in one engine per go test process.
	engine browser.Engine

	// browser is the one browser. Each test opens its own tab in it; see
	// newTab.
	browser browser.Browser

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
	engine := browser.Chromium
	if name := os.Getenv("E2E_BROWSER"); name != "" {
		engines, err := browser.ParseEngines(name)
		if err != nil || len(engines) != 1 {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: E2E_BROWSER=%q: name one of %v\n", name, browser.Engines)
			return 1
		}
		engine = engines[0]
	}
	env.engine = engine
	if engine != browser.Chromium {
		impls = []string{"wasm"}
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
	handler := browser.ConsoleRelay(refserver.New(refserver.Options{
		Root:        root,
		Logf:        serverLog.Printf,
		OtherOrigin: "http://" + env.otherServer.Listener.Addr().String(),
	}))
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

	opts := browser.Options{
		Name:    "eventsource-wasm-e2e",
		Headful: os.Getenv("E2E_HEADFUL") == "1",
		Tabs:    parallel,
	}
	if os.Getenv("E2E_BROWSER_LOG") != "" {
		opts.Log = func(line string) { fmt.Fprintf(os.Stderr, "%s: %s\n", engine, line) }
	}
	start := time.Now()
	b, err := browser.Start(context.Background(), engine, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "\n"+
			"e2e: FAIL: %v\n"+
			"e2e: these tests need %s. Install the browsers with `make deps`\n"+
			"e2e: (Debian: apt-get install -y chromium firefox-esr webkit2gtk-driver xvfb);\n"+
			"e2e: set E2E_BROWSER_LOG=1 to see the browser's output.\n\n", err, engine)
		return 1
	}
	env.browser = b
	fmt.Fprintf(os.Stderr, "e2e: %s (%s) started in %v; server at %s; %d tabs at once\n",
		engine, b.Version(), time.Since(start).Round(time.Millisecond), env.server.URL, parallel)

	code := m.Run()

	// Stop the browser before the deferred server close, which waits for
	// the handlers of its connections.
	if err := b.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: closing %s: %v\n", engine, err)
	}
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
