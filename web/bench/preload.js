// preload.js runs just before the polyfill's loader script in
// web/bench/wasm.html. It does two things, and nothing that the polyfill can
// see:
//
//   - It notes the time at which the loader starts, as performance.now()
//     taken by a script of its own (the pages have no inline script), so
//     that bench.js can time WasmEventSource.ready from there.
//   - It wraps WebAssembly.instantiateStreaming and WebAssembly.instantiate
//     to keep a reference to the memory that an instance exports, so that
//     bench.js can report the size of the module's linear memory without a
//     hook in the polyfill (WebAssembly JS API, "Exported memory"). The
//     wrappers pass every call through unchanged.
(() => {
  "use strict";

  const state = {
    loaderStart: performance.now(),
    memories: [],
  };
  globalThis.ssebenchPreload = state;

  const keep = (result) => {
    const instance = result instanceof WebAssembly.Instance ? result : result && result.instance;
    if (instance) {
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) state.memories.push(value);
      }
    }
    return result;
  };
  const wrap = (name) => {
    const original = WebAssembly[name];
    if (typeof original !== "function") return;
    WebAssembly[name] = function (...args) {
      return original.apply(this, args).then(keep);
    };
  };
  wrap("instantiateStreaming");
  wrap("instantiate");
})();
