package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/headless"
)

// FindFirefox returns the path of Firefox: $FIREFOX, else firefox-esr or
// firefox from PATH. Its error says how to get one.
func FindFirefox() (string, error) {
	return findProgram("FIREFOX", []string{"firefox-esr", "firefox"}, "apt-get install -y firefox-esr")
}

// findProgram returns the program named by the environment variable env,
// else the first of candidates found in PATH.
func findProgram(env string, candidates []string, install string) (string, error) {
	if p := os.Getenv(env); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return found, nil
	}
	for _, name := range candidates {
		if found, err := exec.LookPath(name); err == nil {
			return found, nil
		}
	}
	return "", fmt.Errorf("no browser found: %s is not set and none of %q exists; "+
		"install one (%s, or make deps) or set %s=/path/to/it", env, candidates, install, env)
}

// firefoxPrefs keep Firefox off the network it has no business with (a
// closed network refuses it anyway, slowly) and away from first-run pages.
// Firefox's remote agent sets its own recommended preferences besides.
var firefoxPrefs = map[string]any{
	"app.update.disabledForTesting":                     true,
	"browser.shell.checkDefaultBrowser":                 false,
	"browser.startup.homepage_override.mstone":          "ignore",
	"datareporting.policy.dataSubmissionEnabled":        false,
	"toolkit.telemetry.reportingpolicy.firstRun":        false,
	"network.http.http3.enable":                         false, // as --disable-quic does for Chromium
	"network.connectivity-service.enabled":              false,
	"network.captive-portal-service.enabled":            false,
	"browser.safebrowsing.update.enabled":               false,
	"extensions.update.enabled":                         false,
	"services.settings.server":                          "data:,",
	"messaging-system.rsexperimentloader.enabled":       false,
	"browser.newtabpage.activity-stream.feeds.snippets": false,
	// Timers run on time in every window, as chromedp's default flags
	// (--disable-background-timer-throttling and its kin) have Chromium
	// do: Firefox may throttle the timers of a window that has not the
	// focus, and of the test's four windows one has it.
	"dom.timeout.enable_budget_timer_throttling":                 false,
	"dom.min_background_timeout_value":                           4,
	"dom.min_background_timeout_value_without_budget_throttling": 4,
	// The e2e tests hold many event streams open to one test server from
	// four windows at once, and Firefox gives one host six HTTP/1.1
	// connections in all (seen: reconnections and redirects waiting 2 to 5
	// s for one). A page in the wild has one window's streams.
	"network.http.max-persistent-connections-per-server": 64,
}

// thrownText matches the text of an uncaught exception or an unhandled
// rejection in Firefox's error console.
var thrownText = regexp.MustCompile(`^(uncaught exception: |([A-Z][A-Za-z]*)?(Error|Exception)(: |$))`)

// firefox is Firefox, headless, driven over WebDriver BiDi.
type firefox struct {
	proc    *process
	conn    *bidiConn
	dataDir string
	version string

	mu       sync.Mutex
	consoles map[string]func(ConsoleMessage) // by browsing context id
}

