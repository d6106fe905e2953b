package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// The tests of for await (const message of source) (issue #15; js/core.js,
// Iteration): what a loop yields, how it ends, and that listeners keep
// working beside it.

// iterated is what a page reports of one for await loop.
type iterated struct {
	Messages []struct {
		Type        string `json:"type"`
		Data        string `json:"data"`
		LastEventID string `json:"lastEventId"`
		Origin      string `json:"origin"`
		Plain       bool   `json:"plain"` // a plain object with exactly those four keys
	} `json:"messages"`
	Thrown *struct {
		Message    string `json:"message"`
		Reason     string `json:"reason"`
		Status     int    `json:"status"`
		IsError    bool   `json:"isError"`
		EventMsg   string `json:"eventMessage"` // the last error event's
		EventRsn   string `json:"eventReason"`
		EventState int    `json:"eventStatus"`
	} `json:"thrown"`
	Errors     []string `json:"errors"` // error events: reason/willReconnect
	Listened   []string `json:"listened"`
	ReadyState int      `json:"readyState"`
}

// iterateJS runs a for await loop over the source that make() returns,
// with body (which may break) run after each message is recorded, and
// reports an iterated.
func iterateJS(make, body string) string {
	return `(async () => {
		` + untilJS + `
		const source = ` + make + `;
		const messages = [], errors = [], listened = [];
		let lastError = null, thrown = null;
		source.addEventListener("error", (e) => { lastError = e; errors.push(e.reason + "/" + e.willReconnect); });
		try {
			for await (const m of source) {
				const keys = Object.keys(m).sort().join();
				messages.push({type: m.type, data: m.data, lastEventId: m.lastEventId, origin: m.origin,
					plain: Object.getPrototypeOf(m) === Object.prototype && keys === "data,lastEventId,origin,type"});
				` + body + `
			}
		} catch (e) {
			thrown = {message: e.message, reason: e.reason, status: e.status, isError: e instanceof Error,
				eventMessage: lastError && lastError.message, eventReason: lastError && lastError.reason,
				eventStatus: lastError && lastError.status};
		}
		return {messages, thrown, errors, listened, readyState: source.readyState};
	})()`
}

func (it iterated) data() []string {
	var out []string
	for _, m := range it.Messages {
		out = append(out, m.Data)
	}
	return out
}

// TestIterateAcrossReconnections checks that a loop yields every event as
// a plain {type, data, lastEventId, origin} across reconnections (the
// end-of-stream errors do not end it), and that the counter's final 204,
// a fatal error, makes it throw an Error with the error event's reason,
// message and status.
func TestIterateAcrossReconnections(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	res := evaluate[iterated](t, ctx, iterateJS(`new WasmEventSource(`+js(sessionURL("/sse/counter", session, "total", "6", "per", "2", "retry", "10"))+`)`, ``))
	t.Logf("%+v", res)
	if got, want := res.data(), []string{"1", "2", "3", "4", "5", "6"}; !slices.Equal(got, want) {
		t.Errorf("the loop got %q, want %q", got, want)
	}
	for i, m := range res.Messages {
		if m.Type != "message" || m.LastEventID != strconv.Itoa(i+1) || m.Origin != env.server.URL || !m.Plain {
			t.Errorf("message %d: %+v; want a plain object of type message, lastEventId %d, origin %s", i+1, m, i+1, env.server.URL)
		}
	}
	if want := []string{"end-of-stream/true", "end-of-stream/true", "end-of-stream/true", "http-status/false"}; !slices.Equal(res.Errors, want) {
		t.Errorf("error events %q, want %q", res.Errors, want)
	}
	th := res.Thrown
	if th == nil || !th.IsError || th.Reason != "http-status" || th.Status != 204 || th.Message != th.EventMsg || th.Message == "" {
		t.Errorf("the loop threw %+v; want an Error with reason http-status, status 204 and the error event's message", th)
	}
	if res.ReadyState != 2 {
		t.Errorf("readyState %d at the end, want 2", res.ReadyState)
	}
	if reqs := waitInactive(t, session, 4); len(reqs) != 4 {
		t.Errorf("requests %s; want 4", requestsString(reqs))
	}
}

