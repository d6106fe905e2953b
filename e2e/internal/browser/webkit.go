package browser

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FindWebKitDriver returns the path of WebKitWebDriver: $WEBKIT_DRIVER,
// else WebKitWebDriver from PATH.
func FindWebKitDriver() (string, error) {
	return findProgram("WEBKIT_DRIVER", []string{"WebKitWebDriver"}, "apt-get install -y webkit2gtk-driver")
}

// FindMiniBrowser returns the path of WebKitGTK's MiniBrowser, which
// Debian installs beside libwebkit2gtk, out of PATH: $MINIBROWSER, else the
// first that exists of the library directories' copies.
func FindMiniBrowser() (string, error) {
	if p := os.Getenv("MINIBROWSER"); p != "" {
		return findProgram("MINIBROWSER", nil, "")
	}
	matches, _ := filepath.Glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser")
	more, _ := filepath.Glob("/usr/lib*/webkit2gtk-4.*/MiniBrowser")
	for _, m := range append(matches, more...) {
		if info, err := os.Stat(m); err == nil && !info.IsDir() {
			return m, nil
		}
	}
	return "", errors.New("no MiniBrowser found under /usr/lib/*/webkit2gtk-4.*/: " +
		"install it (apt-get install -y webkit2gtk-driver, which brings libwebkit2gtk; or make deps) or set MINIBROWSER=/path/to/MiniBrowser")
}

// webkit is a pool of WebKitWebDriver processes, each with one session of
// MiniBrowser: Debian's driver takes one session at a time, and a session
// has one current window, so a tab is a session of its own.
type webkit struct {
	display *xvfb
	version string
	slots   chan *webkitSlot // the sessions no tab uses
	all     []*webkitSlot
	opts    Options
	// driverPath, mini and displayName start more sessions: a tab of
	// FreshContext has one of its own.
	driverPath, mini, displayName string
}

// A webkitSlot is one driver and its session.
type webkitSlot struct {
	proc   *process
	driver *webDriver
}

func startWebKit(ctx context.Context, opts Options) (Browser, error) {
	driverPath, err := FindWebKitDriver()
	if err != nil {
		return nil, err
	}
	mini, err := FindMiniBrowser()
	if err != nil {
		return nil, err
	}
	w := &webkit{slots: make(chan *webkitSlot, opts.Tabs), opts: opts, driverPath: driverPath, mini: mini}
	display := os.Getenv("DISPLAY")
	if !opts.Headful || display == "" {
		w.display, err = startXvfb(opts.Log)
		if err != nil {
			return nil, err
		}
		display = w.display.display
	}
	w.displayName = display
	type started struct {
		slot *webkitSlot
		caps map[string]any
		err  error
	}
	results := make(chan started, opts.Tabs)
	for range opts.Tabs {
		go func() {
			slot, caps, err := startWebKitSlot(ctx, driverPath, mini, display, webkitArgs, opts)
			results <- started{slot, caps, err}
		}()
	}
	var errs []error
	for range opts.Tabs {
		r := <-results
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		w.all = append(w.all, r.slot)
		w.slots <- r.slot
		w.version = fmt.Sprintf("%v/%v", r.caps["browserName"], r.caps["browserVersion"])
	}
	if len(errs) > 0 {
		w.Close()
		return nil, fmt.Errorf("cannot start WebKit: %w", errors.Join(errs...))
	}
	return w, nil
}

// webkitArgs are MiniBrowser's arguments in the pool's sessions, and
// webkitFreshArgs in the session of a tab of FreshContext.
var (
	webkitArgs      = []string{"--automation"}
	webkitFreshArgs = []string{"--automation", "--private"}
)

// webkitFreshMeans is FreshContextMeans(WebKit).
const webkitFreshMeans = "a new WebDriver session of its own: a new MiniBrowser (UI, web and network processes) " +
	"in private browsing, whose cookies, storage and HTTP cache are in memory and start empty"

// errDriverExited is startWebKitDriver's error for a driver that exited
// before it answered.
var errDriverExited = errors.New("exited")

