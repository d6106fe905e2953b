// Package e2e runs the scenarios of the reference server (server/scenario) in a
// real browser, once against the browser's native EventSource and once
// against WasmEventSource from dist/, and compares what a page sees with
// golden traces in testdata/*.golden. The package runs in one engine per
// go test process: Chromium, Firefox or WebKit (E2E_BROWSER), through
// e2e/internal/browser; make e2e runs it in each.
//
// The native EventSource is the oracle: go test ./e2e -update rewrites the
// golden files from the native runs only, and the wasm runs always compare.
// Review the changes to testdata/ in the diff before you commit them.
//
// Native Chromium is the oracle, whose traces the polyfill's must equal in
// every engine; Firefox's and WebKit's native traces have golden files of
// their own under testdata/<engine>/, and docs/engines.md is generated from
// all of them (TestEnginesTable).
//
// The tests need the browser and the built polyfill (make build). They fail,
// and never skip, when the browser is missing; the wasm subtests fail when
// dist/eventsource-wasm.js is missing.
//
// Settings come from the environment:
//
//	E2E_BROWSER=engine         chromium (the default), firefox or webkit
//	CHROMIUM=/path/to/chrome   the browser; else chromium, chromium-browser or
//	                           google-chrome from PATH (or /usr/bin/chromium)
//	FIREFOX=/path/to/firefox   else firefox-esr or firefox from PATH
//	WEBKIT_DRIVER=/path        else WebKitWebDriver from PATH
//	MINIBROWSER=/path          else WebKitGTK's MiniBrowser under /usr/lib
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
//	E2E_BROWSER=firefox go test ./e2e -run 'TestScenarios|TestWPT' -update
//	E2E_HEADFUL=1 go test ./e2e -run TestRetryDelay/wasm -v
package e2e
