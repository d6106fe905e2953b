// The adapter of sse.js (npm), which reads the stream through an
// XMLHttpRequest's responseText. Its API is close to EventSource's: new
// SSE(url) starts at once, with onmessage and close(). It does not
// reconnect by default; the end of the stream shows as a readystatechange
// to CLOSED, which the harness counts as an error before the last event.
//
// This file is not served as it is: e2e/cmd/ssebench bundles it with esbuild
// into an IIFE, with the library installed at bench time under .cache/bench,
// and serves the bundle at /bench/bundles/. See bench.js for the adapter
// interface.
import { SSE } from "sse.js";

globalThis.ssebenchAdapter = {
  name: "sse.js",
  open(url, sink) {
    const source = new SSE(url);
    source.onmessage = (event) => sink.data(event.data);
    source.onerror = (event) => sink.error(`error event (status ${event.responseCode})`);
    source.addEventListener("readystatechange", (event) => {
      if (event.readyState === SSE.CLOSED) sink.error("the stream closed");
    });
    return () => source.close();
  },
};
