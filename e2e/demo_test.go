package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The demo pages, web/index.html, web/auth.html and web/chat.html, driven as
// a person would: they must connect, show the events in their log and the
// ready state on their badge, and the auth and chat demos must do what they
// show (a fresh token per connection; a POST whose reply ends in done).
//
// With E2E_SCREENSHOTS=dir, each test also saves screenshots of its page in
// dir: light and dark at 1280 px wide, and light at 390 px, for review.

// TestDemoIndex opens the main demo on the clock stream with WasmEventSource,
// closes it, shows the error of a failing scenario, and then switches to the
// native EventSource.
func TestDemoIndex(t *testing.T) {
	t.Parallel()
	ctx := openDemo(t, "/index.html?stream=clock&impl=wasm")
	demoWait(t, ctx, 10*time.Second, "the badge to show OPEN and the log two events of the clock",
		`state() === "OPEN" && document.querySelectorAll("#log .row--message").length >= 2`)

	rows := demoRows(t, ctx)
	if len(rows) < 4 || rows[0].Kind != "info" || rows[1].Kind != "open" {
		t.Fatalf("log %v, want the construction, open and then messages", rows)
	}
	if want := `new WasmEventSource("/sse/clock", {"heartbeatTimeout":5000})`; rows[0].Data != want {
		t.Errorf("first row %q, want %q", rows[0].Data, want)
	}
	if rows[1].Data != "200 OK" || !strings.HasPrefix(rows[1].Detail, "text/event-stream") {
		t.Errorf("open row %+v, want 200 OK and the Content-Type from the open event", rows[1])
	}
	for i, row := range rows[2:4] {
		var tick struct {
			N int `json:"n"`
		}
		if err := json.Unmarshal([]byte(row.Data), &tick); err != nil || row.Kind != "message" || row.Type != "message" ||
			tick.N != i+1 || row.ID != strconv.Itoa(i+1) {
			t.Errorf("row %d: %+v, want message %d of the clock with id %d", i+2, row, i+1, i+1)
		}
	}
	if got := demoText(t, ctx, "#impl-tag"); got != "WasmEventSource" {
		t.Errorf("implementation tag %q, want WasmEventSource", got)
	}
	if n, _ := strconv.Atoi(demoText(t, ctx, "#count-events")); n < 2 {
		t.Errorf("events counter %q, want at least 2", demoText(t, ctx, "#count-events"))
	}
	saveScreenshots(t, ctx, "demo-index")

	demoClick(t, ctx, "#close")
	demoWait(t, ctx, 5*time.Second, "the badge to show CLOSED after Close",
		`state() === "CLOSED" && document.querySelector("#log .row").dataset.type === "close"`)

	t.Run("error details", func(t *testing.T) {
		ctx := openDemo(t, "/index.html?stream=scenario:status-500&impl=wasm")
		demoWait(t, ctx, 10*time.Second, "an error row and the badge CLOSED",
			`state() === "CLOSED" && document.querySelector("#log .row--error") !== null`)
		var errRow *demoRow
		for _, row := range demoRows(t, ctx) {
			if row.Kind == "error" {
				errRow = &row
				break
			}
		}
		if errRow == nil || !strings.Contains(errRow.Detail, "reason: http-status") ||
			!strings.Contains(errRow.Detail, "status 500") || !strings.Contains(errRow.Detail, "closed for good") ||
			!strings.Contains(errRow.Data, "500") {
			t.Errorf("error row %+v, want the reason http-status, status 500, closed for good, and a message", errRow)
		}
	})

	t.Run("native", func(t *testing.T) {
		demoClick(t, ctx, `input[name="impl"][value="native"]`)
		demoWait(t, ctx, 10*time.Second, "the native EventSource to connect and dispatch an event",
			`state() === "OPEN" && document.querySelector("#impl-tag").dataset.impl === "native" && +document.querySelector("#count-events").textContent >= 1`)
		if loc := demoEval[string](t, ctx, `location.search`); loc != "?stream=clock&impl=native" {
			t.Errorf("the page's query is %q, want ?stream=clock&impl=native", loc)
		}
	})
}

