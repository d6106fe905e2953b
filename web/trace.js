// trace.js drives one EventSource implementation through one scenario of the
// reference server and records what a page sees, in order: open, message and
// error events with the ready state at the moment of each dispatch, and the
// calls of close(). The e2e tests (e2e/*_test.go) compare the traces of the
// native EventSource and of WasmEventSource with golden files.
//
// The page web/harness.html loads this file. With ?impl=wasm it also loads the
// polyfill from /dist/eventsource-wasm.js. With ?impl=script&src=URL&global=NAME
// it loads the classic script at URL and traces the constructor that the script
// defines as the global NAME: the conformance command (e2e/cmd/sseconform) runs
// other polyfills so. The page has no inline script, so it works under a
// Content-Security-Policy of script-src 'self'.
//
// API:
//
//   sseTrace.loaded  a promise that resolves when the page is ready to run a
//                    trace, and rejects when the polyfill cannot load.
//   sseTrace.run(opts) runs one trace and returns a promise of its result.
//   sseTrace.shorten(data) gives {data, dataLength, dataHash} as a trace
//                    records a message's data: see LONG_DATA.
//   sseTrace.violations the Content-Security-Policy violations the page has
//                    reported since this file ran, before the polyfill
//                    loads: {directive, blocked, source, sample} each.
//
// opts: {impl: "native"|"wasm"|"script", url, events: [names], closeAfter: n,
//        maxErrors: n (default 10), timeoutMs: n (default 10000),
//        withCredentials: bool (default false), headers: {name: value}
//        (WasmEventSource's headers option; native has none)}
(() => {
  "use strict";

  // Self stands for the origin of the page in a trace, so that golden files do
  // not depend on the port of the test server.
  const SELF = "<self>";

  // Data longer than LONG_DATA code units is shortened in the trace, with its
  // length and a hash, so that golden files stay readable.
  const LONG_DATA = 256;

  // Engines report a policy violation to the page as a
  // securitypolicyviolation event (WebKitGTK 2.50 not for a WebAssembly
  // compilation it refuses), which a test driver that cannot run a script
  // before the page's own (WebKit's) can read here.
  const violations = [];
  document.addEventListener("securitypolicyviolation", (e) => violations.push({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, sample: e.sample,
  }));

  const params = new URLSearchParams(location.search);
  const pageImpl = params.get("impl") || "native";

  // scriptGlobal names the constructor of an impl=script page.
  const scriptGlobal = params.get("global") || "";

  // polyfillReady tells what became of WasmEventSource.ready: "n/a" for the
  // native implementation, then "pending", "resolved" or "rejected: <reason>".
  let polyfillReady = "n/a";

  // nativeConstructed counts the native EventSource objects made on a wasm
  // page. A polyfill that made one would make the comparison with native
  // EventSource prove nothing.
  let nativeConstructed = 0;

  function countNativeConstructions() {
    window.EventSource = new Proxy(window.EventSource, {
      construct(target, args, newTarget) {
        nativeConstructed++;
        return Reflect.construct(target, args, newTarget);
      },
    });
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () =>
        reject(new Error(`sseTrace: could not load ${src}; run \`make build\``));
      document.head.appendChild(script);
    });
  }

  async function load() {
    if (pageImpl === "wasm") {
      countNativeConstructions();
      await loadScript("/dist/eventsource-wasm.js");
      if (typeof window.WasmEventSource !== "function") {
        throw new Error("sseTrace: /dist/eventsource-wasm.js defines no global WasmEventSource");
      }
      const ready = window.WasmEventSource.ready;
      if (!ready || typeof ready.then !== "function") {
        polyfillReady = "missing: WasmEventSource.ready is not a promise";
      } else {
        polyfillReady = "pending";
        ready.then(
          () => { polyfillReady = "resolved"; },
          (err) => { polyfillReady = `rejected: ${err}`; },
        );
      }
    } else if (pageImpl === "script") {
      // Count, do not forbid: a wrapper around the native EventSource is a
      // fair thing to trace, but whoever reads the trace should know.
      countNativeConstructions();
      const src = params.get("src");
      if (!src || !scriptGlobal) {
        throw new Error("sseTrace: impl=script needs src=URL and global=NAME");
      }
      await loadScript(src);
      if (typeof window[scriptGlobal] !== "function") {
        throw new Error(`sseTrace: ${src} defines no global constructor ${scriptGlobal}`);
      }
    } else if (pageImpl !== "native") {
      throw new Error(`sseTrace: unknown impl ${JSON.stringify(pageImpl)}`);
    }
    document.documentElement.dataset.harness = "ready";
    return { impl: pageImpl };
  }

  function constructorFor(impl) {
    switch (impl) {
      case "native":
        return window.EventSource;
      case "wasm":
        return window.WasmEventSource;
      case "script":
        return window[scriptGlobal];
      default:
        throw new Error(`sseTrace: unknown impl ${JSON.stringify(impl)}`);
    }
  }

  // hash is the 32-bit FNV-1a hash of the UTF-16 code units of s, in hex.
  function hash(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
  }

  // shorten gives data as a trace records it: as it is, or, when longer than
  // LONG_DATA code units, its first 64 and last 32 code units with its length
  // and hash.
  function shorten(data) {
    if (data.length <= LONG_DATA) return { data };
    return {
      data: `${data.slice(0, 64)}…${data.slice(-32)}`,
      dataLength: data.length,
      dataHash: hash(data),
    };
  }

  // messageEntry describes a MessageEvent as the trace records it.
  function messageEntry(ev, source) {
    const entry = { type: "message", event: ev.type, data: ev.data };
    if (typeof ev.data !== "string") {
      // Only a bug gives this: the spec makes data a string.
      entry.data = String(ev.data);
      entry.dataType = Object.prototype.toString.call(ev.data);
    } else if (ev.data.length > LONG_DATA) {
      Object.assign(entry, shorten(ev.data));
    }
    entry.lastEventId = ev.lastEventId;
    entry.origin = ev.origin === location.origin ? SELF : ev.origin;
    entry.readyState = source.readyState;
    return entry;
  }

  function run(opts) {
    const o = {
      impl: pageImpl,
      events: [],
      closeAfter: 0,
      maxErrors: 10,
      timeoutMs: 10000,
      ...opts,
    };
    o.events = o.events || [];
    const Impl = constructorFor(o.impl);

    return new Promise((resolve) => {
      const trace = [];
      const checks = { messageEvents: 0, notMessageEvent: 0, wrongTarget: 0 };
      let dispatched = 0;
      let errors = 0;
      let endedBy = "";
      let timer;

      // Construct and attach every handler at once, before any await, as
      // user code does.
      // Options go to the constructor only when asked for, so that a plain
      // run constructs as `new EventSource(url)` does.
      const init = {};
      if (o.withCredentials) init.withCredentials = true;
      if (o.headers) init.headers = o.headers; // WasmEventSource only
      const source = Object.keys(init).length ? new Impl(o.url, init) : new Impl(o.url);
      const api = {
        initialReadyState: source.readyState,
        urlResolved: source.url === new URL(o.url, location.href).href,
        withCredentials: source.withCredentials,
        isEventTarget: source instanceof EventTarget,
        constants: [
          Impl.CONNECTING, Impl.OPEN, Impl.CLOSED,
          source.CONNECTING, source.OPEN, source.CLOSED,
        ],
      };

      // finish ends the trace once. It resolves in a later task, so that an
      // event that the implementation dispatches after the end, in the same
      // task, still shows in the trace (where it is a bug).
      const finish = (reason) => {
        if (endedBy) return;
        endedBy = reason;
        clearTimeout(timer);
        setTimeout(() => resolve({
          trace,
          endedBy,
          allMessageEvents: checks.notMessageEvent === 0,
          allTargetsSource: checks.wrongTarget === 0,
          messageEvents: checks.messageEvents,
          api,
          polyfillReady,
          nativeConstructed,
        }), 0);
      };

      const close = (reason) => {
        source.close();
        trace.push({ type: "close-called", readyState: source.readyState });
        finish(reason);
      };

      // One handler for onmessage and every named event keeps their order.
      const onMessage = (ev) => {
        checks.messageEvents++;
        if (!(ev instanceof MessageEvent)) checks.notMessageEvent++;
        if (ev.target !== source) checks.wrongTarget++;
        trace.push(messageEntry(ev, source));
        dispatched++;
        if (o.closeAfter > 0 && dispatched === o.closeAfter && !endedBy) {
          close("close-after");
        }
      };

      source.onopen = () => {
        trace.push({ type: "open", readyState: source.readyState });
      };
      source.onmessage = onMessage;
      for (const name of o.events) {
        if (name !== "message") source.addEventListener(name, onMessage);
      }
      source.onerror = () => {
        trace.push({ type: "error", readyState: source.readyState });
        if (endedBy) return;
        if (source.readyState === Impl.CLOSED) {
          finish("closed");
        } else if (++errors >= o.maxErrors) {
          close("max-errors");
        }
      };

      timer = setTimeout(() => {
        trace.push({ type: "timeout" });
        source.close();
        finish("timeout");
      }, o.timeoutMs);
    });
  }

  const loaded = load();
  // The tests read the outcome from sseTrace.loaded; this handler only keeps
  // a failed load from showing twice, as an unhandled rejection too.
  loaded.catch(() => { document.documentElement.dataset.harness = "error"; });

  window.sseTrace = { loaded, run, shorten, violations };
})();
