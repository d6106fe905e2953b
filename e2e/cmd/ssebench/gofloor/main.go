//go:build js && wasm

// Command gofloor is the startup floor of ssebench's ready workload: a Go
// program that, like the polyfill's module, is built for GOOS=js with
// safejs and tells its page that it runs, and does nothing else. Its time
// to ready is what the Go runtime and safejs cost before any code of the
// polyfill runs. web/bench/adapters/go-floor.js starts it, with the name of
// the object to register with as its first argument.
package main

import (
	"os"

	"github.com/hack-pad/safejs"
)

func main() {
	if len(os.Args) < 2 {
		return
	}
	host, err := safejs.Global().Get(os.Args[1])
	if err != nil {
		return
	}
	_, _ = host.Call("register")
}
