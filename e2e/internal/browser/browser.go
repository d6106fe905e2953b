// Package browser hides which engine runs a page: the e2e tests open tabs,
// load pages, evaluate expressions and read the console the same way in
// Chromium, Firefox and WebKit.
//
// Each engine is driven by what it ships, and nothing is downloaded:
//
//   - Chromium through the DevTools protocol, with chromedp, as the rest of
//     the project does. Its tabs also give the chromedp context, for the few
//     tests that need what only DevTools has (screenshots, heap sizes).
//   - Firefox through WebDriver BiDi, which Firefox has built in: started
//     with --remote-debugging-port it listens for BiDi on a WebSocket, so no
//     geckodriver is needed (there is none in Debian). BiDi has all a test
//     needs: browsing contexts for tabs, script.evaluate that awaits
//     promises, and log.entryAdded for the console and uncaught errors. No
//     maintained Go BiDi client exists, so bidi.go is a small one: the five
//     commands and one event used here, over github.com/coder/websocket.
//   - WebKit (WebKitGTK, the engine of Safari) through WebKitWebDriver, W3C
//     WebDriver over HTTP, which drives WebKitGTK's MiniBrowser in an Xvfb
//     display. Debian's WebKitWebDriver has no BiDi and one session per
//     process, so a tab is a session of one of a pool of drivers, and the
//     console, which classic WebDriver cannot read, comes from a small
//     script that the test server puts first in every page it serves to
//     WebKit (ConsoleRelay), and that the tab drains after each command.
//     webdriver.go is a client of the four commands used here.
//
// The page-side harness is the same in every engine: pages, recorder and
// trace scripts know nothing of the driver. An expression is evaluated as
// `await (expr)` and its value comes back as JSON, in every engine alike.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// An Engine names a browser engine.
type Engine string

const (
	Chromium Engine = "chromium"
	Firefox  Engine = "firefox"
	WebKit   Engine = "webkit"
)

// Engines are the engines this package drives, in the order tests run them.
var Engines = []Engine{Chromium, Firefox, WebKit}

