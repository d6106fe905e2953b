// Package e2e runs the scenarios of the reference server (server/scenario) in a
// real Chromium, once against the browser's native EventSource and once
// against WasmEventSource from dist/, and compares what a page sees with
// golden traces in testdata/*.golden.
//
// The native EventSource is the oracle: go test ./e2e -update rewrites the
// golden files from the native runs only, and the wasm runs always compare.
// Review the changes to testdata/ in the diff before you commit them.
//
// The tests need Chromium and the built polyfill (make build). They fail, and
// never skip, when the browser is missing; the wasm subtests fail when
// dist/eventsource-wasm.js is missing.
//
// Settings come from the environment:
//
//	CHROMIUM=/path/to/chrome   the browser; else chromium, chromium-browser or
//	                           google-chrome from PATH (or /usr/bin/chromium)
//	E2E_HEADFUL=1              show a browser window, to watch or debug a test
//	E2E_PARALLEL=n             how many tabs run at once (default 4)
//	E2E_BROWSER_LOG=1          forward the browser's own output to stderr
//	E2E_SERVER_LOG=1           log each request of the reference server
//	E2E_SOAK=1                 TestFaultSoak streams 1,000,000 events, not 100,000
//	                           (make soak)
//
// For example:
//
//	go test ./e2e -run 'TestScenarios/crlf' -v
//	go test ./e2e -run 'TestScenarios/.*/native' -update
//	E2E_HEADFUL=1 go test ./e2e -run TestRetryDelay/wasm -v
package e2e
