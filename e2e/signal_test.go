package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The tests of the signal and lastEventIdQueryParameter options (issue #15;
// js/core.js, normalize and the constructor). The reference server's
// session log is the witness of what was sent.

// untilJS is a page-side helper for the expressions of these tests:
// until(cond, what) polls cond every 10 ms and rejects, saying what it
// waited for, after 8 s.
const untilJS = `const until = (cond, what) => new Promise((resolve, reject) => {
	const started = Date.now();
	const poll = setInterval(() => {
		if (cond()) { clearInterval(poll); resolve(); }
		else if (Date.now() - started > 8000) { clearInterval(poll); reject(new Error("timed out waiting for " + what)); }
	}, 10);
});`

// signalResult is what the page reports of a source closed by its signal.
type signalResult struct {
	Data        []string `json:"data"`
	Errors      []string `json:"errors"`
	StateAfter  int      `json:"stateAfter"` // readyState right after the abort
	StateAtEnd  int      `json:"stateAtEnd"`
	MessagesAt  int      `json:"messagesAt"` // messages seen when it aborted
	ControlSeen bool     `json:"controlSeen"`
}

// TestOptionSignal checks that aborting the signal option's AbortSignal is
// close(): readyState CLOSED at once, the request aborted (the server's
// log), no further events and no error event; with AbortController,
// AbortSignal.timeout() and AbortSignal.any().
func TestOptionSignal(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	cases := []struct{ name, setup, abort string }{
		{"AbortController", `const c = new AbortController(); const signal = c.signal;`, `c.abort()`},
		{"AbortSignal.timeout", `const signal = AbortSignal.timeout(1000);`, ``},
		{"AbortSignal.any", `const c = new AbortController(); const signal = AbortSignal.any([AbortSignal.timeout(60000), c.signal]);`, `c.abort()`},
	}
	for i, c := range cases {
		s := fmt.Sprintf("%s-%d", session, i)
		url := sessionURL("/sse/counter", s, "total", "1000", "per", "1000", "gap", "100")
		res := evaluate[signalResult](t, ctx, `(async () => {
			`+untilJS+`
			`+c.setup+`
			const source = new WasmEventSource(`+js(url)+`, {signal});
			const data = [], errors = [];
			source.onmessage = (e) => data.push(e.data);
			source.onerror = (e) => errors.push(e.reason);
			let stateAfter = -1, messagesAt = -1;
			signal.addEventListener("abort", () => { stateAfter = source.readyState; messagesAt = data.length; });
			// A timeout may fire before two events came where they come
			// slowly (WebKit may hold back a stream's small chunks).
			await until(() => data.length >= 2 || signal.aborted, "two events");
			`+c.abort+`;
			await until(() => signal.aborted && stateAfter !== -1, "the abort");
			// Two more of the counter's 100 ms gaps: no event may come.
			await new Promise((resolve) => setTimeout(resolve, 300));
			return {data, errors, stateAfter, stateAtEnd: source.readyState, messagesAt};
		})()`)
		t.Logf("%s: %+v", c.name, res)
		if res.StateAfter != 2 || res.StateAtEnd != 2 {
			t.Errorf("%s: readyState %d after the abort and %d later, want 2 (CLOSED)", c.name, res.StateAfter, res.StateAtEnd)
		}
		if len(res.Data) != res.MessagesAt {
			t.Errorf("%s: %d events after the abort, want none", c.name, len(res.Data)-res.MessagesAt)
		}
		if len(res.Errors) != 0 {
			t.Errorf("%s: error events %q, want none", c.name, res.Errors)
		}
		reqs := waitInactive(t, s, 1)
		if len(reqs) != 1 || !reqs[0].Aborted {
			t.Errorf("%s: the server saw %s; want one request, aborted", c.name, requestsString(reqs))
		}
	}
}

// TestOptionSignalAlreadyAborted checks that an already-aborted signal
// gives a source that is CLOSED at once and sends no request. The
// witness: a second source, made right after it in the same task, whose
// request the server sees; the first would have sent its own before.
func TestOptionSignalAlreadyAborted(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	for i, signal := range []string{`AbortSignal.abort()`, `(() => { const c = new AbortController(); c.abort("why"); return c.signal; })()`} {
		s := fmt.Sprintf("%s-%d", session, i)
		res := evaluate[signalResult](t, ctx, `(async () => {
			`+untilJS+`
			const source = new WasmEventSource(`+js(sessionURL("/sse/echo", s))+`, {signal: `+signal+`});
			const stateAfter = source.readyState;
			const errors = [];
			source.onerror = (e) => errors.push(e.reason);
			source.onopen = () => errors.push("open");
			const control = new WasmEventSource(`+js(sessionURL("/sse/echo", s+"-control"))+`);
			let controlSeen = false;
			control.addEventListener("request", () => { controlSeen = true; control.close(); });
			await until(() => controlSeen, "the control source's request");
			await new Promise((resolve) => setTimeout(resolve, 50));
			return {stateAfter, stateAtEnd: source.readyState, errors, controlSeen};
		})()`)
		if res.StateAfter != 2 || res.StateAtEnd != 2 {
			t.Errorf("%s: readyState %d, then %d; want 2 (CLOSED) from the start", signal, res.StateAfter, res.StateAtEnd)
		}
		if len(res.Errors) != 0 {
			t.Errorf("%s: events %q, want none", signal, res.Errors)
		}
		if reqs := fetchSession(t, s); len(reqs) != 0 {
			t.Errorf("%s: the server saw %s; want no request", signal, requestsString(reqs))
		}
		if reqs := fetchSession(t, s+"-control"); len(reqs) != 1 {
			t.Errorf("%s: the control source's requests: %s; want one", signal, requestsString(reqs))
		}
	}
}

// thrown is what a page reports of a constructor that threw.
type thrown struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// constructorThrows makes a WasmEventSource with init in the page and
// returns what it threw (Name "" if nothing).
func constructorThrows(t *testing.T, ctx context.Context, init string) thrown {
	t.Helper()
	return evaluate[thrown](t, ctx, `(() => {
		try {
			new WasmEventSource("/sse/echo", `+init+`).close();
			return {name: "", message: ""};
		} catch (e) {
			return {name: e.name, message: e.message};
		}
	})()`)
}

// TestOptionsNewValidation checks that the options of issue #15 reject
// bad values at construction with a TypeError naming the option and the
// value.
func TestOptionsNewValidation(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	for _, c := range []struct{ init, option, value string }{
		{`{signal: {}}`, "signal", "[object Object]"},
		{`{signal: "stop"}`, "signal", `"stop"`},
		{`{signal: new AbortController()}`, "signal", "[object AbortController]"},
		{`{signal: 5}`, "signal", "5"},
		{`{lastEventIdQueryParameter: ""}`, "lastEventIdQueryParameter", `""`},
		{`{lastEventIdQueryParameter: 7}`, "lastEventIdQueryParameter", "7"},
		{`{lastEventIdQueryParameter: null}`, "lastEventIdQueryParameter", "null"},
		{`{pauseWhenHidden: -1}`, "pauseWhenHidden", "-1"},
		{`{pauseWhenHidden: "30s"}`, "pauseWhenHidden", "30s"},
		{`{pauseWhenHidden: true}`, "pauseWhenHidden", "true"},
	} {
		got := constructorThrows(t, ctx, c.init)
		if got.Name != "TypeError" || !strings.Contains(got.Message, c.option) || !strings.Contains(got.Message, c.value) {
			t.Errorf("%s: threw %s %q; want a TypeError naming %s and %s", c.init, got.Name, got.Message, c.option, c.value)
		}
	}
	// Good values throw nothing.
	for _, init := range []string{`{signal: null}`, `{signal: undefined}`, `{signal: new AbortController().signal}`,
		`{lastEventIdQueryParameter: "lastEventId"}`, `{pauseWhenHidden: 0}`, `{pauseWhenHidden: 30000}`} {
		if got := constructorThrows(t, ctx, init); got.Name != "" {
			t.Errorf("%s: threw %s %q, want nothing", init, got.Name, got.Message)
		}
	}
}

// TestOptionLastEventIDQueryParameter checks lastEventIdQueryParameter:
// every reconnection, and the first request when lastEventId is given,
// carries the last event ID as that query parameter and no Last-Event-ID
// header, in place of an earlier value of the parameter and with the rest
// of the URL as written. /sse/counter with idparam resumes from it.
func TestOptionLastEventIDQueryParameter(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	cases := []struct {
		name, url, init string
		data            []string
		reqs            []string // the raw queries, in order
	}{
		{
			name: "reconnections",
			url:  "/sse/counter?session=" + session + "-a&total=4&per=2&retry=10&idparam=lastEventId&keep=a%20b+c&lastEventId=0&x=%26",
			init: `{lastEventIdQueryParameter: "lastEventId"}`,
			data: []string{"1", "2", "3", "4"},
			reqs: []string{
				"session=" + session + "-a&total=4&per=2&retry=10&idparam=lastEventId&keep=a%20b+c&lastEventId=0&x=%26",
				"session=" + session + "-a&total=4&per=2&retry=10&idparam=lastEventId&keep=a%20b+c&lastEventId=2&x=%26",
				"session=" + session + "-a&total=4&per=2&retry=10&idparam=lastEventId&keep=a%20b+c&lastEventId=4&x=%26",
			},
		},
		{
			name: "first request with lastEventId, a name to encode, repeats removed",
			url:  "/sse/counter?session=" + session + "-b&total=3&per=5&retry=10&idparam=last+id&last%20id=9&last+id=8",
			init: `{lastEventIdQueryParameter: "last id", lastEventId: "1"}`,
			data: []string{"2", "3"},
			reqs: []string{
				"session=" + session + "-b&total=3&per=5&retry=10&idparam=last+id&last%20id=1",
				"session=" + session + "-b&total=3&per=5&retry=10&idparam=last+id&last%20id=3",
			},
		},
		{
			name: "UTF-8, appended when absent",
			url:  "/sse/echo?session=" + session + "-c",
			init: `{lastEventIdQueryParameter: "lastEventId", lastEventId: "é 1&2"}`,
			reqs: []string{"session=" + session + "-c&lastEventId=%C3%A9%201%262"},
		},
	}
	for _, c := range cases {
		until := untilClosed
		if len(c.data) == 0 {
			until = untilEchoed(1)
		}
		w := watch(t, ctx, `new WasmEventSource(`+js(c.url)+`, `+c.init+`)`, until)
		if len(c.data) > 0 && !slices.Equal(w.data(), c.data) {
			t.Errorf("%s: events %q, want %q", c.name, w.data(), c.data)
		}
		s := strings.TrimPrefix(strings.SplitN(c.reqs[0], "&", 2)[0], "session=")
		reqs := waitInactive(t, s, len(c.reqs))
		if len(reqs) != len(c.reqs) {
			t.Errorf("%s: requests %s; want %d", c.name, requestsString(reqs), len(c.reqs))
			continue
		}
		for i, r := range reqs {
			if r.Query != c.reqs[i] {
				t.Errorf("%s: request %d had query\n\t%s\nwant\n\t%s", c.name, i+1, r.Query, c.reqs[i])
			}
			if r.HasLastEventID {
				t.Errorf("%s: request %d had Last-Event-ID %q, want none", c.name, i+1, r.LastEventID)
			}
		}
	}
}

// TestOptionLastEventIDQueryParameterNoPreflight checks why the option is
// there: a cross-origin reconnection with Last-Event-ID in a header sends a
// CORS preflight (fetch() does not safelist that header), and with the ID
// in the query it sends none. The other origin's server logs every OPTIONS
// request (startOtherOrigin).
func TestOptionLastEventIDQueryParameterNoPreflight(t *testing.T) {
	t.Parallel()
	other := startOtherOrigin(t)
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	for _, c := range []struct {
		name, init string
		preflight  bool
	}{
		{"header", `{}`, true},
		{"query", `{lastEventIdQueryParameter: "lastEventId"}`, false},
	} {
		s := session + "-" + c.name
		url := other.URL + sessionURL("/sse/counter", s, "total", "4", "per", "2", "retry", "10", "idparam", map[bool]string{true: "", false: "lastEventId"}[c.preflight])
		w := watch(t, ctx, `new WasmEventSource(`+js(url)+`, `+c.init+`)`, untilClosed)
		if got := w.data(); !slices.Equal(got, []string{"1", "2", "3", "4"}) {
			t.Errorf("%s: events %q, want 1 to 4\n%s", c.name, got, w)
		}
		reqs := sessionAt(t, other.URL, s)
		if len(reqs) != 3 {
			t.Errorf("%s: requests %s; want 3 (two streams and a 204)", c.name, requestsString(reqs))
		}
		pf := other.preflightsOf(s)
		t.Logf("%s: preflights %+v", c.name, pf)
		if got := len(pf) > 0; got != c.preflight {
			t.Errorf("%s: preflights %+v; want a preflight: %v", c.name, pf, c.preflight)
		}
	}
}
