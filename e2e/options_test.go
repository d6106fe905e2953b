package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

// The tests of the options that WasmEventSource takes besides
// withCredentials (issue #4; js/core.js, normalize; js/eventsource-wasm.d.ts).
// Each one checks what the browser really sent, in the session log of the
// reference server or in the request event of /sse/echo, and what the page
// really received.

// TestOptionHeaders checks that static headers, given as an object, a
// Headers or an array of pairs, reach the server, and that Accept is still
// text/event-stream (HTML §9.2.2).
func TestOptionHeaders(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	forms := []struct{ name, headers string }{
		{"object", `{Authorization: "Bearer static", "X-Custom": "custom value"}`},
		{"Headers", `new Headers([["Authorization", "Bearer static"], ["X-Custom", "custom value"]])`},
		{"array", `[["Authorization", "Bearer static"], ["X-Custom", "custom value"]]`},
	}
	for _, f := range forms {
		url := sessionURL("/sse/echo", session+"-"+f.name)
		w := watch(t, ctx, `new WasmEventSource(`+js(url)+`, {headers: `+f.headers+`})`, untilEchoed(1))
		reqs := echoed(t, w)
		if len(reqs) != 1 {
			t.Errorf("%s: /sse/echo described %d requests, want 1", f.name, len(reqs))
			continue
		}
		h := reqs[0].Headers
		for name, want := range map[string]string{
			"Authorization": "Bearer static",
			"X-Custom":      "custom value",
			"Accept":        "text/event-stream",
		} {
			if got, ok := h[name]; got != want {
				t.Errorf("%s: the server got %s %s, want %q", f.name, name, headerValue(got, ok), want)
			}
		}
	}
}

// calledWatch is a watch and how often an option's function was called.
type calledWatch struct {
	Watch Watch `json:"watch"`
	Calls int   `json:"calls"`
}

// watchCalls makes a WasmEventSource on url with the options in init, in
// which the variable calls counts the calls of a function, and watches it
// until it closes.
func watchCalls(t *testing.T, ctx context.Context, url, init string) calledWatch {
	t.Helper()
	res := evaluate[calledWatch](t, ctx, `(() => {
		let calls = 0;
		const source = new WasmEventSource(`+js(url)+`, `+init+`);
		return recorder.watch(source).then((watch) => ({watch, calls}));
	})()`)
	t.Logf("%s %s: %d calls\n%s", url, init, res.Calls, res.Watch)
	return res
}

// TestOptionHeadersFunction checks a headers function: it is called before
// every connection, so a token refreshed between connections reaches the
// server. The counter ends each response after one event, and answers 204
// after three.
func TestOptionHeadersFunction(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	fns := []struct{ name, fn string }{
		{"sync", `() => ({Authorization: "Bearer token-" + (++calls)})`},
		{"async", `async () => {
			await new Promise((resolve) => setTimeout(resolve, 10));
			return new Headers({Authorization: "Bearer token-" + (++calls)});
		}`},
	}
	for _, f := range fns {
		s := session + "-" + f.name
		res := watchCalls(t, ctx, sessionURL("/sse/counter", s, "total", "3", "per", "1", "retry", "20"),
			`{headers: `+f.fn+`}`)
		if got, want := res.Watch.data(), []string{"1", "2", "3"}; !slices.Equal(got, want) {
			t.Errorf("%s: events %q, want %q", f.name, got, want)
		}
		reqs := fetchSession(t, s)
		if len(reqs) != 4 {
			t.Errorf("%s: the server saw %d requests, want 4 (three streams, then 204)", f.name, len(reqs))
		}
		for i, r := range reqs {
			if want := "Bearer token-" + strconv.Itoa(i+1); r.Header["Authorization"] != want {
				t.Errorf("%s: request %d had Authorization %q, want %q", f.name, i+1, r.Header["Authorization"], want)
			}
			if r.Header["Accept"] != "text/event-stream" {
				t.Errorf("%s: request %d had Accept %q, want text/event-stream", f.name, i+1, r.Header["Accept"])
			}
		}
		if res.Calls != len(reqs) {
			t.Errorf("%s: the headers function was called %d times for %d requests, want once per request", f.name, res.Calls, len(reqs))
		}
	}
}

