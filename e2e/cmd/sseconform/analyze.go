package main

import (
	"fmt"
	"math"
	"mime"
	"net/url"
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

// heldBackMs: an event that reaches the page this much later than it
// reaches sseconform's own uncompressed request was held back.
const heldBackMs = 1000

// analyze finds the problems of a stream from what the fetch, the direct
// requests and the traces saw. Each finding comes from a check of the
// table in findings.go, which gives its severity and fix.
func analyze(rep *ServerReport) []Finding {
	var fs []Finding
	add := func(id string, evidence map[string]string, format string, args ...any) {
		fs = append(fs, newFinding(id, evidence, format, args...))
	}
	resp, h, d := rep.Response, rep.Response.Header, rep.Direct

	// Reaching the server at all.
	if resp.Status == 0 {
		if resp.TimedOut || (d != nil && strings.HasPrefix(d.Error, "no response headers")) {
			add("no-event", map[string]string{"window": rep.Duration, "headers": "none", "bytes": "0"},
				"the connection is open, but no response headers came in %s, nor any byte: the server has not flushed anything", rep.Duration)
		} else {
			why := resp.Error
			if resp.Blocked != "" {
				why = resp.Blocked
			}
			if why == "" && d != nil {
				why = d.Error
			}
			add("unreachable", map[string]string{"error": why}, "no response: %s", why)
		}
		return append(fs, traceFindings(rep)...)
	}
	if resp.Redirected && resp.FinalURL != "" {
		add("redirect", map[string]string{"finalUrl": resp.FinalURL}, "the request was redirected to %s; EventSource follows redirects, but reconnects to the first URL", resp.FinalURL)
	}

	// Status and type (HTML §9.2.3, "announce the connection" and "fail
	// the connection").
	status := map[string]string{"status": fmt.Sprintf("%d %s", resp.Status, resp.StatusText)}
	switch {
	case resp.Status == 204:
		add("status", status, "status 204 No Content: the server tells EventSource to stop, and it fails the connection for good without reconnecting")
	case resp.Status != 200:
		add("status", status, "status %d %s: EventSource fails the connection on any status but 200, and does not reconnect", resp.Status, resp.StatusText)
	}
	ct, hasCT := h["content-type"]
	essence, params, err := mime.ParseMediaType(ct)
	ctEvidence := map[string]string{"contentType": ct}
	switch {
	case resp.Status != 200:
	case !hasCT || ct == "":
		add("content-type", map[string]string{"contentType": "none"}, "no Content-Type: EventSource needs text/event-stream and fails the connection")
	case err != nil && essence == "":
		add("content-type", ctEvidence, "Content-Type %q does not parse (%v): EventSource needs text/event-stream and fails the connection", ct, err)
	case !strings.EqualFold(essence, "text/event-stream"):
		add("content-type", ctEvidence, "Content-Type is %q, not text/event-stream: EventSource fails the connection", ct)
	default:
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			add("charset", ctEvidence, "Content-Type says charset=%s, which EventSource ignores: an event stream is always decoded as UTF-8", cs)
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
		add("cache-control", map[string]string{"cacheControl": orNone(h["cache-control"])}, "%s: a cache or proxy may keep or replay the stream", what)
	}
	if xab, ok := h["x-accel-buffering"]; ok && strings.EqualFold(strings.TrimSpace(xab), "yes") {
		add("proxy-buffering", map[string]string{"xAccelBuffering": xab}, "X-Accel-Buffering: yes asks nginx to buffer the response: events wait until its buffer fills")
	} else if !ok {
		add("proxy-buffering-unset", nil, "no X-Accel-Buffering: no; behind nginx the response is buffered unless this header or proxy_buffering off says otherwise")
	}
	if _, ok := h["content-length"]; ok && resp.Status == 200 {
		add("content-length", map[string]string{"contentLength": h["content-length"]}, "Content-Length: %s: the body has a fixed length, so the stream ends and EventSource reconnects after it", h["content-length"])
	}

	// CORS (Fetch, "CORS protocol"), only for a page on another origin
	// (-page-origin local): a page on the stream's own origin needs none.
	if rep.CrossOrigin {
		acao, ok := h["access-control-allow-origin"]
		switch {
		case !ok:
			add("cors", map[string]string{"pageOrigin": rep.PageOrigin, "accessControlAllowOrigin": "none"},
				"no Access-Control-Allow-Origin: a page on another origin (here %s) cannot read the stream; fine if only pages on %s open it", rep.PageOrigin, origin(rep.URL))
		case acao != "*" && acao != rep.PageOrigin:
			add("cors", map[string]string{"pageOrigin": rep.PageOrigin, "accessControlAllowOrigin": acao},
				"Access-Control-Allow-Origin: %s does not allow the page's origin %s", acao, rep.PageOrigin)
		}
		if resp.Blocked != "" && resp.Error != "" {
			add("blocked", map[string]string{"blocked": resp.Blocked}, "the browser refused the response to the page: %s", resp.Blocked)
		}
	}

	if resp.HeadersMs > lateHeadersMs {
		add("late-headers", map[string]string{"headers": ms(resp.HeadersMs)}, "the headers came after %.0f ms: open fires late, and proxies may time out while the server waits for its first event", resp.HeadersMs)
	}
	if accepted {
		fs = append(fs, deliveryFindings(rep)...)
	}
	if resp.Ended && accepted && resp.StoppedBy == "end" && rep.Stream.Dispatched < rep.MaxEvents {
		add("ended", map[string]string{"end": ms(resp.EndMs)}, "the body ended after %.0f ms: EventSource reconnects after its reconnection time (a retry field, or about 3 s)", resp.EndMs)
	}

	// The bytes (HTML §9.2.5 and §9.2.6).
	st := rep.Stream
	if st.InvalidUTF8 > 0 {
		add("utf-8", map[string]string{"lines": fmt.Sprint(st.InvalidUTF8)}, "%d line(s) are not valid UTF-8: EventSource decodes them with U+FFFD in place of the bad bytes", st.InvalidUTF8)
	}
	for _, l := range st.Unknown {
		name, _, _ := strings.Cut(l.Text, ":")
		msg := fmt.Sprintf("line %d, %q: unknown field %q, which EventSource ignores", l.Line, l.Text, name)
		if s := suggestField(name); s != "" {
			msg += fmt.Sprintf(" (field names are case-sensitive and end at the colon: did you mean %q?)", s)
		}
		add("unknown-field", map[string]string{"line": fmt.Sprint(l.Line), "text": l.Text}, "%s", msg)
	}
	for _, l := range st.BadRetry {
		add("retry", map[string]string{"line": fmt.Sprint(l.Line), "text": l.Text}, "line %d, %q: a retry value must be ASCII digits only; EventSource ignores this one", l.Line, l.Text)
	}
	for _, l := range st.NulID {
		add("id-nul", map[string]string{"line": fmt.Sprint(l.Line), "text": l.Text}, "line %d, %q: an id containing U+0000 NULL is ignored, so the last event ID does not change", l.Line, l.Text)
	}
	if st.Incomplete {
		add("incomplete-event", map[string]string{"bytes": fmt.Sprint(st.Bytes)}, "the body ends in the middle of an event, with no blank line after it: EventSource discards that event")
	}

	// Resumption (HTML §9.2.3 and §9.2.6: the last event ID buffer, and
	// Last-Event-ID on reconnection).
	if accepted && st.Dispatched > 0 && st.IDs == 0 && (d == nil || d.IDFields == 0) {
		add("no-ids", map[string]string{"events": fmt.Sprint(st.Dispatched), "ids": "0"},
			"none of the %d events has an id: a client that reconnects cannot say which it had, so events sent while it is away are lost to it", st.Dispatched)
	}
	fs = append(fs, resumeFindings(rep.Resume)...)
	return append(fs, traceFindings(rep)...)
}

// deliveryFindings checks that events arrive, and arrive when they are
// sent: the page's fetch against sseconform's own request without
// compression, made at the same time, and the times of the page's chunks.
func deliveryFindings(rep *ServerReport) []Finding {
	var fs []Finding
	add := func(id string, evidence map[string]string, format string, args ...any) {
		fs = append(fs, newFinding(id, evidence, format, args...))
	}
	resp, d := rep.Response, rep.Direct
	encoding := orNone(resp.Header["content-encoding"])
	pageRead := resp.ReadBy == "page"
	var direct []timedEvent
	if d != nil {
		direct = d.Events
	}
	switch {
	case pageRead && len(resp.Events) == 0 && len(direct) > 0:
		add("held-back", map[string]string{
			"pageEvents": "0", "pageBytes": fmt.Sprint(resp.BodyBytes), "pageWindow": ms(resp.EndMs),
			"contentEncoding": encoding, "directEvents": fmt.Sprint(len(direct)),
			"directFirstEvent": ms(direct[0].Ms), "directContentEncoding": orNone(d.Encoding),
		}, "no event reached the page in %.0f ms (%d bytes, Content-Encoding: %s), while a request without compression got %d, the first after %.0f ms: the events are held back on the way to the browser",
			resp.EndMs, resp.BodyBytes, encoding, len(direct), direct[0].Ms)
		return fs
	case (!pageRead || len(resp.Events) == 0) && len(direct) == 0 && rep.Stream.Dispatched == 0:
		ev := map[string]string{"window": rep.Duration, "headers": ms(resp.HeadersMs), "pageBytes": fmt.Sprint(resp.BodyBytes)}
		if d != nil {
			ev["directBytes"] = fmt.Sprint(d.Bytes)
		}
		add("no-event", ev, "no event in %s, to the page (%d bytes) or to a request without compression: if the server has written events, it has not flushed them", rep.Duration, resp.BodyBytes)
		return fs
	}
	if pageRead && len(resp.Events) > 0 && len(direct) > 0 {
		lag, p, q := worstLag(resp.Events, direct)
		if lag > heldBackMs {
			add("held-back", map[string]string{
				"event": eventName(p), "sent": ms(q.Ms), "received": ms(p.Ms), "lag": ms(lag),
				"contentEncoding": encoding, "directContentEncoding": orNone(d.Encoding),
			}, "event %s reached a request without compression after %.0f ms and the page after %.0f ms, %.0f ms later (Content-Encoding: %s): the events are held back on the way to the browser",
				eventName(p), q.Ms, p.Ms, lag, encoding)
			return fs
		}
		if encoding != "none" && encoding != "identity" {
			add("content-encoding", map[string]string{"contentEncoding": encoding, "worstLag": ms(max(lag, 0))},
				"Content-Encoding: %s, and each event reached the page within %.0f ms of a request without compression: the compressor is flushed", encoding, max(lag, 0))
		}
	}
	if pageRead {
		if f, ok := burstFinding(resp); ok {
			fs = append(fs, f)
			return fs
		}
	}
	// A body that ended with every event at once at its end, long after
	// the headers, was written and held until the handler returned.
	if n := len(resp.Chunks); n > 0 && resp.Ended && rep.Stream.Dispatched >= 2 {
		first := resp.Chunks[0].Ms
		ev := map[string]string{"events": fmt.Sprint(rep.Stream.Dispatched), "headers": ms(resp.HeadersMs), "firstByte": ms(first), "end": ms(resp.EndMs)}
		switch {
		case resp.EndMs-resp.HeadersMs >= bufferedSpanMs && resp.EndMs-first <= burstMs:
			add("held-back", ev, "all %d events came at once at the end of the body, %.0f ms after the headers: the server (or a proxy) buffers the stream instead of flushing each event", rep.Stream.Dispatched, resp.EndMs-resp.HeadersMs)
		case resp.HeadersMs >= bufferedSpanMs && resp.EndMs-resp.HeadersMs <= burstMs:
			add("held-back", ev, "the headers and all %d events came at once, after %.0f ms: the server (or a proxy) sends the whole response when it is done instead of flushing each event", rep.Stream.Dispatched, resp.HeadersMs)
		}
	}
	return fs
}

// Thresholds of the burst check: a burst is burstEvents or more events
// that arrive within burstJoinMs of each other after a silence of
// burstGapMs; a stream whose events, after the first group, come mostly in
// two or more bursts looks buffered.
const (
	burstEvents = 3
	burstJoinMs = 20
	burstGapMs  = 250
)

// burstFinding looks for events that reach the page in bursts after
// silences, which is how a buffer that is written out only when full
// delivers them, even when the direct request sees the same (the buffer is
// the server's own). The first group is left out: a server may send a
// backlog at once when a client connects.
func burstFinding(resp Response) (Finding, bool) {
	type group struct {
		last, gap float64
		n         int
	}
	var groups []group
	prev := resp.HeadersMs
	for _, e := range resp.Events {
		if n := len(groups); n > 0 && e.Ms-groups[n-1].last <= burstJoinMs {
			groups[n-1].n++
			groups[n-1].last = e.Ms
			continue
		}
		groups = append(groups, group{last: e.Ms, gap: e.Ms - prev, n: 1})
		prev = e.Ms
	}
	if len(groups) < 3 {
		return Finding{}, false
	}
	var sizes, gaps []string
	inBursts, rest := 0, 0
	for _, g := range groups[1:] {
		rest += g.n
		if g.n >= burstEvents && g.gap >= burstGapMs {
			sizes = append(sizes, fmt.Sprint(g.n))
			gaps = append(gaps, ms(g.gap))
			inBursts += g.n
		}
	}
	if len(sizes) < 2 || inBursts*4 < rest*3 {
		return Finding{}, false
	}
	return newFinding("bursts", map[string]string{
		"events": fmt.Sprint(len(resp.Events)), "bursts": fmt.Sprint(len(sizes)),
		"burstSizes": strings.Join(sizes, ","), "silencesBefore": strings.Join(gaps, ","),
	}, "after the first, %d of %d events reached the page in %d bursts (%s events at once), each after a silence (%s): a buffer that is written out only when it fills delivers events so",
		inBursts, rest, len(sizes), strings.Join(sizes, ", "), strings.Join(gaps, ", ")), true
}

// worstLag matches the events of the page with those of the direct
// request (by id, else by data, else in order) and returns the largest
// delay of an event to the page, with that event on either side.
func worstLag(page, direct []timedEvent) (lag float64, p, q timedEvent) {
	key := func(e timedEvent) string {
		if e.ID != "" {
			return "id:" + e.ID
		}
		return "data:" + e.Data
	}
	used := make([]bool, len(direct))
	matched := 0
	lag = math.Inf(-1)
	for _, pe := range page {
		for j, qe := range direct {
			if !used[j] && key(qe) == key(pe) {
				used[j] = true
				matched++
				if l := pe.Ms - qe.Ms; l > lag {
					lag, p, q = l, pe, qe
				}
				break
			}
		}
	}
	if matched == 0 {
		// Each connection has events of its own: compare in order.
		for k := range min(len(page), len(direct)) {
			if l := page[k].Ms - direct[k].Ms; l > lag {
				lag, p, q = l, page[k], direct[k]
			}
		}
	}
	return lag, p, q
}

func eventName(e timedEvent) string {
	if e.ID != "" {
		return "id " + e.ID
	}
	return fmt.Sprintf("%q", e.Data)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}

// resumeFindings reports what the reconnection with Last-Event-ID got.
func resumeFindings(r *Resume) []Finding {
	if r == nil {
		return nil
	}
	var fs []Finding
	first := ""
	if r.Reconnection != nil {
		first = idList(firstIDs(r.Reconnection, 5))
	}
	if len(r.Repeated) > 0 {
		fs = append(fs, newFinding("duplicate-on-resume", map[string]string{
			"lastEventId": r.LastEventID, "before": idList(r.Before), "repeated": idList(r.Repeated), "reconnectionFirstIds": first,
		}, "a reconnection with Last-Event-ID: %s got again event(s) %s, which the client already had: it sees them twice",
			r.LastEventID, idList(r.Repeated)))
	}
	if len(r.Lost) > 0 {
		fs = append(fs, newFinding("lost-on-resume", map[string]string{
			"lastEventId": r.LastEventID, "away": ms(r.AwayMs), "publishedWhileAway": idList(r.Published),
			"lost": idList(r.Lost), "reconnectionFirstIds": first,
		}, "while the client was away for %.0f ms, a client that stayed connected got %s; the reconnection with Last-Event-ID: %s began with %s and never brought %s: they are lost",
			r.AwayMs, idList(r.Published), r.LastEventID, orNone(first), idList(r.Lost)))
	}
	if r.Unchecked != "" {
		fs = append(fs, newFinding("resume-unchecked", map[string]string{"lastEventId": r.LastEventID, "reason": r.Unchecked},
			"resumption was not measured: %s", r.Unchecked))
	}
	return fs
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
		ev := map[string]string{"impl": tr.Impl, "opens": fmt.Sprint(tr.Opens), "messages": fmt.Sprint(tr.Messages), "errors": fmt.Sprint(tr.Errors)}
		switch {
		case tr.Error != "":
			fs = append(fs, newFinding("trace", map[string]string{"impl": tr.Impl, "error": tr.Error}, "%s: the trace failed: %s", tr.Impl, tr.Error))
		case tr.Messages == 0 && tr.EndedBy == "closed":
			fs = append(fs, newFinding("reconnected", ev, "%s failed the connection (error event with readyState CLOSED) before any message", tr.Impl))
		case tr.Opens > 1:
			fs = append(fs, newFinding("reconnected", ev, "%s opened the stream %d times: the connection ended or failed, and it reconnected", tr.Impl, tr.Opens))
		}
		for _, p := range tr.Problems {
			fs = append(fs, newFinding("trace", map[string]string{"impl": tr.Impl, "problem": p}, "%s: %s", tr.Impl, p))
		}
	}
	// A polyfill should see what the browser sees.
	if native != nil && native.Error == "" {
		for _, tr := range rep.Traces {
			if tr.Impl == "native" || tr.Error != "" {
				continue
			}
			if (native.Messages == 0) != (tr.Messages == 0) || (native.Opens == 0) != (tr.Opens == 0) {
				fs = append(fs, newFinding("impls-disagree", map[string]string{
					"nativeOpens": fmt.Sprint(native.Opens), "nativeMessages": fmt.Sprint(native.Messages),
					"impl": tr.Impl, "opens": fmt.Sprint(tr.Opens), "messages": fmt.Sprint(tr.Messages),
				}, "native and %s disagree: native opened %d time(s) and got %d message(s), %s opened %d time(s) and got %d",
					tr.Impl, native.Opens, native.Messages, tr.Impl, tr.Opens, tr.Messages))
			}
		}
	}
	return fs
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
