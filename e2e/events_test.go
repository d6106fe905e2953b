package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestErrorDetails checks what open and error events tell, for each reason
// a connection fails or ends. Native EventSource runs the same streams: its
// events carry none of the details, but its readyState at each error is the
// oracle for the polyfill's.
func TestErrorDetails(t *testing.T) {
	t.Parallel()
	const untilError = `(log) => log.some((e) => e.type === "error")`
	cases := []struct {
		name, path string
		// check checks the details of the first error of a WasmEventSource.
		check      func(t *testing.T, e Record)
		readyState int // at the first error, for both implementations
	}{
		{"http-status", "status-500", func(t *testing.T, e Record) {
			wantError(t, "500", e, "http-status", false, 0, 0)
			if e.Status != 500 || e.StatusText != "Internal Server Error" {
				t.Errorf("500: status %d %q, want 500 %q", e.Status, e.StatusText, "Internal Server Error")
			}
			if !strings.Contains(e.Message, "500") {
				t.Errorf("500: the message %q does not give the status", e.Message)
			}
		}, 2},
		{"204", "status-204", func(t *testing.T, e Record) {
			wantError(t, "204", e, "http-status", false, 0, 0)
			if e.Status != 204 || e.StatusText != "No Content" {
				t.Errorf("204: status %d %q, want 204 %q", e.Status, e.StatusText, "No Content")
			}
		}, 2},
		{"content-type", "wrong-content-type", func(t *testing.T, e Record) {
			wantError(t, "text/plain", e, "content-type", false, 0, 0)
			if e.ContentType == nil || !strings.HasPrefix(*e.ContentType, "text/plain") || e.Status != 0 {
				t.Errorf("text/plain: contentType %s, status %d; want text/plain, 0", str(e.ContentType), e.Status)
			}
		}, 2},
		{"network", "", func(t *testing.T, e Record) {
			// No retry option and no retry field: the default
			// reconnection time, 3 s as in Chromium.
			wantError(t, "network", e, "network", true, 3000, 1)
		}, 0},
		{"end-of-stream", "retry", func(t *testing.T, e Record) {
			wantError(t, "end of stream", e, "end-of-stream", true, 300, 1)
		}, 0},
	}
	forEachImpl(t, func(t *testing.T, impl string) {
		ctx := openPage(t, pageFor(impl))
		session := newSession(t)
		for _, c := range cases {
			url := scenarioURL(c.path, session+"-"+c.name)
			if c.path == "" {
				url = sessionURL("/sse/refuse", session+"-"+c.name)
			}
			w := watch(t, ctx, `new recorder.Source(`+js(url)+`)`, untilError)
			errs := w.of("error")
			if len(errs) == 0 {
				t.Errorf("%s: no error event", c.name)
				continue
			}
			if errs[0].ReadyState != c.readyState {
				t.Errorf("%s: readyState %d at the error, want %d", c.name, errs[0].ReadyState, c.readyState)
			}
			if impl == "wasm" {
				c.check(t, errs[0])
			}
		}

		// The open event: the response's status, its headers and its
		// final URL.
		url := scenarioURL("simple", session+"-open")
		w := watch(t, ctx, `new recorder.Source(`+js(url)+`)`, untilMessages(1))
		opens := w.of("open")
		if len(opens) != 1 || opens[0].ReadyState != 1 {
			t.Fatalf("want one open event with readyState OPEN; %s", w)
		}
		if impl == "native" {
			return
		}
		o := opens[0]
		if o.Status != 200 || o.StatusText != "OK" || o.ContentType == nil || *o.ContentType != "text/event-stream" || o.URL != absoluteURL(url) {
			t.Errorf("open: status %d %q, headers.get(content-type) %s, url %q; want 200 OK, text/event-stream, %q",
				o.Status, o.StatusText, str(o.ContentType), o.URL, absoluteURL(url))
		}
	})
}