// TestDemoAuth lets tokens of 2 s expire until the page has made three
// connections, and checks that each sent its own fresh token, in the page's
// table and in the server's session log.
func TestDemoAuth(t *testing.T) {
	t.Parallel()
	ctx := openDemo(t, "/auth.html?ttl=2s&interval=250")
	demoWait(t, ctx, 15*time.Second, "a third connection to open",
		`document.querySelectorAll("#conns tr").length >= 3 && document.querySelector("#conns tr").dataset.outcome === "open"`)
	conns := authConnections(t, ctx)
	if last := conns[len(conns)-1]; last.Outcome == "connecting" {
		conns = conns[:len(conns)-1] // a fourth, whose request may not have arrived yet
	}
	session := demoEval[string](t, ctx, `document.body.dataset.session`)
	reqs := fetchSession(t, session)
	if len(reqs) < len(conns) {
		t.Fatalf("the server saw %d requests, the page shows %d connections", len(reqs), len(conns))
	}
	seen := map[string]bool{}
	for i, c := range conns {
		if seen[c.Token] {
			t.Errorf("connection %d sent token %s again", i+1, c.Token)
		}
		seen[c.Token] = true
		if i > 0 && c.Serial <= conns[i-1].Serial {
			t.Errorf("connection %d: token #%d after #%d, want a newer one", i+1, c.Serial, conns[i-1].Serial)
		}
		if last := i == len(conns)-1; !last && (c.Outcome != "ended" || c.Events < 2) {
			t.Errorf("connection %d: %+v, want ended after a welcome and messages", i+1, c)
		}
		r := reqs[i]
		if got := r.Header["Authorization"]; got != "Bearer "+c.Token || r.Status != 200 {
			t.Errorf("request %d: %d with Authorization %q, want 200 with Bearer %s", i+1, r.Status, got, c.Token)
		}
		if i > 0 && !r.HasLastEventID {
			t.Errorf("request %d has no Last-Event-ID; a reconnection must resume", i+1)
		}
	}
	if errs := rowsOf(demoRows(t, ctx), "error"); len(errs) < 2 || !strings.Contains(errs[0].Detail, "reason: end-of-stream") {
		t.Errorf("error rows %v, want one end-of-stream per expired token", errs)
	}
	saveScreenshots(t, ctx, "demo-auth")
}

// TestDemoAuthStaleToken unticks the refresh: the page sends its first token
// again, and the server's 401 closes the source for good.
func TestDemoAuthStaleToken(t *testing.T) {
	t.Parallel()
	ctx := openDemo(t, "/auth.html?ttl=2s&interval=250&refresh=0")
	demoWait(t, ctx, 10*time.Second, "the badge to show CLOSED after a 401",
		`state() === "CLOSED" && document.querySelectorAll("#conns tr").length === 2`)
	conns := authConnections(t, ctx)
	if conns[0].Token != conns[1].Token || conns[0].Outcome != "ended" || conns[1].Outcome != "refused" {
		t.Errorf("connections %+v, want the same token twice, ended and then refused", conns)
	}
	errs := rowsOf(demoRows(t, ctx), "error")
	if n := len(errs); n == 0 || !strings.Contains(errs[n-1].Detail, "reason: http-status · status 401") || !strings.Contains(errs[n-1].Detail, "closed for good") {
		t.Errorf("error rows %v, want the last with reason http-status and status 401, closed for good", errs)
	}
	reqs := fetchSession(t, demoEval[string](t, ctx, `document.body.dataset.session`))
	if len(reqs) != 2 || reqs[0].Status != 200 || reqs[1].Status != 401 || reqs[0].Header["Authorization"] != reqs[1].Header["Authorization"] {
		t.Errorf("the server saw %+v, want 200 and then 401 for the same token", reqs)
	}
}

