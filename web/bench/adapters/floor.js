// The adapters of the two cost floors, which are not EventSources but the
// least work that a client of a stream must do; bench.js loads this file
// for both, and the page's impl parameter says which. The Go floor's page
// loads it too, for the floors' request and the event floor's events
// (ssebenchFloors, which go-floor.js uses).
//
//   floor        fetches the stream, reads the body with a reader, decodes
//                it with a TextDecoder, and finds the end of each event by
//                scanning for "\n\n": the least any JavaScript client does.
//                In the iterate workloads it hands each event, as a plain
//                object {type, data, lastEventId, origin}, to a for await
//                loop through the least async iterator that queues them:
//                the least a client whose events reach such a loop does.
//   event-floor  does the same and, for each event, makes a real
//                MessageEvent with data, lastEventId and origin and
//                dispatches it on an EventTarget whose one listener hands
//                the data to the harness, as native EventSource and
//                WasmEventSource do: the least an EventSource whose
//                listeners get DOM events does. The npm peers, which give
//                plain objects to callbacks, are not bound by it.
//
// Both know the shape of the bench stream ("data: " + payload + "\n\n",
// server/refserver): they parse no fields and never reconnect. The floor
// slices the data out only when the harness asks for it (for latency), else
// it reports its length. See bench.js for the adapter interface.
(() => {
  "use strict";

  const PREFIX = "data: ".length;
  const impl = new URLSearchParams(location.search).get("impl");
  const name = impl === "event-floor" ? "event-floor" : "floor";

  // fetchStream sends the floors' request for the stream at url and
  // returns the response, or throws if it has no body to read.
  async function fetchStream(url, signal) {
    const response = await fetch(url, {
      headers: { Accept: "text/event-stream" },
      cache: "no-store",
      signal,
    });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    return response;
  }

  // dispatcher returns the event floor's function that takes one event's
  // data, given the stream's response: it makes a real MessageEvent and
  // dispatches it on an EventTarget whose one listener hands the data to
  // the harness.
  function dispatcher(response, sink) {
    const target = new EventTarget();
    target.addEventListener("message", (event) => sink.data(event.data));
    const init = { data: "", lastEventId: "", origin: new URL(response.url).origin };
    return (text, start, end) => {
      init.data = text.slice(start, end);
      target.dispatchEvent(new MessageEvent("message", init));
    };
  }

  // eventsOf returns the function that takes one event's data, given the
  // stream's response: it slices and reports the data, or dispatches it.
  function eventsOf(response, sink) {
    if (name === "event-floor") return dispatcher(response, sink);
    if (sink.wantsData) return (text, start, end) => sink.data(text.slice(start, end));
    return (text, start, end) => sink.length(end - start);
  }

  // read fetches url and hands where each event's data lies in the text
  // (text, start, end) to the function that handlerOf(response) returns,
  // until the stream ends or controller aborts the request; it reports the
  // end, or an error, to ended.
  function read(url, ended, controller, handlerOf) {
    (async () => {
      const response = await fetchStream(url, controller.signal);
      const event = handlerOf(response);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let tail = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = tail + decoder.decode(value, { stream: true });
        // The tail has no "\n\n", but may end with the first "\n".
        let from = Math.max(0, tail.length - 1);
        let start = 0;
        let end;
        while ((end = text.indexOf("\n\n", from)) !== -1) {
          event(text, start + PREFIX, end);
          start = from = end + 2;
        }
        tail = text.slice(start);
      }
      ended("the stream ended");
    })().catch((err) => {
      if (!controller.signal.aborted) ended(String(err));
    });
  }

  // messages returns the least async iterator of a queue of events: next()
  // takes the oldest waiting one, or waits for the next push; after the
  // events pushed before end(), the loop ends.
  function messages() {
    const END = {};
    const queue = [];
    let head = 0;
    let waiting = null; // the resolve of a next() that found the queue empty
    const result = (value) => (value === END ? { value: undefined, done: true } : { value, done: false });
    return {
      push(value) {
        if (waiting) {
          const resolve = waiting;
          waiting = null;
          resolve(result(value));
        } else {
          queue.push(value);
        }
      },
      end() {
        this.push(END);
      },
      next() {
        if (head === queue.length) return new Promise((resolve) => { waiting = resolve; });
        const value = queue[head++];
        if (head === queue.length) queue.length = head = 0;
        return Promise.resolve(result(value));
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // The Go floor's page (gofloor.html) loads this file too, for the same
  // request and the event floor's events; its adapter is go-floor.js.
  globalThis.ssebenchFloors = { fetchStream, dispatcher };
  if (impl === "go-floor") return;

  globalThis.ssebenchAdapter = {
    name,
    open(url, sink) {
      const controller = new AbortController();
      read(url, (why) => sink.error(why), controller, (response) => eventsOf(response, sink));
      return () => controller.abort();
    },
    // The floor of the iterate workloads; the event floor has none, and
    // dispatches MessageEvents there too.
    iterate: name === "floor" ? (url, sink) => {
      const controller = new AbortController();
      const loop = messages();
      let why = "";
      read(url, (reason) => {
        why = reason;
        loop.end();
      }, controller, (response) => {
        const origin = new URL(response.url).origin;
        return (text, start, end) => loop.push({ type: "message", data: text.slice(start, end), lastEventId: "", origin });
      });
      (async () => {
        for await (const message of loop) sink.data(message.data);
        sink.error(why);
      })();
      return () => controller.abort();
    } : undefined,
  };
})();
