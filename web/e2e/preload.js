// preload.js runs before the polyfill's script tag. It keeps the page's
// EventSource as window.preload.eventSource, so that a test can compare it
// with WasmEventSource.native, and with a data-remove-event-source attribute
// it then removes window.EventSource, as in a browser that has none. With
// a data-record-fetch attribute it records each fetch() call of the page
// as window.preload.fetches: its URL, and whether WasmEventSource was
// defined when it was made.
(() => {
  "use strict";
  const script = document.currentScript;
  window.preload = { eventSource: window.EventSource };
  if (script && script.hasAttribute("data-remove-event-source")) {
    delete window.EventSource;
    window.preload.removed = typeof window.EventSource === "undefined";
  }
  if (script && script.hasAttribute("data-record-fetch")) {
    const fetches = window.preload.fetches = [];
    const original = window.fetch;
    window.fetch = function (input, init) {
      fetches.push({ url: String(input instanceof Request ? input.url : input), api: typeof window.WasmEventSource === "function" });
      return original.call(this, input, init);
    };
  }
})();
