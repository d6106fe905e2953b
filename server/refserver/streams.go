package refserver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// echoKeepalive is how often /sse/echo sends a comment to keep the
// connection from idling out ("Legacy proxy servers are known to, in
// certain cases, drop HTTP connections after a short timeout", HTML §9.2.7).
const echoKeepalive = 15 * time.Second

// An echoReport is the data of the first event of /sse/echo.
type echoReport struct {
	Method         string            `json:"method"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	LastEventID    string            `json:"lastEventId"`
	HasLastEventID bool              `json:"hasLastEventId"`
	Cookies        []string          `json:"cookies"`
}

// echo answers with an event of type "request" describing the request,
// then holds the connection open with a keepalive comment every 15 s. It
// records the request when the query names a session.
func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		http.Error(w, "refserver: echo answers GET and POST", http.StatusMethodNotAllowed)
		return
	}
	rec := s.record(r, "")
	var err error
	defer func() { s.finish(rec, r, err) }()

	report := echoReport{
		Method:         r.Method,
		Headers:        rec.Header,
		Body:           rec.Body,
		LastEventID:    rec.LastEventID,
		HasLastEventID: rec.HasLastEventID,
		Cookies:        []string{},
	}
	for _, c := range r.Cookies() {
		report.Cookies = append(report.Cookies, c.Name)
	}
	// JSON escapes CR and LF inside strings, so the report fits on one
	// data line.
	data, err := json.Marshal(report)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	if _, err = fmt.Fprintf(out, "event: request\ndata: %s\n\n", data); err != nil {
		return
	}
	if err = out.flush(); err != nil {
		return
	}
	tick := time.NewTicker(echoKeepalive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			err = r.Context().Err()
			return
		case <-tick.C:
		}
		if _, err = out.Write([]byte(": keepalive\n\n")); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
	}
}

// counter plays a resumable numbered stream: after the number in the
// request's Last-Event-ID (absent or not a number: 0) it sends "id: k" and
// "data: k" for the next k, at most per of them on this connection, then
// ends the body so that the client reconnects. Once k would exceed total it
// answers 204 No Content, which ends the stream for good (HTML §9.2.3).
// With retry it first sets the reconnection time; with gap it waits that
// many milliseconds before each event. With idparam=NAME it resumes after
// the query parameter NAME instead of Last-Event-ID, as servers built for
// clients that send the last event ID in the URL do (WasmEventSource's
// lastEventIdQueryParameter); the header is then ignored.
func (s *Server) counter(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	total, err1 := intParam(q, "total", 100, 0, 1<<40)
	per, err2 := intParam(q, "per", 10, 1, 1<<40)
	retry, err3 := intParam(q, "retry", -1, 0, 1<<40)
	gap, err4 := intParam(q, "gap", 0, 0, 60_000)
	if err := firstError(err1, err2, err3, err4); err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := s.record(r, "")
	var err error
	defer func() { s.finish(rec, r, err) }()

	start := resumePoint(r)
	if name := q.Get("idparam"); name != "" {
		start = parseResumePoint(q.Get(name))
	}
	if start >= total {
		s.sessions.wroteHeader(rec, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	if retry >= 0 {
		if _, err = fmt.Fprintf(out, "retry: %d\n", retry); err != nil {
			return
		}
	}
	for k := start + 1; k <= min(start+per, total); k++ {
		if err = wait(r.Context(), time.Duration(gap)*time.Millisecond); err != nil {
			return
		}
		if _, err = fmt.Fprintf(out, "id: %d\ndata: %d\n\n", k, k); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
	}
}

// Limits of /sse/bench, so that one request cannot run for ever.
const (
	maxBenchEvents = 10_000_000
	maxBenchSize   = 16 << 20
	benchBuffer    = 32 << 10
)

// bench sends n events of size bytes of ASCII data each. By default it
// writes them as fast as it can, gathered into writes of about 32 KiB, for
// throughput. With ts=1 each event's data starts with the server's Unix time
// in milliseconds (with microseconds) and a space, and events are written
// and flushed one at a time, gap milliseconds apart, for latency.
func (s *Server) bench(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err1 := intParam(q, "n", 1000, 0, maxBenchEvents)
	size, err2 := intParam(q, "size", 64, 0, maxBenchSize)
	gap, err3 := intParam(q, "gap", 0, 0, 60_000)
	if err := firstError(err1, err2, err3); err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	timestamps := q.Get("ts") == "1"
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	ctx := r.Context()
	if timestamps {
		fill := asciiPattern(size)
		for range n {
			if err := wait(ctx, time.Duration(gap)*time.Millisecond); err != nil {
				return
			}
			now := s.now().UnixMicro()
			stamp := fmt.Sprintf("%d.%03d ", now/1000, now%1000)
			event := "data: " + stamp + fill[:max(0, size-int64(len(stamp)))] + "\n\n"
			if _, err := out.Write([]byte(event)); err != nil {
				return
			}
			if err := out.flush(); err != nil {
				return
			}
		}
		return
	}
	event := []byte("data: " + asciiPattern(size) + "\n\n")
	out.flushWrites = true
	buf := bufio.NewWriterSize(out, benchBuffer)
	for range n {
		if _, err := buf.Write(event); err != nil {
			return
		}
	}
	buf.Flush()
}

// clock is the demo page's stream: every interval (default 1 s) an event
// with an id counting up from the request's Last-Event-ID, every fifth of
// type "tick", with a heartbeat comment half-way between events. It first
// sets the reconnection time to 2 s.
func (s *Server) clock(w http.ResponseWriter, r *http.Request) {
	interval, err := intParam(r.URL.Query(), "interval", 1000, 10, 60_000)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	half := time.Duration(interval) * time.Millisecond / 2
	n := resumePoint(r)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	if _, err := out.Write([]byte("retry: 2000\n\n")); err != nil {
		return
	}
	ctx := r.Context()
	for {
		n++
		data, _ := json.Marshal(struct {
			N    int64  `json:"n"`
			Time string `json:"time"`
		}{n, s.now().UTC().Format(time.RFC3339)})
		var event strings.Builder
		fmt.Fprintf(&event, "id: %d\n", n)
		if n%5 == 0 {
			event.WriteString("event: tick\n")
		}
		fmt.Fprintf(&event, "data: %s\n\n", data)
		for _, part := range []string{event.String(), ": heartbeat\n\n"} {
			if _, err := out.Write([]byte(part)); err != nil {
				return
			}
			if err := out.flush(); err != nil {
				return
			}
			if err := wait(ctx, half); err != nil {
				return
			}
		}
	}
}

// record returns the record of r, kept in the session its query names, if
// any.
func (s *Server) record(r *http.Request, scenarioName string) *requestRecord {
	rec := newRequestRecord(r, s.now())
	if id := r.URL.Query().Get("session"); id != "" {
		s.sessions.start(id, scenarioName, rec)
	}
	return rec
}

// finish ends the record of a request: aborted when writing failed or the
// client went away.
func (s *Server) finish(rec *requestRecord, r *http.Request, err error) {
	s.sessions.finish(rec, s.now(), err != nil || r.Context().Err() != nil)
}

// intParam returns the query parameter name as an integer in [lo, hi], or
// def when it is absent.
// resumePoint is the number of the last event a client of a numbered
// stream has seen: its Last-Event-ID when that is a non-negative decimal
// integer, else 0, so that the stream starts from the beginning.
func resumePoint(r *http.Request) int64 {
	return parseResumePoint(r.Header.Get("Last-Event-ID"))
}

// parseResumePoint is resumePoint of a last event ID, wherever it came from.
func parseResumePoint(id string) int64 {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func intParam(q url.Values, name string, def, lo, hi int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// asciiPattern returns n printable ASCII bytes that make truncation easy to
// spot.
func asciiPattern(n int64) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return strings.Repeat(alphabet, int(n)/len(alphabet)+1)[:n]
}
