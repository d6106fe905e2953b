// The adapter of event-source-polyfill (npm), the Yaffle polyfill, which
// reads the stream with fetch where it can. Its API is EventSource's.
//
// This file is not served as it is: e2e/cmd/ssebench bundles it with esbuild
// into an IIFE, with the library installed at bench time under .cache/bench,
// and serves the bundle at /bench/bundles/. See bench.js for the adapter
// interface.
import { EventSourcePolyfill } from "event-source-polyfill";

globalThis.ssebenchAdapter = {
  name: "event-source-polyfill",
  open(url, sink) {
    const source = new EventSourcePolyfill(url);
    source.onmessage = (event) => sink.data(event.data);
    source.onerror = () => sink.error(`error event (readyState ${source.readyState})`);
    return () => source.close();
  },
};
