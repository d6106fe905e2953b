// bad.ts misuses the installed package's declarations: tsc must report an
// error on every line marked "@error TSnnnn", with that code, and on no
// other line (see TestPackage in e2e/package_test.go). It proves that the
// compiler really checks the types of usage.ts.
import { WasmEventSource, install, configure } from "eventsource-wasm";

const es = new WasmEventSource("/sse/clock");
new WasmEventSource("/sse/clock", { retry: "fast" }); // @error TS2322
es.readyState = 1; // @error TS2540
es.url = "/elsewhere"; // @error TS2540
WasmEventSource.CONNECTING = 1; // @error TS2540
new WasmEventSource("/sse/clock", { credentials: "always" }); // @error TS2322
new WasmEventSource("/sse/clock", { headers: 42 }); // @error TS2322
new WasmEventSource("/sse/clock", { retry: { delay: "1s" } }); // @error TS2322
new WasmEventSource("/sse/clock", { heartbeatTimeout: "30s" }); // @error TS2322
new WasmEventSource("/sse/clock", { heartbeat: 5000 }); // @error TS2353
new WasmEventSource("/sse/clock", { fetch: "fetch" }); // @error TS2322
new WasmEventSource(); // @error TS2554
new WasmEventSource("/sse/clock", { signal: new AbortController() }); // @error TS2740
new WasmEventSource("/sse/clock", { lastEventIdQueryParameter: true }); // @error TS2322
new WasmEventSource("/sse/clock", { pauseWhenHidden: "30s" }); // @error TS2322
for await (const m of es) { const n: number = m.data; } // @error TS2322
for await (const m of es) m.reason; // @error TS2339
install(true); // @error TS2554
const state: 3 = es.readyState; // @error TS2322
es.onopen = (e) => { const status: string = e.status; }; // @error TS2322
es.onmessage = (e) => e.reason; // @error TS2339
es.onerror = (e) => { const reason: "timeout" = e.reason; }; // @error TS2322
es.addEventListener("message", (e) => { const n: number = e.data; }); // @error TS2322
es.addEventListener("error", (e) => e.data); // @error TS2339
configure("/assets/eventsource-wasm.wasm"); // @error TS2559
configure({ wasmURL: 42 }); // @error TS2322
configure({ wasmUrl: "/assets/eventsource-wasm.wasm" }); // @error TS2561
configure({ cdn: true }); // @error TS2353
configure(); // @error TS2554
WasmEventSource.configure({ wasmURL: null }); // @error TS2322
const configured: string = configure({}); // @error TS2322
