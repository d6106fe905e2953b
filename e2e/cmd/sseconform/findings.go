package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The severities of a finding of -server, from the worst. An error fails
// the run (exit status 1): events do not arrive, arrive late, or arrive
// twice or never across a reconnection. A warning may be deliberate (no
// CORS headers for pages on other origins, no Cache-Control). A note says
// what the server cannot do (resume without ids). Info is for the record.
const (
	sevError   = "error"
	sevWarning = "warning"
	sevNote    = "note"
	sevInfo    = "info"
)

var severities = []string{sevError, sevWarning, sevNote, sevInfo}

// A check is one kind of finding: its stable id, its severity, what it
// means and one sentence on how to fix it for the common servers.
type check struct {
	ID       string
	Severity string
	What     string
	Fix      string
}

// checks is the one table of the findings of -server and their
// severities; README.md's table is checked against it (TestSeverityTable).
var checks = []check{
	{"unreachable", sevError, "no response at all: the connection failed",
		"Check the URL, and that the server listens there and that nothing on the way refuses the connection."},
	{"status", sevError, "a status other than 200, on which EventSource fails the connection for good",
		"Answer the event stream with 200 OK; 204 only to tell a client to stop."},
	{"content-type", sevError, "a Content-Type other than text/event-stream, on which EventSource fails the connection",
		"Send Content-Type: text/event-stream."},
	{"no-event", sevError, "no event reached the page in the window, nor a direct request without compression",
		"Flush the headers at once and each event as it is written (Go: http.Flusher or http.NewResponseController(w).Flush; Node: res.flushHeaders() and res.flush()), or lengthen -duration if the stream is quiet."},
	{"held-back", sevError, "events reached the page later than they were sent: a compressor, a proxy or a missing flush holds them back",
		"Flush every layer after each event: the compressor too (gzip.Writer.Flush, res.flush() with Express's compression), or leave text/event-stream uncompressed; behind nginx send X-Accel-Buffering: no."},
	{"duplicate-on-resume", sevError, "a reconnection with Last-Event-ID repeats events the client already had",
		"Resume after the event whose id is Last-Event-ID, not at it (r3labs/sse replays from the id equal to it: compare with > rather than >=)."},
	{"lost-on-resume", sevError, "a reconnection with Last-Event-ID misses events published while the client was away",
		"Keep a history and replay the events after Last-Event-ID (tmaxmax/go-sse: give the Joe a Replayer, e.g. sse.NewFiniteReplayer)."},
	{"bursts", sevWarning, "events arrive several at once after long silences, as from a buffer that fills: maybe held back",
		"Flush after each event (a buffer that is only written out when full delivers events in bursts); ignore this if the server sends events in batches on purpose."},
	{"trace", sevError, "an EventSource implementation could not run on the stream, or broke an API rule",
		"See the problem: it is the implementation's, or the page could not load."},
	{"cors", sevWarning, "the page on another origin may not read the stream (checked only with -page-origin local)",
		"Send Access-Control-Allow-Origin with the page's origin (and Access-Control-Allow-Credentials: true for withCredentials), if pages on other origins are to read the stream."},
	{"cache-control", sevWarning, "no Cache-Control: no-store or no-cache",
		"Send Cache-Control: no-store, so that no cache or proxy keeps or replays the stream."},
	{"charset", sevWarning, "a charset other than UTF-8, which EventSource ignores",
		"Send text/event-stream without a charset, or with charset=utf-8, and encode in UTF-8."},
	{"proxy-buffering", sevWarning, "X-Accel-Buffering: yes, which asks nginx to buffer the response",
		"Send X-Accel-Buffering: no (or nothing), or set proxy_buffering off for this location."},
	{"late-headers", sevWarning, "the headers came more than a second after the request",
		"Send and flush the headers at once, before the first event is ready."},
	{"utf-8", sevWarning, "lines that are not valid UTF-8", "Encode the stream in UTF-8."},
	{"unknown-field", sevWarning, "field names that EventSource ignores",
		"Use the fields event, data, id and retry, lower case, followed by a colon."},
	{"retry", sevWarning, "retry values that are not ASCII digits only", "Send retry in milliseconds, digits only."},
	{"id-nul", sevWarning, "ids with U+0000 NULL, which EventSource ignores", "Leave U+0000 out of ids."},
	{"incomplete-event", sevWarning, "the body ends in the middle of an event, which EventSource discards",
		"End every event with a blank line before the body ends."},
	{"impls-disagree", sevWarning, "the native EventSource and a polyfill saw the stream differently",
		"Compare the traces: one of them is wrong for this server."},
	{"no-ids", sevNote, "events without ids: a client that reconnects cannot say what it had",
		"Give each event an id and resume after Last-Event-ID, if clients must not lose events across reconnections."},
	{"resume-unchecked", sevNote, "resumption could not be measured", "See the evidence: lengthen -duration if the stream is slow."},
	{"redirect", sevInfo, "the request was redirected", "Point clients at the final URL: EventSource reconnects to the first."},
	{"content-encoding", sevInfo, "the stream is compressed, and flushed: events arrived as promptly as without compression", ""},
	{"proxy-buffering-unset", sevInfo, "no X-Accel-Buffering: no", "Behind nginx, send X-Accel-Buffering: no or set proxy_buffering off."},
	{"content-length", sevInfo, "a Content-Length: the body ends, and EventSource reconnects after it", ""},
	{"ended", sevInfo, "the body ended within the window: EventSource reconnects after its reconnection time", ""},
	{"blocked", sevInfo, "why the browser refused the response to the page", ""},
	{"reconnected", sevInfo, "an implementation reconnected, or failed the connection before any message", ""},
}

