// The app that TestBundlers (e2e/bundlers_test.go) bundles with esbuild's
// IIFE output and no configure(): there is no import.meta.url to find the
// .wasm by, and the package must say so, and how to fix it, both in the
// rejection of ready and in a source's error event. window.result resolves
// to what the page saw.
import { WasmEventSource, ready } from "eventsource-wasm";

window.result = (async () => {
  const source = new WasmEventSource("/sse/counter?total=3&per=3");
  const sourceError = await new Promise((resolve) => {
    source.onerror = (e) => resolve(e.reason + ": " + e.message);
  });
  const readyError = await ready.then(() => "resolved", (e) => "rejected: " + e.message);
  return { readyError, sourceError, readyState: source.readyState };
})();
