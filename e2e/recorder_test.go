package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

// The tests of WasmEventSource's options and API drive pages under web/e2e/
// with web/e2e/recorder.js, which keeps every detail of each event. They
// construct sources in expressions that they evaluate in the page, so that
// the options and handlers of a test sit next to its assertions.

// evalTimeout bounds one evaluation in a page: recorder.watch gives up after
// 8 s by default, so only a page that hangs reaches it.
const evalTimeout = 25 * time.Second

// Record is one event that recorder.watch saw, as web/e2e/recorder.js
// records it. Which fields are set depends on Type.
type Record struct {
	// Type is "open", "error", "message" (for every MessageEvent, whatever
	// its type) or "timeout".
	Type string `json:"type"`
	// T is when the event came, in ms since the watch started.
	T          float64 `json:"t"`
	ReadyState int     `json:"readyState"`

	// A message: Event is the event's type.
	Event          string `json:"event"`
	Data           string `json:"data"`
	LastEventID    string `json:"lastEventId"`
	Origin         string `json:"origin"`
	IsMessageEvent bool   `json:"isMessageEvent"`

	// An open event of WasmEventSource: the response. ContentType is
	// headers.get("content-type"), or the error event's contentType.
	Status      int     `json:"status"`
	StatusText  string  `json:"statusText"`
	ContentType *string `json:"contentType"`
	URL         string  `json:"url"`

	// An error event of WasmEventSource.
	Reason        string  `json:"reason"`
	Message       string  `json:"message"`
	WillReconnect *bool   `json:"willReconnect"`
	RetryDelay    float64 `json:"retryDelay"`
	Retries       int     `json:"retries"`
}

func (r Record) String() string {
	switch r.Type {
	case "message":
		data := r.Data
		if len(data) > 80 {
			data = data[:80] + "…"
		}
		return fmt.Sprintf("%6.0fms message %s %q id=%q rs=%d", r.T, r.Event, data, r.LastEventID, r.ReadyState)
	case "open":
		return fmt.Sprintf("%6.0fms open %d %q rs=%d", r.T, r.Status, r.StatusText, r.ReadyState)
	case "error":
		reconnect := "?"
		if r.WillReconnect != nil {
			reconnect = fmt.Sprint(*r.WillReconnect)
		}
		return fmt.Sprintf("%6.0fms error %s reconnect=%s delay=%v retries=%d rs=%d %q",
			r.T, r.Reason, reconnect, r.RetryDelay, r.Retries, r.ReadyState, r.Message)
	}
	return fmt.Sprintf("%6.0fms %s rs=%d", r.T, r.Type, r.ReadyState)
}

// Watch is the result of recorder.watch.
type Watch struct {
	Log []Record `json:"log"`
	// EndedBy is "until", "closed" (an error event left the source CLOSED)
	// or "timeout".
	EndedBy    string `json:"endedBy"`
	ReadyState int    `json:"readyState"`
}

func (w Watch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ended by %s, readyState %d:", w.EndedBy, w.ReadyState)
	for _, r := range w.Log {
		b.WriteString("\n\t" + r.String())
	}
	return b.String()
}