// TestOptionHeadersFunctionFails checks that a headers or body function
// that throws, or whose promise rejects, fires an error event with reason
// "request-setup" that carries the thrown message, and that the source
// then tries again: the second call succeeds and the source opens.
func TestOptionHeadersFunctionFails(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	cases := []struct{ name, init, thrown, header, body string }{
		{"headers throws", `{retry: 50, headers: () => {
			if (++calls === 1) throw new Error("no token yet");
			return {Authorization: "Bearer second"};
		}}`, "no token yet", "Bearer second", ""},
		{"headers rejects", `{retry: 50, headers: async () => {
			if (++calls === 1) throw new Error("token service down");
			return {Authorization: "Bearer second"};
		}}`, "token service down", "Bearer second", ""},
		{"body throws", `{retry: 50, method: "POST", body: () => {
			if (++calls === 1) throw new TypeError("no body yet");
			return "second body";
		}}`, "no body yet", "", "second body"},
	}
	for i, c := range cases {
		s := fmt.Sprintf("%s-%d", session, i)
		res := evaluate[calledWatch](t, ctx, `(() => {
			let calls = 0;
			const source = new WasmEventSource(`+js(sessionURL("/sse/echo", s))+`, `+c.init+`);
			return recorder.watch(source, {until: `+untilEchoed(1)+`}).then((watch) => ({watch, calls}));
		})()`)
		w := res.Watch
		t.Logf("%s:\n%s", c.name, w)
		if len(w.Log) < 3 || w.Log[0].Type != "error" || w.Log[1].Type != "open" {
			t.Errorf("%s: want an error event, then open, then the request event; got %s", c.name, w)
			continue
		}
		e := w.Log[0]
		if e.Reason != "request-setup" || e.WillReconnect == nil || !*e.WillReconnect || e.ReadyState != 0 {
			t.Errorf("%s: error %s, want reason request-setup, willReconnect true, readyState CONNECTING", c.name, e)
		}
		if !strings.Contains(e.Message, c.thrown) {
			t.Errorf("%s: the error's message %q does not carry the thrown message %q", c.name, e.Message, c.thrown)
		}
		reqs := echoed(t, w)
		if len(reqs) != 1 || reqs[0].Headers["Authorization"] != c.header || reqs[0].Body != c.body {
			t.Errorf("%s: the server got %+v, want Authorization %q and body %q", c.name, reqs, c.header, c.body)
		}
		if n := len(fetchSession(t, s)); n != 1 {
			t.Errorf("%s: the server saw %d requests, want 1: the failed setup must not send one", c.name, n)
		}
		if res.Calls != 2 {
			t.Errorf("%s: the function was called %d times, want 2", c.name, res.Calls)
		}
	}
}

// TestOptionMethodAndBody checks method and body: a string body is posted
// as is, a body function is called for every connection, and a GET or HEAD
// request with a body throws a TypeError at construction.
func TestOptionMethodAndBody(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)

	t.Run("string", func(t *testing.T) {
		w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/echo", session+"-string"))+
			`, {method: "post", body: "hello body"})`, untilEchoed(1))
		reqs := echoed(t, w)
		if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Body != "hello body" {
			t.Fatalf("the server got %+v, want one POST with the body %q", reqs, "hello body")
		}
		if ct := reqs[0].Headers["Content-Type"]; !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("a string body went with Content-Type %q, want text/plain as fetch sets it", ct)
		}
	})

	t.Run("function", func(t *testing.T) {
		// ids-reconnect has two streams that end, then 204.
		s := session + "-function"
		res := watchCalls(t, ctx, scenarioURL("ids-reconnect", s),
			`{method: "POST", body: async () => "body-" + (++calls)}`)
		if got, want := res.Watch.data(), []string{"first", "second", "last-event-id=2"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		reqs := fetchSession(t, s)
		if len(reqs) != 3 {
			t.Fatalf("the server saw %d requests, want 3", len(reqs))
		}
		for i, r := range reqs {
			if want := "body-" + strconv.Itoa(i+1); r.Method != "POST" || r.Body != want {
				t.Errorf("request %d: %s with body %q, want POST with %q", i+1, r.Method, r.Body, want)
			}
		}
	})

	t.Run("GET or HEAD with a body", func(t *testing.T) {
		s := session + "-get"
		got := evaluate[[]string](t, ctx, `[{}, {method: "GET"}, {method: "get"}, {method: "HEAD"}, {method: "PUT"}].map((o) => {
			try {
				new WasmEventSource(`+js(sessionURL("/sse/echo", s))+`, {...o, body: "x"}).close();
				return "no exception";
			} catch (e) {
				return e.constructor.name + ": " + e.message;
			}
		})`)
		t.Logf("%q", got)
		for i, method := range []string{"(none)", "GET", "get", "HEAD"} {
			if !strings.HasPrefix(got[i], "TypeError: ") {
				t.Errorf("method %s with a body: %q, want a TypeError at construction", method, got[i])
			}
		}
		if got[4] != "no exception" {
			t.Errorf("method PUT with a body: %q, want no exception", got[4])
		}
	})
}

