// Type declarations for the classic script, eventsource-wasm.js
// (package.json's "eventsource-wasm/classic"). The script exports nothing:
// it defines the global WasmEventSource, whose type is the ES module's.
export {};

declare global {
  /** Defined by the classic script, eventsource-wasm.js. */
  var WasmEventSource: typeof import("./eventsource-wasm.mjs").WasmEventSource;
}
