// worker-module.mjs is a module worker, dedicated or shared, that imports
// WasmEventSource from the ES module and serves worker-checks.js's checks.
// A wasm query parameter goes to configure({ wasmURL }) before anything
// else can start loading.
import { WasmEventSource, ready, configure } from "/dist/eventsource-wasm.mjs";
import "/e2e/recorder.js";
import "/e2e/worker-checks.js";

const wasmURL = new URL(self.location.href).searchParams.get("wasm");
if (wasmURL !== null) configure({ wasmURL });

self.workerServe({
  WasmEventSource,
  ready,
  // Importing the module again gives the same module.
  reload: async () => {
    const again = await import("/dist/eventsource-wasm.mjs");
    return { WasmEventSource: again.WasmEventSource, ready: again.ready };
  },
});