// TestOptionCredentials checks the credentials mode against a cookie of the
// page: same-origin (the default) and include send it, omit does not;
// credentials overrides withCredentials, and the withCredentials attribute
// is true exactly for include. Native EventSource runs the cases it has.
func TestOptionCredentials(t *testing.T) {
	t.Parallel()
	type credentialsCase struct {
		init                    string
		cookie, withCredentials bool
	}
	cases := map[string][]credentialsCase{
		"native": {
			{`{}`, true, false},
			{`{withCredentials: true}`, true, true},
		},
		"wasm": {
			{`{}`, true, false},
			{`{credentials: "same-origin"}`, true, false},
			{`{credentials: "include"}`, true, true},
			{`{credentials: "omit"}`, false, false},
			{`{withCredentials: true}`, true, true},
			{`{withCredentials: true, credentials: "omit"}`, false, false},
			{`{withCredentials: false, credentials: "include"}`, true, true},
		},
	}
	forEachImpl(t, func(t *testing.T, impl string) {
		ctx := openPage(t, pageFor(impl))
		session := newSession(t)
		// The cookie is only for /sse/echo, and its name is the test's own:
		// the browser, and so its cookie jar, is shared by every test.
		cookie := "c_" + session
		evaluate[string](t, ctx, `document.cookie = `+js(cookie+"=1; path=/sse/echo; SameSite=Strict"))
		t.Cleanup(func() {
			evaluate[string](t, ctx, `document.cookie = `+js(cookie+"=; path=/sse/echo; max-age=0"))
		})
		for i, c := range cases[impl] {
			type result struct {
				Watch           Watch `json:"watch"`
				WithCredentials bool  `json:"withCredentials"`
			}
			res := evaluate[result](t, ctx, `(() => {
				const source = new recorder.Source(`+js(sessionURL("/sse/echo", fmt.Sprintf("%s-%d", session, i)))+`, `+c.init+`);
				return recorder.watch(source, {until: `+untilEchoed(1)+`}).then((watch) => ({watch, withCredentials: source.withCredentials}));
			})()`)
			reqs := echoed(t, res.Watch)
			if len(reqs) != 1 {
				t.Errorf("%s: /sse/echo described %d requests, want 1\n%s", c.init, len(reqs), res.Watch)
				continue
			}
			if got := slices.Contains(reqs[0].Cookies, cookie); got != c.cookie {
				t.Errorf("%s: the cookie was sent: %v, want %v (cookies: %q)", c.init, got, c.cookie, reqs[0].Cookies)
			}
			if res.WithCredentials != c.withCredentials {
				t.Errorf("%s: withCredentials = %v, want %v", c.init, res.WithCredentials, c.withCredentials)
			}
		}
		if impl == "wasm" {
			got := evaluate[string](t, ctx, `(() => {
				try { new WasmEventSource("/sse/echo", {credentials: "sometimes"}); return "no exception"; }
				catch (e) { return e.constructor.name; }
			})()`)
			if got != "TypeError" {
				t.Errorf(`credentials: "sometimes": %s, want a TypeError`, got)
			}
		}
	})
}