// startWebKitDriver starts a driver on a free port and waits until it
// answers.
func startWebKitDriver(ctx context.Context, driverPath, display string, opts Options) (*webkitSlot, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(driverPath, "--port="+strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	proc, err := startProcess(cmd, opts.Log, nil)
	if err != nil {
		return nil, err
	}
	slot := &webkitSlot{proc: proc, driver: &webDriver{base: "http://127.0.0.1:" + strconv.Itoa(port)}}
	// The driver listens a moment after it starts.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err = slot.driver.command(ctx, http.MethodGet, "/status", nil, nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		select {
		case <-proc.done:
			return nil, fmt.Errorf("%s %w: %v", driverPath, errDriverExited, proc.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err != nil {
		proc.stop()
		return nil, fmt.Errorf("%s does not answer: %w", driverPath, err)
	}
	return slot, nil
}

// startWebKitSlot starts a driver on a free port and makes its session,
// in which MiniBrowser runs with args.
func startWebKitSlot(ctx context.Context, driverPath, mini, display string, args []string, opts Options) (*webkitSlot, map[string]any, error) {
	// The port is free when freePort looks, but another process may take
	// it before the driver binds it, and then the driver exits: try again
	// on another port, a few times.
	var slot *webkitSlot
	var err error
	for range 3 {
		if slot, err = startWebKitDriver(ctx, driverPath, display, opts); err == nil || !errors.Is(err, errDriverExited) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	capabilities := map[string]any{
		// The HTTP/2 servers of the e2e tests have self-signed certificates.
		"acceptInsecureCerts": true,
		"webkitgtk:browserOptions": map[string]any{
			"binary": mini,
			"args":   args,
		},
	}
	if opts.Proxy != "" {
		// W3C WebDriver's proxy capability, for http only: WebKitGTK
		// sends loopback through it too, but speaks TLS to its
		// sslProxy, which a plain HTTP proxy is not.
		capabilities["proxy"] = map[string]any{"proxyType": "manual", "httpProxy": opts.Proxy}
	}
	caps, err := slot.driver.newSession(ctx, capabilities)
	if err != nil {
		slot.proc.stop()
		return nil, nil, err
	}
	// No limit on scripts: the tests' own contexts bound each command.
	if err := slot.driver.command(ctx, http.MethodPost, "/timeouts", map[string]any{"script": nil}, nil); err != nil {
		slot.close()
		return nil, nil, err
	}
	return slot, caps, nil
}

func (s *webkitSlot) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.driver.deleteSession(ctx)
	cancel()
	s.proc.stop()
}

func (w *webkit) Engine() Engine  { return WebKit }
func (w *webkit) Version() string { return w.version }

func (w *webkit) Close() error {
	var wg sync.WaitGroup
	for _, s := range w.all {
		wg.Add(1)
		go func() { defer wg.Done(); s.close() }()
	}
	wg.Wait()
	if w.display != nil {
		w.display.proc.stop()
	}
	return nil
}

func (w *webkit) NewTab(ctx context.Context, onConsole func(ConsoleMessage), opts ...TabOption) (Tab, error) {
	if newTabOptions(opts).fresh {
		// A session has one data store, shared by its windows, so a
		// fresh context is a session of its own, outside the pool.
		slot, _, err := startWebKitSlot(ctx, w.driverPath, w.mini, w.displayName, webkitFreshArgs, w.opts)
		if err != nil {
			return nil, fmt.Errorf("open a tab: %w", err)
		}
		return &webkitTab{browser: w, slot: slot, onConsole: onConsole, own: true}, nil
	}
	select {
	case slot := <-w.slots:
		return &webkitTab{browser: w, slot: slot, onConsole: onConsole}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("open a tab: all %d WebKit sessions are in use: %w", cap(w.slots), ctx.Err())
	}
}

type webkitTab struct {
	browser   *webkit
	slot      *webkitSlot
	onConsole func(ConsoleMessage)
	own       bool       // the session is the tab's own, not the pool's
	mu        sync.Mutex // one command at a time: a session has one current window
}

func (t *webkitTab) Navigate(ctx context.Context, url string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.drainConsole(ctx)
	err := t.slot.driver.navigate(ctx, url)
	t.drainConsole(ctx)
	return err
}

func (t *webkitTab) Evaluate(ctx context.Context, expr string) (json.RawMessage, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s *string
	err := t.slot.driver.execute(ctx, "return "+wrapExpression(expr)+";", &s)
	t.drainConsole(ctx)
	if err != nil {
		return nil, err
	}
	return jsonOf(s), nil
}

func (t *webkitTab) Preload(context.Context, string) error { return ErrNoPreload }

// drainConsole hands the messages that the console relay kept to
// onConsole.
func (t *webkitTab) drainConsole(ctx context.Context) {
	var kept []struct {
		Level     string   `json:"level"`
		Text      string   `json:"text"`
		URL       string   `json:"url"`
		Line      int      `json:"line"`
		Exception bool     `json:"exception"`
		Stack     []string `json:"stack"`
	}
	const take = `return globalThis.__e2eConsole ? globalThis.__e2eConsole.take() : [];`
	if err := t.slot.driver.execute(ctx, take, &kept); err != nil {
		return
	}
	for _, m := range kept {
		t.onConsole(ConsoleMessage{Level: m.Level, Text: m.Text, URL: m.URL, Line: m.Line, Exception: m.Exception, Stack: m.Stack})
	}
}

// Close leaves the page, which ends its streams, and gives the session
// back to the pool.
func (t *webkitTab) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	t.drainConsole(ctx)
	if t.own {
		t.slot.close()
		return nil
	}
	err := t.slot.driver.navigate(ctx, "about:blank")
	if err != nil {
		// A session that cannot leave its page is not fit for another
		// test: start a new one in its place.
		t.slot.close()
		b := t.browser
		slot, _, startErr := startWebKitSlot(ctx, b.driverPath, b.mini, b.displayName, webkitArgs, b.opts)
		if startErr != nil {
			return fmt.Errorf("close a tab: %v; and no new session: %w", err, startErr)
		}
		t.slot = slot
	}
	t.browser.slots <- t.slot
	return nil
}

//go:embed console-relay.js
var consoleRelayScript []byte

// ConsoleRelayPath is where ConsoleRelay serves the relay script.
const ConsoleRelayPath = "/__e2e/console-relay.js"

// ConsoleRelay wraps the handler of a test server whose pages WebKit
// loads: it serves the console relay at ConsoleRelayPath, and puts a
// script tag for it first in every HTML page that it serves to WebKit (by
// its User-Agent: AppleWebKit without Chrome). Other engines get the pages
// unchanged.
func ConsoleRelay(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ConsoleRelayPath {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(consoleRelayScript)
			return
		}
		ua := r.Header.Get("User-Agent")
		if !strings.Contains(ua, "AppleWebKit") || strings.Contains(ua, "Chrome/") || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		iw := &injectWriter{ResponseWriter: w}
		h.ServeHTTP(iw, r)
		iw.finish()
	})
}

