// worker-checks.js runs in a worker, dedicated or shared, classic or
// module (it is valid as either kind of script), after recorder.js. The
// worker script calls
//
//   workerServe({WasmEventSource, ready, reload})
//
// with what it got from eventsource-wasm; reload() loads eventsource-wasm
// again and returns what that gave. The page (worker-page.js) then posts
// {checks}, and the worker answers with
//
//   {env, results, errors}
//
// env describes the scope; results has one entry per check that ran, by
// name; errors has the exception of each check that threw. Each check
// takes its URLs from the page (e2e/worker_test.go names the sessions):
//
//   message    {url}              a source's first 3 events (a Watch)
//   named      {url}              3 events of the scenario named-events
//   reconnect  {url}              every event until the source closes
//   close      {echo, sentinel}   close() once /sse/echo has answered; then
//                                 a sentinel source gets one event
//   headers    {url, header}      a headers function counts its calls, each
//                                 sent as the header's value
//   relative   {url, messages}    a relative URL: the source's url and what
//                                 self.location resolves it to, and events
//   hidden     {url}              what the constructor throws for the option
//                                 pauseWhenHidden, which needs a document
//   ready      {}                 after the others: how often ready's
//                                 reactions ran and with what ("undefined"
//                                 or "rejected: ..."), the .wasm fetches
//                                 the scope made, and whether loading the
//                                 script again kept ready
(() => {
  "use strict";

  const messages = (n) => (log) => log.filter((e) => e.type === "message").length >= n;

  // wasmFetches lists the .wasm URLs this scope fetched, from its
  // resource timing entries.
  function wasmFetches() {
    return performance.getEntriesByType("resource")
      .map((e) => e.name)
      .filter((name) => new URL(name).pathname.endsWith(".wasm"));
  }

  async function runChecks(api, checks, readyState) {
    const { WasmEventSource, ready } = api;
    const env = {
      hasDocument: typeof document !== "undefined",
      location: self.location.href,
      shared: typeof SharedWorkerGlobalScope === "function" && self instanceof SharedWorkerGlobalScope,
      globalWasmEventSource: typeof self.WasmEventSource,
      readyIsPromise: ready instanceof Promise,
      readyIsStatic: WasmEventSource.ready === ready,
    };
    recorder.use(WasmEventSource, ready);
    const results = {};
    const errors = {};
    const run = async (name, check) => {
      if (!(name in checks)) return;
      try {
        results[name] = await check(checks[name]);
      } catch (err) {
        errors[name] = String((err && err.stack) || err);
      }
    };
    const watch = (source, opts) => recorder.watch(source, { timeoutMs: 15000, ...opts });

    await Promise.all([
      run("message", (c) => watch(new WasmEventSource(c.url), { until: messages(3) })),
      run("named", (c) => watch(new WasmEventSource(c.url), { events: ["add", "remove"], until: messages(3) })),
      run("reconnect", (c) => watch(new WasmEventSource(c.url))),
      run("close", async (c) => {
        const source = new WasmEventSource(c.echo);
        const before = await watch(source, { until: (log) => log.some((e) => e.event === "request"), keepOpen: true });
        source.close();
        const readyStateAfterClose = source.readyState;
        const after = [];
        for (const type of ["open", "message", "error", "request"]) {
          source.addEventListener(type, (ev) => after.push(ev.type));
        }
        // The sentinel's event comes after any request the closed source
        // could have sent, in the same session.
        const sentinel = await watch(new WasmEventSource(c.sentinel), { until: messages(1) });
        return { before, readyStateAfterClose, after, sentinel };
      }),
      run("headers", async (c) => {
        let calls = 0;
        const source = new WasmEventSource(c.url, {
          headers: async () => ({ [c.header]: String(++calls) }),
        });
        const watched = await watch(source);
        return { calls, watched };
      }),
      run("hidden", async (c) => {
        try {
          new WasmEventSource(c.url, { pauseWhenHidden: 1000 }).close();
          return { name: "", message: "" };
        } catch (err) {
          return { name: err.name, message: err.message };
        }
      }),
      run("relative", async (c) => {
        const source = new WasmEventSource(c.url);
        return {
          url: source.url,
          resolved: new URL(c.url, self.location.href).href,
          watched: await watch(source, { until: messages(c.messages) }),
        };
      }),
    ]);

    await run("ready", async () => {
      const outcome = () => ready.then(() => "resolved", (err) => `rejected: ${err && err.message}`);
      await outcome();
      await outcome();
      const again = await api.reload();
      return {
        reactions: readyState.reactions,
        value: readyState.value,
        wasmFetches: wasmFetches(),
        sameAfterReload: again.ready === ready && again.WasmEventSource === WasmEventSource,
      };
    });
    return { env, results, errors };
  }

  // workerServe answers the page's message, on the worker itself or, in a
  // shared worker, on the port of each connection.
  self.workerServe = (api) => {
    // Registered before any check runs: how often ready's reactions ran,
    // and with what.
    const readyState = { reactions: 0, value: "pending" };
    api.ready.then(
      (value) => {
        readyState.reactions++;
        readyState.value = value === undefined ? "undefined" : String(value);
      },
      (err) => {
        readyState.reactions++;
        readyState.value = `rejected: ${err && err.message}`;
      },
    );
    const serve = (port) => {
      port.onmessage = async (ev) => {
        try {
          port.postMessage(await runChecks(api, ev.data.checks, readyState));
        } catch (err) {
          port.postMessage({ fatal: String((err && err.stack) || err) });
        }
      };
    };
    if (typeof SharedWorkerGlobalScope === "function" && self instanceof SharedWorkerGlobalScope) {
      self.onconnect = (ev) => serve(ev.ports[0]);
    } else {
      serve(self);
    }
  };
})();
