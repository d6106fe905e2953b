//go:build js && wasm && faultinject

package bridge

import (
	"os"
	"strings"
)

// In a module built with the faultinject tag (make e2e builds one as
// dist/faultinject/eventsource-wasm.wasm, for the fault tests; the module
// that pages load has no such code), a source whose URL ends in the
// fragment #eventsource-wasm-fault=panic panics at its first chunk, and one
// with #eventsource-wasm-fault=exit makes the Go runtime exit, so that the
// tests can see the module recover from both.
func init() {
	injectFault = func(url string) {
		switch {
		case strings.HasSuffix(url, "#eventsource-wasm-fault=panic"):
			panic("eventsource-wasm: injected fault")
		case strings.HasSuffix(url, "#eventsource-wasm-fault=exit"):
			println("eventsource-wasm: injected fault: exiting")
			os.Exit(3)
		}
	}
}