// injectWriter holds back an HTML response to put the relay's script tag
// in it; any other response passes through.
type injectWriter struct {
	http.ResponseWriter
	decided bool
	html    bool
	status  int
	buf     bytes.Buffer
}

func (w *injectWriter) decide() {
	if w.decided {
		return
	}
	w.decided = true
	h := w.Header()
	w.html = strings.HasPrefix(h.Get("Content-Type"), "text/html") && h.Get("Content-Encoding") == ""
	if w.html {
		h.Del("Content-Length")
		return
	}
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
}

func (w *injectWriter) WriteHeader(status int) {
	w.status = status
	if status != http.StatusOK {
		w.decided = true // not a page to put anything in
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *injectWriter) Write(p []byte) (int, error) {
	w.decide()
	if w.html {
		return w.buf.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (w *injectWriter) Flush() {
	w.decide()
	if !w.html {
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

func (w *injectWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes a held-back page with the script tag after its doctype
// (before it, the page would be in quirks mode).
func (w *injectWriter) finish() {
	if !w.html {
		return
	}
	page := w.buf.Bytes()
	at := 0
	if lower := bytes.ToLower(page); bytes.HasPrefix(bytes.TrimSpace(lower), []byte("<!doctype")) {
		if end := bytes.IndexByte(page, '>'); end >= 0 {
			at = end + 1
		}
	}
	tag := []byte(`<script src="` + ConsoleRelayPath + `"></script>`)
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
	w.ResponseWriter.Write(page[:at])
	w.ResponseWriter.Write(tag)
	w.ResponseWriter.Write(page[at:])
}
