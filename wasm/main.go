//go:build js && wasm

// Command eventsource-wasm is the WebAssembly module behind WasmEventSource.
// The JavaScript shim (js/eventsource-wasm.js) loads it and passes, as its
// first argument, the name under which it placed the host object that the
// module registers its entry points with.
package main

import (
	"os"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/bridge"
)

func main() {
	if len(os.Args) < 2 {
		println("eventsource-wasm: start this module with js/eventsource-wasm.js")
		return
	}
	if err := bridge.Serve(os.Args[1]); err != nil {
		println(err.Error())
		return
	}
	select {} // serve the page's calls for as long as it lives
}
