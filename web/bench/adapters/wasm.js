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
  };
})();
