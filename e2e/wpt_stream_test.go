package e2e

// The cases of WPT's eventsource-from-readable-stream.any.js and
// eventsource-from-readable-stream-fetch.window.js, re-expressed:
// EventSource.fromReadableStream(stream) (whatwg/html#12272) makes a source
// that reads an event stream from a ReadableStream of bytes instead of
// fetching one, and never reconnects; lastEventId and reconnectionTime are
// new attributes. Chromium has none of it, so TestWPT checks only
// WasmEventSource on them, and e2e/wpt.md records what native does.
//
// t.stream(...chunks) makes a stream of the chunks (strings as UTF-8, or
// bytes) that then closes; t.erroredStream(err) one that errors at once.

// wptStreamFile is the WPT file of most stream cases.
const wptStreamFile = "eventsource-from-readable-stream.any.js"

// wptStreamCase is a case of wptStreamFile.
func wptStreamCase(id, subtest, js string) wptCase {
	return wptCase{ID: "stream-" + id, File: wptStreamFile, Subtest: subtest, JS: js}
}

// wptStreamMessage is a case that sends stream (a JavaScript expression)
// and checks the first message event with check, JavaScript statements that
// see the event e and the source es.
func wptStreamMessage(id, subtest, stream, check string) wptCase {
	return wptStreamCase(id, subtest, `async (ES, t) => {
		const es = t.track(ES.fromReadableStream(`+stream+`));
		const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
		`+check+`
	}`)
}

