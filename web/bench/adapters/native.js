// The adapter of the browser's own EventSource (HTML §9.2): the baseline
// that the polyfill replaces. See bench.js for the adapter interface.
(() => {
  "use strict";

  globalThis.ssebenchAdapter = {
    name: "native",
    open(url, sink) {
      const source = new EventSource(url);
      source.onmessage = (event) => sink.data(event.data);
      source.onerror = () => sink.error(`error event (readyState ${source.readyState})`);
      return () => source.close();
    },
  };
})();
