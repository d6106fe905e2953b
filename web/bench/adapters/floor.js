// The adapters of the two cost floors, which are not EventSources but the
// least work that a client of a stream must do; bench.js loads this file
// for both, and the page's impl parameter says which.
//
//   floor        fetches the stream, reads the body with a reader, decodes
//                it with a TextDecoder, and finds the end of each event by
//                scanning for "\n\n": the least any JavaScript client does.
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
  const name = new URLSearchParams(location.search).get("impl") === "event-floor" ? "event-floor" : "floor";

  // eventsOf returns the function that takes one event's data, given the
  // stream's response: it slices and reports the data, or dispatches it.
  function eventsOf(response, sink) {
    if (name === "event-floor") {
      const target = new EventTarget();
      target.addEventListener("message", (event) => sink.data(event.data));
      const init = { data: "", lastEventId: "", origin: new URL(response.url).origin };
      return (text, start, end) => {
        init.data = text.slice(start, end);
        target.dispatchEvent(new MessageEvent("message", init));
      };
    }
    if (sink.wantsData) return (text, start, end) => sink.data(text.slice(start, end));
    return (text, start, end) => sink.length(end - start);
  }

  globalThis.ssebenchAdapter = {
    name,
    open(url, sink) {
      const controller = new AbortController();
      (async () => {
        const response = await fetch(url, {
          headers: { Accept: "text/event-stream" },
          cache: "no-store",
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        const event = eventsOf(response, sink);
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
        sink.error("the stream ended");
      })().catch((err) => {
        if (!controller.signal.aborted) sink.error(String(err));
      });
      return () => controller.abort();
    },
  };
})();
