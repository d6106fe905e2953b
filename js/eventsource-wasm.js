/*! eventsource-wasm | EventSource in Go/WebAssembly | MIT License; includes Go's wasm_exec.js, BSD-style License (see LICENSE-Go.txt) */
// The classic-script entry point. A page adds one tag,
//
//   <script src="/dist/eventsource-wasm.js"></script>
//
// and gets the global WasmEventSource at once; a worker gets it from
// importScripts("/dist/eventsource-wasm.js"). The module is loaded from
// eventsource-wasm.wasm beside this script (with ?v=VERSION), from the URL in the tag's
// data-wasm attribute, or from where WasmEventSource.configure({ wasmURL })
// says, if that comes in the same task as the script. With a data-polyfill
// attribute the script also makes WasmEventSource the page's EventSource,
// as WasmEventSource.install() does; in a scope with no EventSource at all
// it always does.
(() => {
  "use strict";
  if (typeof globalThis.WasmEventSource === "function") {
    return; // loaded twice: keep the first
  }

  // The script's own URL: its tag's src in a window; in a worker, which has
  // no document.currentScript, the URL in the innermost frame of a stack
  // trace made now, while this file runs; else the scope's location.
  // V8 writes a frame as "at <url>:line:column", SpiderMonkey and
  // JavaScriptCore as "<function>@<url>:line:column".
  const stackURL = /((?:https?|file|blob):[^\s()]*?):\d+:\d+(?=\)|\s|$)/.exec(String(new Error().stack || ""));
  const script = globalThis.document ? globalThis.document.currentScript : null;
  let scriptURL;
  if (script) {
    scriptURL = script.src || globalThis.document.baseURI;
  } else if (stackURL) {
    scriptURL = stackURL[1];
  } else if (globalThis.location) {
    scriptURL = String(globalThis.location.href);
  }
  const wasmAttribute = script && script.dataset ? script.dataset.wasm : undefined;

  // The module beside this script, named with its version, which the
  // build writes here (the first 16 hex digits of its SHA-256): a new
  // module is a new URL, so a server may let browsers keep this one for
  // good (Cache-Control: immutable), and Chromium then keeps its compiled
  // code from one visit to the next.
  const defaultWasm = "eventsource-wasm.wasm?v=@@WASM_VERSION@@";
  const wasmURL = () => new URL(wasmAttribute || defaultWasm, scriptURL).href;

  // In a window the module's request goes out now, before the API is made
  // (some milliseconds of a page's startup): nothing can call configure()
  // between this script and start() below, so the module's URL is known.
  // A worker's importScripts() may be followed by a configure() in the
  // same task, so a worker's request waits for start().
  let early = null;
  if (script && typeof fetch === "function" && typeof WebAssembly === "object") {
    try {
      const url = wasmURL();
      early = { url, response: fetch(url, { credentials: "same-origin" }) };
      early.response.catch(() => {}); // load() reports a failure
    } catch {
      early = null; // load() says why there is no URL
    }
  }

  //@@CORE@@

  const { WasmEventSource, install, start } = eventSourceWasm({ wasmURL, scriptURL, early });
  globalThis.WasmEventSource = WasmEventSource;
  if ((script && script.hasAttribute("data-polyfill")) || typeof globalThis.EventSource !== "function") {
    install();
  }
  // Start loading once the code that loaded this script returns, for a
  // fast start: at once for a script tag, after the worker script's
  // statement that called importScripts() and the rest of its task. So a
  // configure() right after importScripts() is in time.
  queueMicrotask(start);
})();
