// The app that TestBundlers (e2e/bundlers_test.go) bundles with esbuild's
// --loader:.wasm=file, the README's one step for esbuild: importing the
// .wasm makes esbuild emit it and gives its URL, which configure() hands to
// the package before anything loads.
import wasmURL from "eventsource-wasm/eventsource-wasm.wasm";
import defaultExport, { WasmEventSource, ready, install, configure } from "eventsource-wasm";

configure({ wasmURL });
window.result = window.packageCheck({ WasmEventSource, ready, install, defaultExport });
