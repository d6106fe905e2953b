package e2e

import (
	"slices"
	"strconv"
	"testing"
)

// The tests of the pauseWhenHidden option (issue #15; js/core.js,
// #watchVisibility; wasm/conn, Source.Pause). Hiding a tab differs in
// every engine and headless browsers rarely do it, so the page stands in
// for it: visibilityJS overrides document.visibilityState and
// document.hidden on the document and dispatches visibilitychange, which
// is all that the polyfill reads. The server's session log is the witness
// of what was sent.

// visibilityJS defines setVisibility(state) in the page: the stand-in for
// a tab being hidden ("hidden") or shown ("visible").
const visibilityJS = `const setVisibility = (() => {
	if (!window.__visibility) {
		window.__visibility = {state: "visible"};
		Object.defineProperty(document, "visibilityState", {get: () => window.__visibility.state, configurable: true});
		Object.defineProperty(document, "hidden", {get: () => window.__visibility.state === "hidden", configurable: true});
	}
	return (state) => {
		window.__visibility.state = state;
		document.dispatchEvent(new Event("visibilitychange"));
	};
})();`

// hiddenResult is what the page reports of a source that paused.
type hiddenResult struct {
	Data          []string `json:"data"`
	Errors        []string `json:"errors"`
	Opens         int      `json:"opens"`
	PausedState   int      `json:"pausedState"`
	Before        int      `json:"before"` // events before the pause
	LastID        string   `json:"lastId"` // the last event ID before the pause
	RequestsSeen  int      `json:"requestsSeen"`
	FinalState    int      `json:"finalState"`
	StateAtCreate int      `json:"stateAtCreate"`
}

// TestPauseWhenHidden checks a pause and a resume: once hidden for the
// option's 100 ms the source disconnects (the request aborted, readyState
// CONNECTING, no error event) and sends nothing however long the page
// stays hidden (here 800 ms, sixteen of the counter's gaps); when visible
// again it sends one request at once, with Last-Event-ID, and the events
// go on from where they stopped.
func TestPauseWhenHidden(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	res := evaluate[hiddenResult](t, ctx, `(async () => {
		`+untilJS+visibilityJS+`
		const source = new WasmEventSource(`+js(sessionURL("/sse/counter", session, "total", "100000", "per", "100000", "gap", "50"))+`, {pauseWhenHidden: 100});
		const data = [], errors = [];
		let opens = 0;
		source.onopen = () => opens++;
		source.onmessage = (e) => data.push(e.data);
		source.onerror = (e) => errors.push(e.reason);
		await until(() => data.length >= 3, "three events");
		setVisibility("hidden");
		await until(() => source.readyState === WasmEventSource.CONNECTING, "the pause");
		const pausedState = source.readyState, before = data.length, lastId = source.lastEventId;
		await new Promise((resolve) => setTimeout(resolve, 800));
		const session = await (await fetch("/sse/session/`+session+`")).json();
		const requestsSeen = session.requests.length;
		setVisibility("visible");
		await until(() => data.length >= before + 3, "three events after the resume");
		source.close();
		return {data, errors, opens, pausedState, before, lastId, requestsSeen, finalState: source.readyState};
	})()`)
	t.Logf("%+v", res)
	if res.PausedState != 0 {
		t.Errorf("readyState while paused: %d, want 0 (CONNECTING)", res.PausedState)
	}
	if len(res.Errors) != 0 {
		t.Errorf("error events %q, want none", res.Errors)
	}
	if res.RequestsSeen != 1 {
		t.Errorf("the server saw %d requests by the end of the pause, want 1", res.RequestsSeen)
	}
	for i, d := range res.Data {
		if d != strconv.Itoa(i+1) {
			t.Errorf("event %d is %q: events lost or repeated across the pause: %q", i+1, d, res.Data)
			break
		}
	}
	if res.Opens != 2 {
		t.Errorf("%d open events, want 2", res.Opens)
	}
	reqs := waitInactive(t, session, 2)
	if len(reqs) != 2 {
		t.Fatalf("requests %s; want 2", requestsString(reqs))
	}
	if !reqs[0].Aborted {
		t.Errorf("the first request was not aborted by the pause: %s", requestsString(reqs))
	}
	if !reqs[1].HasLastEventID || reqs[1].LastEventID != res.LastID {
		t.Errorf("the request after the pause had Last-Event-ID %q (sent %v), want %q", reqs[1].LastEventID, reqs[1].HasLastEventID, res.LastID)
	}
}