// TestOptionLastEventID checks the lastEventId option: it is the
// Last-Event-ID of the first request (encoded as UTF-8, HTML §9.2.3) and
// the last event ID string until the stream sets another, and an empty one
// sends no header.
func TestOptionLastEventID(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	for i, c := range []struct {
		init string
		want string
		sent bool
	}{
		{`{lastEventId: "42"}`, "42", true},
		{`{lastEventId: "é€"}`, "é€", true},
		{`{lastEventId: ""}`, "", false},
		{`{}`, "", false},
	} {
		w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/echo", fmt.Sprintf("%s-%d", session, i)))+`, `+c.init+`)`, untilEchoed(1))
		reqs := echoed(t, w)
		if len(reqs) != 1 {
			t.Errorf("%s: /sse/echo described %d requests, want 1", c.init, len(reqs))
			continue
		}
		if r := reqs[0]; r.HasLastEventID != c.sent || r.LastEventID != lastEventIDOnTheWire(c.want) {
			t.Errorf("%s: the server got Last-Event-ID %q (sent: %v), want %q (sent: %v)", c.init, r.LastEventID, r.HasLastEventID, lastEventIDOnTheWire(c.want), c.sent)
		}
		// The request event has no id field, so its lastEventId is the
		// source's last event ID string: the option's value.
		if m := w.of("message"); len(m) > 0 && m[0].LastEventID != c.want {
			t.Errorf("%s: the first event's lastEventId is %q, want %q", c.init, m[0].LastEventID, c.want)
		}
	}

	// The counter resumes after the id it is given.
	s := session + "-counter"
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/counter", s, "total", "9", "retry", "20"))+`, {lastEventId: "7"})`, untilClosed)
	if got, want := w.data(), []string{"8", "9"}; !slices.Equal(got, want) {
		t.Errorf("counter from lastEventId 7: events %q, want %q", got, want)
	}
	reqs := fetchSession(t, s)
	if len(reqs) != 2 || reqs[0].LastEventID != "7" || reqs[1].LastEventID != "9" {
		t.Errorf("counter from lastEventId 7: requests %s, want Last-Event-ID 7, then 9", requestsString(reqs))
	}
}

// TestOptionLastEventIDUnicodeLikeNative checks that a non-ASCII id from the
// stream goes back in Last-Event-ID as the same bytes that native
// EventSource sends: its UTF-8 encoding (HTML §9.2.3). fetch's Headers take
// only byte strings, so the polyfill must encode it itself.
func TestOptionLastEventIDUnicodeLikeNative(t *testing.T) {
	t.Parallel()
	sc := lookup(t, "unicode-id-reconnect")
	sent := map[string]string{}
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			session := newSession(t)
			runTrace(t, impl, sc, session)
			reqs := fetchSession(t, session)
			if len(reqs) < 2 || !reqs[1].HasLastEventID {
				t.Fatalf("want a reconnection with Last-Event-ID; the server saw %s", requestsString(reqs))
			}
			sent[impl] = reqs[1].LastEventID
			want := "é€"
			if impl == "wasm" {
				want = lastEventIDOnTheWire(want)
			}
			if got := reqs[1].LastEventID; got != want {
				t.Errorf("Last-Event-ID % x, want % x (é€ in UTF-8)", got, want)
			}
		})
	}
	if n, w := sent["native"], sent["wasm"]; n != "" && n != w {
		t.Errorf("Last-Event-ID: native sent % x, wasm sent % x", n, w)
	}
}