// TestIterateLongEvents checks that a loop yields events of several KB,
// several to a chunk, whole and in order, in the batches of messages alone
// and in those of named events with IDs: the shim cuts such batches apart
// with indexOf rather than split (fieldsOf). The stream is the scenario
// long-events-batch, whose events the catalogue lists.
func TestIterateLongEvents(t *testing.T) {
	t.Parallel()
	sc, ok := scenario.Lookup("long-events-batch")
	if !ok {
		t.Fatal("no scenario long-events-batch")
	}
	ctx := openPage(t, "wasm.html")
	res := evaluate[iterated](t, ctx, iterateJS(`new WasmEventSource(`+js(scenarioURL(sc.Name, newSession(t)))+`)`,
		`if (messages.length === `+fmt.Sprint(len(sc.Expect))+`) break;`))
	if len(res.Messages) != len(sc.Expect) || res.Thrown != nil {
		t.Fatalf("the loop got %d messages (thrown: %+v), want %d", len(res.Messages), res.Thrown, len(sc.Expect))
	}
	for i, want := range sc.Expect {
		got := res.Messages[i]
		if got.Type != want.Type || got.Data != want.Data || got.LastEventID != want.LastEventID || !got.Plain {
			t.Errorf("message %d: type %q, %d bytes of data, lastEventId %q; want type %q, %d bytes, lastEventId %q (data equal: %v)",
				i+1, got.Type, len(got.Data), got.LastEventID, want.Type, len(want.Data), want.LastEventID, got.Data == want.Data)
		}
	}
	if res.ReadyState != 2 {
		t.Errorf("readyState %d after break, want 2", res.ReadyState)
	}
}

// TestIterateFatalErrors checks the loop's Error for each kind of fatal
// error: a 404, maxRetries exhausted, too-large. Each carries the reason,
// message and status of the error event that closed the source.
func TestIterateFatalErrors(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	for _, c := range []struct {
		name, url, init, reason string
		status                  int
		events                  int
	}{
		{"404", "/sse/no-such-stream", `{}`, "http-status", 404, 0},
		{"maxRetries", sessionURL("/sse/refuse", session+"-refuse"), `{retry: {delay: 10, maxRetries: 2}}`, "network", 0, 0},
		{"too-large", "/sse/bench?n=5&size=300", `{maxEventSize: 200}`, "too-large", 0, 0},
	} {
		res := evaluate[iterated](t, ctx, iterateJS(`new WasmEventSource(`+js(c.url)+`, `+c.init+`)`, ``))
		th := res.Thrown
		t.Logf("%s: %+v", c.name, th)
		if th == nil || !th.IsError || th.Reason != c.reason || th.Status != c.status || th.Message == "" ||
			th.Message != th.EventMsg || th.Reason != th.EventRsn || th.Status != th.EventState {
			t.Errorf("%s: the loop threw %+v; want an Error with reason %s, status %d, and the error event's message", c.name, th, c.reason, c.status)
		}
		if len(res.Messages) != c.events || res.ReadyState != 2 {
			t.Errorf("%s: %d messages, readyState %d; want %d, 2", c.name, len(res.Messages), res.ReadyState, c.events)
		}
	}
	if reqs := fetchSession(t, session+"-refuse"); len(reqs) != 3 {
		t.Errorf("maxRetries 2: the server saw %s; want 3 requests", requestsString(reqs))
	}
}

