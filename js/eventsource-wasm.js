/*! eventsource-wasm | EventSource in Go/WebAssembly | MIT License; includes Go's wasm_exec.js, BSD-style License (see LICENSE-Go.txt) */
// The classic-script entry point. A page adds one tag,
//
//   <script src="/dist/eventsource-wasm.js"></script>
//
// and gets the global WasmEventSource at once. The module is loaded from
// eventsource-wasm.wasm beside this script, or from the URL in the tag's
// data-wasm attribute. With a data-polyfill attribute the script also makes
// WasmEventSource the page's EventSource, as WasmEventSource.install() does;
// in a browser with no EventSource at all it always does.
(() => {
  "use strict";
  if (typeof globalThis.WasmEventSource === "function") {
    return; // loaded twice: keep the first
  }

  //@@CORE@@

  const script = document.currentScript;
  const moduleURL = new URL(
    (script && script.dataset.wasm) || "eventsource-wasm.wasm",
    (script && script.src) || document.baseURI,
  ).href;
  const { WasmEventSource, install } = eventSourceWasm(moduleURL);
  globalThis.WasmEventSource = WasmEventSource;
  if ((script && script.hasAttribute("data-polyfill")) || typeof globalThis.EventSource !== "function") {
    install();
  }
})();