func wptStreamCases() []wptCase {
	return []wptCase{
		// Construction and initial state.
		wptStreamCase("instance", "fromReadableStream() returns an EventSource instance", `(ES, t) => {
			t.ok(t.track(ES.fromReadableStream(t.stream(""))) instanceof ES, "the result is no instance of EventSource");
		}`),
		wptStreamCase("initial-readystate", "readyState is CONNECTING immediately after construction", `(ES, t) => {
			t.eq(t.track(ES.fromReadableStream(t.stream(""))).readyState, ES.CONNECTING, "readyState");
		}`),
		wptStreamCase("url", "url returns about:event-stream", `(ES, t) => {
			t.eq(t.track(ES.fromReadableStream(t.stream(""))).url, "about:event-stream", "url");
		}`),
		wptStreamCase("with-credentials", "withCredentials returns false", `(ES, t) => {
			t.eq(t.track(ES.fromReadableStream(t.stream(""))).withCredentials, false, "withCredentials");
		}`),
		wptStreamCase("initial-last-event-id", "lastEventId initially returns the empty string", `(ES, t) => {
			t.eq(t.track(ES.fromReadableStream(t.stream(""))).lastEventId, "", "lastEventId");
		}`),
		wptStreamCase("initial-reconnection-time", "reconnectionTime initially returns a positive value", `(ES, t) => {
			const time = t.track(ES.fromReadableStream(t.stream(""))).reconnectionTime;
			t.ok(typeof time === "number" && time > 0, "reconnectionTime is " + time + ", want a positive number");
		}`),

		// Errors.
		wptStreamCase("locked", "throws TypeError if the stream is locked", `(ES, t) => {
			t.eq(typeof ES.fromReadableStream, "function", "type of EventSource.fromReadableStream");
			const stream = new ReadableStream();
			stream.getReader();
			t.throws(TypeError, () => t.track(ES.fromReadableStream(stream)), "fromReadableStream of a locked stream");
		}`),

		// Events.
		wptStreamCase("open", "fires open event", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("data: hello\n\n")));
			const e = await t.until((pass) => {
				es.onopen = t.guard((e) => {
					t.eq(es.readyState, ES.OPEN, "readyState in the open handler");
					pass(e);
				});
			});
			t.eq(e.type, "open", "type");
		}`),
		wptStreamMessage("message", "receives a message event", `t.stream("data: hello\n\n")`,
			`t.eq(e.data, "hello", "data");`),
		wptStreamMessage("multiline", "handles multi-line data fields", `t.stream("data: hello\ndata: world\n\n")`,
			`t.eq(e.data, "hello\nworld", "data");`),
		wptStreamCase("multiple", "receives multiple message events", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("data: first\n\ndata: second\n\n")));
			const data = [];
			await t.until((pass) => {
				es.onmessage = t.guard((e) => {
					data.push(e.data);
					if (data.length === 2) pass();
				});
			});
			t.eq(data.join(" "), "first second", "data of the events");
		}`),
		wptStreamCase("custom-type", "handles custom event types", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("event: custom\ndata: hello\n\n")));
			const e = await t.until((pass) => es.addEventListener("custom", t.guard(pass)));
			t.eq(e.data, "hello", "data");
		}`),
		wptStreamMessage("comments", "ignores comments", `t.stream(": this is a comment\ndata: hello\n\n")`,
			`t.eq(e.data, "hello", "data");`),
		wptStreamMessage("origin", "message event origin is 'null' (opaque origin)", `t.stream("data: hello\n\n")`,
			`t.eq(e.origin, "null", "origin");`),
		wptStreamMessage("chunks", "handles data split across chunks", `t.stream("da", "ta: hel", "lo\n\n")`,
			`t.eq(e.data, "hello", "data");`),

		// id and retry.
		wptStreamMessage("id", "id field updates lastEventId", `t.stream("id: 42\ndata: hello\n\n")`,
			`t.eq(e.lastEventId, "42", "the event's lastEventId");
		t.eq(es.lastEventId, "42", "the source's lastEventId");`),
		wptStreamMessage("retry", "retry field updates reconnectionTime", `t.stream("retry: 5000\ndata: hello\n\n")`,
			`t.eq(es.reconnectionTime, 5000, "reconnectionTime");`),
		wptStreamCase("retry-bogus", "retry field with non-digit value is ignored", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("retry: bogus\ndata: hello\n\n")));
			const before = es.reconnectionTime;
			await t.until((pass) => { es.onmessage = t.guard(pass); });
			t.eq(es.reconnectionTime, before, "reconnectionTime");
		}`),

		// close() and the end of the stream.
		wptStreamCase("close", "close() sets readyState to CLOSED", `(ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("data: hello\n\n")));
			es.close();
			t.eq(es.readyState, ES.CLOSED, "readyState after close()");
		}`),
		wptStreamCase("done", "stream done fires error after dispatching complete events", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("data: hello\n\n")));
			const seen = [];
			es.onmessage = t.guard((e) => seen.push(e.data));
			await t.until((pass) => {
				es.onerror = t.guard(() => {
					t.eq(es.readyState, ES.CLOSED, "readyState in the error handler");
					pass();
				});
			});
			t.eq(seen.join(" "), "hello", "the messages before the error");
		}`),
		wptStreamCase("empty", "empty stream fires error and transitions to CLOSED", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("")));
			await t.until((pass) => {
				es.onerror = t.guard(() => {
					t.eq(es.readyState, ES.CLOSED, "readyState in the error handler");
					pass();
				});
			});
		}`),
		wptStreamCase("error", "stream error fires error event and transitions to CLOSED", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.erroredStream(new Error("stream error"))));
			await t.until((pass) => {
				es.onerror = t.guard(() => {
					t.eq(es.readyState, ES.CLOSED, "readyState in the error handler");
					pass();
				});
			});
		}`),
		wptStreamCase("no-reconnection", "no reconnection is attempted after stream done", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("data: hello\n\n")));
			let errors = 0;
			await t.until((pass) => {
				es.onerror = t.guard(() => {
					errors++;
					t.eq(es.readyState, ES.CLOSED, "readyState in the error handler");
					pass();
				});
			});
			await t.sleep(200);
			t.eq(errors, 1, "error events");
			t.eq(es.readyState, ES.CLOSED, "readyState 200 ms later");
		}`),

		// Line ends and the BOM.
		wptStreamCase("line-ends", "handles CR, LF, and CRLF line endings", `async (ES, t) => {
			const es = t.track(ES.fromReadableStream(t.stream("data: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n")));
			const data = [];
			await t.until((pass) => {
				es.onmessage = t.guard((e) => {
					data.push(e.data);
					if (data.length === 3) pass();
				});
			});
			t.eq(data.join(" "), "cr lf crlf", "data of the events");
		}`),
		wptStreamMessage("bom", "strips leading UTF-8 BOM",
			`t.stream(new Uint8Array([0xEF, 0xBB, 0xBF, ...new TextEncoder().encode("data: hello\n\n")]))`,
			`t.eq(e.data, "hello", "data");`),

		// A TransformStream stands for a connection that the page
		// reestablishes: it pipes one response after another into it.
		wptStreamCase("transform-stream", "TransformStream pattern allows multiple streams to be piped through", `async (ES, t) => {
			const ts = new TransformStream();
			const es = t.track(ES.fromReadableStream(ts.readable));
			const data = [];
			es.onmessage = t.guard((e) => data.push(e.data));
			const ended = t.until((pass) => { es.onerror = t.guard(pass); });
			await t.stream("data: first\n\n").pipeTo(ts.writable, { preventClose: true });
			// The second pipe closes the writable side, which ends the source.
			await t.stream("data: second\n\n").pipeTo(ts.writable);
			await ended;
			t.eq(data.join(" "), "first second", "data of the events before the error");
		}`),
		wptStreamCase("transform-last-event-id", "lastEventId persists across reconnections via TransformStream", `async (ES, t) => {
			const ts = new TransformStream();
			const es = t.track(ES.fromReadableStream(ts.readable));
			const after = t.until((pass) => {
				es.onmessage = t.guard((e) => { if (e.data === "after-reconnect") pass(); });
			});
			await t.stream("id: 42\ndata: first\n\n").pipeTo(ts.writable, { preventClose: true });
			t.eq(es.lastEventId, "42", "lastEventId after the first stream");
			await t.stream("data: after-reconnect\n\n").pipeTo(ts.writable, { preventClose: true });
			await after;
			t.eq(es.lastEventId, "42", "lastEventId after the second stream");
		}`),
		wptStreamCase("transform-reconnection-time", "reconnectionTime persists across reconnections via TransformStream", `async (ES, t) => {
			const ts = new TransformStream();
			const es = t.track(ES.fromReadableStream(ts.readable));
			const after = t.until((pass) => {
				es.onmessage = t.guard((e) => { if (e.data === "after-reconnect") pass(); });
			});
			await t.stream("retry: 3000\ndata: first\n\n").pipeTo(ts.writable, { preventClose: true });
			t.eq(es.reconnectionTime, 3000, "reconnectionTime after the first stream");
			await t.stream("data: after-reconnect\n\n").pipeTo(ts.writable, { preventClose: true });
			await after;
			t.eq(es.reconnectionTime, 3000, "reconnectionTime after the second stream");
		}`),

		// With fetch().
		{
			ID: "stream-fetch", File: "eventsource-from-readable-stream-fetch.window.js", Subtest: "works with a fetch() response body",
			JS: `async (ES, t) => {
				const response = await fetch("resources/message");
				const es = t.track(ES.fromReadableStream(response.body));
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "data", "data");
			}`,
		},
		{
			ID: "stream-fetch-fields", File: "eventsource-from-readable-stream-fetch.window.js", Subtest: "lastEventId and reconnectionTime work with fetch() response",
			JS: `async (ES, t) => {
				const response = await fetch("resources/message?message=" + encodeURIComponent("id: 42\nretry: 5000\ndata: hello"));
				const es = t.track(ES.fromReadableStream(response.body));
				const e = await t.until((pass) => { es.onmessage = t.guard(pass); });
				t.eq(e.data, "hello", "data");
				t.eq(es.lastEventId, "42", "lastEventId");
				t.eq(es.reconnectionTime, 5000, "reconnectionTime");
			}`,
		},
	}
}
