// lazy-probe.js records what the page does through fetch(), WebAssembly's
// compile functions and the console, from before the ES module is
// imported: window.lazyProbe.calls lists them, in order, as
// {what, url?, args?}. Each still does what it did.
(() => {
  "use strict";
  const calls = [];
  const pageFetch = globalThis.fetch;
  globalThis.fetch = function fetch(input, init) {
    calls.push({ what: "fetch", url: new URL(input instanceof Request ? input.url : `${input}`, document.baseURI).href });
    return pageFetch.call(this, input, init);
  };
  for (const name of ["compile", "compileStreaming", "instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      calls.push({ what: `WebAssembly.${name}` });
      return original.apply(this, args);
    };
  }
  for (const name of ["log", "info", "warn", "error", "debug"]) {
    const original = console[name];
    console[name] = function (...args) {
      calls.push({ what: `console.${name}`, args: args.map(String) });
      return original.apply(this, args);
    };
  }
  window.lazyProbe = { calls };
})();
