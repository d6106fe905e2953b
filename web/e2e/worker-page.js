// worker-page.js drives WasmEventSource in workers, for e2e/worker_test.go.
// It uses only the DOM's Worker, SharedWorker and MessagePort, so that the
// same page runs in any browser engine.
//
//   workerRun(kind, checks, options)
//       starts a new worker of kind, one of
//         "dedicated-classic"  new Worker(worker-classic.js), importScripts
//         "shared-classic"     new SharedWorker(worker-classic.js)
//         "dedicated-module"   new Worker(worker-module.mjs, {type: "module"})
//         "shared-module"      new SharedWorker(worker-module.mjs, {type: "module"})
//       hands it checks (see worker-checks.js), and resolves with what the
//       worker reports: {env, results, errors}. options.wasmURL, if set,
//       goes to the worker, which passes it to configure() before anything
//       else. It rejects when the worker fails to start or says nothing
//       for 30 s.
(() => {
  "use strict";

  const scripts = {
    classic: "/e2e/worker-classic.js",
    module: "/e2e/worker-module.mjs",
  };
  let runs = 0;

  function workerRun(kind, checks, options = {}) {
    const [scope, type] = String(kind).split("-");
    if (!scripts[type] || (scope !== "dedicated" && scope !== "shared")) {
      return Promise.reject(new Error(`workerRun: unknown kind ${JSON.stringify(kind)}`));
    }
    const url = new URL(scripts[type], location.href);
    if (options.wasmURL !== undefined) url.searchParams.set("wasm", options.wasmURL);
    const init = { type: type === "module" ? "module" : "classic" };
    return new Promise((resolve, reject) => {
      let port;
      let worker;
      const fail = (what) => {
        clearTimeout(timer);
        if (worker && worker.terminate) worker.terminate();
        reject(new Error(`workerRun(${kind}): ${what}`));
      };
      // A shared worker of a new name is a new worker, with its own copy
      // of the module.
      if (scope === "shared") {
        if (typeof SharedWorker !== "function") {
          reject(new Error("workerRun: this browser has no SharedWorker"));
          return;
        }
        init.name = `worker-test-${++runs}-${Date.now()}`;
        worker = new SharedWorker(url.href, init);
        port = worker.port;
      } else {
        worker = new Worker(url.href, init);
        port = worker;
      }
      worker.onerror = (ev) => fail(`the worker failed: ${ev.message || "an error event (it may not have loaded)"}`);
      const timer = setTimeout(() => fail("no answer in 30 s"), 30000);
      port.onmessage = (ev) => {
        clearTimeout(timer);
        if (worker.terminate) worker.terminate();
        else port.close();
        if (ev.data && ev.data.fatal) {
          reject(new Error(`workerRun(${kind}): the worker reported: ${ev.data.fatal}`));
          return;
        }
        resolve(ev.data);
      };
      if (port.start) port.start();
      port.postMessage({ checks });
    });
  }

  window.workerRun = workerRun;
})();
