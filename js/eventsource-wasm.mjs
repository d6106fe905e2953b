/*! eventsource-wasm | EventSource in Go/WebAssembly | MIT License; includes Go's wasm_exec.js, BSD-style License (see LICENSE-Go.txt) */
// The ES module entry point:
//
//   import { WasmEventSource, ready, install, configure } from "./eventsource-wasm.mjs";
//
// It loads eventsource-wasm.wasm from beside itself, or from where
// configure({ wasmURL }) says, and, unlike the classic script, defines no
// global: call install() to make WasmEventSource the scope's EventSource.
// Importing it does nothing else: the module loads when the first source
// is made or ready is awaited, so it can be imported where it cannot run
// (server-side rendering in Node).

//@@CORE@@

const api = eventSourceWasm({
  // Written as new URL("./…", import.meta.url) so that bundlers that know
  // the pattern (webpack, Vite, Parcel) find the file and emit it.
  // A bundle that is not an ES module has no import.meta.url (esbuild's
  // IIFE output makes import.meta an empty object), and new URL() throws
  // "Invalid URL": say why instead, and how to tell the module where the
  // .wasm is. (A bare import.meta.url here would be replaced by webpack
  // with the file: URL of this file on the machine that built the bundle.)
  wasmURL: () => {
    try {
      return new URL("./eventsource-wasm.wasm", import.meta.url).href;
    } catch {
      throw new Error("import.meta.url is empty or not a URL: eventsource-wasm was bundled into a script that is not an ES module, " +
        "as esbuild's --format=iife does; with esbuild, import wasmURL from \"eventsource-wasm/eventsource-wasm.wasm\" " +
        "and build with --loader:.wasm=file");
    }
  },
  scriptURL: import.meta.url,
});

export const WasmEventSource = api.WasmEventSource;
export const ready = api.ready;
export const install = api.install;
export const configure = api.configure;
export default WasmEventSource;
