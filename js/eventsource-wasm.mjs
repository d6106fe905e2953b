/*! eventsource-wasm | EventSource in Go/WebAssembly | MIT License; includes Go's wasm_exec.js, BSD-style License (see LICENSE-Go.txt) */
// The ES module entry point:
//
//   import { WasmEventSource, ready, install } from "./eventsource-wasm.mjs";
//
// It loads eventsource-wasm.wasm from beside itself and, unlike the classic
// script, defines no global: call install() to make WasmEventSource the
// page's EventSource.

//@@CORE@@

const api = eventSourceWasm(new URL("eventsource-wasm.wasm", import.meta.url).href);

export const WasmEventSource = api.WasmEventSource;
export const ready = api.ready;
export const install = api.install;
export default WasmEventSource;