func startFirefox(ctx context.Context, opts Options) (Browser, error) {
	path, err := FindFirefox()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", opts.Name+"-")
	if err != nil {
		return nil, err
	}
	var prefs strings.Builder
	all := maps.Clone(firefoxPrefs)
	if opts.Proxy != "" {
		host, port, err := net.SplitHostPort(opts.Proxy)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil {
			return nil, fmt.Errorf("proxy %q: want host:port", opts.Proxy)
		}
		// A manual proxy for http and https, loopback included
		// (Firefox leaves loopback out of any proxy unless told).
		for name, value := range map[string]any{
			"network.proxy.type": 1, "network.proxy.http": host, "network.proxy.http_port": n,
			"network.proxy.ssl": host, "network.proxy.ssl_port": n,
			"network.proxy.no_proxies_on": "", "network.proxy.allow_hijacking_localhost": true,
		} {
			all[name] = value
		}
	}
	for name, value := range all {
		v, _ := json.Marshal(value)
		fmt.Fprintf(&prefs, "user_pref(%q, %s);\n", name, v)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "user.js"), []byte(prefs.String()), 0o644); err != nil {
		return nil, err
	}
	args := []string{"--remote-debugging-port=0", "--profile", dataDir, "--no-remote", "--new-instance"}
	if !opts.Headful {
		args = append(args, "--headless")
	}
	args = append(args, "about:blank")
	lines := make(chan string, 64)
	proc, err := startProcess(exec.Command(path, args...), opts.Log, lines)
	if err != nil {
		headless.RemoveAll(dataDir)
		return nil, err
	}
	f := &firefox{proc: proc, dataDir: dataDir, consoles: map[string]func(ConsoleMessage){}}
	fail := func(err error) (Browser, error) {
		f.Close()
		return nil, fmt.Errorf("cannot start %s: %w", path, err)
	}

	// Firefox says where it listens: "WebDriver BiDi listening on ws://…".
	const announce = "WebDriver BiDi listening on "
	var wsURL string
	timeout := time.After(60 * time.Second)
	for wsURL == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				<-proc.done
				return fail(fmt.Errorf("it exited (%v) before it listened for WebDriver BiDi", proc.err))
			}
			if i := strings.Index(line, announce); i >= 0 {
				wsURL = strings.TrimSpace(line[i+len(announce):])
			}
		case <-timeout:
			return fail(errors.New("it did not listen for WebDriver BiDi within 60 s"))
		}
	}
	go func() { // nobody reads lines any more; keep the output flowing
		for range lines {
		}
	}()

	f.conn, err = dialBiDi(ctx, wsURL+"/session", f.event)
	if err != nil {
		return fail(err)
	}
	var session struct {
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	err = f.conn.call(ctx, "session.new", map[string]any{
		"capabilities": map[string]any{"alwaysMatch": map[string]any{
			// The HTTP/2 servers of the e2e tests have self-signed certificates.
			"acceptInsecureCerts": true,
		}},
	}, &session)
	if err != nil {
		return fail(err)
	}
	f.version = session.Capabilities.BrowserName + "/" + session.Capabilities.BrowserVersion
	return f, nil
}

func (f *firefox) Engine() Engine  { return Firefox }
func (f *firefox) Version() string { return f.version }

func (f *firefox) Close() error {
	if f.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f.conn.call(ctx, "browser.close", map[string]any{}, nil)
		cancel()
		f.conn.close()
	}
	f.proc.stop()
	return headless.RemoveAll(f.dataDir)
}

// event routes log entries to the console of their tab.
func (f *firefox) event(method string, params json.RawMessage) {
	if method != "log.entryAdded" {
		return
	}
	var e struct {
		Type   string `json:"type"` // "console" or "javascript"
		Level  string `json:"level"`
		Text   string `json:"text"`
		Source struct {
			Context string `json:"context"`
		} `json:"source"`
		StackTrace *struct {
			CallFrames []struct {
				URL          string `json:"url"`
				FunctionName string `json:"functionName"`
				LineNumber   int    `json:"lineNumber"`
				ColumnNumber int    `json:"columnNumber"`
			} `json:"callFrames"`
		} `json:"stackTrace"`
	}
	if json.Unmarshal(params, &e) != nil {
		return
	}
	f.mu.Lock()
	onConsole := f.consoles[e.Source.Context]
	f.mu.Unlock()
	if onConsole == nil {
		return
	}
	// Entries of type "javascript" are Firefox's error console: uncaught
	// exceptions and unhandled rejections, but also what the browser
	// itself reports of a page (a refused connection, a blocked load),
	// which are no exceptions. A thrown value's text begins with its
	// class, "uncaught exception: " for a value that is no Error.
	exception := e.Type == "javascript" && (e.StackTrace != nil || thrownText.MatchString(e.Text))
	m := ConsoleMessage{Level: e.Level, Text: e.Text, Exception: exception}
	if m.Level == "warn" {
		m.Level = "warning"
	}
	if e.StackTrace != nil {
		for i, fr := range e.StackTrace.CallFrames {
			if i == 0 {
				m.URL, m.Line = fr.URL, fr.LineNumber+1
			}
			name := fr.FunctionName
			if name == "" {
				name = "<anonymous>"
			}
			m.Stack = append(m.Stack, fmt.Sprintf("%s (%s:%d:%d)", name, fr.URL, fr.LineNumber+1, fr.ColumnNumber+1))
		}
	}
	onConsole(m)
}

