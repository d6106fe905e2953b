// Package web holds the pages that the reference server (server/refserver)
// serves at /: the demos, the trace harness of the e2e tests and the
// conformance page.
//
// Most of it is read from disk by the server. This package embeds the few
// files that a command installed with `go install` needs wherever it runs,
// with no checkout of the repository beside it: the trace harness, which
// e2e/cmd/sseconform drives.
package web

import "embed"

// Harness holds harness.html and trace.js, the page that records the trace
// of one EventSource implementation through one stream (see trace.js).
//
//go:embed harness.html trace.js
var Harness embed.FS