// TestIterateEnds checks how a loop ends without an error: close() in its
// body ends it (dropping events not yet taken), as does aborting the
// source's signal; break closes the source and
// aborts its request; return() on the iterator does the same; a loop over a
// closed source ends at once; a source from a stream ends the loop
// normally when the stream ends.
func TestIterateEnds(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	counter := func(s string) string {
		return `new WasmEventSource(` + js(sessionURL("/sse/counter", s, "total", "1000", "per", "1000", "gap", "20")) + `)`
	}

	res := evaluate[iterated](t, ctx, iterateJS(counter(session+"-close"), `if (messages.length === 3) source.close();`))
	if got := res.data(); !slices.Equal(got, []string{"1", "2", "3"}) || res.Thrown != nil || res.ReadyState != 2 || len(res.Errors) != 0 {
		t.Errorf("close(): %+v; want 1, 2, 3, no throw, no error event, CLOSED", res)
	}
	res = evaluate[iterated](t, ctx, iterateJS(`(() => {
		const controller = new AbortController();
		window.abortLoop = () => controller.abort();
		return new WasmEventSource(`+js(sessionURL("/sse/counter", session+"-abort", "total", "1000", "per", "1000", "gap", "20"))+`, {signal: controller.signal});
	})()`, `if (messages.length === 3) abortLoop();`))
	if got := res.data(); !slices.Equal(got, []string{"1", "2", "3"}) || res.Thrown != nil || res.ReadyState != 2 || len(res.Errors) != 0 {
		t.Errorf("signal aborted: %+v; want 1, 2, 3, no throw, no error event, CLOSED", res)
	}
	res = evaluate[iterated](t, ctx, iterateJS(counter(session+"-break"), `if (messages.length === 3) break;`))
	if got := res.data(); !slices.Equal(got, []string{"1", "2", "3"}) || res.Thrown != nil || res.ReadyState != 2 || len(res.Errors) != 0 {
		t.Errorf("break: %+v; want 1, 2, 3, no throw, no error event, CLOSED", res)
	}
	for _, s := range []string{session + "-close", session + "-abort", session + "-break"} {
		if reqs := waitInactive(t, s, 1); len(reqs) != 1 || !reqs[0].Aborted {
			t.Errorf("%s: the server saw %s; want one request, aborted", s, requestsString(reqs))
		}
	}

	type returned struct {
		First      string `json:"first"`
		Done       bool   `json:"done"`
		After      bool   `json:"after"`
		ReadyState int    `json:"readyState"`
		ClosedDone bool   `json:"closedDone"`
		SelfIter   bool   `json:"selfIter"`
	}
	r := evaluate[returned](t, ctx, `(async () => {
		const source = `+counter(session+"-return")+`;
		const it = source[Symbol.asyncIterator]();
		const first = (await it.next()).value.data;
		const ret = await it.return();
		const after = (await it.next()).done;
		const closed = new WasmEventSource("/sse/echo");
		closed.close();
		const closedDone = (await closed[Symbol.asyncIterator]().next()).done;
		return {first, done: ret.done, after, readyState: source.readyState, closedDone, selfIter: it[Symbol.asyncIterator]() === it};
	})()`)
	if r != (returned{First: "1", Done: true, After: true, ReadyState: 2, ClosedDone: true, SelfIter: true}) {
		t.Errorf("return(): %+v; want the first event, done, CLOSED; a closed source's loop done at once; the iterator its own iterator", r)
	}
	if reqs := waitInactive(t, session+"-return", 1); len(reqs) != 1 || !reqs[0].Aborted {
		t.Errorf("return(): the server saw %s; want one request, aborted", requestsString(reqs))
	}

	res = evaluate[iterated](t, ctx, iterateJS(`WasmEventSource.fromReadableStream(new Blob(["data: a\n\nevent: b\ndata: 2\nid: 7\n\ndata: c\n\n"]).stream())`, ``))
	if got := res.data(); !slices.Equal(got, []string{"a", "2", "c"}) || res.Thrown != nil || res.ReadyState != 2 {
		t.Errorf("fromReadableStream: %+v; want a, 2, c, then a normal end", res)
	}
	if len(res.Messages) == 3 && (res.Messages[1].Type != "b" || res.Messages[2].LastEventID != "7" || res.Messages[0].Origin != "null") {
		t.Errorf("fromReadableStream: messages %+v; want type b, then lastEventId 7, origin null", res.Messages)
	}
}