// lastEventIDOnTheWire is what the polyfill's Last-Event-ID header carries
// in this engine for the ID id: its UTF-8 bytes (HTML §9.2.3), except in
// WebKit, whose fetch() encodes those bytes once more (package known,
// header-utf8-twice). Should WebKit change, the tests
// that use it fail and the difference goes.
func lastEventIDOnTheWire(id string) string {
	if env.engine != browser.WebKit {
		return id
	}
	var b strings.Builder
	for _, c := range []byte(id) {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// checkGaps checks that each request started at least 90% of the nominal
// delay after the one before it, as the server saw them. It sets no upper
// bound: a loaded machine may be late, never early.
func checkGaps(t *testing.T, reqs []SessionRequest, nominal []time.Duration) {
	t.Helper()
	got := gaps(reqs)
	t.Logf("gaps between requests: %v, nominal delays %v", got, nominal)
	if len(got) != len(nominal) {
		t.Errorf("%d gaps between %d requests, want %d", len(got), len(reqs), len(nominal))
		return
	}
	for i := range got {
		if got[i] < nominal[i]*9/10 {
			t.Errorf("request %d started %v after request %d, want at least %v (90%% of %v)",
				i+2, got[i], i+1, nominal[i]*9/10, nominal[i])
		}
	}
}

// wantError checks one error event against a reason, whether the source
// reconnects, and the delay and retries it reports (delay < 0: any).
func wantError(t *testing.T, what string, e Record, reason string, reconnect bool, delay float64, retries int) {
	t.Helper()
	readyState := 2
	if reconnect {
		readyState = 0
	}
	if e.Type != "error" || e.Reason != reason || e.WillReconnect == nil || *e.WillReconnect != reconnect ||
		e.ReadyState != readyState || (delay >= 0 && e.RetryDelay != delay) || e.Retries != retries {
		t.Errorf("%s: %s, want reason %s, willReconnect %v, readyState %d, retryDelay %v, retries %d",
			what, e, reason, reconnect, readyState, delay, retries)
	}
}

// TestOptionRetryBackoff checks exponential backoff and maxRetries against
// a server that fails every request: delay 100 and factor 2 wait 100, 200,
// 400 and 800 ms, and after the fourth reconnection attempt fails the
// source gives up: CLOSED, with a last error that does not reconnect.
func TestOptionRetryBackoff(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/refuse", session))+
		`, {retry: {delay: 100, factor: 2, maxRetries: 4}})`, untilClosed)
	if w.EndedBy != "closed" || w.ReadyState != 2 || len(w.of("open")) > 0 {
		t.Errorf("want no open event and a source that closes by itself; %s", w)
	}
	errs := w.of("error")
	if len(errs) != 5 {
		t.Fatalf("%d error events, want 5: one per attempt", len(errs))
	}
	for i, e := range errs[:4] {
		delay := 100 << i
		wantError(t, fmt.Sprintf("error %d", i+1), e, "network", true, float64(delay), i+1)
	}
	last := errs[4]
	wantError(t, "the last error", last, "network", false, 0, 4)
	if !strings.Contains(last.Message, "gave up after 4") {
		t.Errorf("the last error's message %q does not say it gave up after 4 attempts", last.Message)
	}
	reqs := waitInactive(t, session, 5)
	if len(reqs) != 5 {
		t.Errorf("the server saw %d requests, want 5: the first and 4 reconnection attempts", len(reqs))
	}
	// The lower bounds grow with the nominal delays, so they show the
	// backoff; comparing neighbouring gaps would not add to that, and a
	// busy machine that delays one attempt could invert a pair.
	checkGaps(t, reqs, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond})
}

// TestOptionRetryMaxDelay checks that maxDelay caps the growing delay.
func TestOptionRetryMaxDelay(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/refuse", session))+
		`, {retry: {delay: 100, factor: 3, maxDelay: 250, maxRetries: 3}})`, untilClosed)
	errs := w.of("error")
	if len(errs) != 4 {
		t.Fatalf("%d error events, want 4", len(errs))
	}
	for i, delay := range []float64{100, 250, 250} {
		wantError(t, fmt.Sprintf("error %d", i+1), errs[i], "network", true, delay, i+1)
	}
	wantError(t, "the last error", errs[3], "network", false, 0, 3)
	checkGaps(t, waitInactive(t, session, 4), []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond})
}

// TestOptionRetryResetsAfterOpen checks that a successful connection resets
// the backoff. Every third request succeeds with a stream that ends; so the
// delays grow over the failures, and start again from delay after each
// connection.
func TestOptionRetryResetsAfterOpen(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/refuse", session, "ok", "3"))+
		`, {retry: {delay: 100, factor: 2}})`, untilMessages(2))
	if got, want := w.data(), []string{"open 3", "open 6"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	errs := w.of("error")
	want := []struct {
		reason  string
		delay   float64
		retries int
	}{
		{"network", 100, 1}, {"network", 200, 2},
		{"end-of-stream", 100, 1}, {"network", 200, 2}, {"network", 400, 3},
	}
	if len(errs) != len(want) {
		t.Fatalf("%d error events before the second open, want %d", len(errs), len(want))
	}
	for i, e := range want {
		wantError(t, fmt.Sprintf("error %d", i+1), errs[i], e.reason, true, e.delay, e.retries)
	}
	reqs := waitInactive(t, session, 6)
	var nominal []time.Duration
	for _, e := range want {
		nominal = append(nominal, time.Duration(e.delay)*time.Millisecond)
	}
	checkGaps(t, reqs[:6], nominal)
}

