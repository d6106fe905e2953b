// bench.js measures one EventSource implementation in one page, for
// e2e/cmd/ssebench (`make bench`). The page is /bench/bench.html?impl=NAME,
// or /bench/wasm.html for WasmEventSource, whose loader is a script tag of
// its own.
//
// An implementation comes as an adapter, a global ssebenchAdapter:
//
//   {name, ready?: Promise, open(url, sink) → close(), iterate?(url, sink) → close()}
//
// open starts a stream and reports each message event's data to the sink;
// the function it returns closes the stream. iterate does the same through
// the implementation's iterator API where it has one (WasmEventSource's
// and eventsource-client's for await; the floor's plain objects through a
// for await loop), for the iterate workloads, which use open where it is
// missing (the peers' own callbacks are their API).
// The sink is
//
//   sink.data(string)   a message event's data
//   sink.length(n)      the length of a message event's data, for adapters
//                       that do not make the string (the floor), when
//                       sink.wantsData is false
//   sink.error(string)  an error, or the end of the stream: before the last
//                       event it fails the run, since the bench streams of
//                       server/refserver end only after their last event
//
// Every run checks that each event's data has the length that the server
// sent, and counts them, so that an implementation that drops or merges
// events cannot look fast.
//
// API (all times in milliseconds, from performance.now()):
//
//   ssebench.loaded              resolves once the adapter is loaded and,
//                                for wasm, WasmEventSource.ready resolved (for
//                                the Go floor, its program started) → {impl,
//                                readyMs, readyAtMs} (see pageLoad)
//   ssebench.throughput(o)       {url, n, size, stallMs, marks?, iterate?}: from construction
//                                to the n-th event → {ms, firstMs, events, bad,
//                                error, memory}; with marks, a list of event
//                                counts, memory holds {events, js, wasm} taken
//                                (after a gc) as each count is reached
//   ssebench.latency(o)          {url, n, size, stallMs, clockURL?}: ts=1 streams,
//                                each event's receive time (performance.timeOrigin +
//                                performance.now()) minus the server's Unix ms
//                                → {p50, p90, p99, max, events, bad, error, clock}
//   ssebench.concurrent(o)       {urls, n, size, stallMs, clockURL?}: len(urls)
//                                streams at once → {ms, p50, p99, heap: {before,
//                                during, after}, wasm: {…}, protocol, events, bad,
//                                error, clock}
//
// With clockURL, a ts=1 stream of one event, latency and concurrent first
// measure how far the page's clock is behind the server's (see clockOffset)
// and add that to each latency; clock is then {offsetMs, errorMs}.
//   ssebench.pageLoad            with ?first=URL, the page opens URL as soon as
//                                the adapter is there, and this resolves with
//                                {firstEventMs (since navigation start),
//                                readyMs (wasm, go-floor: loader start to ready),
//                                readyAtMs (wasm, go-floor: navigation start to
//                                ready), error}
//
// With ?first= and no URL, pageLoad only waits for the adapter (and ready).
(() => {
  "use strict";

  const params = new URLSearchParams(location.search);
  const implName = params.get("impl") || "native";

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`ssebench: could not load ${src}`));
      document.head.appendChild(script);
    });
  }

  // The adapters of native and the floors are plain scripts (one for both
  // floors); those of the npm peers are bundles that ssebench builds at
  // bench time.
  function adapterURL(name) {
    if (name === "native") return "/bench/adapters/native.js";
    if (name === "floor" || name === "event-floor") return "/bench/adapters/floor.js";
    return `/bench/bundles/${name}.js`;
  }

  const adapter = (async () => {
    if (!globalThis.ssebenchAdapter) await loadScript(adapterURL(implName));
    const a = globalThis.ssebenchAdapter;
    if (!a || typeof a.open !== "function") throw new Error(`ssebench: no adapter for ${implName}`);
    return a;
  })();

  // readyMs is the time from the loader's start (preload.js) to the
  // adapter's ready (WasmEventSource.ready for wasm, the program's start for
  // the Go floor), and readyAtMs the time of ready since the page's time
  // origin, the start of the navigation, as firstEventMs is: the two tell
  // apart what the loader costs from what comes before it.
  let readyMs = null;
  let readyAtMs = null;
  const loaded = adapter.then(async (a) => {
    if (a.ready) {
      await a.ready;
      readyAtMs = performance.now();
      const pre = globalThis.ssebenchPreload;
      if (pre) readyMs = readyAtMs - pre.loaderStart;
    }
    return a;
  });

  // memory reports the JavaScript heap (precise with Chromium's
  // --enable-precise-memory-info) and the module's linear memory, if any,
  // after a full garbage collection where the page may ask for one
  // (--js-flags=--expose-gc).
  function memory() {
    settle();
    const pre = globalThis.ssebenchPreload;
    let wasm = null;
    if (pre && pre.memories.length > 0) {
      wasm = pre.memories.reduce((sum, m) => sum + m.buffer.byteLength, 0);
    }
    return { js: performance.memory ? performance.memory.usedJSHeapSize : null, wasm };
  }

  // watch calls onStall when progress() has not changed for stallMs. It
  // reads a counter every 250 ms rather than timing each event, which
  // would cost every implementation a clock read per event.
  function watch(progress, stallMs, onStall) {
    let last = -1;
    let since = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const p = progress();
      if (p !== last) {
        last = p;
        since = now;
      } else if (now - since > stallMs) {
        onStall();
      }
    }, 250);
    return () => clearInterval(timer);
  }

  // clockOffset measures how far the page's clock (performance.timeOrigin +
  // performance.now()) is behind the server's, which stamps the events of
  // the latency runs: in some engines the time origin is off by a
  // millisecond or so, as much as the latencies themselves. It fetches a
  // one-event stream of url a few times and takes the quickest: the
  // server's stamp minus the middle of its round trip, give or take half
  // the round trip (errorMs).
  async function clockOffset(url) {
    let best = null;
    for (let i = 0; i < 10; i++) {
      const t0 = performance.timeOrigin + performance.now();
      const text = await (await fetch(`${url}&clock=${i}`, { cache: "no-store" })).text();
      const t1 = performance.timeOrigin + performance.now();
      const stamp = parseFloat(text.replace(/^data: /, ""));
      if (!Number.isFinite(stamp)) throw new Error(`ssebench: no time stamp in ${url}: ${text.slice(0, 40)}`);
      if (best === null || t1 - t0 < best.rtt) best = { rtt: t1 - t0, offsetMs: stamp - (t0 + t1) / 2 };
    }
    return { offsetMs: best.offsetMs, errorMs: best.rtt / 2 };
  }

  function quantiles(values) {
    const sorted = Float64Array.from(values).sort();
    const at = (q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : null };
  }

  // settle collects the garbage of earlier pages and runs, where the page
  // may (--js-flags=--expose-gc), so that a run does not pay for them.
  function settle() {
    if (typeof globalThis.gc === "function") globalThis.gc();
  }

  async function throughput({ url, n, size, stallMs = 10000, marks = [], iterate = false }) {
    const impl = await loaded;
    settle();
    return new Promise((resolve) => {
      let count = 0;
      let bad = 0;
      let firstMs = null;
      const samples = [];
      let mark = 0; // the index in marks of the next count to sample at
      let close = null;
      let done = false;
      let t0 = 0;
      let stopWatch = () => {};
      const finish = (error) => {
        const t1 = performance.now();
        if (done) return;
        done = true;
        stopWatch();
        if (close) close();
        resolve({ ms: t1 - t0, firstMs, events: count, bad, error: error || null, memory: samples });
      };
      const sink = {
        wantsData: false,
        length(len) {
          if (len !== size) bad++;
          if (++count === 1) firstMs = performance.now() - t0;
          if (count === marks[mark]) {
            samples.push({ events: count, ...memory() });
            mark++;
          }
          if (count === n) finish();
        },
        data(data) {
          sink.length(data.length);
        },
        error(message) {
          if (!done) finish(`${message} after ${count} of ${n} events`);
        },
      };
      stopWatch = watch(() => count, stallMs, () => sink.error(`stalled for ${stallMs} ms`));
      t0 = performance.now();
      close = iterate && impl.iterate ? impl.iterate(url, sink) : impl.open(url, sink);
      if (done) close();
    });
  }

  async function latency({ url, n, size, stallMs = 10000, clockURL = null }) {
    const impl = await loaded;
    const clock = clockURL ? await clockOffset(clockURL) : null;
    const offset = clock ? clock.offsetMs : 0;
    settle();
    return new Promise((resolve) => {
      const lat = new Float64Array(n);
      let count = 0;
      let bad = 0;
      let close = null;
      let done = false;
      let stopWatch = () => {};
      const finish = (error) => {
        if (done) return;
        done = true;
        stopWatch();
        if (close) close();
        resolve({ ...quantiles(lat.subarray(0, count)), events: count, bad, error: error || null, clock });
      };
      const sink = {
        wantsData: true,
        data(data) {
          const received = performance.timeOrigin + performance.now();
          if (data.length !== size) bad++;
          // The data starts with the server's Unix time in ms and a space.
          lat[count] = received - parseFloat(data) + offset;
          if (++count === n) finish();
        },
        length() {
          bad++;
          if (++count === n) finish();
        },
        error(message) {
          if (!done) finish(`${message} after ${count} of ${n} events`);
        },
      };
      stopWatch = watch(() => count, stallMs, () => sink.error(`stalled for ${stallMs} ms`));
      close = impl.open(url, sink);
      if (done) close();
    });
  }

  // concurrent opens one stream per URL at once. It samples memory before,
  // once every stream has half of its events (all streams open), and after
  // closing them all.
  async function concurrent({ urls, n, size, stallMs = 15000, clockURL = null }) {
    const impl = await loaded;
    const clock = clockURL ? await clockOffset(clockURL) : null;
    const offset = clock ? clock.offsetMs : 0;
    const before = memory();
    const streams = urls.length;
    return new Promise((resolve) => {
      const lat = new Float64Array(streams * n);
      let total = 0;
      let bad = 0;
      let half = 0;
      let complete = 0;
      let during = null;
      let done = false;
      let stopWatch = () => {};
      const closers = [];
      const t0 = performance.now();
      const finish = (error) => {
        const t1 = performance.now();
        if (done) return;
        done = true;
        stopWatch();
        for (const close of closers) close(); // closing twice does nothing
        // Let the closes take effect before the last sample.
        setTimeout(() => {
          const after = memory();
          const nav = performance.getEntriesByType("navigation")[0];
          resolve({
            ms: t1 - t0,
            ...quantiles(lat.subarray(0, total)),
            heap: { before: before.js, during: during && during.js, after: after.js },
            wasm: { before: before.wasm, during: during && during.wasm, after: after.wasm },
            protocol: nav ? nav.nextHopProtocol : "",
            events: total,
            bad,
            error: error || null,
            clock,
          });
        }, 100);
      };
      for (let i = 0; i < streams && !done; i++) {
        let count = 0;
        const sink = {
          wantsData: true,
          data(data) {
            const received = performance.timeOrigin + performance.now();
            if (count === n) return;
            if (data.length !== size) bad++;
            lat[total++] = received - parseFloat(data) + offset;
            count++;
            if (count === n >> 1 && ++half === streams) during = memory();
            if (count === n) {
              // A stream with all its events closes, as in the other
              // runs, before the server's end of it can count as an error.
              closers[i]();
              if (++complete === streams) finish();
            }
          },
          length() {
            finish("the adapter gave no data");
          },
          error(message) {
            if (!done && count < n) finish(`stream ${i}: ${message} after ${count} of ${n} events`);
          },
        };
        closers.push(impl.open(urls[i], sink));
      }
      stopWatch = watch(() => total, stallMs, () => finish(`stalled for ${stallMs} ms after ${total} of ${streams * n} events`));
    });
  }

  // pageLoad, with ?first=URL, opens URL at once and times its first event
  // from the start of the navigation, so that it counts everything a page
  // waits for: the scripts, and for wasm the module's fetch and compile.
  const pageLoad = params.has("first")
    ? (async () => {
      const url = params.get("first");
      const impl = await adapter;
      let firstEventMs = null;
      let error = null;
      if (url) {
        await new Promise((resolve) => {
          let close = null;
          let done = false;
          const finish = (err) => {
            if (done) return;
            done = true;
            if (err) error = err;
            if (close) close();
            resolve();
          };
          const timer = setTimeout(() => finish("no event within 20 s"), 20000);
          close = impl.open(url, {
            wantsData: false,
            data() {
              firstEventMs = performance.now();
              clearTimeout(timer);
              finish();
            },
            length() {
              this.data();
            },
            error(message) {
              clearTimeout(timer);
              finish(`${message} before the first event`);
            },
          });
          if (done) close();
        });
      }
      await loaded;
      return { firstEventMs, readyMs, readyAtMs, error };
    })()
    : null;

  globalThis.ssebench = {
    impl: implName,
    loaded: loaded.then(() => ({ impl: implName, readyMs, readyAtMs })),
    throughput,
    latency,
    concurrent,
    pageLoad,
  };
})();
