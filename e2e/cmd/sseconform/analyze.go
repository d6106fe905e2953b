package main

import (
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"
)

// Thresholds of the timing checks.
const (
	// lateHeadersMs: headers later than this suggest a server that waits
	// for its first event before it sends anything.
	lateHeadersMs = 1000
	// bufferedSpanMs: a body that took longer than this but whose bytes
	// all came at its end was held back.
	bufferedSpanMs = 500
	// burstMs: chunks this close to the end of the body count as "at the
	// end".
	burstMs = 50
)

// analyze finds the problems of a stream from what the fetch and the
// traces saw.
func analyze(rep *ServerReport) []Finding {
	var fs []Finding
	add := func(severity, code, format string, args ...any) {
		fs = append(fs, Finding{Severity: severity, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	resp, h := rep.Response, rep.Response.Header

	// Reaching the server at all.
	if resp.Status == 0 {
		why := resp.Error
		if resp.Blocked != "" {
			why = resp.Blocked
		}
		add("error", "unreachable", "no response: %s", why)
		return append(fs, traceFindings(rep)...)
	}
	if resp.Redirected && resp.FinalURL != "" {
		add("info", "redirect", "the request was redirected to %s; EventSource follows redirects, but reconnects to the first URL", resp.FinalURL)
	}

	// Status and type (HTML §9.2.3, "announce the connection" and "fail
	// the connection").
	switch {
	case resp.Status == 204:
		add("error", "status", "status 204 No Content: the server tells EventSource to stop, and it fails the connection for good without reconnecting")
	case resp.Status != 200:
		add("error", "status", "status %d %s: EventSource fails the connection on any status but 200, and does not reconnect", resp.Status, resp.StatusText)
	}
	ct, hasCT := h["content-type"]
	essence, params, err := mime.ParseMediaType(ct)
	switch {
	case resp.Status != 200:
	case !hasCT || ct == "":
		add("error", "content-type", "no Content-Type: EventSource needs text/event-stream and fails the connection")
	case err != nil && essence == "":
		add("error", "content-type", "Content-Type %q does not parse (%v): EventSource needs text/event-stream and fails the connection", ct, err)
	case !strings.EqualFold(essence, "text/event-stream"):
		add("error", "content-type", "Content-Type is %q, not text/event-stream: EventSource fails the connection", ct)
	default:
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			add("warning", "charset", "Content-Type says charset=%s, which EventSource ignores: an event stream is always decoded as UTF-8", cs)
		}
	}

	// accepted: EventSource announces the connection (HTML §9.2.3).
	accepted := resp.Status == 200 && hasCT && strings.EqualFold(essence, "text/event-stream")

	// Caching and buffering on the way.
	if cc := strings.ToLower(h["cache-control"]); !strings.Contains(cc, "no-cache") && !strings.Contains(cc, "no-store") {
		what := "no Cache-Control"
		if cc != "" {
			what = fmt.Sprintf("Cache-Control: %s", h["cache-control"])
		}
		add("warning", "cache-control", "%s: send Cache-Control: no-store (or no-cache), so that no cache or proxy keeps or replays the stream", what)
	}
	if ce := strings.ToLower(strings.TrimSpace(h["content-encoding"])); ce != "" && ce != "identity" {
		add("warning", "content-encoding", "Content-Encoding: %s: a compressor holds output back until its buffer fills, so the server must flush it after each event; compression of an event stream by a proxy often delays events", ce)
	}
	if xab, ok := h["x-accel-buffering"]; ok && strings.EqualFold(strings.TrimSpace(xab), "yes") {
		add("warning", "proxy-buffering", "X-Accel-Buffering: yes asks nginx to buffer the response: events wait until its buffer fills")
	} else if !ok {
		add("info", "proxy-buffering", "no X-Accel-Buffering: no; behind nginx the response is buffered unless this header or proxy_buffering off says otherwise")
	}
	if _, ok := h["content-length"]; ok && resp.Status == 200 {
		add("info", "content-length", "Content-Length: %s: the body has a fixed length, so the stream ends and EventSource reconnects after it", h["content-length"])
	}

	// CORS (Fetch, "CORS protocol"): the page that checks the stream runs
	// on another origin.
	if rep.CrossOrigin {
		acao, ok := h["access-control-allow-origin"]
		switch {
		case !ok:
			add("warning", "cors", "no Access-Control-Allow-Origin: a page on another origin (here %s) cannot read the stream; fine if only pages on %s open it", rep.PageOrigin, origin(rep.URL))
		case acao != "*" && acao != rep.PageOrigin:
			add("warning", "cors", "Access-Control-Allow-Origin: %s does not allow the page's origin %s", acao, rep.PageOrigin)
		}
		if resp.Blocked != "" && resp.Error != "" {
			add("info", "blocked", "the browser refused the response to the page: %s", resp.Blocked)
		}
	}

	// Timing: a server that flushes sends the headers at once and each
	// event as it happens.
	if resp.HeadersMs > lateHeadersMs {
		add("warning", "late-headers", "the headers came after %.0f ms: send and flush them at once, so that open fires and proxies do not time out while the server waits for its first event", resp.HeadersMs)
	}
	if n := len(resp.Chunks); n > 0 && resp.Ended && rep.Stream.Dispatched >= 2 {
		first := resp.Chunks[0].Ms
		switch {
		case resp.EndMs-resp.HeadersMs >= bufferedSpanMs && resp.EndMs-first <= burstMs:
			add("warning", "buffered", "all %d events came at once at the end of the body, %.0f ms after the headers: the server (or a proxy) buffers the stream instead of flushing each event", rep.Stream.Dispatched, resp.EndMs-resp.HeadersMs)
		case resp.HeadersMs >= bufferedSpanMs && resp.EndMs-resp.HeadersMs <= burstMs:
			add("warning", "buffered", "the headers and all %d events came at once, after %.0f ms: the server (or a proxy) sends the whole response when it is done instead of flushing each event", rep.Stream.Dispatched, resp.HeadersMs)
		}
	}
	if resp.ReadBy != "" && resp.BodyBytes == 0 && !resp.Ended && resp.EndMs-resp.HeadersMs >= 1000 {
		add("info", "no-data", "no byte of the body in %.0f ms: if the server has written events, it has not flushed them (or a proxy holds them); a comment line (\": ok\") at once and as a keep-alive helps", resp.EndMs-resp.HeadersMs)
	}
	if resp.Ended && accepted && resp.StoppedBy == "end" && rep.Stream.Dispatched < rep.MaxEvents {
		add("info", "ended", "the body ended after %.0f ms: EventSource reconnects after its reconnection time (a retry field, or about 3 s)", resp.EndMs)
	}

	// The bytes (HTML §9.2.5 and §9.2.6).
	st := rep.Stream
	if st.InvalidUTF8 > 0 {
		add("warning", "utf-8", "%d line(s) are not valid UTF-8: EventSource decodes them with U+FFFD in place of the bad bytes", st.InvalidUTF8)
	}
	for _, l := range st.Unknown {
		name, _, _ := strings.Cut(l.Text, ":")
		msg := fmt.Sprintf("line %d, %q: unknown field %q, which EventSource ignores", l.Line, l.Text, name)
		if s := suggestField(name); s != "" {
			msg += fmt.Sprintf(" (field names are case-sensitive and end at the colon: did you mean %q?)", s)
		}
		add("warning", "unknown-field", "%s", msg)
	}
	for _, l := range st.BadRetry {
		add("warning", "retry", "line %d, %q: a retry value must be ASCII digits only; EventSource ignores this one", l.Line, l.Text)
	}
	for _, l := range st.NulID {
		add("warning", "id-nul", "line %d, %q: an id containing U+0000 NULL is ignored, so the last event ID does not change", l.Line, l.Text)
	}
	if st.Incomplete {
		add("warning", "incomplete-event", "the body ends in the middle of an event, with no blank line after it: EventSource discards that event")
	}
	if resp.ReadBy != "" && resp.Status == 200 && st.Bytes > 0 && st.Dispatched == 0 && !st.Incomplete {
		add("info", "no-events", "%d bytes read, but no event in them (comments or fields without data only)", st.Bytes)
	}
	if r := rep.Resume; r != nil && r.Error == "" && r.Status == 200 && len(st.Events) > 0 {
		if first := st.Events[0].ID; r.FirstID != "" && r.FirstID == first && first != r.LastEventID {
			add("info", "resume", "a reconnection with Last-Event-ID: %s got the stream from its start again (id %s): the server does not resume after the last event a client saw", r.LastEventID, first)
		}
	}
	return append(fs, traceFindings(rep)...)
}

// traceFindings reports what the EventSource implementations did.
func traceFindings(rep *ServerReport) []Finding {
	var fs []Finding
	var native *ServerTrace
	for i := range rep.Traces {
		tr := &rep.Traces[i]
		if tr.Impl == "native" {
			native = tr
		}
		switch {
		case tr.Error != "":
			fs = append(fs, Finding{"error", "trace", fmt.Sprintf("%s: the trace failed: %s", tr.Impl, tr.Error)})
		case tr.Messages == 0 && tr.EndedBy == "closed":
			fs = append(fs, Finding{"info", "trace", fmt.Sprintf("%s failed the connection (error event with readyState CLOSED) before any message", tr.Impl)})
		case tr.Opens > 1:
			fs = append(fs, Finding{"info", "trace", fmt.Sprintf("%s opened the stream %d times: the connection ended or failed, and it reconnected", tr.Impl, tr.Opens)})
		}
		for _, p := range tr.Problems {
			fs = append(fs, Finding{"error", "trace", fmt.Sprintf("%s: %s", tr.Impl, p)})
		}
	}
	// A polyfill should see what the browser sees.
	if native != nil && native.Error == "" {
		for _, tr := range rep.Traces {
			if tr.Impl == "native" || tr.Error != "" {
				continue
			}
			if (native.Messages == 0) != (tr.Messages == 0) || (native.Opens == 0) != (tr.Opens == 0) {
				fs = append(fs, Finding{"warning", "impls-disagree", fmt.Sprintf(
					"native and %s disagree: native opened %d time(s) and got %d message(s), %s opened %d time(s) and got %d",
					tr.Impl, native.Opens, native.Messages, tr.Impl, tr.Opens, tr.Messages)})
			}
		}
	}
	return fs
}

// sortFindings puts errors first, then warnings, then the rest.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return severityRank(a.Severity) - severityRank(b.Severity) })
}

func severityRank(s string) int {
	switch s {
	case "error":
		return 0
	case "warning":
		return 1
	}
	return 2
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