// TestIterateBesideListeners checks that listeners and on-handlers keep
// working beside a loop, in the same order, including a listener added while
// the loop runs; and that named events reach the loop in arrival order
// whether or not they have a listener.
func TestIterateBesideListeners(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	const stream = "data: m1\n\nevent: a\ndata: a1\n\nevent: b\ndata: b1\n\ndata: m2\n\nevent: a\ndata: a2\n\nevent: b\ndata: b2\n\nevent: c\ndata: c1\n\n"
	res := evaluate[iterated](t, ctx, iterateJS(`(() => {
		const s = WasmEventSource.fromReadableStream(new ReadableStream({
			start(c) { c.enqueue(new TextEncoder().encode(`+js(stream[:10])+`)); this.c = c; },
			pull(c) { return new Promise((r) => setTimeout(r, 30)).then(() => { if (!this.done) { this.done = true; c.enqueue(new TextEncoder().encode(`+js(stream[10:])+`)); } else c.close(); }); },
		}));
		s.onmessage = (e) => listened.push("onmessage:" + e.data + ":" + (e instanceof MessageEvent));
		s.addEventListener("a", (e) => listened.push("a:" + e.data));
		return s;
	})()`, `if (m.data === "m1") source.addEventListener("b", (e) => listened.push("b:" + e.data));`))
	t.Logf("%+v", res)
	want := []string{"m1", "a1", "b1", "m2", "a2", "b2", "c1"}
	if got := res.data(); !slices.Equal(got, want) {
		t.Errorf("the loop got %q, want %q", got, want)
	}
	types := []string{}
	for _, m := range res.Messages {
		types = append(types, m.Type)
	}
	if wantTypes := []string{"message", "a", "b", "message", "a", "b", "c"}; !slices.Equal(types, wantTypes) {
		t.Errorf("types %q, want %q", types, wantTypes)
	}
	// The second chunk's b1 and b2 came after the b listener was added
	// (the first chunk holds m1 only).
	if wantL := []string{"onmessage:m1:true", "a:a1", "b:b1", "onmessage:m2:true", "a:a2", "b:b2"}; !slices.Equal(res.Listened, wantL) {
		t.Errorf("listeners heard %q, want %q", res.Listened, wantL)
	}
}

// TestIterateSlowConsumer checks what happens when a loop is slower than
// the stream: nothing is dropped, and the source stops reading once the
// loop has 10,000 events or 8 MiB of batches waiting (plus
// at most one read, up to 256 KiB), so that a message listener, which hears
// each event as the source reads it, stops there until the loop catches
// up. The stream is 30,000 events of about 1000 bytes, numbered; the loop
// takes one and waits until the listener has heard nothing new for 1 s.
func TestIterateSlowConsumer(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	type slow struct {
		HeardWhileStalled int    `json:"heardWhileStalled"`
		Taken             int    `json:"taken"`
		Heard             int    `json:"heard"`
		Bad               string `json:"bad"`
		Pulled            int    `json:"pulled"`
	}
	const n = 30000
	res := evaluateWithin[slow](t, ctx, 2*evalTimeout, `(async () => {
		`+untilJS+`
		const n = `+fmt.Sprint(n)+`, pad = "x".repeat(990), enc = new TextEncoder();
		let next = 1, pulled = 0;
		const stream = new ReadableStream({
			pull(c) {
				let text = "";
				for (let i = 0; i < 100 && next <= n; i++, next++) text += "id: " + next + "\ndata: " + next + " " + pad + "\n\n";
				pulled++;
				if (text) c.enqueue(enc.encode(text)); else c.close();
			},
		});
		const source = WasmEventSource.fromReadableStream(stream);
		let heard = 0, bad = "";
		source.onmessage = (e) => { heard++; if (e.data !== heard + " " + pad) bad = bad || "listener " + heard; };
		let taken = 0, heardWhileStalled = -1;
		for await (const m of source) {
			taken++;
			if (m.data !== taken + " " + pad || m.lastEventId !== String(taken)) bad = bad || "loop " + taken + ": " + m.data.slice(0, 20);
			if (taken === 1) {
				// Stall until the listener has heard nothing new for 1 s.
				let last = -1, since = Date.now();
				await until(() => {
					if (heard !== last) { last = heard; since = Date.now(); }
					return Date.now() - since >= 1000;
				}, "the source to stop reading");
				heardWhileStalled = heard;
			}
		}
		return {heardWhileStalled, taken, heard, bad, pulled};
	})()`)
	t.Logf("%+v", res)
	if res.Bad != "" {
		t.Errorf("wrong or missing event: %s", res.Bad)
	}
	if res.Taken != n || res.Heard != n {
		t.Errorf("the loop took %d and the listener heard %d events, want %d each: none dropped", res.Taken, res.Heard, n)
	}
	// The bound: 8 MiB of batches is under 8,388 such events; one read
	// more is under 1,050 of them even if reads were 1 MiB (they are at
	// most 256 KiB).
	if res.HeardWhileStalled < 1 || res.HeardWhileStalled > 8388+1050 {
		t.Errorf("while the loop waited, the source read %d events; want it to stop within the bound (at most %d)", res.HeardWhileStalled, 8388+1050)
	}
}

