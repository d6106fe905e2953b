// The runner of the web-platform-tests eventsource/ cases, re-expressed for
// eventsource-wasm. e2e/wpt_test.go keeps the cases, each an async function
// (ES, t) => …, and evaluates wpt.runAll([...]) in native.html, where ES is
// the browser's EventSource, and in wasm.html, where it is WasmEventSource
// installed as the page's EventSource. A case passes when its function
// returns; it fails when it throws, when a callback wrapped by t.guard
// throws, when it calls t.fail, or when it runs out of time.
//
// t, a Context, is a small kit of helpers written for these cases, in the
// spirit of testharness.js but not its API.
(() => {
  "use strict";

  const impl = document.currentScript.dataset.impl;

  // loaded settles when the implementation under test is ready: for wasm,
  // when the module runs, and only if WasmEventSource is the page's
  // EventSource, so that no case can pass on the native one by mistake.
  const loaded = (async () => {
    if (impl === "native") return;
    if (typeof WasmEventSource !== "function") {
      throw new Error("wpt.js: /dist/eventsource-wasm.js did not load");
    }
    await WasmEventSource.ready;
    if (globalThis.EventSource !== WasmEventSource || WasmEventSource === WasmEventSource.native) {
      throw new Error("wpt.js: WasmEventSource is not installed as the page's EventSource");
    }
  })();

  // A Failure is an assertion that did not hold.
  class Failure extends Error {}

  // A Timeout ends a case that did not finish in time.
  class Timeout extends Error {}

  function show(v) {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "function") return "function " + (v.name || "(anonymous)");
    if (typeof v === "symbol" || typeof v === "bigint") return String(v);
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  }

  const own = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
  const utf8 = new TextEncoder();

  class Context {
    #fail;
    #cleanups = [];
    #notes = [];

    constructor(fail, cross) {
      this.#fail = fail;
      // impl is "native" or "wasm", for the frame pages of each.
      this.impl = impl;
      // cross is the base URL of /wpt/ on another origin, the second port
      // of the test server; crossOrigin is that origin.
      this.cross = cross;
      this.crossOrigin = new URL(cross).origin;
    }

    // token returns a string unique to this call, for the cookies and
    // server state of one case.
    token() {
      return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
    }

    // source constructs an EventSource that is closed when the case ends.
    source(url, init) {
      return this.track(init === undefined ? new EventSource(url) : new EventSource(url, init));
    }

    // track closes source when the case ends, and returns it.
    track(source) {
      this.cleanup(() => source.close());
      return source;
    }

    cleanup(fn) {
      this.#cleanups.push(fn);
    }

    // note records a line that the result of the case reports.
    note(line) {
      this.#notes.push(String(line));
    }

    get notes() {
      return this.#notes.slice();
    }

    // guard wraps a callback, such as an event handler, so that an
    // assertion failing in it fails the case. this passes through.
    guard(fn) {
      const fail = this.#fail;
      return function (...args) {
        try {
          return fn.apply(this, args);
        } catch (err) {
          fail(err);
        }
      };
    }

    // unreached returns a callback that fails the case if it is called.
    unreached(what) {
      return this.guard((e) => {
        throw new Failure("unexpected: " + what + this.detail(e));
      });
    }

    // detail returns what an error event of WasmEventSource says about the
    // failure (its reason and message), for failure messages; "" for
    // other events.
    detail(e) {
      if (!(e instanceof Event) || typeof e.reason !== "string") return "";
      return " [" + e.reason + (e.message ? ": " + e.message : "") + "]";
    }

    fail(message) {
      this.#fail(new Failure(message));
    }

    // until returns a promise that setup resolves: setup gets the resolve
    // function and typically calls it from an event handler.
    until(setup) {
      return new Promise((resolve) => setup(resolve));
    }

    sleep(ms) {
      return new Promise((resolve) => setTimeout(resolve, ms));
    }

    // cleanups runs the cleanups, last first.
    async runCleanups() {
      for (const fn of this.#cleanups.reverse()) {
        try {
          await fn();
        } catch (err) {
          this.note("cleanup failed: " + err);
        }
      }
    }

    // --- Assertions ------------------------------------------------------

    eq(got, want, what) {
      if (!Object.is(got, want)) {
        throw new Failure(what + ": got " + show(got) + ", want " + show(want));
      }
    }

    ok(cond, what) {
      if (!cond) throw new Failure(what);
    }

    match(s, re, what) {
      if (typeof s !== "string" || !re.test(s)) {
        throw new Failure(what + ": " + show(s) + " does not match " + re);
      }
    }

    // throws checks that fn throws: a DOMException of the given name when
    // kind is a string, else an instance of the constructor kind.
    throws(kind, fn, what) {
      let thrown = null;
      try {
        fn();
      } catch (err) {
        thrown = { err };
      }
      if (!thrown) throw new Failure(what + ": did not throw");
      const err = thrown.err;
      if (typeof kind === "string") {
        if (!(err instanceof DOMException) || err.name !== kind) {
          throw new Failure(what + ": threw " + err + ", want a DOMException " + kind);
        }
      } else if (!(err instanceof kind)) {
        throw new Failure(what + ": threw " + err + ", want a " + kind.name);
      }
    }

    // simpleEvent checks that open and error events are "simple events"
    // (HTML §9.2): no data of their own, no bubbling, not cancelable.
    simpleEvent(e, what) {
      this.ok(!own(e, "data"), what + " has an own property data");
      this.eq(e.bubbles, false, what + ": bubbles");
      this.eq(e.cancelable, false, what + ": cancelable");
    }

    // --- Frames ----------------------------------------------------------

    // frame loads /wpt/resources/frame-<impl>.html in an iframe, removed
    // when the case ends, and returns its window once it has loaded and has
    // the implementation under test as its EventSource.
    async frame() {
      const iframe = document.createElement("iframe");
      const loadedFrame = new Promise((resolve) => iframe.addEventListener("load", resolve, { once: true }));
      iframe.src = "resources/frame-" + impl + ".html";
      document.body.append(iframe);
      this.cleanup(() => iframe.remove());
      await loadedFrame;
      const win = iframe.contentWindow;
      const polyfilled = typeof win.WasmEventSource === "function" && win.EventSource === win.WasmEventSource;
      if (polyfilled !== (impl === "wasm")) {
        throw new Error("wpt.js: the frame's EventSource is not the " + impl + " one");
      }
      return win;
    }

    // --- Streams, for fromReadableStream ---------------------------------

    // stream returns a ReadableStream of the chunks, each a string (sent
    // as UTF-8) or bytes, which then closes.
    stream(...chunks) {
      return new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(typeof c === "string" ? utf8.encode(c) : c);
          controller.close();
        },
      });
    }

    // erroredStream returns a ReadableStream that errors with err at once.
    erroredStream(err) {
      return new ReadableStream({
        start(controller) {
          controller.error(err);
        },
      });
    }

    // --- WebIDL (interfaces.html) ----------------------------------------

    // descriptor checks the own property key of obj against the fields of
    // want (value, writable, enumerable, configurable) and returns it.
    descriptor(obj, key, want, what) {
      const d = Object.getOwnPropertyDescriptor(obj, key);
      this.ok(d !== undefined, what + ": no own property " + String(key));
      for (const [field, value] of Object.entries(want)) {
        this.eq(d[field], value, what + ": [[" + field[0].toUpperCase() + field.slice(1) + "]]");
      }
      return d;
    }

    // attribute checks a regular attribute of an interface prototype object
    // (WebIDL §3.7.6): an accessor property, enumerable and configurable,
    // whose getter is named "get <name>", takes no argument and throws a
    // TypeError on an object that is not an instance; read-only attributes
    // have no setter, others one named "set <name>" of one argument.
    attribute(proto, name, readonly) {
      const what = "attribute " + name;
      const d = this.descriptor(proto, name, { enumerable: true, configurable: true }, what);
      this.eq(typeof d.get, "function", what + ": type of the getter");
      this.eq(d.get.name, "get " + name, what + ": name of the getter");
      this.eq(d.get.length, 0, what + ": length of the getter");
      this.throws(TypeError, () => d.get.call(proto), what + ": the getter called on the prototype");
      if (readonly) {
        this.eq(d.set, undefined, what + ": setter of a read-only attribute");
      } else {
        this.eq(typeof d.set, "function", what + ": type of the setter");
        this.eq(d.set.name, "set " + name, what + ": name of the setter");
        this.eq(d.set.length, 1, what + ": length of the setter");
      }
    }
  }

  // runOne runs one case and returns its result.
  async function runOne(c, cross) {
    const start = performance.now();
    let done = false;
    let failWith;
    const failed = new Promise((_, reject) => {
      failWith = (err) => {
        if (!done) reject(err);
      };
    });
    const t = new Context((err) => failWith(err), cross);
    let timer;
    const timedOut = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Timeout("no result after " + c.timeoutMs + " ms")), c.timeoutMs);
    });
    let status = "pass";
    let message = "";
    try {
      const body = Promise.resolve().then(() => c.body(globalThis.EventSource, t));
      await Promise.race([body, failed, timedOut]);
    } catch (err) {
      status = err instanceof Timeout ? "timeout" : "fail";
      message = err instanceof Failure || err instanceof Timeout ? err.message : String(err);
      const notes = t.notes;
      if (notes.length > 0) {
        // The last notes say where a case that timed out got stuck.
        message += " (" + (notes.length > 2 ? "…; " : "") + notes.slice(-2).join("; ") + ")";
      }
    } finally {
      done = true;
      clearTimeout(timer);
      await t.runCleanups();
    }
    return { id: c.id, status, message, notes: t.notes, ms: Math.round(performance.now() - start) };
  }

  // runAll runs the cases, at most concurrency at once, and returns their
  // results in order. Chromium opens at most 6 connections to one origin,
  // and the native and wasm pages run at the same time, so concurrency
  // should stay at 3 or below.
  async function runAll(cases, { concurrency = 3, cross }) {
    await loaded;
    const results = new Array(cases.length);
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = await runOne(cases[i], cross);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
    return results;
  }

  globalThis.wpt = { impl, loaded, runAll, userAgent: navigator.userAgent };
})();
