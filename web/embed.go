// Package web holds the pages that the reference server (server/refserver)
// serves at /: the demos, the trace harness of the e2e tests and the
// conformance page.
//
// Most of it is read from disk by the server. This package embeds the few
// files that a command installed with `go install` needs wherever it runs,
// with no checkout of the repository beside it: the trace harness, which
// e2e/cmd/sseconform drives, and the conformance page, which it serves.
package web

import "embed"

// Conformance holds harness.html and trace.js, the page that records the
// trace of one EventSource implementation through one stream (see
// trace.js), and conformance.html with its script and style, which runs
// the scenario catalogue in frames of the harness.
//
//go:embed harness.html trace.js conformance.html conformance.js conformance.css
var Conformance embed.FS
