// The adapter of eventsource (npm), v3 and later, whose EventSource runs on
// fetch in browsers too. Its API is EventSource's.
//
// This file is not served as it is: e2e/cmd/ssebench bundles it with esbuild
// into an IIFE, with the library installed at bench time under .cache/bench,
// and serves the bundle at /bench/bundles/. See bench.js for the adapter
// interface.
import { EventSource } from "eventsource";

globalThis.ssebenchAdapter = {
  name: "eventsource",
  open(url, sink) {
    const source = new EventSource(url);
    source.onmessage = (event) => sink.data(event.data);
    source.onerror = () => sink.error(`error event (readyState ${source.readyState})`);
    return () => source.close();
  },
};
