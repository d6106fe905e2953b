// The adapter of eventsource-client (npm). Its API is not EventSource's:
// createEventSource({url, onMessage}) connects at once and returns a client
// with close(). onDisconnect says the stream ended (the client would then
// reconnect), which the harness counts as an error before the last event.
//
// This file is not served as it is: e2e/cmd/ssebench bundles it with esbuild
// into an IIFE, with the library installed at bench time under .cache/bench,
// and serves the bundle at /bench/bundles/. See bench.js for the adapter
// interface.
import { createEventSource } from "eventsource-client";

globalThis.ssebenchAdapter = {
  name: "eventsource-client",
  open(url, sink) {
    const client = createEventSource({
      url: new URL(url, location.href),
      onMessage: (message) => sink.data(message.data),
      onDisconnect: () => sink.error("disconnected"),
    });
    return () => client.close();
  },
  // iterate consumes the stream with the client's async iterator, its
  // documented alternative to onMessage. The iterator may still hold
  // messages when the stream ends, so the end (onDisconnect) is no error
  // here: the client reconnects, and the harness closes it at the last
  // event; a stream that breaks off early stalls, which the harness reports.
  iterate(url, sink) {
    const client = createEventSource({ url: new URL(url, location.href) });
    (async () => {
      try {
        for await (const message of client) sink.data(message.data);
      } catch (err) {
        sink.error(`the loop threw: ${err && err.message}`);
      }
    })();
    return () => client.close();
  },
};
