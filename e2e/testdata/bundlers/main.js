// The app that TestBundlers (e2e/bundlers_test.go) bundles with Vite,
// webpack and esbuild as it is: it imports the package as a user would and
// hands its exports to the page's packageCheck (e2e/package_test.go). The
// bundler must find eventsource-wasm.wasm through the package's own
// new URL("eventsource-wasm.wasm", import.meta.url).
import defaultExport, { WasmEventSource, ready, install } from "eventsource-wasm";

window.result = window.packageCheck({ WasmEventSource, ready, install, defaultExport });