// eventTargetProbe drives a source through the EventTarget behaviours that
// code written for EventSource relies on (DOM §2.6-2.9; HTML §8.1.8.1,
// event handler IDL attributes) and reports what happened. The stream is
// the scenario "simple": one, two, three.
const eventTargetProbe = `(async (url) => {
	const Source = recorder.Source;
	const source = new Source(url);
	const calls = [];
	const seen = [];
	const abort = new AbortController();
	const h1 = () => calls.push("H1");
	const handler = {};
	const h2 = function (ev) {
		calls.push("H2:" + ev.data);
		handler.thisIsSource = this === source;
		handler.targetIsSource = ev.target === source;
		handler.currentTargetIsSource = ev.currentTarget === source;
		return false;
	};
	source.addEventListener("message", (ev) => calls.push("L1:" + ev.data));
	source.addEventListener("message", (ev) => calls.push("once:" + ev.data), {once: true});
	source.addEventListener("message", (ev) => { calls.push("signal:" + ev.data); abort.abort(); }, {signal: abort.signal});
	source.onmessage = h1;
	source.addEventListener("message", function (ev) {
		calls.push("L2:" + ev.data);
		seen.push({
			data: ev.data,
			messageEvent: ev instanceof MessageEvent,
			type: ev.type,
			bubbles: ev.bubbles,
			cancelable: ev.cancelable,
			defaultPrevented: ev.defaultPrevented,
			listenerThisIsSource: this === source,
			isTrusted: ev.isTrusted,
		});
	});
	// Replacing the handler keeps its place: before L2.
	source.onmessage = h2;
	const getterAfterReplace = source.onmessage === h2;
	const three = new Promise((resolve, reject) => {
		source.addEventListener("message", (ev) => {
			calls.push("stop:" + ev.data);
			if (ev.data === "three") {
				ev.stopImmediatePropagation();
				source.close();
				resolve();
			}
		});
		source.addEventListener("error", () => reject(new Error("error event, readyState " + source.readyState)));
		setTimeout(() => reject(new Error("no third event in 8 s")), 8000);
	});
	source.addEventListener("message", (ev) => calls.push("L3:" + ev.data));
	await three;
	const real = calls.splice(0);

	// Setting null removes the handler; a new one goes last.
	source.onmessage = null;
	const getterAfterNull = source.onmessage;
	const notCancelled1 = source.dispatchEvent(new MessageEvent("message", {data: "s1"}));
	const afterNull = calls.splice(0);
	source.onmessage = function (ev) { calls.push("H3:" + ev.data); return false; };
	const s2 = new MessageEvent("message", {data: "s2", cancelable: true});
	const notCancelled2 = source.dispatchEvent(s2);
	const afterH3 = calls.splice(0);
	return {
		real, seen: seen.slice(0, 3), handler, getterAfterReplace, getterAfterNull,
		afterNull, notCancelled1, afterH3, notCancelled2, s2DefaultPrevented: s2.defaultPrevented,
		readyState: source.readyState,
	};
})`

