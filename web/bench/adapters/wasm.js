// The adapter of WasmEventSource, this project's polyfill. wasm.html loads
// the polyfill just before this file. See bench.js for the adapter
// interface.
(() => {
  "use strict";

  if (typeof globalThis.WasmEventSource !== "function") {
    throw new Error("ssebench: /dist/eventsource-wasm.js defines no WasmEventSource; run `make build`");
  }

  globalThis.ssebenchAdapter = {
    name: "wasm",
    ready: WasmEventSource.ready,
    open(url, sink) {
      const source = new WasmEventSource(url);
      source.onmessage = (event) => sink.data(event.data);
      source.onerror = (event) =>
        sink.error(`error event (readyState ${source.readyState}${event.message ? `: ${event.message}` : ""})`);
      return () => source.close();
    },
    // iterate consumes the stream with for await, which yields plain
    // objects: no MessageEvent is made, as the source has no listener for
    // message events. The end-of-stream error after the last event
    // reconnects, and does not end the loop; close() does.
    iterate(url, sink) {
      const source = new WasmEventSource(url);
      (async () => {
        try {
          for await (const message of source) sink.data(message.data);
          sink.error("the loop ended");
        } catch (err) {
          sink.error(`the loop threw: ${err.message}`);
        }
      })();
      return () => source.close();
    },
  };
})();