// TestOptionRetryServerOverrides checks that the server's retry field
// replaces retry.delay (HTML §9.2.6), and that maxDelay caps it too.
func TestOptionRetryServerOverrides(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)

	// Two streams that set retry: 300 and end, then 204.
	s := session + "-override"
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/counter", s, "total", "2", "per", "1", "retry", "300"))+
		`, {retry: {delay: 50}})`, untilClosed)
	errs := w.of("error")
	if len(errs) != 3 {
		t.Fatalf("retry: 300 from the server: %d error events, want 3", len(errs))
	}
	wantError(t, "retry: 300, error 1", errs[0], "end-of-stream", true, 300, 1)
	wantError(t, "retry: 300, error 2", errs[1], "end-of-stream", true, 300, 1)
	wantError(t, "retry: 300, the 204", errs[2], "http-status", false, 0, 0)
	checkGaps(t, waitInactive(t, s, 3), []time.Duration{300 * time.Millisecond, 300 * time.Millisecond})

	// A stream that sets retry: 5000 and ends, then 204: maxDelay 200 wins.
	s = session + "-capped"
	w = watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/counter", s, "total", "1", "per", "1", "retry", "5000"))+
		`, {retry: {delay: 50, maxDelay: 200}})`, untilClosed)
	errs = w.of("error")
	if len(errs) != 2 {
		t.Fatalf("retry: 5000 from the server, maxDelay 200: %d error events, want 2", len(errs))
	}
	wantError(t, "retry: 5000 capped, error 1", errs[0], "end-of-stream", true, 200, 1)
	checkGaps(t, waitInactive(t, s, 2), []time.Duration{200 * time.Millisecond})
}

// TestOptionRetryJitter checks that jitter shortens each delay by a random
// fraction of at most jitter: every delay is within [delay·(1-jitter),
// delay], and they differ.
func TestOptionRetryJitter(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/refuse", session))+
		`, {retry: {delay: 200, jitter: 0.5, maxRetries: 5}})`, untilClosed)
	errs := w.of("error")
	if len(errs) != 6 {
		t.Fatalf("%d error events, want 6", len(errs))
	}
	var nominal []time.Duration
	distinct := map[float64]bool{}
	for i, e := range errs[:5] {
		wantError(t, fmt.Sprintf("error %d", i+1), e, "network", true, -1, i+1)
		if e.RetryDelay < 100 || e.RetryDelay > 200 {
			t.Errorf("error %d: retryDelay %v, want 100 to 200 (200 less up to 50%%)", i+1, e.RetryDelay)
		}
		distinct[e.RetryDelay] = true
		nominal = append(nominal, time.Duration(e.RetryDelay)*time.Millisecond)
	}
	if len(distinct) < 2 {
		t.Errorf("all five delays are %v: no jitter", errs[0].RetryDelay)
	}
	checkGaps(t, waitInactive(t, session, 6), nominal)
}

// TestOptionHeartbeatTimeout checks that a stream that goes silent, here
// /sse/echo after its first event, is reestablished after heartbeatTimeout
// with an error event of reason "heartbeat-timeout". The timeout covers the
// reconnection too: one that has not opened within 400 ms (Firefox, with
// the other tests' streams beside it, once took longer) is aborted and
// retried in the same way, each with an error event of its own.
func TestOptionHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(sessionURL("/sse/echo", session))+
		`, {heartbeatTimeout: 400, retry: 50})`, untilEchoed(2))
	types := []string{}
	for _, r := range w.Log {
		types = append(types, r.Type)
	}
	timeouts := len(types) - 4 // the error events between the two opens
	want := []string{"open", "message"}
	for range max(timeouts, 1) {
		want = append(want, "error")
	}
	want = append(want, "open", "message")
	if !slices.Equal(types, want) {
		t.Fatalf("events %q, want open, message, one or more errors, open, message", types)
	}
	for i, e := range w.Log[2 : 2+timeouts] {
		wantError(t, fmt.Sprintf("timeout %d", i+1), e, "heartbeat-timeout", true, 50, i+1)
	}
	if silent := w.Log[2].T - w.Log[1].T; silent < 360 {
		t.Errorf("the timeout came %.0f ms after the last event, want at least 360 (90%% of 400)", silent)
	}
	reqs := waitInactive(t, session, timeouts+1)
	if len(reqs) != timeouts+1 {
		t.Fatalf("want %d requests, one more than the timeouts; the server saw %s", timeouts+1, requestsString(reqs))
	}
	for i, r := range reqs[:timeouts] {
		if !r.Aborted {
			t.Errorf("request %d was not aborted by the client at its timeout; the server saw %s", i+1, requestsString(reqs))
		}
	}
}