func (f *firefox) NewTab(ctx context.Context, onConsole func(ConsoleMessage), opts ...TabOption) (Tab, error) {
	// A window of its own: a tab behind another is a hidden page.
	params := map[string]any{"type": "window"}
	userContext := ""
	if newTabOptions(opts).fresh {
		// A user context (a container, in Firefox's terms) has its own
		// cookies, storage and HTTP cache (WebDriver BiDi, "The browser
		// module").
		var uc struct {
			UserContext string `json:"userContext"`
		}
		if err := f.conn.call(ctx, "browser.createUserContext", map[string]any{}, &uc); err != nil {
			return nil, fmt.Errorf("open a tab: %w", err)
		}
		userContext = uc.UserContext
		params["userContext"] = userContext
	}
	var created struct {
		Context string `json:"context"`
	}
	if err := f.conn.call(ctx, "browsingContext.create", params, &created); err != nil {
		if userContext != "" {
			f.removeUserContext(userContext)
		}
		return nil, fmt.Errorf("open a tab: %w", err)
	}
	f.mu.Lock()
	f.consoles[created.Context] = onConsole
	f.mu.Unlock()
	tab := &firefoxTab{browser: f, context: created.Context, userContext: userContext}
	// The tab's console comes through a subscription of its own, which
	// ends when the tab closes, so that the session keeps none for the
	// hundreds of tabs an e2e pass opens and closes.
	var sub struct {
		Subscription string `json:"subscription"`
	}
	if err := f.conn.call(ctx, "session.subscribe", map[string]any{
		"events": []string{"log.entryAdded"}, "contexts": []string{created.Context},
	}, &sub); err != nil {
		tab.Close()
		return nil, fmt.Errorf("open a tab: %w", err)
	}
	tab.subscription = sub.Subscription
	return tab, nil
}

// removeUserContext discards a user context and closes its tabs.
func (f *firefox) removeUserContext(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f.conn.call(ctx, "browser.removeUserContext", map[string]any{"userContext": id}, nil)
}

type firefoxTab struct {
	browser *firefox
	context string
	// userContext is the user context the tab has to itself, or "".
	userContext string
	// subscription is the id of the tab's subscription to its console.
	subscription string
}

func (t *firefoxTab) Navigate(ctx context.Context, url string) error {
	return t.browser.conn.call(ctx, "browsingContext.navigate",
		map[string]any{"context": t.context, "url": url, "wait": "complete"}, nil)
}

func (t *firefoxTab) Evaluate(ctx context.Context, expr string) (json.RawMessage, error) {
	var res struct {
		Type   string `json:"type"` // "success" or "exception"
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := t.browser.conn.call(ctx, "script.evaluate", map[string]any{
		"expression":      wrapExpression(expr),
		"target":          map[string]any{"context": t.context},
		"awaitPromise":    true,
		"resultOwnership": "none",
	}, &res)
	if err != nil {
		return nil, err
	}
	switch {
	case res.Type == "exception":
		return nil, fmt.Errorf("exception: %s", res.ExceptionDetails.Text)
	case res.Result.Type == "undefined":
		return jsonOf(nil), nil
	case res.Result.Type != "string":
		return nil, fmt.Errorf("script.evaluate returned a %s, not a JSON string", res.Result.Type)
	}
	return jsonOf(&res.Result.Value), nil
}

func (t *firefoxTab) Preload(ctx context.Context, script string) error {
	return t.browser.conn.call(ctx, "script.addPreloadScript", map[string]any{
		"functionDeclaration": "() => {\n" + script + "\n}",
		"contexts":            []string{t.context},
	}, nil)
}

func (t *firefoxTab) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var unsubscribed error
	if t.subscription != "" {
		unsubscribed = t.browser.conn.call(ctx, "session.unsubscribe", map[string]any{"subscriptions": []string{t.subscription}}, nil)
	}
	err := t.browser.conn.call(ctx, "browsingContext.close", map[string]any{"context": t.context}, nil)
	t.browser.mu.Lock()
	delete(t.browser.consoles, t.context)
	t.browser.mu.Unlock()
	if isBiDiError(err, "no such frame") {
		err = nil
	}
	err = errors.Join(unsubscribed, err)
	if t.userContext != "" {
		err = errors.Join(err, t.browser.removeUserContext(t.userContext))
	}
	return err
}
