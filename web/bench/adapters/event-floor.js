// The adapter of the event floor: the floor (floor.js) plus what keeps an
// EventSource faithful to the DOM. For each event it makes a real
// MessageEvent with data, lastEventId and origin, and dispatches it on an
// EventTarget whose one listener hands the data to the harness, as native
// EventSource and WasmEventSource do. No EventSource that gives its
// listeners MessageEvents can be faster than this; the npm peers, which
// give plain objects to callbacks, are not bound by it. See bench.js for
// the adapter interface.
(() => {
  "use strict";

  const PREFIX = "data: ".length;

  globalThis.ssebenchAdapter = {
    name: "event-floor",
    open(url, sink) {
      const controller = new AbortController();
      const target = new EventTarget();
      target.addEventListener("message", (event) => sink.data(event.data));
      (async () => {
        const response = await fetch(url, {
          headers: { Accept: "text/event-stream" },
          cache: "no-store",
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        const origin = new URL(response.url).origin;
        const init = { data: "", lastEventId: "", origin };
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
            init.data = text.slice(start + PREFIX, end);
            target.dispatchEvent(new MessageEvent("message", init));
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
