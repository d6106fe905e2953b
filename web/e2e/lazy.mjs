// lazy.mjs imports the ES module after lazy-probe.js, and lets a test see
// what importing it did and what starts loading the module:
//
//   lazy.run(start, session)  start is "source" or "ready". It resolves with
//     {
//       afterImport     the probe's calls between the import and the
//                       first configure(): none, if importing does nothing
//       badURL          {name, message, isDOMException, cause} of
//                       new WasmEventSource("http://[")
//       readyIsPromise  ready instanceof Promise
//       badConfigs      [{call, name, message}] for configure() calls that
//                       must throw a TypeError
//       wasmURL         what configure() was given (relative to the page's
//                       base URL)
//       beforeStart     the probe's calls up to the call that starts
//                       loading
//       tooLate         {name, message} of configure() after it
//       ready           "resolved" or "rejected: ..."
//       watched         a Watch of a source to /sse/counter (3 events)
//       calls           the probe's calls from the start of loading on
//       wasmResources   the .wasm URLs in the page's resource timing
//     }
import "/e2e/lazy-probe.js";
import { WasmEventSource, ready, configure } from "/dist/eventsource-wasm.mjs";

const calls = window.lazyProbe.calls;
const importedAt = calls.length;

// describe runs f and returns what it threw, as {name, message}, or null.
function thrown(f) {
  try {
    f();
    return null;
  } catch (err) {
    return { name: err && err.name, message: String(err && err.message) };
  }
}

async function run(start, session) {
  // Let any work the import queued happen first: two tasks.
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  const afterImport = calls.slice(importedAt);

  // A URL that does not parse throws, says why, and starts nothing.
  let badURL = null;
  try {
    new WasmEventSource("http://[");
  } catch (err) {
    badURL = { name: err.name, message: err.message, isDOMException: err instanceof DOMException, cause: String(err.cause) };
  }

  const badConfigs = [
    ["configure()", () => configure()],
    ["configure(null)", () => configure(null)],
    ['configure("/x.wasm")', () => configure("/x.wasm")],
    ["configure({ wasmURL: 42 })", () => configure({ wasmURL: 42 })],
    ['configure({ wasmUrl: "/x.wasm" })', () => configure({ wasmUrl: "/x.wasm" })],
    ['configure({ wasmURL: "" })', () => configure({ wasmURL: "" })],
    ['configure({ wasmURL: "http://[" })', () => configure({ wasmURL: "http://[" })],
  ].map(([call, f]) => ({ call, ...thrown(f) }));

  // Relative to the page's base URL, /slow/dist/ (relative to the module
  // it would be /dist/...), with a query that only this configure() adds.
  // /slow/ answers after 300 ms, so that a source made first sends its
  // request before the module can be compiled.
  const wasmURL = `eventsource-wasm.wasm?delay=300&configured=${encodeURIComponent(session)}`;
  configure({ wasmURL: "/not-this.wasm" });
  configure({ wasmURL }); // the last one counts
  const beforeStart = calls.slice(importedAt);

  let source = null;
  let readyOutcome;
  const settled = (p) => p.then(() => "resolved", (err) => `rejected: ${err && err.message}`);
  const counter = `/sse/counter?total=3&per=3&session=${encodeURIComponent(session)}`;
  const mark = calls.length;
  if (start === "source") {
    source = new WasmEventSource(counter);
  } else {
    readyOutcome = settled(ready);
  }
  const tooLate = thrown(() => configure({ wasmURL: "/too-late.wasm" }));
  const until = (log) => log.filter((e) => e.type === "message").length >= 3;
  const watching = source && recorder.watch(source, { until });
  const ready1 = await (readyOutcome || settled(ready));
  const watched = await (watching || recorder.watch(new WasmEventSource(counter), { until }));
  return {
    afterImport,
    badURL,
    readyIsPromise: ready instanceof Promise,
    badConfigs,
    wasmURL,
    beforeStart,
    tooLate,
    ready: ready1,
    watched,
    calls: calls.slice(mark),
    wasmResources: performance.getEntriesByType("resource").map((e) => e.name).filter((name) => new URL(name).pathname.endsWith(".wasm")),
  };
}

window.lazy = { run };
