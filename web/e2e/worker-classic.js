// worker-classic.js is a classic worker, dedicated or shared, that gets
// WasmEventSource from the classic script, as a worker does, and serves
// worker-checks.js's checks. A wasm query parameter goes to
// WasmEventSource.configure({ wasmURL }), right after importScripts().
importScripts("/dist/eventsource-wasm.js");
{
  const wasmURL = new URL(self.location.href).searchParams.get("wasm");
  if (wasmURL !== null) WasmEventSource.configure({ wasmURL });
}
importScripts("/e2e/recorder.js", "/e2e/worker-checks.js");

workerServe({
  WasmEventSource,
  ready: WasmEventSource.ready,
  // Loading the script again keeps the first WasmEventSource.
  reload: () => {
    importScripts("/dist/eventsource-wasm.js");
    return { WasmEventSource, ready: WasmEventSource.ready };
  },
});
