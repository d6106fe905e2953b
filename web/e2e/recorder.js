// recorder.js records what a page sees of an EventSource, for the e2e tests
// of WasmEventSource's options and API (e2e/options_test.go,
// e2e/events_test.go, e2e/loading_test.go). Unlike trace.js, which replays
// the scenarios without options, it keeps every detail of each event: the
// response of open events, and the reason, delay and retries of error events.
//
// A page loads it after the implementation it tests:
//
//   <script src="/dist/eventsource-wasm.js"></script>
//   <script src="/e2e/recorder.js" data-impl="wasm"></script>
//
// data-impl is "native" (the browser's EventSource), "wasm" (the global
// WasmEventSource) or "later" (a module script calls recorder.use). A
// worker loads it with importScripts() or import, and is always "later".
//
// API:
//
//   recorder.impl             "native" or "wasm"
//   recorder.Source           the constructor under test
//   recorder.loaded           resolves once Source can be used; for wasm,
//                             when WasmEventSource.ready does
//   recorder.use(Source, ready)  sets Source and loaded ("later" pages)
//   recorder.watch(source, {until, events, timeoutMs, keepOpen})
//                             records source's events from now on; returns
//                             a promise of {log, endedBy, readyState}
//
// watch records open, message and error events, the "request" event of
// /sse/echo, and the event types in opts.events. It ends when until(log,
// source) returns true after an entry (endedBy "until"), when an error
// event leaves the source CLOSED ("closed"), or after timeoutMs, 8000 by
// default ("timeout"). Then it closes the source, unless keepOpen is set.
(() => {
  "use strict";

  const inWorker = typeof globalThis.document === "undefined";
  const script = inWorker ? null : document.currentScript;
  const impl = inWorker ? "later" : (script && script.dataset.impl) || "native";

  let settle;
  const loaded = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A test reads the outcome from recorder.loaded; a failed load must not
  // also show as an unhandled rejection.
  loaded.catch(() => {});

  const recorder = {
    impl: impl === "later" ? "wasm" : impl,
    Source: null,
    loaded,
    use(Source, ready) {
      recorder.Source = Source;
      Promise.resolve(ready).then(() => settle.resolve(recorder.impl), settle.reject);
    },
    watch,
  };

  switch (impl) {
    case "native":
      recorder.use(globalThis.EventSource);
      break;
    case "wasm":
      if (typeof globalThis.WasmEventSource !== "function") {
        settle.reject(new Error("recorder: no global WasmEventSource; load /dist/eventsource-wasm.js first (make build)"));
        break;
      }
      recorder.use(globalThis.WasmEventSource, globalThis.WasmEventSource.ready);
      break;
    case "later":
      break;
    default:
      settle.reject(new Error(`recorder: unknown data-impl ${JSON.stringify(impl)}`));
  }

  // details copies the properties WasmEventSource adds to open and error
  // events; the native events have none of them.
  function details(ev, names) {
    const out = {};
    for (const name of names) {
      if (ev[name] !== undefined) out[name] = ev[name];
    }
    return out;
  }

  const errorDetails = ["reason", "message", "status", "statusText", "contentType", "willReconnect", "retryDelay", "retries"];

  function entry(ev, source, start) {
    const e = { type: ev.type, t: performance.now() - start, readyState: source.readyState };
    if (ev.type === "open") {
      Object.assign(e, details(ev, ["status", "statusText", "url"]));
      if (ev.headers && typeof ev.headers.get === "function") {
        e.contentType = ev.headers.get("content-type");
      }
    } else if (ev.type === "error") {
      Object.assign(e, details(ev, errorDetails));
    } else {
      e.type = "message";
      e.event = ev.type;
      e.data = ev.data;
      e.lastEventId = ev.lastEventId;
      e.origin = ev.origin;
      e.isMessageEvent = ev instanceof MessageEvent;
    }
    return e;
  }

  function watch(source, opts = {}) {
    const until = opts.until || (() => false);
    const types = ["open", "message", "error", "request", ...(opts.events || [])];
    const start = performance.now();
    const log = [];
    return new Promise((resolve) => {
      let endedBy = "";
      const finish = (reason) => {
        if (endedBy) return;
        endedBy = reason;
        clearTimeout(timer);
        if (!opts.keepOpen) source.close();
        // Resolve in a later task, so that an event dispatched after the
        // end in the same task still shows in the log.
        setTimeout(() => resolve({ log, endedBy, readyState: source.readyState }), 0);
      };
      const listener = (ev) => {
        log.push(entry(ev, source, start));
        if (endedBy) return;
        if (until(log, source)) {
          finish("until");
        } else if (ev.type === "error" && source.readyState === 2) {
          finish("closed");
        }
      };
      for (const type of new Set(types)) source.addEventListener(type, listener);
      const timer = setTimeout(() => {
        log.push({ type: "timeout", t: performance.now() - start, readyState: source.readyState });
        finish("timeout");
      }, opts.timeoutMs || 8000);
    });
  }

  globalThis.recorder = recorder;
})();
