// The adapter of the Go floor, which is no EventSource: it only starts an
// empty Go program built like the polyfill's module (GOOS=js, safejs; see
// e2e/cmd/ssebench/gofloor), to time what the Go runtime costs before any
// code of the polyfill runs. ssebench bundles this file after Go's
// wasm_exec.js into /bench/bundles/go-floor.js, one script as the
// polyfill's loader is, and serves the program beside it. The loader starts
// the module's download at once and compiles it while it arrives, as the
// polyfill's does, and asks for it by its version, as the polyfill's does:
// ssebench writes the module's version into the URL below when it bundles
// this file, and serves a request that names it as immutable, so that a
// returning visitor uses the cached module (and, in Chromium, its cached
// compiled code) without asking. See bench.js for the adapter interface.
(() => {
  "use strict";

  const HOST = "ssebenchGoFloor";
  const registered = new Promise((resolve) => {
    globalThis[HOST] = { register: resolve };
  });
  const go = new Go();
  go.argv = ["go-floor", HOST];
  const started = WebAssembly.instantiateStreaming(fetch("/bench/bundles/go-floor.wasm?v=@@WASM_VERSION@@"), go.importObject)
    .then(({ instance }) => {
      go.run(instance);
    });

  globalThis.ssebenchAdapter = {
    name: "go-floor",
    ready: Promise.all([started, registered]).then(() => {}),
    open() {
      throw new Error("ssebench: the Go floor opens no streams");
    },
  };
})();
