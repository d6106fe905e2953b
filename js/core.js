// The core of eventsource-wasm's JavaScript side: it loads the Go module
// and defines WasmEventSource, the EventSource API of WHATWG HTML §9.2 with
// a few options native EventSource lacks.
//
// The Go module (wasm/) fetches, decodes and reconnects. This file loads it,
// queues what a page does before it runs, and turns each batch of decoded
// events into MessageEvents dispatched on a real EventTarget. Both entry
// points, eventsource-wasm.js (a classic script) and eventsource-wasm.mjs
// (an ES module), include it; `make build` also puts Go's own wasm_exec.js,
// copied from the Go installation, where the marker below stands.
//
// It runs in a window, a dedicated or shared worker, and (doing nothing
// until asked) in Node: it reads no global that only a window has, and
// calling eventSourceWasm does no work. Loading starts with the first
// source, the first then() of ready, or the entry point's start().

// eventSourceWasm returns the API. setup.wasmURL is a function that returns
// where the module is by default, as an absolute URL; setup.scriptURL is
// the URL of the script or module itself, if known, against which a
// relative wasmURL resolves where the scope has no base URL of its own;
// setup.early, if set, is {url, response}: a fetch() of the module that
// the entry point started already, which loading uses if the module is
// still to come from url.
function eventSourceWasm(setup) {
  "use strict";

  // What the module and this file need of the scope. wasm_exec.js needs
  // crypto, performance, TextEncoder and TextDecoder.
  const required = ["fetch", "ReadableStream", "EventTarget", "MessageEvent", "AbortController", "WebAssembly",
    "Proxy", "Headers", "Response", "TextEncoder", "TextDecoder", "crypto", "performance", "setTimeout"];

  // missingFeatures names what the scope lacks of required. A global
  // whose getter throws (Node defines some lazily) is missing too.
  function missingFeatures() {
    return required.filter((name) => {
      try {
        return typeof globalThis[name] === "undefined";
      } catch {
        return true;
      }
    });
  }

  // unsupported returns the error for a scope that cannot run the module,
  // or null.
  function unsupported() {
    const missing = missingFeatures();
    if (missing.length === 0) return null;
    return new Error(`eventsource-wasm: this environment cannot run WasmEventSource: it lacks ${missing.join(", ")}`);
  }

  // baseURL is what a relative URL means in this scope, as for fetch(): the
  // document's base URL in a window, the worker's location in a worker, or
  // undefined where there is neither (as in Node).
  function baseURL() {
    const doc = globalThis.document;
    if (doc && typeof doc.baseURI === "string" && doc.baseURI !== "") return doc.baseURI;
    const loc = globalThis.location;
    if (loc && typeof loc.href === "string" && loc.href !== "") return loc.href;
    return undefined;
  }

  // show describes a value a caller passed, for an error message.
  function show(value) {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "object" && value !== null) return Object.prototype.toString.call(value);
    if (typeof value === "function") return "a function";
    return String(value);
  }

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
  // else it reads there comes from the page. wasm_exec.js runs only when
  // loading starts: it throws in a scope that lacks what it needs.
  const HOST = "eventsourceWasmHost";
  const runtimeNames = new Set(["Go", "fs", "process", "path", HOST]);
  const runtimeOwn = Object.create(null);
  let fs; // wasm_exec.js writes the program's output through a bare `fs`

  function defineRuntime() {
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
    {
      const globalThis = goGlobalThis;
      //@@WASM_EXEC@@
    }
    fs = runtimeOwn.fs;
  }

  // --- Where the module is -----------------------------------------------

  let configuredURL = null; // the wasmURL of configure(), resolved
  let loadingSince = ""; // what started loading ("" before it starts)

  // configure sets where the module is. It must come before loading starts
  // (see startLoading); a relative wasmURL resolves as fetch() would
  // resolve it in this scope (the document's base URL, or the worker's
  // location), or against the script's own URL where there is neither.
  function configure(config) {
    if (typeof config !== "object" || config === null || Array.isArray(config) ||
        (typeof URL === "function" && config instanceof URL)) {
      throw new TypeError(`eventsource-wasm: configure() takes an object such as { wasmURL: "/assets/eventsource-wasm.wasm" }, not ${show(config)}.`);
    }
    for (const key of Object.keys(config)) {
      if (key !== "wasmURL") {
        throw new TypeError(`eventsource-wasm: configure() has no option ${show(key)}; its one option is wasmURL.`);
      }
    }
    let url = null;
    const value = config.wasmURL;
    if (value !== undefined) {
      if (typeof value !== "string" && !(typeof URL === "function" && value instanceof URL)) {
        throw new TypeError(`eventsource-wasm: configure(): wasmURL must be a string or a URL, not ${show(value)}.`);
      }
      if (`${value}` === "") {
        throw new TypeError("eventsource-wasm: configure(): wasmURL must not be empty.");
      }
      const base = baseURL() || setup.scriptURL;
      try {
        url = new URL(`${value}`, base).href;
      } catch (err) {
        const against = base ? `resolved against ${base}` : "and there is no base URL to resolve a relative one against";
        throw new TypeError(`eventsource-wasm: configure(): wasmURL ${show(`${value}`)} is not a valid URL ${against} (${err && err.message}).`);
      }
    }
    if (loadingSince) {
      throw new Error(`eventsource-wasm: configure() came too late: the module started loading when ${loadingSince}. ` +
        "Call configure() before the first WasmEventSource is made and before ready is awaited.");
    }
    if (url !== null) configuredURL = url;
  }

  // moduleURL returns where to fetch the module from.
  function moduleURL() {
    if (configuredURL !== null) return configuredURL;
    try {
      return setup.wasmURL();
    } catch (err) {
      throw new Error(`eventsource-wasm: cannot tell where eventsource-wasm.wasm is (${err && err.message}); ` +
        "call configure({ wasmURL }) first");
    }
  }

  // --- Loading the module ------------------------------------------------

  let go = null; // the Go module's exports, once it is running
  const queued = new Set(); // sources waiting for the module
  const live = new Map(); // Go's source ids to the sources it serves
  let loadError = null;
  // The module's linear memory, once it is instantiated. Body bytes go in
  // and batches of events come out through it (see readInto and
  // #dispatch), never as JavaScript objects handed to Go: the Go runtime
  // holds every object it is given until its own next garbage collection,
  // which a stream of large chunks may not cause for a long time.
  let moduleMemory = null;
  let readDone = null; // the module's exported eventsourceReadDone(id, n) → what next
  let goRuntime = null; // wasm_exec.js's Go instance that runs the module
  let startSource; // (source) → void: hands a queued source to the module
  let failSource; // (source, reason, message) → void: closes it with an error
  let utf8 = null; // a TextEncoder, and batchDecoder a TextDecoder, made at load
  let batchDecoder = null;

  // --- Beginning sources ---------------------------------------------------

  // Each source begins (sends its first request and registers with the
  // module) in a later task than the one that made it, as browsers connect.
  // Beginning costs the page's main thread a millisecond or two, most of it
  // in fetch(), so a page that makes 200 sources at once would hold every
  // event of the streams already open behind all 200 if each had a task
  // of its own queued at once. Instead the sources begin from one queue: the
  // first after a timer, as before, then one slice after another, each
  // slice in a task posted behind whatever came in meanwhile (the events of
  // open streams). The slices are tasks of a MessageChannel, which timers'
  // clamping of nested timeouts (HTML, "Timers") would not delay; the
  // channel is closed whenever the queue is empty, so that it keeps no
  // Node process alive.
  // A slice begins sources for this long, and at least one. One a slice
  // gave 200 streams opened at once the lowest median event latency
  // (about 10 ms, against 16 ms with 4 ms slices and 55 ms with a timer
  // each, in the same minutes; docs/performance.md, "Earlier rounds").
  const BEGIN_SLICE_MS = 0;
  const beginQueue = [];
  let beginChannel = null;

  function queueBegin(begin) {
    beginQueue.push(begin);
    if (beginQueue.length === 1 && !beginChannel) setTimeout(runBegins, 0);
  }

  function runBegins() {
    if (beginQueue.length === 0) return; // a timer after a channel's slice took them all
    const start = performance.now();
    do {
      const begin = beginQueue.shift();
      try {
        begin();
      } catch (err) {
        // As an exception of a task of its own would be: reported, and
        // no stop to the other sources.
        setTimeout(() => { throw err; }, 0);
      }
    } while (beginQueue.length > 0 && performance.now() - start < BEGIN_SLICE_MS);
    if (beginQueue.length === 0) {
      if (beginChannel) {
        beginChannel.port1.close();
        beginChannel = null;
      }
      return;
    }
    if (typeof MessageChannel !== "function") {
      setTimeout(runBegins, 0);
      return;
    }
    if (!beginChannel) {
      beginChannel = new MessageChannel();
      beginChannel.port1.onmessage = runBegins;
    }
    beginChannel.port2.postMessage(null);
  }

  // Ready is the class of ready: a real Promise, whose then() starts
  // loading the module. catch(), finally(), await, Promise.resolve() and
  // Promise.all() all call then(), so awaiting ready loads the module, and
  // merely importing it does not. Promises that then() returns are plain
  // Promises (Symbol.species), which load nothing more.
  class Ready extends Promise {
    static get [Symbol.species]() {
      return Promise;
    }

    then(onFulfilled, onRejected) {
      startLoading("ready was awaited");
      return super.then(onFulfilled, onRejected);
    }
  }
  let settleReady;
  const ready = new Ready((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  // A rejection is reported once, below; pages that await ready still see
  // it. Promise.prototype.then, unlike ready.then, starts nothing.
  Promise.prototype.then.call(ready, undefined, () => {});

  // startLoading starts loading the module, once; why says what started it,
  // for the error of a configure() that comes too late.
  function startLoading(why) {
    if (loadingSince) return;
    loadingSince = why;
    load().then(
      () => {
        for (const source of queued) startSource(source);
        queued.clear();
        settleReady.resolve();
        setTimeout(warmUp, 0);
      },
      (err) => {
        loadError = err;
        console.error(err.message);
        for (const source of queued) failSource(source, "internal", err.message);
        queued.clear();
        settleReady.reject(err);
      },
    );
  }

  async function load() {
    const lacking = unsupported();
    if (lacking) throw lacking;
    const url = moduleURL();
    defineRuntime();
    utf8 = new TextEncoder();
    batchDecoder = new TextDecoder();
    const runtime = new runtimeOwn.Go();
    const registered = new Promise((resolve) => {
      runtimeOwn[HOST] = { register: resolve };
    });
    const early = setup.early;
    setup.early = null;
    if (early && early.url !== url) early.response.then((r) => r.body && r.body.cancel(), () => {});
    let response;
    try {
      response = await (early && early.url === url ? early.response : fetch(url, { credentials: "same-origin" }));
    } catch (err) {
      // Node's fetch() cannot read file: URLs, and file: is where the
      // module is when Node imports it (server-side rendering).
      const hint = url.startsWith("file:")
        ? "; fetch() here cannot read it: set an http(s) URL with configure({ wasmURL })"
        : "";
      throw new Error(`eventsource-wasm: could not fetch ${url}: ${describeError(err)}${hint}`);
    }
    if (!response.ok) {
      if (response.body) response.body.cancel().catch(() => {});
      throw new Error(`eventsource-wasm: could not fetch ${url}: HTTP ${response.status}`);
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
      throw new Error(`eventsource-wasm: could not compile ${url}: ${err}`);
    }
    moduleMemory = instance.exports.mem;
    readDone = instance.exports.eventsourceReadDone;
    goRuntime = runtime;
    runtime.argv = ["eventsource-wasm", HOST];
    runtime.run(instance).then(() => {
      // Promises that settle later would still call the dead program's
      // functions, and wasm_exec.js throws for each; let them do nothing.
      runtime._resume = () => {};
      stopAll("the Go runtime exited");
    });
    go = await registered;
    nextAddress = go.next;
    delete runtimeOwn[HOST];
  }

  // --- Warming up ----------------------------------------------------------

  // Chromium compiles each function of a WebAssembly module at its first
  // call, on the main thread. The first source of a page calls about a
  // hundred of the module's functions for the first time (91 KB of code),
  // between its response and its first events: its first event came 6–15
  // ms after the server sent it, against 1–8 ms for the event floor's, and
  // the events right behind it queued (docs/performance.md, round 13).
  // So in the task after the module is ready, unless a source is open or
  // about to open by then, warmUp runs one source's whole course:
  // WARM_UP_STREAM, read from memory, through every kind of line. It makes
  // no request and no event, and it is not a WasmEventSource: a page cannot
  // see it. A page that makes a source before the module is ready gains
  // nothing, and pays nothing: its source warms the module itself.
  const WARM_UP_STREAM = ":\nretry: 3000\nid: 1\nevent: e\ndata: a\ndata: b\n\ndata: c\n\ndata: d\n\ndata: e\r\n\r\n";

  function warmUp() {
    if (!go || live.size > 0 || beginQueue.length > 0) return;
    const response = new Response(WARM_UP_STREAM, { headers: { "Content-Type": "text/event-stream" } });
    const port = { dispatch() {}, stalled: false, resume: null };
    go.open({
      connect: () => Promise.resolve(responseHead(response)),
      read: (reader, address, capacity, id, onError) => readOn(reader, address, capacity, id, onError, port),
      abort() {},
      opened() {},
      dispatch: port.dispatch,
      failed() {},
    }, STREAM_URL, { once: true });
  }

  // describeError says what an error is, with its cause: Node's fetch()
  // rejects with "fetch failed" and gives the reason as the cause.
  function describeError(err) {
    let text = String(err);
    for (let cause = err && err.cause, depth = 0; cause && depth < 3; cause = cause.cause, depth++) {
      text += ` (cause: ${cause && cause.message !== undefined ? cause.message : cause})`;
    }
    return text;
  }

  function stopAll(why) {
    go = null;
    loadError = new Error(`eventsource-wasm: ${why}`);
    for (const source of live.values()) failSource(source, "internal", loadError.message);
    live.clear();
  }

  // --- Options -----------------------------------------------------------

  const credentialsModes = ["omit", "same-origin", "include"];

  function optionError(message) {
    return new TypeError(`Failed to construct 'WasmEventSource': ${message}`);
  }

  function number(value, name, { min = 0, max = Infinity, integer = false } = {}) {
    const n = Number(value);
    if (typeof value !== "number" || !(n >= min && n <= max) || (integer && !Number.isInteger(n))) {
      const kind = integer ? "an integer" : "a number";
      const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
      throw optionError(`${name} must be ${kind} ${range}, not ${String(value)}.`);
    }
    return n;
  }

  // normalize checks the options a page passed and returns the plain
  // object the Go module reads. Mistakes throw here, at construction, and
  // not later as a failed connection.
  function normalize(init) {
    const o = {};
    o.credentials = init.credentials === undefined
      ? (init.withCredentials ? "include" : "same-origin")
      : String(init.credentials);
    if (!credentialsModes.includes(o.credentials)) {
      throw optionError(`credentials must be one of ${credentialsModes.join(", ")}.`);
    }
    o.method = "GET";
    if (init.method !== undefined) {
      const m = String(init.method);
      o.method = /^(delete|get|head|options|patch|post|put)$/i.test(m) ? m.toUpperCase() : m;
    }
    if (init.headers !== undefined && init.headers !== null) {
      // A function is called before every connection; anything else must
      // be valid for new Headers() now.
      o.headers = typeof init.headers === "function" ? init.headers : new Headers(init.headers);
    }
    if (init.body !== undefined && init.body !== null) {
      if (o.method === "GET" || o.method === "HEAD") {
        throw optionError(`a ${o.method} request cannot have a body; set method, e.g. "POST".`);
      }
      o.body = init.body;
    }
    if (init.lastEventId !== undefined) o.lastEventId = String(init.lastEventId);
    if (init.retry !== undefined) {
      const r = typeof init.retry === "number" ? { delay: init.retry } : init.retry;
      if (typeof r !== "object" || r === null) throw optionError("retry must be a number of milliseconds or an object.");
      o.retry = {};
      if (r.delay !== undefined) o.retry.delay = number(r.delay, "retry.delay");
      if (r.maxDelay !== undefined) o.retry.maxDelay = number(r.maxDelay, "retry.maxDelay");
      if (r.factor !== undefined) o.retry.factor = number(r.factor, "retry.factor", { min: 1 });
      if (r.jitter !== undefined) o.retry.jitter = number(r.jitter, "retry.jitter", { max: 1 });
      if (r.maxRetries !== undefined) o.retry.maxRetries = number(r.maxRetries, "retry.maxRetries", { integer: true });
    }
    if (init.heartbeatTimeout !== undefined) o.heartbeatTimeout = number(init.heartbeatTimeout, "heartbeatTimeout");
    if (init.maxEventSize !== undefined) o.maxEventSize = number(init.maxEventSize, "maxEventSize", { min: 1, integer: true });
    if (init.maxLineSize !== undefined) o.maxLineSize = number(init.maxLineSize, "maxLineSize", { min: 1, integer: true });
    if (init.fetch !== undefined) {
      if (typeof init.fetch !== "function") throw optionError("fetch must be a function.");
      o.fetch = init.fetch;
    }
    if (init.signal !== undefined && init.signal !== null) {
      if (!isAbortSignal(init.signal)) throw optionError(`signal must be an AbortSignal, not ${show(init.signal)}.`);
      o.signal = init.signal;
    }
    if (init.lastEventIdQueryParameter !== undefined) {
      const name = init.lastEventIdQueryParameter;
      if (typeof name !== "string" || name === "") {
        throw optionError(`lastEventIdQueryParameter must be a non-empty string, not ${show(name)}.`);
      }
      o.lastEventIdQueryParameter = name;
    }
    if (init.pauseWhenHidden !== undefined) {
      o.pauseWhenHidden = number(init.pauseWhenHidden, "pauseWhenHidden");
      const doc = globalThis.document;
      if (!doc || typeof doc.addEventListener !== "function" || typeof doc.visibilityState !== "string") {
        // A worker has no page to hide; the option would never act.
        throw optionError(`pauseWhenHidden ${String(init.pauseWhenHidden)} needs a document with a visibilityState, and this scope has none (a worker cannot tell whether a page is hidden).`);
      }
    }
    return o;
  }

  // isAbortSignal tells an AbortSignal, also one from another realm (a
  // frame), by its brand.
  function isAbortSignal(value) {
    if (typeof AbortSignal === "function" && value instanceof AbortSignal) return true;
    return typeof value === "object" && Object.prototype.toString.call(value) === "[object AbortSignal]" &&
      typeof value.aborted === "boolean" && typeof value.addEventListener === "function";
  }

  // --- Requests ----------------------------------------------------------

  // byteString returns s encoded as UTF-8, one code point per byte: the
  // form in which Headers take bytes. The standard sends the last event ID
  // as UTF-8 (§9.2.3); Headers take only code points up to U+00FF.
  function byteString(s) {
    const bytes = utf8.encode(s);
    let out = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return out;
  }

  // setupFailure marks an error in preparing a request (a headers or body
  // callback that threw or rejected), which the module reports with the
  // reason "request-setup".
  function setupFailure(err) {
    return { requestSetup: String(err && err.message !== undefined ? err.message : err) };
  }

  // request sends one request of a source (§9.2.3, "fetch the event
  // source"): mode cors, credentials per the options, cache mode no-store
  // (so the browser sends Cache-Control: no-cache, as for native
  // EventSource), Accept: text/event-stream, and Last-Event-ID when there
  // is one. Header and body callbacks run first, after the caller returns.
  async function request(url, o, lastEventId, signal) {
    if (!o.fetch && !/^https?:$/.test(new URL(url).protocol)) {
      // fetch() fails for every other scheme, every time: reconnecting is
      // futile, so the source fails at once, as native EventSource does.
      throw { futile: `cannot fetch a ${new URL(url).protocol} URL; only http and https carry event streams` };
    }
    let headers = o.headers;
    let body = o.body;
    if (typeof headers === "function" || typeof body === "function") {
      try {
        await null;
        if (typeof headers === "function") headers = await headers();
        if (typeof body === "function") body = await body();
        headers = new Headers(headers == null ? undefined : headers);
      } catch (err) {
        throw setupFailure(err);
      }
    } else {
      headers = new Headers(headers);
    }
    if (!headers.has("Accept")) headers.set("Accept", "text/event-stream");
    if (lastEventId !== "") {
      if (o.lastEventIdQueryParameter) url = withQueryParameter(url, o.lastEventIdQueryParameter, lastEventId);
      else headers.set("Last-Event-ID", byteString(lastEventId));
    }
    const init = {
      method: o.method,
      headers,
      credentials: o.credentials,
      cache: "no-store",
      mode: "cors",
      redirect: "follow",
      signal,
    };
    if (body != null) init.body = body;
    return responseHead(await (o.fetch ? o.fetch(url, init) : fetch(url, init)));
  }

  // responseHead is what the module takes of a response: its head, and its
  // body as eagerBody reads it.
  function responseHead(response) {
    return {
      status: response.status,
      statusText: response.statusText,
      url: response.url,
      headers: response.headers,
      body: response.body && eagerBody(response.body),
    };
  }

  // withQueryParameter returns url with the query parameter name set to
  // value, for lastEventIdQueryParameter: the first parameter of that name
  // takes the new value in its place, later ones go, and if there was none
  // it comes last. Everything else in the URL stays as it was written
  // (URLSearchParams would re-encode the whole query). A name is compared
  // as application/x-www-form-urlencoded decodes it; the value is sent as
  // percent-encoded UTF-8, as the Last-Event-ID header would carry it
  // (HTML §9.2.3), lone surrogates as U+FFFD.
  function withQueryParameter(url, name, value) {
    const u = new URL(url);
    const wellFormed = (s) => (s.toWellFormed ? s.toWellFormed() : s);
    const pair = `${encodeURIComponent(wellFormed(name))}=${encodeURIComponent(wellFormed(value))}`;
    const parts = [];
    let placed = false;
    for (const part of u.search.slice(1).split("&")) {
      if (part === "") continue;
      if (formName(part) === name) {
        if (!placed) parts.push(pair);
        placed = true;
      } else {
        parts.push(part);
      }
    }
    if (!placed) parts.push(pair);
    u.search = `?${parts.join("&")}`;
    return u.href;
  }

  // formName decodes the name of one name=value part of a query.
  function formName(part) {
    const eq = part.indexOf("=");
    const raw = (eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, " ");
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }

  // The most bytes eagerBody holds before it waits for the module to catch up.
  const EAGER_LIMIT = 16 << 20;

  // eagerBody reads a response body as fast as the bytes come, into a queue
  // that the module reads at its own pace, and reports the body's end or
  // failure only after the module has had every byte before it. Chromium
  // drops the bytes that a fetch body stream has not delivered yet when the
  // connection fails, where native EventSource keeps them all; reading at
  // once keeps the events that arrived before a dropped connection. Each
  // queued piece is one read: the module takes it into its memory in a
  // call that costs under a microsecond, so joining pieces first would only
  // copy them once more.
  //
  // It returns what the module reads from: an object whose getReader()
  // gives a reader with take(deliver, onError) alone. take hands the next
  // chunk to deliver, or null at the body's end, or the body's failure to
  // onError, always after take has returned. A chunk that comes while the
  // module waits for one goes straight to deliver, in the microtask that
  // read it: a stream reader's read() would cost each chunk a promise or
  // two more and their reaction jobs, which in a stream of small chunks
  // were most of what happened between the network and the module.
  function eagerBody(body) {
    const reader = body.getReader();
    const queue = [];
    let queued = 0;
    let ended = false;
    let failure = null;
    let waiting = null; // the module's take, waiting for bytes: [deliver, onError]
    let wakePump = null; // the pump, waiting for room
    const settle = () => {
      const [deliver, onError] = waiting;
      waiting = null;
      if (failure) onError(failure);
      else deliver(null);
    };
    (async () => {
      try {
        for (;;) {
          while (queued > EAGER_LIMIT) await new Promise((resolve) => { wakePump = resolve; });
          const { done, value } = await reader.read();
          if (done) break;
          if (!(value instanceof Uint8Array)) {
            throw new TypeError("the response body gave a chunk that is not a Uint8Array");
          }
          if (waiting) {
            const [deliver] = waiting;
            waiting = null;
            deliverOutside(deliver, value);
          } else {
            queue.push(value);
            queued += value.byteLength;
          }
        }
      } catch (err) {
        failure = err || new TypeError("network error");
      }
      ended = true;
      if (waiting) settle();
    })();
    const queueReader = {
      take(deliver, onError) {
        if (queue.length > 0) {
          const value = queue.shift();
          queued -= value.byteLength;
          if (wakePump) {
            wakePump();
            wakePump = null;
          }
          queueMicrotask(() => deliver(value));
          return;
        }
        waiting = [deliver, onError];
        if (ended) queueMicrotask(settle);
      },
    };
    return { getReader: () => queueReader };
  }

  // deliverOutside calls deliver(value) for eagerBody's pump, so that
  // what deliver throws is reported as uncaught, as it would be from a
  // microtask of its own, and never taken for the body's failure.
  function deliverOutside(deliver, value) {
    try {
      deliver(value);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  // What readInto reports instead of a number of bytes.
  const END_OF_BODY = -1;
  const INVALID_CHUNK = -2;

  const unread = new WeakMap(); // reader → the rest of a chunk the module had no room for

  // readInto reads the next bytes of a body for the module: it writes at
  // most capacity of them into the module's memory at address, from the
  // rest of the last chunk or else from the reader's next chunk (its take,
  // for a response body, which eagerBody reads; its read, for the stream of
  // fromReadableStream), then tells
  // the module's read id their number, END_OF_BODY, or INVALID_CHUNK for a
  // chunk that is not a Uint8Array (a stream given to fromReadableStream
  // may hold anything), through its exported function readDone: a plain
  // call into WebAssembly, where a Go callback would cost tens of
  // microseconds. onError, a Go callback, gets the reason a read failed.
  // Each call ends in one of the two, in a later microtask. dispatch is the
  // source's port: its dispatch, for the batches that readDone leaves.
  function readInto(reader, address, capacity, id, onError, port) {
    const rest = unread.get(reader);
    if (rest) {
      unread.delete(reader);
      queueMicrotask(() => done(reader, id, onError, port, copyIn(reader, rest, address, capacity)));
      return;
    }
    if (reader.take) {
      reader.take((value) => {
        done(reader, id, onError, port, value === null ? END_OF_BODY : copyIn(reader, value, address, capacity));
      }, onError);
      return;
    }
    reader.read().then(({ done: end, value }) => {
      let n = END_OF_BODY;
      if (!end) n = value instanceof Uint8Array ? copyIn(reader, value, address, capacity) : INVALID_CHUNK;
      done(reader, id, onError, port, n);
    }, onError);
  }

  // readOn is readInto, unless a for await loop of the source has more
  // events waiting than it may hold (port.stalled): then the read waits
  // until the loop catches up or the source closes (#unstall). The module
  // meanwhile waits for the read; the response body waits in eagerBody,
  // and once that is full, in the network's flow control.
  function readOn(reader, address, capacity, id, onError, port) {
    if (port.stalled) port.resume = () => readInto(reader, address, capacity, id, onError, port);
    else readInto(reader, address, capacity, id, onError, port);
  }

  // What readDone asks for once it returns, as bits of its result
  // (wasm/bridge, next).
  const NEXT_KICK = 1;
  const NEXT_BATCH = 2;
  const NEXT_READ = 4;
  let nextAddress = 0; // of the module's next: batchAt, batchLen, readAt, readCap
  let nextView = null;

  // done reports a read to the module, unless its runtime has exited, and
  // does what the module asks: it dispatches the chunk's batch, then reads
  // on. Each of these would otherwise be a call out of the module. The Go
  // scheduler does not run after an exported function returns; when the
  // read set a timer, kick lets it run, so that the timer gets its
  // setTimeout. wasm_exec.js notices that the program exited only after
  // its own calls into it, so after this one done tells it.
  function done(reader, id, onError, port, n) {
    if (!go || goRuntime.exited) return;
    const asked = readDone(id, n);
    if (goRuntime.exited) {
      goRuntime._resolveExitPromise();
      return;
    }
    if (asked === 0) return;
    if (!nextView || nextView.buffer !== moduleMemory.buffer) {
      nextView = new Uint32Array(moduleMemory.buffer, nextAddress, 4);
    }
    // Read them all before anything can call into the module again and
    // grow its memory, which detaches the view.
    const batchAt = nextView[0];
    const batchLen = nextView[1];
    const readAt = nextView[2];
    const readCap = nextView[3];
    if (asked & NEXT_KICK) go.kick();
    try {
      if (asked & NEXT_BATCH) port.dispatch(batchAt, batchLen);
    } finally {
      // The module counts on this read, even if a handler closed the
      // source: the aborted request ends it, and the module lets go of the
      // connection then.
      if (asked & NEXT_READ) readOn(reader, readAt, readCap, id, onError, port);
    }
  }

  function copyIn(reader, chunk, address, capacity) {
    const n = Math.min(chunk.byteLength, capacity);
    new Uint8Array(moduleMemory.buffer, address, n).set(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
    if (n < chunk.byteLength) unread.set(reader, chunk.subarray(n));
    return n;
  }

  // --- Taking a batch apart ----------------------------------------------

  // A batch with a field this long among its first four, fieldsOf cuts
  // apart with indexOf.
  const LONG_FIELD = 1024;

  // fieldsOf returns the fields of a batch, the text between its CRs, as
  // text.split("\r") does (see #dispatch and wasm/batch). split is the
  // quickest on short fields, but JavaScriptCore's took 15 to 40 times as
  // long as cutting the fields out with indexOf and slice once they were
  // 3,000 characters or more, and SpiderMonkey's 2 to 11 times as long from
  // 1,500 (docs/performance.md, round 15). The first four fields hold an
  // event's data in either form of batch, and a batch's events are mostly
  // of one size, so they choose.
  function fieldsOf(text) {
    let from = 0;
    for (let k = 0; k < 4; k++) {
      const end = text.indexOf("\r", from);
      if (end === -1 || end - from >= LONG_FIELD) return cutAtCRs(text);
      from = end + 1;
    }
    return text.split("\r");
  }

  // cutAtCRs is text.split("\r") made of indexOf and slice.
  function cutAtCRs(text) {
    const fields = [];
    let from = 0;
    for (let end; (end = text.indexOf("\r", from)) !== -1; from = end + 1) fields.push(text.slice(from, end));
    fields.push(text.slice(from));
    return fields;
  }

  // --- Async iteration ---------------------------------------------------

  // The most events, and bytes of the batches that hold them, that one for
  // await loop may have waiting before its source stops reading: a batch
  // (one read, at most 256 KiB) may take it past either, and the source then
  // reads on only once the loop is below both again. A batch's length in
  // UTF-8 is at least the UTF-16 code units of its data, and at least the
  // bytes its string takes.
  const ITERATION_EVENTS = 10000;
  const ITERATION_DATA = 8 << 20;

  // WasmEventSource's ways into an Iteration, and an Iteration's back into
  // its source, set by the classes' static blocks.
  let iterationPush, iterationFull, iterationEnd, leaveSource, drainedSource;

  // The %AsyncIteratorPrototype% of ECMAScript, whose @@asyncIterator
  // returns this.
  const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);

  // iterationError is what a loop throws when its source fails: an Error
  // with the error event's message and its reason, status, statusText,
  // contentType and retries.
  function iterationError(d) {
    const err = new Error(d.message);
    for (const name of ["reason", "status", "statusText", "contentType", "retries"]) {
      Object.defineProperty(err, name, { value: d[name], enumerable: true, configurable: true, writable: true });
    }
    return err;
  }

  // An Iteration is the iterator of one for await loop over a source: the
  // batches the source has handed it and the loop has not yet taken all
  // of, and the loop's pending next() calls. A batch is the source's
  // split batch as it is, {fields, plain, end, origin, lastEventId, count,
  // length} (see #dispatch): the hand-off costs one push per batch, and
  // next() makes each message from its fields as the loop takes it.
  class Iteration {
    #source;
    #queue = []; // batches
    #head = 0; // the queue's first batch not wholly taken
    #pos = 1; // the fields index of that batch's next record
    #count = 0; // the events waiting
    #data = 0; // the bytes of the batches that hold them
    #waiting = []; // the {resolve, reject} of next() calls that found the queue empty
    #ended = false;
    #failure = null; // thrown once the queue is empty

    constructor(source) {
      this.#source = source;
    }

    next() {
      if (this.#count > 0) return Promise.resolve(this.#take());
      if (this.#ended) return this.#finish();
      return new Promise((resolve, reject) => {
        this.#waiting.push({ resolve, reject });
      });
    }

    // return() is what break, return and throw in a loop's body call: it
    // closes the source.
    return(value = undefined) {
      if (!this.#ended) {
        this.#ended = true;
        this.#drop();
        leaveSource(this.#source, this);
        this.#source.close();
        this.#settleWaiting();
      }
      return Promise.resolve({ value, done: true });
    }

    // #take returns the next message as an iterator result; #count must
    // be more than 0. Records of an empty type are changes of state (see
    // wasm/batch), which the loop does not see.
    #take() {
      // The source may have held back its reads for this loop (#shift may
      // bring #data under the bound before the message is found).
      const wasFull = this.#count >= ITERATION_EVENTS || this.#data >= ITERATION_DATA;
      for (;;) {
        const batch = this.#queue[this.#head];
        const fields = batch.fields;
        while (this.#pos < batch.end) {
          const i = this.#pos;
          let value;
          if (batch.plain) {
            this.#pos = i + 1;
            value = { type: "message", data: fields[i], lastEventId: batch.lastEventId, origin: batch.origin };
          } else {
            this.#pos = i + 3;
            const type = fields[i];
            if (type === "") continue;
            value = { type, data: fields[i + 1], lastEventId: fields[i + 2], origin: batch.origin };
          }
          this.#count--;
          if (this.#pos >= batch.end) this.#shift();
          if (wasFull && this.#count < ITERATION_EVENTS && this.#data < ITERATION_DATA) drainedSource(this.#source);
          return { value, done: false };
        }
        this.#shift();
      }
    }

    // #shift moves on to the next batch.
    #shift() {
      this.#data -= this.#queue[this.#head].length;
      this.#queue[this.#head++] = undefined;
      this.#pos = 1;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head >= 64 && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
    }

    #finish() {
      const failure = this.#failure;
      if (failure) {
        this.#failure = null;
        return Promise.reject(failure);
      }
      return Promise.resolve({ value: undefined, done: true });
    }

    #drop() {
      this.#queue = [];
      this.#head = 0;
      this.#pos = 1;
      this.#count = 0;
      this.#data = 0;
    }

    // #settleWaiting answers the waiting next() calls from the queue, and
    // once it is empty and the loop has ended, with the end.
    #settleWaiting() {
      while (this.#waiting.length > 0) {
        if (this.#count > 0) {
          this.#waiting.shift().resolve(this.#take());
        } else if (this.#ended) {
          this.#waiting.shift().resolve(this.#finish());
        } else {
          return;
        }
      }
    }

    static {
      iterationPush = (it, batch) => {
        if (it.#ended) return; // it ended in this batch (return() from a listener)
        it.#queue.push(batch);
        it.#count += batch.count;
        it.#data += batch.length;
        if (it.#waiting.length > 0) it.#settleWaiting();
      };
      iterationFull = (it) => it.#count >= ITERATION_EVENTS || it.#data >= ITERATION_DATA;
      // The source closed: by close(), which drops what the loop has not
      // taken, as close() drops events not yet dispatched; or for good
      // after an error event, and then the loop takes what is queued
      // first, then ends, or throws failure.
      iterationEnd = (it, failure, drop) => {
        if (it.#ended) return;
        it.#ended = true;
        if (drop) it.#drop();
        it.#failure = failure;
        it.#settleWaiting();
      };
    }
  }
  Object.setPrototypeOf(Iteration.prototype, AsyncIteratorPrototype);
  Object.defineProperty(Iteration.prototype, Symbol.toStringTag, { value: "WasmEventSource Iterator", configurable: true });

  // --- WasmEventSource ---------------------------------------------------

  const handlerTypes = ["open", "message", "error"];

  // STREAM_URL is the url of a source made from a stream.
  const STREAM_URL = "about:event-stream";
  let streamForNextSource = null; // passes fromReadableStream's stream to the constructor

  // withDetails defines read-only properties on an event.
  function withDetails(event, details) {
    for (const [name, value] of Object.entries(details)) {
      Object.defineProperty(event, name, { value, enumerable: true });
    }
    return event;
  }

  // parseURL parses a source's URL as the EventSource constructor does
  // (§9.2.2), against the scope's base URL, and throws a SyntaxError that
  // says why when it cannot.
  function parseURL(url) {
    const base = baseURL();
    let parsed;
    let why;
    let cause;
    try {
      parsed = new URL(url, base);
    } catch (err) {
      cause = err;
      if (base !== undefined) {
        why = `it does not parse against the base URL ${base} (${err && err.message})`;
      } else if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
        why = `it does not parse (${err && err.message})`;
      } else {
        why = "it is not an absolute URL, and there is no base URL to resolve it against: this scope has neither a document nor a location";
      }
    }
    // The URL Standard fails an http(s) host that holds a forbidden domain
    // code point, such as a space; Chromium's parser percent-encodes it
    // instead (http://this%20is%20invalid/). "%" is itself forbidden in a
    // domain, so a host with one can only come from such a parser: fail it
    // as Firefox and WebKit do, so that the polyfill is the same in every
    // engine.
    if (parsed && /^https?:$/.test(parsed.protocol) && parsed.hostname.includes("%")) {
      why = `its host "${parsed.hostname}" holds a code point that no host may hold`;
      parsed = undefined;
    }
    if (parsed) return parsed;
    const message = `Failed to construct 'WasmEventSource': The URL '${url}' is invalid: ${why}.`;
    const error = typeof DOMException === "function" ? new DOMException(message, "SyntaxError") : new SyntaxError(message);
    if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause, configurable: true, writable: true });
    throw error;
  }

  // Where there is no EventTarget, the class must still be defined, for
  // its constructor to say what is missing.
  const EventTargetBase = typeof EventTarget === "function" ? EventTarget : Object;

  class WasmEventSource extends EventTargetBase {
    #url;
    #withCredentials;
    #options;
    #readyState = CONNECTING;
    #origin = "";
    #id = 0;
    #handlers = Object.create(null); // type → {fn, listener}
    #controller = null; // the AbortController of the current request
    #early = null; // the first request, sent before the module was running
    #stream = null; // the ReadableStream of a source made by fromReadableStream
    #requestURL = ""; // where requests go: the url, or where a redirect led
    #lastEventId = "";
    #reconnectionTime = 3000;
    #onAbort = null; // the abort listener on the signal option's AbortSignal
    #visibility = null; // pauseWhenHidden's state (see #watchVisibility)
    #iterators = null; // an array of the Iterations of for await loops, while any run
    #pendingErrors = []; // the error events #failed queued, until they fire
    #listened = new Set(); // every type addEventListener was called with (see #dispatch)
    #port = null; // {dispatch, stalled, resume}: the reads of this source (see readOn)

    constructor(url, eventSourceInitDict = undefined) {
      super();
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'WasmEventSource': 1 argument required, but only 0 present.");
      }
      const lacking = unsupported();
      if (lacking) throw lacking;
      const urlRecord = parseURL(`${url}`);
      this.#options = normalize(eventSourceInitDict == null ? {} : eventSourceInitDict);
      this.#url = this.#requestURL = urlRecord.href;
      this.#withCredentials = this.#options.credentials === "include";
      this.#lastEventId = this.#options.lastEventId || "";
      if (this.#options.retry && this.#options.retry.delay !== undefined) {
        this.#reconnectionTime = this.#options.retry.delay;
      }
      if (streamForNextSource) {
        // The whole life of this source is one stream: no request, no
        // reconnection, and an opaque origin ("null").
        this.#stream = new Response(streamForNextSource, { headers: { "Content-Type": "text/event-stream" } });
        this.#options.once = true;
        streamForNextSource = null;
      }
      const signal = this.#options.signal;
      if (signal) {
        if (signal.aborted) {
          // Aborted already: CLOSED from the start, and no request. The
          // module need not load for a source that will never use it.
          this.#readyState = CLOSED;
          return;
        }
        this.#onAbort = () => this.close();
        signal.addEventListener("abort", this.#onAbort, { once: true });
      }
      if (this.#options.pauseWhenHidden !== undefined) this.#watchVisibility(this.#options.pauseWhenHidden);
      startLoading("a WasmEventSource was made");
      // Connect in a later task, as browsers do: a source closed in the
      // task that made it sends no request at all.
      queueBegin(() => this.#begin());
    }

    #begin() {
      if (this.#readyState === CLOSED) return;
      if (loadError) {
        this.#fail("internal", loadError.message);
        return;
      }
      if (!(this.#visibility && this.#visibility.paused)) {
        // Send the first request now, and hand its response to the
        // module, which takes it as its first connection's: so that
        // loading the module, or opening the source in it, and
        // connecting overlap. (Hidden, and paused already, the source
        // sends nothing until the page is visible.)
        this.#early = this.#connect(this.#options.lastEventId || "");
        this.#early.catch(() => {}); // the module sees any failure; the page gets no unhandled rejection
      }
      if (go) this.#start();
      else queued.add(this);
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

    // lastEventId and reconnectionTime are the source's last event ID
    // string and reconnection time in ms, as proposed with
    // fromReadableStream (whatwg/html#12272).
    get lastEventId() {
      return this.#lastEventId;
    }

    get reconnectionTime() {
      return this.#reconnectionTime;
    }

    // fromReadableStream makes a source that reads events from a stream of
    // bytes instead of a request, as proposed in whatwg/html#12272: its url
    // is about:event-stream, its events' origin is "null", it opens at
    // once, and when the stream ends or errors it closes with an error
    // event, never reconnecting. A stream that is locked is a TypeError.
    static fromReadableStream(stream) {
      if (!(stream instanceof ReadableStream)) {
        throw new TypeError("WasmEventSource.fromReadableStream: the argument is not a ReadableStream.");
      }
      if (stream.locked) {
        throw new TypeError("WasmEventSource.fromReadableStream: the stream is locked.");
      }
      streamForNextSource = stream;
      try {
        return new this(STREAM_URL);
      } finally {
        streamForNextSource = null;
      }
    }

    close() {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      queued.delete(this);
      this.#abort();
      if (this.#id) {
        live.delete(this.#id);
        if (go) go.close(this.#id);
        this.#id = 0;
      }
      this.#closed(null, true);
    }

    // #closed lets go of what a source holds once it is CLOSED, by close()
    // or by a fatal error: the abort listener, the visibility watch, a
    // read held back for the loops, and the loops themselves, which end, or
    // throw failure.
    #closed(failure, drop) {
      if (this.#onAbort) {
        this.#options.signal.removeEventListener("abort", this.#onAbort);
        this.#onAbort = null;
      }
      this.#unwatchVisibility();
      if (this.#iterators) {
        for (const it of this.#iterators) iterationEnd(it, failure, drop);
        this.#iterators = null;
      }
      this.#unstall();
    }

    // addEventListener notes each type it is given, so that #dispatch
    // knows which types some listener may hear. A type is never forgotten:
    // once and signal remove listeners where this cannot see it. The
    // arguments go on as they came, so EventTarget's own checks (two
    // arguments required) and conversions apply. It is the one member a
    // page can tell from native: it is not EventTarget.prototype's own
    // function (e2e/wpt_test.go, wptKnownDifferences).
    addEventListener(type, callback) {
      super.addEventListener(...arguments);
      this.#listened.add(`${type}`);
    }

    // --- for await (const message of source) ----------------------------
    //
    // [Symbol.asyncIterator]() returns an Iteration, which yields every
    // event of the stream as a plain object {type, data, lastEventId,
    // origin}. #dispatch queues each batch's events for every Iteration in
    // one pass, and wakes a waiting loop once per batch. While any loop
    // runs, an event whose type no listener or on-handler was ever added
    // for gets no MessageEvent: no code could receive it, so none is made.
    [Symbol.asyncIterator]() {
      const it = new Iteration(this);
      if (this.#readyState === CLOSED) {
        iterationEnd(it, null, true);
      } else {
        if (!this.#iterators) this.#iterators = [];
        this.#iterators.push(it);
      }
      return it;
    }

    static {
      // The Iteration's ways back into its source.
      leaveSource = (source, it) => {
        if (source.#iterators) {
          const rest = source.#iterators.filter((other) => other !== it);
          source.#iterators = rest.length > 0 ? rest : null;
        }
        source.#unstall();
      };
      drainedSource = (source) => source.#unstall();
    }

    // #unstall lets a read held back for slow loops go on, once no loop
    // has a full queue (or the source is closed, when the module must see
    // its aborted read end).
    #unstall() {
      const port = this.#port;
      if (!port || !port.stalled) return;
      if (this.#iterators && this.#readyState !== CLOSED) {
        for (const it of this.#iterators) if (iterationFull(it)) return;
      }
      port.stalled = false;
      if (this.#id && go && this.#options.heartbeatTimeout) go.release(this.#id);
      const resume = port.resume;
      port.resume = null;
      if (resume) resume();
    }

    // --- pauseWhenHidden -------------------------------------------------
    //
    // Once the document has been hidden for ms, the source pauses: the
    // module aborts the request and stops any reconnection timer, with no
    // error event, and readyState is CONNECTING. When the document is
    // visible again it resumes: one request at once, with the last event
    // ID. Visibility is read from document.visibilityState whenever it
    // changes (the visibilitychange event).
    #watchVisibility(ms) {
      const v = { ms, timer: 0, paused: false, listener: () => this.#visibilityChanged() };
      this.#visibility = v;
      document.addEventListener("visibilitychange", v.listener);
      if (document.visibilityState === "hidden") {
        if (ms === 0) this.#pause();
        else v.timer = setTimeout(() => this.#pause(), ms);
      }
    }

    #unwatchVisibility() {
      const v = this.#visibility;
      if (!v) return;
      this.#visibility = null;
      clearTimeout(v.timer);
      document.removeEventListener("visibilitychange", v.listener);
    }

    #visibilityChanged() {
      const v = this.#visibility;
      if (!v || this.#readyState === CLOSED) return;
      if (document.visibilityState === "hidden") {
        if (!v.paused && !v.timer) v.timer = setTimeout(() => this.#pause(), v.ms);
      } else {
        clearTimeout(v.timer);
        v.timer = 0;
        if (v.paused) {
          v.paused = false;
          if (this.#id && go) go.resume(this.#id);
          // A source the module does not serve yet opens unpaused when
          // it does (#start).
        }
      }
    }

    #pause() {
      const v = this.#visibility;
      if (!v || this.#readyState === CLOSED) return;
      v.timer = 0;
      if (v.paused) return;
      v.paused = true;
      this.#readyState = CONNECTING;
      if (this.#id && go) {
        go.pause(this.#id);
      } else {
        // Not served yet: abort the request sent early, if any; the
        // module opens the source paused (#start).
        this.#abort();
      }
    }

    static {
      startSource = (source) => source.#start();
      failSource = (source, reason, message) => source.#fail(reason, message);
    }

    #start() {
      if (this.#readyState === CLOSED) return;
      this.#options.paused = !!(this.#visibility && this.#visibility.paused);
      this.#id = go.open(this.#sink(), this.#url, this.#options);
      live.set(this.#id, this);
    }

    #fail(reason, message) {
      this.#abort();
      this.#failed(reason, message, 0, "", "", false, 0, 0);
    }

    // #sink gives the Go module the functions through which it sends
    // requests, reads bodies and reports; it caches them and calls each
    // without a receiver.
    #sink() {
      const dispatch = (address, length) => this.#dispatch(address, length);
      const port = { dispatch, stalled: false, resume: null };
      this.#port = port;
      return {
        connect: (lastEventId) => this.#connect(lastEventId),
        read: (reader, address, capacity, id, onError) => readOn(reader, address, capacity, id, onError, port),
        abort: () => this.#abort(),
        opened: (response) => this.#opened(response),
        dispatch,
        failed: (...args) => this.#failed(...args),
      };
    }

    // #connect sends a request and returns the promise of its response.
    // The module's first request takes the one sent early, if any.
    #connect(lastEventId) {
      if (this.#stream) {
        const response = this.#stream;
        this.#stream = null;
        return Promise.resolve(response);
      }
      if (this.#early) {
        const early = this.#early;
        this.#early = null;
        return early;
      }
      const controller = new AbortController();
      this.#controller = controller;
      return request(this.#requestURL, this.#options, lastEventId, controller.signal);
    }

    #abort() {
      this.#early = null;
      if (this.#controller) {
        this.#controller.abort();
        this.#controller = null;
      }
    }

    // #opened announces the connection (§9.2.3). The open event also
    // carries the response's status, headers and final URL.
    #opened(response) {
      this.#flushErrors();
      if (this.#readyState === CLOSED) return;
      const url = (response && response.url) || this.#url;
      this.#origin = new URL(url).origin;
      // Like Chromium, reconnect to where a redirect led.
      if (response && response.url) this.#requestURL = response.url;
      this.#readyState = OPEN;
      this.dispatchEvent(withDetails(new Event("open"), {
        status: response ? response.status : 200,
        statusText: response ? response.statusText : "",
        headers: response ? response.headers : new Headers(),
        url,
      }));
    }

    // #dispatch fires the events of one batch, the length bytes of UTF-8
    // at address in the module's memory, decoded before any handler can
    // call into the module (see wasm/batch). In the general form, each
    // event is a record of type, data and last event ID, each field after
    // a CR, and a record with an empty type is a change of state instead: a
    // new reconnection time or last event ID. In the plain form, after its
    // mark, each field is the data of a "message" event with the last
    // event ID the source has. As the standard's dispatch task does, it
    // stops once the source is closed, so close() in a handler drops the
    // rest.
    #dispatch(address, length) {
      const text = batchDecoder.decode(new Uint8Array(moduleMemory.buffer, address, length));
      const fields = fieldsOf(text);
      const plain = fields[0] !== "";
      // Making the MessageEvent is most of the cost of an event, and much
      // of that is Blink converting the type and last event ID strings.
      // Strings cut from the batch are slices, which it must copy every
      // time; so the common values are passed as literals (which it
      // converts once), and a repeated last event ID as the same string.
      // One MessageEventInit serves the whole batch: the constructor copies
      // its members, so reusing it changes nothing a page can see.
      const init = { data: "", lastEventId: this.#lastEventId, origin: this.#origin };
      const iterators = this.#iterators;
      // Which types need a MessageEvent: all of them, unless a loop runs;
      // then those a listener was added for (see addEventListener). Loops
      // get the batch itself once it is dispatched, with its count of
      // events and its length, which bounds their data.
      const listened = iterators ? this.#listened : null;
      let count = 0;
      let i = 1;
      if (plain) {
        count = fields.length - 1;
        if (!iterators || listened.has("message")) {
          for (; i < fields.length; i++) {
            if (this.#readyState === CLOSED) break;
            init.data = fields[i];
            this.dispatchEvent(new MessageEvent("message", init));
          }
        }
        i = fields.length;
      } else {
        for (; i < fields.length; i += 3) {
          let type = fields[i];
          if (type === "") {
            if (fields[i + 1] === "retry") this.#reconnectionTime = Number(fields[i + 2]);
            else this.#lastEventId = init.lastEventId = fields[i + 2];
            continue;
          }
          if (this.#readyState === CLOSED) break;
          if (type === "message") type = "message";
          const id = fields[i + 2];
          if (id !== init.lastEventId) this.#lastEventId = init.lastEventId = id;
          if (iterators) {
            count++;
            if (!listened.has(type)) continue;
          }
          init.data = fields[i + 1];
          this.dispatchEvent(new MessageEvent(type, init));
        }
      }
      // A loop's batches wait only while the source is open: close()
      // drops them, and a loop that a listener ended takes none.
      if (iterators && count > 0 && this.#readyState !== CLOSED) {
        const batch = { fields, plain, end: i, origin: init.origin, lastEventId: init.lastEventId, count, length };
        const port = this.#port;
        for (let k = 0; k < iterators.length; k++) {
          const it = iterators[k];
          iterationPush(it, batch);
          // A loop that has more waiting than it may hold stops the reads
          // until it catches up (readOn, #unstall).
          if (iterationFull(it) && port && !port.stalled && this.#readyState !== CLOSED) {
            port.stalled = true;
            // The silence that follows is the page's: no heartbeat
            // timeout for it.
            if (this.#id && go && this.#options.heartbeatTimeout) go.hold(this.#id);
          }
        }
      }
    }

    // #failed fires error: the connection is being reestablished
    // (reconnect) or has failed for good. The event says why.
    #failed(reason, message, status, statusText, contentType, reconnect, delay, retries) {
      if (this.#readyState === CLOSED) return;
      if (!reconnect) {
        live.delete(this.#id);
        this.#id = 0;
      }
      // The standard queues a task that changes readyState and fires
      // error, so promise callbacks of the last message handler run
      // first, as with native EventSource. That task comes before the next
      // connection's open event, whose events all follow it: if the open
      // comes first (seen in WebKit under load, where the timer ran after
      // the reconnection's response), it fires the error first
      // (#flushErrors).
      this.#pendingErrors.push(() => {
        if (this.#readyState === CLOSED) return;
        this.#readyState = reconnect ? CONNECTING : CLOSED;
        const details = {
          reason,
          message,
          status,
          statusText,
          contentType,
          willReconnect: reconnect,
          retryDelay: delay,
          retries,
        };
        this.dispatchEvent(withDetails(new Event("error"), details));
        if (!reconnect && this.#readyState === CLOSED) {
          // A source made from a stream ends with the stream: for a loop,
          // that is the normal end, not a failure.
          const normalEnd = this.#options.once && reason === "end-of-stream";
          this.#closed(normalEnd ? null : iterationError(details), false);
        }
      });
      setTimeout(() => this.#flushErrors(), 0);
    }

    // #flushErrors fires the error events #failed queued that have not
    // fired yet, in order.
    #flushErrors() {
      while (this.#pendingErrors.length > 0) this.#pendingErrors.shift()();
    }

    // Event handler IDL attributes (HTML §8.1.8.1): the listener is added
    // when a handler is first set, keeps its place when the handler changes,
    // and is removed when it is set to null. A handler returning false
    // cancels the event.
    static {
      for (const type of handlerTypes) {
        const name = `on${type}`;
        // An object literal names the accessors "get onopen" and so on.
        const accessors = {
          get [name]() {
            return this.#handlers[type]?.fn ?? null;
          },
          set [name](fn) {
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
              if (entry.fn.call(this, event) === false) event.preventDefault();
            };
            this.#handlers[type] = entry;
            this.addEventListener(type, entry.listener);
          },
        };
        Object.defineProperty(this.prototype, name, Object.getOwnPropertyDescriptor(accessors, name));
      }
    }
  }

  // WebIDL makes attributes and operations enumerable (§3.7.6, §3.7.7);
  // class syntax does not.
  for (const target of [WasmEventSource, WasmEventSource.prototype]) {
    for (const key of Object.getOwnPropertyNames(target)) {
      if (["constructor", "prototype", "length", "name"].includes(key)) continue;
      const d = Object.getOwnPropertyDescriptor(target, key);
      if (d.configurable) Object.defineProperty(target, key, { ...d, enumerable: true });
    }
  }

  for (const [name, value] of [["CONNECTING", CONNECTING], ["OPEN", OPEN], ["CLOSED", CLOSED]]) {
    const constant = { value, enumerable: true };
    Object.defineProperty(WasmEventSource, name, constant);
    Object.defineProperty(WasmEventSource.prototype, name, constant);
  }
  Object.defineProperty(WasmEventSource.prototype, Symbol.toStringTag, { value: "WasmEventSource", configurable: true });

  // The browser's own EventSource, if it has one, before any install().
  const nativeEventSource = typeof globalThis.EventSource === "function" ? globalThis.EventSource : undefined;

  // install makes WasmEventSource the page's EventSource, so code written
  // for EventSource runs on it unchanged. It returns the EventSource it
  // replaced (undefined in a browser without one).
  function install() {
    const previous = globalThis.EventSource;
    globalThis.EventSource = WasmEventSource;
    return previous;
  }

  Object.defineProperties(WasmEventSource, {
    ready: { value: ready, enumerable: true },
    install: { value: install, enumerable: true },
    configure: { value: configure, enumerable: true },
    native: { value: nativeEventSource, enumerable: true },
  });

  // start starts loading the module now, as the classic script does.
  const start = () => startLoading("the classic script had run");

  return { WasmEventSource, ready, install, configure, start };
}