// TestIterateSlowConsumerHeartbeat checks that a loop that falls behind does
// not trip heartbeatTimeout: while the source holds back its reads for the
// loop, the silence is the page's, so the connection stays (no error event)
// though the loop waits 2.5 s against a 1 s timeout; then every event
// arrives. The stream is /sse/bench's 20,000 events of 1000 B, written in
// large pieces, more than a loop may have waiting (8 MiB of batches), so
// the source holds back its reads while the loop waits.
func TestIterateSlowConsumerHeartbeat(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	type slowHeartbeat struct {
		Taken  int      `json:"taken"`
		Errors []string `json:"errors"`
	}
	const n, size = 20000, 1000
	res := evaluateWithin[slowHeartbeat](t, ctx, 2*evalTimeout, `(async () => {
		const n = `+fmt.Sprint(n)+`;
		const source = new WasmEventSource("/sse/bench?n=" + n + "&size=`+fmt.Sprint(size)+`", {heartbeatTimeout: 1000});
		const errors = [];
		const t0 = performance.now();
		let taken = 0, heard = 0;
		source.addEventListener("message", () => heard++);
		source.onerror = (e) => errors.push(e.reason + "/" + e.willReconnect + " at " + Math.round(performance.now() - t0) + " ms, taken " + taken + ", heard " + heard);
		for await (const m of source) {
			if (m.data.length !== `+fmt.Sprint(size)+`) { errors.push("event " + taken + " has " + m.data.length + " B"); break; }
			if (++taken === 1) await new Promise((resolve) => setTimeout(resolve, 2500));
			if (taken === n) break;
		}
		return {taken, errors};
	})()`)
	t.Logf("%+v", res)
	if res.Taken != n || len(res.Errors) != 0 {
		t.Errorf("the loop took %d events with errors %q; want %d and none", res.Taken, res.Errors, n)
	}
}

// TestIterateTwoLoops checks two loops over one source: each gets every
// event, in order, as objects of its own; when one breaks, the source
// closes and the other loop ends normally (with the events it took by
// then, which may be more or fewer: close() drops what it had not taken).
func TestIterateTwoLoops(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	session := newSession(t)
	type twoLoops struct {
		A          []string `json:"a"`
		B          []string `json:"b"`
		BEnded     bool     `json:"bEnded"`
		Distinct   bool     `json:"distinct"`
		ReadyState int      `json:"readyState"`
	}
	res := evaluate[twoLoops](t, ctx, `(async () => {
		const source = new WasmEventSource(`+js(sessionURL("/sse/counter", session, "total", "1000", "per", "1000", "gap", "10"))+`);
		const a = [], b = [], objectsA = [], objectsB = [];
		let bEnded = false;
		const loopB = (async () => {
			for await (const m of source) { b.push(m.data); objectsB.push(m); }
			bEnded = true;
		})();
		for await (const m of source) {
			a.push(m.data);
			objectsA.push(m);
			if (a.length === 5) break;
		}
		await loopB;
		const distinct = objectsA.every((m, i) => objectsB[i] !== m);
		return {a, b, bEnded, distinct, readyState: source.readyState};
	})()`)
	t.Logf("%+v", res)
	want := []string{"1", "2", "3", "4", "5"}
	if !slices.Equal(res.A, want) || len(res.B) == 0 || !slices.Equal(res.B, numbers(len(res.B))) || !res.BEnded || !res.Distinct || res.ReadyState != 2 {
		t.Errorf("two loops: %+v; want the first to get 1 to 5 and the second 1 to some n, in order, as objects of their own, the second to end when the first breaks, CLOSED", res)
	}
	if reqs := waitInactive(t, session, 1); len(reqs) != 1 || !reqs[0].Aborted {
		t.Errorf("requests %s; want one, aborted", requestsString(reqs))
	}
}