// TestDemoChat sends two prompts, one with the Send button and one with the
// Enter key: each reply streams in word by word, and the page closes its
// source on done.
func TestDemoChat(t *testing.T) {
	t.Parallel()
	ctx := openDemo(t, "/chat.html?delay=15")
	demoRun(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name="bot"][value="reverse"]`)),
		chromedp.SendKeys(chromedp.CSS("#prompt"), "Hello wide world"),
		chromedp.Click(chromedp.CSS("#send")),
	)
	demoWait(t, ctx, 10*time.Second, "the reply to be done",
		`document.querySelector(".msg--bot")?.dataset.state === "done" && state() === "CLOSED"`)
	if got := demoText(t, ctx, ".msg--bot .msg__text"); got != "dlrow ediw olleH" {
		t.Errorf("the reply is %q, want %q", got, "dlrow ediw olleH")
	}
	rows := demoRows(t, ctx)
	var ids []string
	for _, row := range rows {
		if row.Kind == "message" {
			ids = append(ids, row.Type+":"+row.ID)
		}
		if row.Kind == "error" {
			t.Errorf("error row %+v: the reply must end in done, not in an error", row)
		}
	}
	if got, want := strings.Join(ids, " "), "message:1 message:2 message:3 done:done"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	saveScreenshots(t, ctx, "demo-chat")

	session := demoEval[string](t, ctx, `document.body.dataset.session`)
	reqs := fetchSession(t, session)
	if len(reqs) != 1 {
		t.Fatalf("the server saw %d requests, want 1: the page must close the source on done", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Header["Content-Type"] != "application/json" || r.Body != `{"prompt":"Hello wide world","bot":"reverse"}` || r.Status != 200 {
		t.Errorf("the server saw %s %q with Content-Type %q, status %d; want the prompt as JSON in a POST, 200",
			r.Method, r.Body, r.Header["Content-Type"], r.Status)
	}

	demoRun(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name="bot"][value="rot13"]`)),
		chromedp.SendKeys(chromedp.CSS("#prompt"), "Uryyb, jbeyq!\n"),
	)
	demoWait(t, ctx, 10*time.Second, "the second reply to be done",
		`document.querySelectorAll(".msg--bot").length === 2 && document.querySelectorAll(".msg--bot")[1].dataset.state === "done" && state() === "CLOSED"`)
	if got := demoEval[string](t, ctx, `document.querySelectorAll(".msg--bot .msg__text")[1].textContent`); got != "Hello, world!" {
		t.Errorf("the second reply is %q, want %q", got, "Hello, world!")
	}
	if n := len(fetchSession(t, session)); n != 2 {
		t.Errorf("the server saw %d requests, want 2", n)
	}
}

// A demoRow is a row of a demo page's event log (web/ui.js).
type demoRow struct {
	Kind   string `json:"kind"` // open, message, error or info
	Type   string `json:"type"` // the event type, for messages
	Data   string `json:"data"`
	ID     string `json:"id"`
	Detail string `json:"detail"`
}

func (r demoRow) String() string {
	return fmt.Sprintf("{%s %s %q id=%q %q}", r.Kind, r.Type, r.Data, r.ID, r.Detail)
}

// demoRows returns the rows of the page's event log, oldest first.
func demoRows(t *testing.T, ctx context.Context) []demoRow {
	t.Helper()
	return demoEval[[]demoRow](t, ctx, `[...document.querySelectorAll("#log .row")].reverse().map((r) => ({
		kind: r.dataset.kind,
		type: r.dataset.type,
		data: r.querySelector(".row__data")?.textContent ?? "",
		id: r.querySelector(".row__id").textContent,
		detail: r.querySelector(".row__detail")?.textContent ?? "",
	}))`)
}

