// preload.js runs before the polyfill's script tag. It keeps the page's
// EventSource as window.preload.eventSource, so that a test can compare it
// with WasmEventSource.native, and with a data-remove-event-source attribute
// it then removes window.EventSource, as in a browser that has none.
(() => {
  "use strict";
  const script = document.currentScript;
  window.preload = { eventSource: window.EventSource };
  if (script && script.hasAttribute("data-remove-event-source")) {
    delete window.EventSource;
    window.preload.removed = typeof window.EventSource === "undefined";
  }
})();