// ParseEngines parses a comma-separated list of engine names, such as the
// BROWSERS environment variable; "" or "all" is every engine.
func ParseEngines(list string) ([]Engine, error) {
	if list == "" || list == "all" {
		return Engines, nil
	}
	var out []Engine
	for _, name := range strings.Split(list, ",") {
		e := Engine(strings.TrimSpace(name))
		if !slices.Contains(Engines, e) {
			return nil, fmt.Errorf("unknown browser %q: choose from %v", name, Engines)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Options configure a browser.
type Options struct {
	// Name prefixes the temporary profile directories.
	Name string
	// Headful shows the browser's windows (Chromium and Firefox; WebKit
	// always runs in a display, Xvfb's unless DISPLAY is set and Headful).
	Headful bool
	// Log receives the browser's own output, when not nil.
	Log func(line string)
	// Tabs is how many tabs may be open at once; WebKit starts that many
	// drivers. 0 means 4.
	Tabs int
}

// A Browser is a running browser with a fresh profile.
type Browser interface {
	Engine() Engine
	// Version is the browser's product name and version.
	Version() string
	// NewTab opens a tab (its own window, so that it is never a hidden
	// page) and calls onConsole with each console message and uncaught
	// error of its pages until the tab is closed. With FreshContext, the
	// tab has a context of its own.
	NewTab(ctx context.Context, onConsole func(ConsoleMessage), opts ...TabOption) (Tab, error)
	// Close ends the browser, every process it started, and removes its
	// profile.
	Close() error
}

// A Tab is one top-level browsing context.
type Tab interface {
	// Navigate loads url and returns once its load event has fired.
	Navigate(ctx context.Context, url string) error
	// Evaluate evaluates a JavaScript expression in the page, awaits it,
	// and returns its value as JSON ("null" for undefined). An exception,
	// or a rejection, is an error with its message.
	Evaluate(ctx context.Context, expr string) (json.RawMessage, error)
	// Preload makes script run in every document the tab loads from now
	// on, before the document's own scripts. WebKit's classic WebDriver
	// cannot: there it returns ErrNoPreload.
	Preload(ctx context.Context, script string) error
	// Close closes the tab; onConsole has had its last call when it
	// returns.
	Close() error
}

// A TabOption configures a tab that Browser.NewTab opens.
type TabOption func(*tabOptions)

type tabOptions struct {
	fresh bool
}

func newTabOptions(opts []TabOption) tabOptions {
	var o tabOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// FreshContext opens the tab in a context of its own, as on a first visit
// to a site: its cookies, storage and HTTP cache start empty, no other tab
// shares them, and closing the tab discards them. FreshContextMeans says
// what the context is in each engine.
func FreshContext() TabOption {
	return func(o *tabOptions) { o.fresh = true }
}

// FreshContextMeans says what a tab of FreshContext is in engine e, for
// reports that measure in one.
func FreshContextMeans(e Engine) string {
	switch e {
	case Chromium:
		return "a tab in a new browser context (DevTools Target.createBrowserContext): " +
			"empty HTTP cache, code caches and storage, and a new renderer process"
	case Firefox:
		return "a window in a new user context (WebDriver BiDi browser.createUserContext): " +
			"cookies, storage and HTTP cache of its own; Firefox may give it a content process " +
			"that served another context, so caches that live in a process may not start empty"
	case WebKit:
		return webkitFreshMeans
	}
	return ""
}

// ErrNoPreload is Tab.Preload's error in an engine whose driver cannot run
// a script before a document's own.
var ErrNoPreload = errors.New("this engine's driver cannot run a script before a page's own")

// Start starts a browser of engine e.
func Start(ctx context.Context, e Engine, opts Options) (Browser, error) {
	if opts.Tabs <= 0 {
		opts.Tabs = 4
	}
	if opts.Name == "" {
		opts.Name = "eventsource-wasm-" + string(e)
	}
	switch e {
	case Chromium:
		return startChromium(ctx, opts)
	case Firefox:
		return startFirefox(ctx, opts)
	case WebKit:
		return startWebKit(ctx, opts)
	}
	return nil, fmt.Errorf("unknown browser %q: choose from %v", e, Engines)
}

// A ConsoleMessage is a console call or an uncaught error of a page.
type ConsoleMessage struct {
	// Level is log, debug, info, warning or error.
	Level string
	Text  string
	// URL and Line say where the message came from, when known (Line
	// counts from 1).
	URL  string
	Line int
	// Exception is set for an uncaught exception or an unhandled
	// rejection.
	Exception bool
	// Stack is the stack of an exception, a frame a line, when known.
	Stack []string
}

func (m ConsoleMessage) String() string {
	if m.Exception {
		return "exception: " + m.Text
	}
	return m.Level + ": " + m.Text
}

// Problem says what a console message tells of a page that went wrong:
// "uncaught exception in the page", or "the Go runtime in the page died"
// for what wasm_exec.js writes of a Go panic or fatal error (it writes the
// runtime's stderr to console.log). ok is false for any other message.
func (m ConsoleMessage) Problem() (what string, ok bool) {
	switch {
	case m.Exception:
		return "uncaught exception in the page", true
	case strings.HasPrefix(m.Text, "panic: ") || strings.HasPrefix(m.Text, "fatal error: "):
		return "the Go runtime in the page died", true
	}
	return "", false
}

// wrapExpression is the script every engine evaluates for expr: it awaits
// the value and returns it as a JSON string, or undefined for undefined.
// The line break lets expr end in a line comment.
func wrapExpression(expr string) string {
	return "(async () => { const value = await (" + expr + "\n); " +
		"return value === undefined ? undefined : JSON.stringify(value); })()"
}

// jsonOf turns the string that wrapExpression's script returned (nil for
// undefined) into JSON.
func jsonOf(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(*s)
}