func rowsOf(rows []demoRow, kind string) []demoRow {
	var out []demoRow
	for _, r := range rows {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// An authConnection is a row of auth.html's table of connections.
type authConnection struct {
	Serial  int    `json:"serial"`
	Token   string `json:"token"`
	Outcome string `json:"outcome"`
	Events  int    `json:"events"`
}

// authConnections returns the connections auth.html shows, oldest first.
func authConnections(t *testing.T, ctx context.Context) []authConnection {
	t.Helper()
	return demoEval[[]authConnection](t, ctx, `[...document.querySelectorAll("#conns tr")].reverse().map((tr) => ({
		serial: +tr.dataset.serial,
		token: tr.dataset.token,
		outcome: tr.dataset.outcome,
		events: +tr.cells[3].textContent,
	}))`)
}

// openDemo opens a demo page in a new tab and waits until its script has
// started. It defines state() in the page, the text of its ready-state
// badge, for the conditions of demoWait.
func openDemo(t *testing.T, path string) context.Context {
	t.Helper()
	chromiumOnly(t, "the demo is driven with clicks and keys, and photographed, through DevTools")
	if env.polyfillErr != nil {
		t.Fatalf("cannot test the demo: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	// The pages set a Content-Security-Policy without 'unsafe-inline' or
	// 'unsafe-eval': record any violation from the start, and fail on it.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`,
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations ?? []`))
		if err != nil {
			t.Errorf("reading the page's CSP violations: %v", err)
		}
		for _, v := range violations {
			t.Errorf("Content-Security-Policy violation in %s: %s", path, v)
		}
	})
	demoRun(t, ctx, chromedp.Navigate(env.server.URL+path))
	demoWait(t, ctx, 10*time.Second, path+" to start", `document.documentElement.dataset.demo === "started"`)
	// DevTools evaluates outside the page's Content-Security-Policy.
	demoRun(t, ctx, chromedp.Evaluate[chromedp.Void](`window.state = () => document.querySelector("#state").dataset.state`))
	return ctx
}

// demoWait waits until the JavaScript expression cond is true in the page.
// When it is not after timeout, the test fails with what it waited for and
// the page's badge and log.
func demoWait(t *testing.T, ctx context.Context, timeout time.Duration, what, cond string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(tctx, chromedp.Poll[bool](cond,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(25*time.Millisecond)))
	if err == nil {
		return
	}
	if errors.Is(err, chromedp.ErrPollingTimeout) {
		err = fmt.Errorf("not after %v", timeout)
	}
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#state")?.dataset.state ?? "(no badge)"`))
	var log strings.Builder
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#log .row")].reverse().map((r) => r.innerText.replace(/\s+/g, " "))`))
	for _, r := range rows {
		fmt.Fprintf(&log, "\n\t%s", r)
	}
	t.Fatalf("waiting for %s: %v\nbadge: %s\nlog, oldest first:%s", what, err, state, log.String())
}

// demoEval returns the value of a JavaScript expression in the page.
func demoEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// demoText returns the text of the first element that matches a CSS selector.
func demoText(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("text of %s: %v", selector, err)
	}
	return v
}

func demoClick(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	demoRun(t, ctx, chromedp.Click(chromedp.CSS(selector)))
}

// demoRun runs actions in the tab, each within 10 s.
func demoRun(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// saveScreenshots saves screenshots of the page in $E2E_SCREENSHOTS, when it
// is set: name.png (1280 px, light), name-dark.png and name-mobile.png.
func saveScreenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	shots := []struct {
		suffix        string
		width, height int64
		mobile        bool
		scheme        string
	}{
		{"", 1280, 900, false, "light"},
		{"-dark", 1280, 900, false, "dark"},
		{"-mobile", 390, 844, true, "light"},
	}
	for _, s := range shots {
		var opts []chromedp.EmulateViewportOption
		if s.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		demoRun(t, ctx, chromedp.EmulateViewport(s.width, s.height, opts...))
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s.scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		// Let transitions of colour end before the picture.
		demoRun(t, ctx, chromedp.Sleep(300*time.Millisecond))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+s.suffix+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	demoRun(t, ctx, chromedp.ResetViewport())
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
}
