// The adapter of the cost floor: not an EventSource, but the least work that
// any JavaScript client of a stream must do. It fetches the stream, reads
// the body with a reader, decodes it with a TextDecoder, and finds the end
// of each event by scanning for "\n\n". It knows the shape of the bench
// stream ("data: " + payload + "\n\n", server/refserver): it parses no
// fields, never reconnects, and slices the data out only when the harness
// asks for it (for latency), else it reports its length. See bench.js for
// the adapter interface.
(() => {
  "use strict";

  const PREFIX = "data: ".length;

  globalThis.ssebenchAdapter = {
    name: "floor",
    open(url, sink) {
      const controller = new AbortController();
      const wantsData = sink.wantsData;
      (async () => {
        const response = await fetch(url, {
          headers: { Accept: "text/event-stream" },
          cache: "no-store",
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
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
            if (wantsData) sink.data(text.slice(start + PREFIX, end));
            else sink.length(end - start - PREFIX);
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