// TestOptionHeartbeatKeptAliveByComments checks that comments count as
// activity: /sse/clock sends an event every 2000 ms and a comment half-way
// between, so with heartbeatTimeout 1700 only the comments keep the stream
// from timing out. The margin is wide because a busy machine can hold up
// the page's main thread, and with it the reads of the stream, for several
// hundred milliseconds.
func TestOptionHeartbeatKeptAliveByComments(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	const timeout = 1700
	w := watch(t, ctx, `new WasmEventSource("/sse/clock?interval=2000", {heartbeatTimeout: `+strconv.Itoa(timeout)+`})`, untilMessages(2))
	if w.EndedBy != "until" {
		t.Fatalf("the watch ended by %s, not after 2 events", w.EndedBy)
	}
	if errs := w.of("error"); len(errs) > 0 {
		t.Errorf("%d error events, want none: comments must count as activity; first: %s", len(errs), errs[0])
	}
	if opens := w.of("open"); len(opens) != 1 {
		t.Errorf("%d open events, want 1", len(opens))
	}
	m := w.of("message")
	longest := 0.0
	for i := 1; i < len(m); i++ {
		longest = max(longest, m[i].T-m[i-1].T)
	}
	if longest <= timeout {
		t.Errorf("the longest time between events was %.0f ms, not above the timeout: the test proves nothing", longest)
	}
}

// counterSizes is a counter whose events grow from one byte of data (1 to
// 9) to two (10 to 99) and three (100 on); gap keeps the response going for
// 3 s, well after a limit trips, so that only the client can end it.
func counterSizes(session string) string {
	return sessionURL("/sse/counter", session, "total", "150", "per", "150", "gap", "20")
}

// checkTooLarge checks that a source failed for good with reason
// "too-large", and that it did not reconnect but aborted its request.
func checkTooLarge(t *testing.T, w Watch, session string) {
	t.Helper()
	errs := w.of("error")
	if len(errs) != 1 {
		t.Fatalf("%d error events, want 1", len(errs))
	}
	wantError(t, "the error", errs[0], "too-large", false, 0, 0)
	if w.EndedBy != "closed" || w.ReadyState != 2 {
		t.Errorf("the source did not close by itself: %s", w)
	}
	reqs := waitInactive(t, session, 1)
	if len(reqs) != 1 || !reqs[0].Aborted {
		t.Errorf("want one request, aborted by the client; the server saw %s", requestsString(reqs))
	}
}

// numbers returns the strings from 1 to n.
func numbers(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// TestOptionMaxEventSize checks that an event whose data exceeds
// maxEventSize fails the source for good with reason "too-large", after
// the smaller events before it were dispatched.
func TestOptionMaxEventSize(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(counterSizes(session))+`, {maxEventSize: 2})`, untilClosed)
	got := w.data()
	if len(got) < 9 || !slices.Equal(got, numbers(len(got))) {
		t.Errorf("events %q, want 1, 2, 3 and on, at least to 9", got)
	}
	for _, d := range got {
		if len(d) > 2 {
			t.Errorf("an event with %d bytes of data (%q) was dispatched, above maxEventSize 2", len(d), d)
		}
	}
	checkTooLarge(t, w, session)
}

// TestOptionMaxEventSizeAllowsThatSize checks the bound itself: maxEventSize
// is "the largest event data, in bytes" (js/eventsource-wasm.d.ts), so data
// of exactly maxEventSize bytes is dispatched, as a line of exactly
// maxLineSize bytes is.
func TestOptionMaxEventSizeAllowsThatSize(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(counterSizes(session))+`, {maxEventSize: 2})`, untilClosed)
	if got := w.data(); !slices.Equal(got, numbers(99)) {
		last := ""
		if len(got) > 0 {
			last = got[len(got)-1]
		}
		t.Errorf("with maxEventSize 2 the events went from 1 to %s (%d events), want 1 to 99: "+
			"the events 10 to 99 have exactly 2 bytes of data", last, len(got))
	}
	checkTooLarge(t, w, session)
}

