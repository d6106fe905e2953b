/*! eventsource-wasm | EventSource in Go/WebAssembly | MIT License */
// The loader and JavaScript face of eventsource-wasm.
//
// A page adds one tag, <script src=".../eventsource-wasm.js"></script>, and
// gets the global WasmEventSource: the EventSource API of WHATWG HTML §9.2,
// usable at once. The Go module (eventsource-wasm.wasm, found beside this
// script) fetches, decodes and reconnects; this file loads it, queues what
// pages do before it is running, and turns each batch of decoded events into
// MessageEvents dispatched on a real EventTarget.
//
// `make build` writes dist/eventsource-wasm.js from this file, putting Go's
// own wasm_exec.js, copied from the Go installation, where the marker below
// stands.
(() => {
  "use strict";

  if (typeof globalThis.WasmEventSource === "function") {
    return; // loaded twice: keep the first
  }
  const missing = ["fetch", "ReadableStream", "EventTarget", "MessageEvent", "AbortController", "WebAssembly", "Proxy"]
    .filter((name) => typeof globalThis[name] === "undefined");

  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSED = 2;

  // --- The Go runtime, kept off the page ---------------------------------
  //
  // wasm_exec.js defines globalThis.Go and, for the Go runtime, Node-like
  // fs, process and path stubs. A polyfill must not leave those on a page
  // (code that tests for `process` would think it runs in Node), so here
  // `globalThis` means a view of the page whose runtime names live in a
  // private object. The Go program sees that view as js.Global(); everything
  // else it reads there comes from the page.
  const HOST = "eventsourceWasmHost";
  const runtimeNames = new Set(["Go", "fs", "process", "path", HOST]);
  const runtimeOwn = Object.create(null);
  const goGlobalThis = new Proxy(globalThis, {
    get: (page, key) => (runtimeNames.has(key) ? runtimeOwn[key] : Reflect.get(page, key)),
    set: (page, key, value) => {
      if (runtimeNames.has(key)) {
        runtimeOwn[key] = value;
        return true;
      }
      return Reflect.set(page, key, value);
    },
    has: (page, key) => (runtimeNames.has(key) ? key in runtimeOwn : Reflect.has(page, key)),
  });
  let fs; // wasm_exec.js writes the program's output through a bare `fs`
  if (missing.length === 0) {
    const globalThis = goGlobalThis;
    //@@WASM_EXEC@@
  }
  fs = runtimeOwn.fs;

  // --- Loading the module ------------------------------------------------

  const script = document.currentScript;
  const moduleURL = new URL(
    (script && script.dataset.wasm) || "eventsource-wasm.wasm",
    (script && script.src) || document.baseURI,
  ).href;

  let go = null; // the Go module's exports, once it is running
  const queued = new Set(); // sources waiting for the module
  const live = new Map(); // Go's source ids to the sources it serves
  let loadError = null;

  const ready = (async () => {
    if (missing.length > 0) {
      throw new Error(`eventsource-wasm: this browser lacks ${missing.join(", ")}`);
    }
    const runtime = new runtimeOwn.Go();
    const registered = new Promise((resolve) => {
      runtimeOwn[HOST] = { register: resolve };
    });
    let response;
    try {
      response = await fetch(moduleURL, { credentials: "same-origin" });
    } catch (err) {
      throw new Error(`eventsource-wasm: could not fetch ${moduleURL}: ${err}`);
    }
    if (!response.ok) {
      throw new Error(`eventsource-wasm: could not fetch ${moduleURL}: HTTP ${response.status}`);
    }
    let instance;
    try {
      // Compile while the bytes arrive; a server that does not label the
      // module application/wasm gets the slower path.
      const streaming = /^application\/wasm\b/i.test(response.headers.get("Content-Type") || "");
      ({ instance } = streaming
        ? await WebAssembly.instantiateStreaming(response, runtime.importObject)
        : await WebAssembly.instantiate(await response.arrayBuffer(), runtime.importObject));
    } catch (err) {
      throw new Error(`eventsource-wasm: could not compile ${moduleURL}: ${err}`);
    }
    runtime.argv = ["eventsource-wasm", HOST];
    runtime.run(instance).then(() => stopAll("the Go runtime exited"));
    go = await registered;
    delete runtimeOwn[HOST];
  })();

  ready.then(
    () => {
      for (const source of queued) source._start();
      queued.clear();
    },
    (err) => {
      loadError = err;
      console.error(err.message);
      for (const source of queued) source._fail("internal", err.message);
      queued.clear();
    },
  );

  function stopAll(why) {
    go = null;
    loadError = new Error(`eventsource-wasm: ${why}`);
    for (const source of live.values()) source._fail("internal", loadError.message);
    live.clear();
  }

  // --- WasmEventSource ---------------------------------------------------

  const handlerTypes = ["open", "message", "error"];

  class WasmEventSource extends EventTarget {
    #url;
    #withCredentials;
    #options;
    #readyState = CONNECTING;
    #origin = "";
    #id = 0;
    #handlers = Object.create(null); // type → {fn, listener}

    constructor(url, eventSourceInitDict = undefined) {
      super();
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'WasmEventSource': 1 argument required, but only 0 present.");
      }
      let urlRecord;
      try {
        urlRecord = new URL(`${url}`, document.baseURI);
      } catch {
        throw new DOMException(`Failed to construct 'WasmEventSource': The URL '${url}' is invalid.`, "SyntaxError");
      }
      const init = eventSourceInitDict == null ? {} : eventSourceInitDict;
      this.#url = urlRecord.href;
      this.#withCredentials = Boolean(init.withCredentials);
      this.#options = {
        credentials: this.#withCredentials ? "include" : "same-origin",
      };
      if (loadError) {
        // Like every error event, this one comes in a later task, after
        // the page has had a chance to attach its handlers.
        setTimeout(() => this._fail("internal", loadError.message), 0);
      } else if (go) {
        this._start();
      } else {
        queued.add(this);
      }
    }

    get url() {
      return this.#url;
    }

    get withCredentials() {
      return this.#withCredentials;
    }

    get readyState() {
      return this.#readyState;
    }

    close() {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      queued.delete(this);
      if (this.#id) {
        live.delete(this.#id);
        if (go) go.close(this.#id);
        this.#id = 0;
      }
    }

    // _start hands the source to the Go module. Internal.
    _start() {
      if (this.#readyState === CLOSED) return;
      this.#id = go.open(this.#sink(), this.#url, this.#options);
      live.set(this.#id, this);
    }

    // _fail closes the source with an error event. Internal.
    _fail(reason, message) {
      this.#failed(reason, message, 0, "", "", false, 0, 0);
    }

    // #sink gives the Go module the three functions through which it
    // reports; it caches them and calls each without a receiver.
    #sink() {
      return {
        opened: (response) => this.#opened(response),
        dispatch: (batch) => this.#dispatch(batch),
        failed: (...args) => this.#failed(...args),
      };
    }

    // #opened announces the connection (§9.2.3).
    #opened(response) {
      if (this.#readyState === CLOSED) return;
      this.#origin = new URL(response.url || this.#url).origin;
      this.#readyState = OPEN;
      this.dispatchEvent(new Event("open"));
    }

    // #dispatch fires the events of one batch: records of type, data and
    // last event ID, each field after a CR (see wasm/batch). As the
    // standard's dispatch task does, it stops once the source is closed,
    // so close() in a handler drops the rest of the batch.
    #dispatch(batch) {
      const fields = batch.split("\r");
      const origin = this.#origin;
      for (let i = 1; i < fields.length; i += 3) {
        if (this.#readyState === CLOSED) return;
        this.dispatchEvent(
          new MessageEvent(fields[i], { data: fields[i + 1], lastEventId: fields[i + 2], origin }),
        );
      }
    }

    // #failed fires error: the connection is being reestablished
    // (reconnect) or has failed for good. The event says why.
    #failed(reason, message, status, statusText, contentType, reconnect, delay, retries) {
      if (this.#readyState === CLOSED) return;
      this.#readyState = reconnect ? CONNECTING : CLOSED;
      if (!reconnect) {
        live.delete(this.#id);
        this.#id = 0;
      }
      const event = new Event("error");
      Object.defineProperties(event, {
        reason: { value: reason, enumerable: true },
        message: { value: message, enumerable: true },
        status: { value: status, enumerable: true },
        statusText: { value: statusText, enumerable: true },
        contentType: { value: contentType, enumerable: true },
        willReconnect: { value: reconnect, enumerable: true },
        retryDelay: { value: delay, enumerable: true },
        retries: { value: retries, enumerable: true },
      });
      this.dispatchEvent(event);
    }

    // Event handler IDL attributes (HTML §8.1.8.1): the listener is added
    // when a handler is first set, keeps its place when the handler changes,
    // and is removed when it is set to null. A handler returning false
    // cancels the event.
    static {
      for (const type of handlerTypes) {
        Object.defineProperty(this.prototype, `on${type}`, {
          configurable: true,
          enumerable: true,
          get() {
            return this.#handlers[type]?.fn ?? null;
          },
          set(fn) {
            const slot = this.#handlers[type];
            if (typeof fn !== "function" && (typeof fn !== "object" || fn === null)) {
              if (slot) {
                this.removeEventListener(type, slot.listener);
                delete this.#handlers[type];
              }
              return;
            }
            if (slot) {
              slot.fn = fn;
              return;
            }
            const entry = { fn, listener: null };
            entry.listener = function (event) {
              const handler = entry.fn;
              if (typeof handler !== "function") return;
              if (handler.call(this, event) === false) event.preventDefault();
            };
            this.#handlers[type] = entry;
            this.addEventListener(type, entry.listener);
          },
        });
      }
    }
  }

  for (const [name, value] of [["CONNECTING", CONNECTING], ["OPEN", OPEN], ["CLOSED", CLOSED]]) {
    const constant = { value, enumerable: true };
    Object.defineProperty(WasmEventSource, name, constant);
    Object.defineProperty(WasmEventSource.prototype, name, constant);
  }
  Object.defineProperty(WasmEventSource.prototype, Symbol.toStringTag, { value: "WasmEventSource", configurable: true });
  Object.defineProperty(WasmEventSource, "ready", { value: ready, enumerable: true });
  ready.catch(() => {}); // reported once above; awaiting pages still see the rejection

  globalThis.WasmEventSource = WasmEventSource;
})();