// TestEventTargetSemantics checks that WasmEventSource behaves as an
// EventTarget exactly as native EventSource does: once and signal options,
// the place of the onmessage listener when the handler is replaced or
// removed, a false return value, this and the targets, stopImmediatePropagation,
// and dispatchEvent of a synthetic MessageEvent.
func TestEventTargetSemantics(t *testing.T) {
	t.Parallel()
	results := map[string]map[string]any{}
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			ctx := openPage(t, pageFor(impl))
			url := scenarioURL("simple", newSession(t))
			raw := evaluate[json.RawMessage](t, ctx, eventTargetProbe+`(`+js(url)+`)`)
			var res map[string]any
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s", raw)
			results[impl] = res

			want := map[string]any{
				"real": []any{
					"L1:one", "once:one", "signal:one", "H2:one", "L2:one", "stop:one", "L3:one",
					"L1:two", "H2:two", "L2:two", "stop:two", "L3:two",
					"L1:three", "H2:three", "L2:three", "stop:three",
				},
				"handler":            map[string]any{"thisIsSource": true, "targetIsSource": true, "currentTargetIsSource": true},
				"getterAfterReplace": true,
				"getterAfterNull":    nil,
				"afterNull":          []any{"L1:s1", "L2:s1", "stop:s1", "L3:s1"},
				"notCancelled1":      true,
				"afterH3":            []any{"L1:s2", "L2:s2", "stop:s2", "L3:s2", "H3:s2"},
				"notCancelled2":      false,
				"s2DefaultPrevented": true,
				"readyState":         2.0,
			}
			for key, v := range want {
				if !reflect.DeepEqual(res[key], v) {
					t.Errorf("%s = %v, want %v", key, res[key], v)
				}
			}
			seen, _ := res["seen"].([]any)
			if len(seen) != 3 {
				t.Fatalf("seen %v, want the three events", res["seen"])
			}
			for _, s := range seen {
				s := s.(map[string]any)
				// The events are not cancelable (HTML §9.2.6), so the
				// handler's false cancels nothing.
				for key, v := range map[string]any{
					"messageEvent": true, "type": "message", "bubbles": false, "cancelable": false,
					"defaultPrevented": false, "listenerThisIsSource": true,
				} {
					if s[key] != v {
						t.Errorf("event %v: %s = %v, want %v", s["data"], key, s[key], v)
					}
				}
			}
		})
	}
	native, wasm := results["native"], results["wasm"]
	if native == nil || wasm == nil {
		return // a subtest failed and said why
	}
	// Events that a script dispatches are never trusted: the one
	// difference the polyfill cannot avoid.
	for _, res := range []map[string]any{native, wasm} {
		for _, s := range res["seen"].([]any) {
			delete(s.(map[string]any), "isTrusted")
		}
	}
	if !reflect.DeepEqual(native, wasm) {
		n, _ := json.Marshal(native)
		w, _ := json.Marshal(wasm)
		t.Errorf("native and wasm differ:\nnative: %s\nwasm:   %s", n, w)
	}
}

// TestHandlerClosesAndOpens checks what a listener may do to sources while
// a chunk's events are being dispatched, as with native EventSource: close
// its own source, after which the rest of the chunk is not dispatched
// (HTML §9.2.6 dispatches only while the source is open), and open another
// source, which streams as any other. The polyfill dispatches a chunk's
// events after its module has returned from the read, so neither call
// reenters the module; both must still take effect at once.
func TestHandlerClosesAndOpens(t *testing.T) {
	t.Parallel()
	want := []string{
		"first add:a", "first closed 2",
		"second message:one", "second message:two", "second closed 2",
	}
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			ctx := openPage(t, pageFor(impl))
			// event-type-reset sends two events in one write: add "a", then
			// message "b".
			first := scenarioURL("event-type-reset", newSession(t))
			second := scenarioURL("simple", newSession(t))
			got := evaluate[[]string](t, ctx, handlerProbe+`(`+js(first)+`, `+js(second)+`)`)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// handlerProbe opens first; the listener of its first event closes it and
// opens second, whose handler closes it after two events. It waits a while
// longer for anything the closed sources must not deliver, then returns
// the log of events and states.
const handlerProbe = `(async (first, second) => {
	const Source = recorder.Source;
	const log = [];
	const record = (name) => (ev) => log.push(name + " " + ev.type + ":" + ev.data);
	await new Promise((resolve, reject) => {
		setTimeout(() => reject(new Error("timed out; log: " + log.join(", "))), 8000);
		const a = new Source(first);
		a.onmessage = record("first");
		a.onerror = () => log.push("first error " + a.readyState);
		a.addEventListener("add", (ev) => {
			record("first")(ev);
			a.close();
			log.push("first closed " + a.readyState);
			const b = new Source(second);
			b.onerror = () => log.push("second error " + b.readyState);
			b.onmessage = (ev) => {
				record("second")(ev);
				if (ev.data === "two") {
					b.close();
					log.push("second closed " + b.readyState);
					setTimeout(resolve, 300);
				}
			};
		});
	});
	return log;
})`