// checkByID returns the check with the given id; an unknown id is a bug.
func checkByID(id string) check {
	i := slices.IndexFunc(checks, func(c check) bool { return c.ID == id })
	if i < 0 {
		panic("sseconform: no check " + id)
	}
	return checks[i]
}

// A Finding is one problem or remark about the stream: the check it
// comes from, with that check's severity and fix, what was seen, and the
// evidence (times, ids, bytes) by name.
type Finding struct {
	ID       string            `json:"id"`
	Severity string            `json:"severity"`
	Message  string            `json:"message"`
	Evidence map[string]string `json:"evidence,omitempty"`
	Fix      string            `json:"fix,omitempty"`
}

// newFinding makes a finding of the check id.
func newFinding(id string, evidence map[string]string, format string, args ...any) Finding {
	c := checkByID(id)
	return Finding{ID: id, Severity: c.Severity, Message: fmt.Sprintf(format, args...), Evidence: evidence, Fix: c.Fix}
}

// evidenceText is the evidence of f as "name=value" pairs, by name.
func evidenceText(f Finding) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f.Evidence)) {
		parts = append(parts, k+"="+f.Evidence[k])
	}
	return strings.Join(parts, " ")
}

// severityTable is the table of checks as README.md has it.
func severityTable() string {
	var b strings.Builder
	b.WriteString("| id | severity | what it means | how to fix it |\n|---|---|---|---|\n")
	for _, c := range checks {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.ID, strings.ToUpper(c.Severity), c.What, c.Fix)
	}
	return b.String()
}

// sortFindings puts the findings in order of severity, worst first.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return severityRank(a.Severity) - severityRank(b.Severity) })
}

func severityRank(s string) int {
	if i := slices.Index(severities, s); i >= 0 {
		return i
	}
	return len(severities)
}

// ms formats milliseconds as evidence.
func ms(v float64) string { return fmt.Sprintf("%.0f ms", v) }

// idList formats at most 10 ids as evidence.
func idList(ids []string) string {
	if len(ids) > 10 {
		return strings.Join(ids[:10], ",") + fmt.Sprintf(",… (%d in all)", len(ids))
	}
	return strings.Join(ids, ",")
}