// TestOptionMaxLineSize checks that a line longer than maxLineSize fails the
// source for good with reason "too-large": "data: 9" has 7 bytes and
// passes, "data: 10" has 8 and fails.
func TestOptionMaxLineSize(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	w := watch(t, ctx, `new WasmEventSource(`+js(counterSizes(session))+`, {maxLineSize: 7})`, untilClosed)
	if got := w.data(); !slices.Equal(got, numbers(9)) {
		t.Errorf("events %q, want 1 to 9", got)
	}
	checkTooLarge(t, w, session)
}

// TestOptionFetch checks the fetch option: the function is called for the
// first connection and every reconnection, with the source's URL and a
// request init as EventSource fetches (HTML §9.2.2 and §9.2.3); and a fetch
// that rejects is a network error.
func TestOptionFetch(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)

	type fetchCall struct {
		URL         string  `json:"url"`
		Method      string  `json:"method"`
		Accept      *string `json:"accept"`
		LastEventID *string `json:"lastEventId"`
		Credentials string  `json:"credentials"`
		Cache       string  `json:"cache"`
		Mode        string  `json:"mode"`
		Signal      bool    `json:"signal"`
	}
	type result struct {
		Watch Watch       `json:"watch"`
		Calls []fetchCall `json:"calls"`
		URL   string      `json:"url"`
	}
	url := sessionURL("/sse/counter", session, "total", "2", "per", "1", "retry", "20")
	res := evaluate[result](t, ctx, `(() => {
		const calls = [];
		const recordingFetch = (url, init) => {
			const headers = new Headers(init.headers);
			calls.push({
				url: String(url),
				method: init.method,
				accept: headers.get("Accept"),
				lastEventId: headers.get("Last-Event-ID"),
				credentials: init.credentials,
				cache: init.cache,
				mode: init.mode,
				signal: init.signal instanceof AbortSignal,
			});
			return window.fetch(url, init);
		};
		const source = new WasmEventSource(`+js(url)+`, {fetch: recordingFetch});
		return recorder.watch(source).then((watch) => ({watch, calls, url: source.url}));
	})()`)
	t.Logf("%+v\n%s", res.Calls, res.Watch)
	if got := res.Watch.data(); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("events %q, want 1 and 2", got)
	}
	reqs := fetchSession(t, session)
	if len(res.Calls) != 3 || len(reqs) != 3 {
		t.Fatalf("fetch was called %d times and the server saw %d requests, want 3 and 3", len(res.Calls), len(reqs))
	}
	if res.URL != absoluteURL(url) {
		t.Errorf("source.url %q, want %q", res.URL, absoluteURL(url))
	}
	for i, c := range res.Calls {
		var wantID *string
		if i > 0 {
			wantID = new(strconv.Itoa(i))
		}
		if c.URL != res.URL || c.Method != "GET" || c.Accept == nil || *c.Accept != "text/event-stream" ||
			!equalPtr(c.LastEventID, wantID) || c.Credentials != "same-origin" || c.Cache != "no-store" || !c.Signal {
			t.Errorf("call %d: %+v (accept %v, Last-Event-ID %v), want url %q, GET, Accept text/event-stream, Last-Event-ID %v, "+
				"credentials same-origin, cache no-store, an AbortSignal", i+1, c, str(c.Accept), str(c.LastEventID), res.URL, str(wantID))
		}
	}

	w := watch(t, ctx, `new WasmEventSource("/sse/echo", {retry: {delay: 50, maxRetries: 1},
		fetch: () => Promise.reject(new TypeError("offline for the test"))})`, untilClosed)
	errs := w.of("error")
	if len(errs) != 2 {
		t.Fatalf("a fetch that rejects: %d error events, want 2", len(errs))
	}
	wantError(t, "a fetch that rejects, error 1", errs[0], "network", true, 50, 1)
	wantError(t, "a fetch that rejects, error 2", errs[1], "network", false, 0, 1)
	if !strings.Contains(errs[0].Message, "offline for the test") {
		t.Errorf("the error's message %q does not carry the rejection's", errs[0].Message)
	}
}

func equalPtr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func str(p *string) string {
	if p == nil {
		return "null"
	}
	return strconv.Quote(*p)
}