// of returns the records of one type, in order.
func (w Watch) of(typ string) []Record {
	var out []Record
	for _, r := range w.Log {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// data returns the data of the message events, in order.
func (w Watch) data() []string {
	var out []string
	for _, r := range w.of("message") {
		out = append(out, r.Data)
	}
	return out
}

// openPage opens web/e2e/<page> in a new tab and waits for recorder.loaded:
// for a wasm page, until WasmEventSource.ready resolves. A wasm page fails
// the test at once when the polyfill is not built.
func openPage(t *testing.T, page string) context.Context {
	t.Helper()
	if page != "native.html" && env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	navigate(t, ctx, page)
	evaluate[string](t, ctx, `window.recorder ? recorder.loaded : Promise.reject(new Error("/e2e/recorder.js did not load"))`)
	return ctx
}

// pageFor is the page of an implementation.
func pageFor(impl string) string { return impl + ".html" }

// navigate loads web/e2e/<page> in the tab.
func navigate(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	navigateTo(t, ctx, env.server.URL+"/e2e/"+page)
}

// navigateTo loads url in the tab and waits for its load event.
func navigateTo(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	if err := tabOf(t, ctx).Navigate(ctx, url); err != nil {
		t.Fatalf("open %s: %v", strings.TrimPrefix(url, env.server.URL), err)
	}
}

// evaluate evaluates a JavaScript expression in the page, awaits it if it
// is a promise, and decodes its value as JSON into a T.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return evaluateWithin[T](t, ctx, evalTimeout, expr)
}

// evaluateWithin is evaluate with a timeout of its own.
func evaluateWithin[T any](t *testing.T, ctx context.Context, timeout time.Duration, expr string) T {
	t.Helper()
	v, err := tryEvaluate[T](ctx, timeout, expr)
	if err != nil {
		t.Fatalf("evaluate %s: %v", brief(expr), err)
	}
	return v
}

// tryEvaluate is evaluate that returns its error, from any goroutine.
func tryEvaluate[T any](ctx context.Context, timeout time.Duration, expr string) (T, error) {
	var v T
	tab, ok := ctx.Value(tabKey{}).(browser.Tab)
	if !ok {
		return v, errors.New("the context is not a tab's: make it with newTab")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := tab.Evaluate(ctx, expr)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("the value %s: %w", brief(string(raw)), err)
	}
	return v, nil
}

// watch evaluates source, an expression that makes an EventSource, and
// records its events until the JavaScript function until(log, source)
// returns true, it closes, or 8 s pass (see recorder.watch).
func watch(t *testing.T, ctx context.Context, source, until string) Watch {
	t.Helper()
	w := evaluate[Watch](t, ctx, "recorder.watch("+source+", {until: "+until+"})")
	t.Logf("%s\n%s", source, w)
	return w
}

// js returns v as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sessionURL is an endpoint of the reference server with session and the
// other query parameters, e.g. sessionURL("/sse/echo", s, "total", "3").
func sessionURL(path, session string, kv ...string) string {
	q := url.Values{"session": {session}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return path + "?" + q.Encode()
}

// absoluteURL is what a page of the test server resolves path to.
func absoluteURL(path string) string { return env.server.URL + path }

// Request is the data of the "request" event of /sse/echo.
type Request struct {
	Method         string            `json:"method"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	LastEventID    string            `json:"lastEventId"`
	HasLastEventID bool              `json:"hasLastEventId"`
	Cookies        []string          `json:"cookies"`
}

// echoed returns the requests that /sse/echo described in a watch.
func echoed(t *testing.T, w Watch) []Request {
	t.Helper()
	var out []Request
	for _, r := range w.of("message") {
		if r.Event != "request" {
			continue
		}
		var req Request
		if err := json.Unmarshal([]byte(r.Data), &req); err != nil {
			t.Fatalf("the request event of /sse/echo is not JSON: %v: %q", err, r.Data)
		}
		out = append(out, req)
	}
	return out
}

// untilEchoed is a watch condition: n request events of /sse/echo.
func untilEchoed(n int) string {
	return fmt.Sprintf(`(log) => log.filter((e) => e.event === "request").length >= %d`, n)
}

// untilMessages is a watch condition: n message events of any type.
func untilMessages(n int) string {
	return fmt.Sprintf(`(log) => log.filter((e) => e.type === "message").length >= %d`, n)
}

// untilClosed is a watch condition that only an error event leaving the
// source CLOSED ends.
const untilClosed = `() => false`

// gaps returns the time from the start of each request to the start of the
// next, as the server saw them.
func gaps(reqs []SessionRequest) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(reqs); i++ {
		out = append(out, time.Duration((reqs[i].StartedMs-reqs[i-1].StartedMs)*float64(time.Millisecond)))
	}
	return out
}

// requestsString describes requests of a session briefly, for a failure
// message.
func requestsString(reqs []SessionRequest) string {
	if len(reqs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, r := range reqs {
		fmt.Fprintf(&b, "\n\t%d: %s %s status %d, %.0f ms long, active %v, aborted %v, Last-Event-ID %q",
			i+1, r.Method, r.Path, r.Status, r.EndedMs-r.StartedMs, r.Active, r.Aborted, r.LastEventID)
	}
	return b.String()
}

// waitInactive waits until the server has seen every request of a session
// end, and returns them.
func waitInactive(t *testing.T, session string, want int) []SessionRequest {
	t.Helper()
	var reqs []SessionRequest
	waitFor(t, 5*time.Second, func() bool {
		reqs = fetchSession(t, session)
		if len(reqs) < want {
			return false
		}
		for _, r := range reqs {
			if r.Active {
				return false
			}
		}
		return true
	}, func() string {
		return fmt.Sprintf("session %s: want %d requests, all over; have %s", session, want, requestsString(reqs))
	})
	return reqs
}

// brief shortens s for a failure message.
func brief(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