// TestPauseWhenHiddenQuickFlips checks that visibility changing faster
// than the option's delay never pauses the source (one request), that a
// flip back and forth right after a pause ends makes one request, not two,
// and that a repeated visibilitychange while visible does nothing.
func TestPauseWhenHiddenQuickFlips(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	res := evaluate[hiddenResult](t, ctx, `(async () => {
		`+untilJS+visibilityJS+`
		const source = new WasmEventSource(`+js(sessionURL("/sse/counter", session, "total", "100000", "per", "100000", "gap", "20"))+`, {pauseWhenHidden: 200});
		const data = [], errors = [];
		let opens = 0;
		source.onopen = () => opens++;
		source.onmessage = (e) => data.push(e.data);
		source.onerror = (e) => errors.push(e.reason);
		await until(() => data.length >= 2, "two events");
		// Hidden for less than 200 ms, ten times over: no pause.
		for (let i = 0; i < 10; i++) {
			setVisibility("hidden");
			await new Promise((resolve) => setTimeout(resolve, 30));
			setVisibility("visible");
		}
		setVisibility("visible");
		const n = data.length;
		await until(() => data.length >= n + 3, "events after the flips");
		// Now a pause, then visible, hidden and visible in one task.
		setVisibility("hidden");
		await until(() => source.readyState === WasmEventSource.CONNECTING, "the pause");
		setVisibility("visible");
		setVisibility("hidden");
		setVisibility("visible");
		setVisibility("visible");
		const m = data.length;
		await until(() => data.length >= m + 3, "events after the resume");
		// Long enough for a second request to show up, had one been sent.
		await new Promise((resolve) => setTimeout(resolve, 300));
		source.close();
		return {data, errors, opens};
	})()`)
	t.Logf("%+v", res)
	if len(res.Errors) != 0 || res.Opens != 2 {
		t.Errorf("error events %q and %d open events; want none and 2", res.Errors, res.Opens)
	}
	reqs := waitInactive(t, session, 2)
	if len(reqs) != 2 {
		t.Errorf("requests %s; want 2: the first, and one after the pause", requestsString(reqs))
	}
}

// TestPauseWhenHiddenNoRetries checks that a source waiting to reconnect
// when it pauses stops waiting: with a 100 ms retry against a stream that
// always fails, the server sees no request during a pause of 1 s, and one
// when the page is visible again. (wasm/conn's TestPauseStopsRetryTimer
// checks that the timer itself is stopped.) It also checks that a source
// made while the page is hidden, with pauseWhenHidden: 0, sends nothing
// until it is visible.
func TestPauseWhenHiddenNoRetries(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	res := evaluate[hiddenResult](t, ctx, `(async () => {
		`+untilJS+visibilityJS+`
		const source = new WasmEventSource(`+js(sessionURL("/sse/refuse", session))+`, {pauseWhenHidden: 0, retry: 100});
		const errors = [];
		source.onerror = (e) => errors.push(e.reason + "/" + e.willReconnect);
		await until(() => errors.length >= 2, "two failed attempts");
		setVisibility("hidden");
		const pausedState = source.readyState;
		const before = errors.length;
		await new Promise((resolve) => setTimeout(resolve, 1000));
		const seen = await (await fetch("/sse/session/`+session+`")).json();
		const requestsSeen = seen.requests.length;
		const pausedErrors = errors.length - before;
		setVisibility("visible");
		await until(() => errors.length > before, "the attempt after the resume");
		source.close();
		return {errors, pausedState, before, requestsSeen, opens: pausedErrors};
	})()`)
	t.Logf("%+v", res)
	if res.PausedState != 0 {
		t.Errorf("readyState while paused: %d, want 0", res.PausedState)
	}
	if res.Opens != 0 {
		t.Errorf("%d error events while paused, want none", res.Opens)
	}
	if res.RequestsSeen != res.Before {
		t.Errorf("the server saw %d requests by the end of the pause, after %d failed attempts before it; want no more", res.RequestsSeen, res.Before)
	}
	if reqs := waitInactive(t, session, res.Before+1); len(reqs) != res.Before+1 {
		t.Errorf("requests %s; want %d: one after the resume", requestsString(reqs), res.Before+1)
	}

	hidden := session + "-hidden"
	made := evaluate[hiddenResult](t, ctx, `(async () => {
		`+untilJS+visibilityJS+`
		setVisibility("hidden");
		const source = new WasmEventSource(`+js(sessionURL("/sse/counter", hidden, "total", "3", "per", "3"))+`, {pauseWhenHidden: 0});
		const data = [];
		source.onmessage = (e) => data.push(e.data);
		const stateAtCreate = source.readyState;
		await new Promise((resolve) => setTimeout(resolve, 500));
		const seen = await (await fetch("/sse/session/`+hidden+`")).json();
		setVisibility("visible");
		await until(() => data.length >= 3, "the events");
		source.close();
		return {data, stateAtCreate, requestsSeen: seen.requests.length};
	})()`)
	if made.RequestsSeen != 0 || !slices.Equal(made.Data, []string{"1", "2", "3"}) || made.StateAtCreate != 0 {
		t.Errorf("made while hidden: %+v; want no request while hidden, then 1, 2, 3", made)
	}
	if reqs := waitInactive(t, hidden, 1); len(reqs) != 1 {
		t.Errorf("made while hidden: requests %s; want 1", requestsString(reqs))
	}
}
