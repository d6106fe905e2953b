// esm.js imports WasmEventSource from the ES module, as an application
// does, notes what the module left on the global object, and hands the
// class to recorder.js.
import DefaultExport, { WasmEventSource, ready, install } from "/dist/eventsource-wasm.mjs";

window.esm = {
  // The module defines no global, unlike the classic script.
  globalWasmEventSource: typeof globalThis.WasmEventSource,
  // Nor does it leave wasm_exec.js's runtime names on the page.
  leakedRuntimeNames: ["Go", "fs", "process", "path"].filter((name) => name in globalThis),
  defaultIsWasmEventSource: DefaultExport === WasmEventSource,
  readyIsStatic: ready === WasmEventSource.ready,
  installType: typeof install,
  eventSourceUntouched: globalThis.EventSource !== WasmEventSource,
};
recorder.use(WasmEventSource, ready);
