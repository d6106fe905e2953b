// The adapter of @microsoft/fetch-event-source (npm). Its API is not
// EventSource's: fetchEventSource(url, {onmessage, signal, ...}) returns a
// promise, and an AbortSignal closes the stream. openWhenHidden keeps the
// stream open while the page is hidden, as EventSource does. onclose and
// onerror say the stream ended or failed; the adapter throws from onerror
// so that the library does not retry, and reports both to the harness.
//
// This file is not served as it is: e2e/cmd/ssebench bundles it with esbuild
// into an IIFE, with the library installed at bench time under .cache/bench,
// and serves the bundle at /bench/bundles/. See bench.js for the adapter
// interface.
import { fetchEventSource } from "@microsoft/fetch-event-source";

globalThis.ssebenchAdapter = {
  name: "fetch-event-source",
  open(url, sink) {
    const controller = new AbortController();
    fetchEventSource(url, {
      signal: controller.signal,
      openWhenHidden: true,
      onmessage: (message) => sink.data(message.data),
      onclose: () => sink.error("the stream ended"),
      onerror: (err) => {
        sink.error(String(err));
        throw err;
      },
    }).catch(() => {});
    return () => controller.abort();
  },
};
