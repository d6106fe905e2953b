package refserver

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The routes under /wpt/resources/ behave as the request handlers that the
// web-platform-tests eventsource/ directory uses (its resources/*.py and
// common/redirect.py), so that e2e/wpt_test.go can run the WPT cases,
// re-expressed, against native EventSource and WasmEventSource alike. The
// pages that run them are web/wpt/*.html, beside these routes, so that the
// cases' relative URLs ("resources/message") resolve as they do in WPT.
//
//	GET /wpt/resources/message?mime=M&message=S&newline=none&sleep=MS
//	    S (default "data: data"), then "\n\n" unless newline=none, then "\n",
//	    as Content-Type M (default text/event-stream), after MS ms
//	GET /wpt/resources/message2
//	    a never-ending stream that repeats a mix of fields every 2 s
//	GET /wpt/resources/last-event-id?idvalue=V
//	    "data: <Last-Event-ID>" when the request has one; else an event
//	    with id V (default U+2026) and retry 200
//	GET /wpt/resources/last-event-id2?type=1|2|3
//	    an id that persists, changes and persists, or resets
//	GET /wpt/resources/status-reconnect?status=N&id=K&ok_first
//	    status N (default 204) with "retry: 2" (and an event "ok" with
//	    ok_first); the next request, which has the cookie request<K> that
//	    the first set, gets 200 and "data: data"
//	GET /wpt/resources/reconnect-fail?id=K
//	    by the cookie recon_fail_<K>: an event "opened", then an event
//	    "reconnected", then 204 No Content
//	GET /wpt/resources/status-error?status=N
//	    status N (default 404), with an event unless N is 204 or 205
//	GET /wpt/resources/accept         "data: <Accept>"
//	GET /wpt/resources/cache-control  "data: <Cache-Control>"
//	GET /wpt/resources/redirect?location=U&status=N
//	    a redirect (default 302) to U
//	GET /wpt/resources/cors?run=R&origin=O&credentials=C
//	    Access-Control-Allow-Origin O (default the request's Origin) and
//	    Access-Control-Allow-Credentials C (default true), then what route R
//	    (message, status-reconnect, redirect or cache-control) answers
//	GET /wpt/resources/cors-cookie?ident=K&origin=O&credentials=C
//	    cross-origin cookies: whether the request had the cookie K, over
//	    three requests told apart by Last-Event-ID
//	GET|OPTIONS /wpt/resources/cors-unsafe-last-event-id?fixture=F&token=T
//	    an event with a safe, unsafe or long id; the reconnection then gets
//	    an event "success" or "failure", by whether the client sent the id
//	    back and sent a CORS preflight exactly when the id needs one
//
// Only the CORS headers that a route sets itself are sent: unlike /sse/,
// /wpt/ gets no blanket cross-origin permission, because several cases
// check that a missing or wrong permission fails.

// registerWPT adds the /wpt/resources/ routes to s.
func (s *Server) registerWPT() {
	preflights := &preflightLog{seen: map[string]string{}}
	for path, h := range map[string]http.HandlerFunc{
		"message":                   wptMessage,
		"message2":                  wptMessage2,
		"last-event-id":             wptLastEventID,
		"last-event-id2":            wptLastEventID2,
		"status-reconnect":          wptStatusReconnect,
		"reconnect-fail":            wptReconnectFail,
		"status-error":              wptStatusError,
		"accept":                    wptEchoHeader("Accept"),
		"cache-control":             wptEchoHeader("Cache-Control"),
		"redirect":                  wptRedirect,
		"cors":                      wptCORS,
		"cors-cookie":               wptCORSCookie,
		"cors-unsafe-last-event-id": preflights.serve,
	} {
		s.mux.HandleFunc("/wpt/resources/"+path, h)
	}
}

// wptParam returns the first value of the query parameter name, and
// whether the query has it at all: as in WPT's handlers, a parameter that is
// present but empty is not the default.
func wptParam(q url.Values, name, def string) string {
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0]
	}
	return def
}

// wptStatus parses a status code parameter.
func wptStatus(q url.Values, name, def string) (int, error) {
	v := wptParam(q, name, def)
	code, err := strconv.Atoi(v)
	if err != nil || code < 100 || code > 999 {
		return 0, fmt.Errorf("%s=%q is not a status code", name, v)
	}
	return code, nil
}

// writeWPT answers with status code and body, as Content-Type contentType.
// The responses of 204 and 205 have no body.
func writeWPT(w http.ResponseWriter, code int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	if code != http.StatusNoContent && code != http.StatusResetContent && code != http.StatusNotModified {
		io.WriteString(w, body)
	}
}

func badWPTRequest(w http.ResponseWriter, err error) {
	http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
}

// wptMessage answers with one message, as WPT's resources/message.py. The
// message arrives whole and the response ends, so a client that stays open
// reconnects.
func wptMessage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sleep, err := intParam(q, "sleep", 0, 0, 60_000)
	if err != nil {
		badWPTRequest(w, err)
		return
	}
	newline := "\n\n"
	if q.Get("newline") == "none" {
		newline = ""
	}
	body := wptParam(q, "message", "data: data") + newline + "\n"
	if wait(r.Context(), time.Duration(sleep)*time.Millisecond) != nil {
		return
	}
	writeWPT(w, http.StatusOK, wptParam(q, "mime", "text/event-stream"), body)
}

// wptMessage2Fields is what /wpt/resources/message2 repeats: two data lines
// that make one event, a comment, an event with only an unknown field, an
// unknown field and a field named "Data" (case matters) before an empty
// line, a field "data" with no colon, and a last event. A conforming client
// dispatches "msg\nmsg", "" and "end", in each round.
var wptMessage2Fields = []string{
	"data:msg\n", "data: msg\n\n",
	":\n",
	"falsefield:msg\n\n",
	"falsefield:msg\n", "Data:data\n\n",
	"data\n\n",
	"data:end\n\n",
}

// wptMessage2 streams wptMessage2Fields, in one write per field, every 2 s
// until the client goes away, as WPT's resources/message2.py.
func wptMessage2(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	out := newFlushWriter(w)
	for {
		for _, field := range wptMessage2Fields {
			if _, err := io.WriteString(out, field); err != nil {
				return
			}
		}
		if out.flush() != nil || wait(r.Context(), 2*time.Second) != nil {
			return
		}
	}
}

// wptLastEventID echoes the Last-Event-ID header of a reconnection, as WPT's
// resources/last-event-id.py. Without one, it sends an event with the id
// from the query (by default "…", U+2026, to check that the id travels as
// UTF-8) and a retry of 200 ms.
func wptLastEventID(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		writeWPT(w, http.StatusOK, "text/event-stream", "data: "+id+"\n\n")
		return
	}
	id := wptParam(r.URL.Query(), "idvalue", "\u2026")
	writeWPT(w, http.StatusOK, "text/event-stream", "id: "+id+"\nretry: 200\ndata: hello\n\n")
}

// wptLastEventID2 sends three events whose ids check that the last event ID
// persists, changes and persists, or resets, by type (1, 2 or 3), as WPT's
// resources/last-event-id2.py.
func wptLastEventID2(w http.ResponseWriter, r *http.Request) {
	body := "id: 1\ndata: 1\n\ndata:2\n\n"
	switch r.URL.Query().Get("type") {
	case "2":
		body = "id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n"
	case "3":
		body = "id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n"
	}
	writeWPT(w, http.StatusOK, "text/event-stream", body)
}

// setWPTCookie sets a cookie for the whole host; an empty value deletes it.
func setWPTCookie(w http.ResponseWriter, name, value string, httpOnly bool) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: httpOnly}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// wptStatusReconnect answers a first request with a status and no event,
// and the reconnection with an event, as WPT's resources/status-reconnect.py:
// the first response sets the cookie request<id> to the status, and the
// request that brings it back gets "data: data". The cookie makes the
// reconnection depend on the client sending cookies, cross-origin too.
func wptStatusReconnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := wptParam(q, "status", "204")
	code, err := wptStatus(q, "status", "204")
	if err != nil {
		badWPTRequest(w, err)
		return
	}
	name := "request" + wptParam(q, "id", status)
	if c, err := r.Cookie(name); err == nil && c.Value == status {
		setWPTCookie(w, name, "", false)
		writeWPT(w, http.StatusOK, "text/event-stream", "data: data\n\n")
		return
	}
	setWPTCookie(w, name, status, true)
	body := "retry: 2\n"
	if q.Has("ok_first") {
		body += "data: ok\n\n"
	}
	writeWPT(w, code, "text/event-stream", body)
}

// wptReconnectFail plays three connections, told apart by the cookie
// recon_fail_<id>, as WPT's resources/reconnect-fail.py: an event "opened"
// with retry 2 ms, an event "reconnected", then 204 No Content, which ends
// the source.
func wptReconnectFail(w http.ResponseWriter, r *http.Request) {
	name := "recon_fail_" + r.URL.Query().Get("id")
	state := ""
	if c, err := r.Cookie(name); err == nil {
		state = c.Value
	}
	switch state {
	case "opened":
		setWPTCookie(w, name, "reconnected", false)
		writeWPT(w, http.StatusOK, "text/event-stream", "data: reconnected\n\n")
	case "reconnected":
		setWPTCookie(w, name, "", false)
		writeWPT(w, http.StatusNoContent, "text/event-stream", "")
	default:
		setWPTCookie(w, name, "opened", false)
		writeWPT(w, http.StatusOK, "text/event-stream", "retry: 2\ndata: opened\n\n")
	}
}

// wptStatusError answers with a status other than 200 and an event that a
// client must not dispatch, as WPT's resources/status-error.py. 204 and 205
// have no body.
func wptStatusError(w http.ResponseWriter, r *http.Request) {
	code, err := wptStatus(r.URL.Query(), "status", "404")
	if err != nil {
		badWPTRequest(w, err)
		return
	}
	writeWPT(w, code, "text/event-stream", "data: data\n\n")
}

// wptEchoHeader returns a handler that sends the value of a request header
// as the data of an event, as WPT's resources/accept.event_stream and
// resources/cache-control.event_stream.
func wptEchoHeader(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeWPT(w, http.StatusOK, "text/event-stream", "data: "+r.Header.Get(name)+"\n\n")
	}
}

// wptRedirect redirects to the query's location with the query's status
// (default 302), as WPT's common/redirect.py.
func wptRedirect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code, err := wptStatus(q, "status", "302")
	if err != nil {
		badWPTRequest(w, err)
		return
	}
	w.Header().Set("Location", q.Get("location"))
	writeWPT(w, code, "text/plain", "")
}

// wptCORS grants cross-origin access as the query says, then runs another
// route, as WPT's resources/cors.py. An empty origin parameter sends an
// empty Access-Control-Allow-Origin, which grants nothing.
func wptCORS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h := w.Header()
	if origin := wptParam(q, "origin", r.Header.Get("Origin")); origin != "" || q.Has("origin") {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Allow-Credentials", wptParam(q, "credentials", "true"))
	switch q.Get("run") {
	case "message":
		wptMessage(w, r)
	case "status-reconnect":
		wptStatusReconnect(w, r)
	case "redirect":
		wptRedirect(w, r)
	case "cache-control":
		wptEchoHeader("Cache-Control")(w, r)
	}
}

// wptCORSCookie tells, over three requests, whether a cross-origin client
// sends and stores cookies, as WPT's resources/cors-cookie.py. The first
// request (no Last-Event-ID) gets "id: 1", a retry of 200 ms and "first
// COOKIE" or "first NO_COOKIE", and sets the cookie named by ident; the
// second (Last-Event-ID 1) gets "second COOKIE" or "second NO_COOKIE" and
// deletes the cookie; any other gets a Content-Type that ends the source.
// origin=none and credentials=none leave out the CORS headers.
func wptCORSCookie(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ident := wptParam(q, "ident", "test")
	cookie := "NO_COOKIE"
	if _, err := r.Cookie(ident); err == nil {
		cookie = "COOKIE"
	}
	h := w.Header()
	if origin := wptParam(q, "origin", r.Header.Get("Origin")); origin != "none" {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if credentials := wptParam(q, "credentials", "true"); credentials != "none" {
		h.Set("Access-Control-Allow-Credentials", credentials)
	}
	switch id := r.Header.Get("Last-Event-ID"); id {
	case "":
		setWPTCookie(w, ident, "COOKIE", false)
		writeWPT(w, http.StatusOK, "text/event-stream", "id: 1\nretry: 200\ndata: first "+cookie+"\n\n")
	case "1":
		setWPTCookie(w, ident, "", false)
		writeWPT(w, http.StatusOK, "text/event-stream", "id: 2\ndata: second "+cookie+"\n\n")
	default:
		writeWPT(w, http.StatusOK, "stop", "data: "+id+cookie+"\n\n")
	}
}

// The ids of /wpt/resources/cors-unsafe-last-event-id, by fixture. Fetch
// safelists a request header only if its value has at most 128 bytes and
// no CORS-unsafe request-header byte ("<" is one), so the reconnections of
// "long" and "unsafe" need a CORS preflight and that of "safe" does not.
var wptLastEventIDFixtures = map[string]string{
	"safe":   "abc",
	"unsafe": "e5p3n<3k0k0s",
	"long":   strings.Repeat("a", 255),
}

// A preflightLog remembers, by token, the Access-Control-Request-Headers of
// the CORS preflights that /wpt/resources/cors-unsafe-last-event-id saw.
type preflightLog struct {
	mu   sync.Mutex
	seen map[string]string
}

// take returns and forgets the preflight seen for token.
func (l *preflightLog) take(token string) (headers string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	headers, ok = l.seen[token]
	delete(l.seen, token)
	return headers, ok
}

func (l *preflightLog) put(token, headers string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[token] = headers
}

// serve answers as WPT's resources/cors-unsafe-last-event-id.py: the first
// request gets an event with the fixture's id and a retry of 200 ms; the
// reconnection gets an event "success" when it sent that id back in
// Last-Event-ID and came after a preflight exactly when the fixture needs
// one, and an event "failure" saying what went wrong otherwise.
//
// It accepts a preflight only for the header Last-Event-ID: the first
// request has no such header and needs none. WPT's handler means the same
// but tests the Last-Event-ID header of the preflight itself, which a
// preflight never has (Fetch, "CORS-preflight fetch", sends only
// Access-Control-Request-Headers), so there it refuses every preflight.
func (l *preflightLog) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h := w.Header()
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	requested := r.Header.Get("Access-Control-Request-Headers")
	if requested != "" {
		h.Set("Access-Control-Allow-Headers", requested)
	}
	token, fixture := q.Get("token"), q.Get("fixture")
	if token == "" || fixture == "" {
		writeWPT(w, http.StatusBadRequest, "text/plain", "refserver: want the query parameters token and fixture")
		return
	}
	if r.Method == http.MethodOptions {
		if !headerListHas(requested, "last-event-id") {
			writeWPT(w, http.StatusBadRequest, "text/plain", "refserver: a preflight for other headers than Last-Event-ID: "+requested)
			return
		}
		l.put(token, requested)
		writeWPT(w, http.StatusOK, "text/plain", "")
		return
	}
	h.Set("Cache-Control", "no-store")
	want, known := wptLastEventIDFixtures[fixture]
	got := r.Header.Get("Last-Event-ID")
	switch {
	case !known:
		writeWPT(w, http.StatusOK, "text/event-stream", "event: failure\ndata: unknown fixture\n\n")
		return
	case got == "":
		writeWPT(w, http.StatusOK, "text/event-stream", "id: "+want+"\nretry: 200\ndata: "+fixture+"\n\n")
		return
	}
	requestedBefore, preflighted := l.take(token)
	needsPreflight := fixture != "safe"
	failure := ""
	switch {
	case preflighted && !needsPreflight:
		failure = "saw preflight, did not expect one"
	case !preflighted && needsPreflight:
		failure = "expected preflight, did not get one"
	case preflighted && !strings.EqualFold(requestedBefore, "last-event-id"):
		failure = "preflight `access-control-request-headers` was " + requestedBefore + ", not last-event-id"
	case got != want:
		failure = "got " + got + ", expected " + want
	}
	if failure != "" {
		writeWPT(w, http.StatusOK, "text/event-stream", "event: failure\ndata: "+failure+"\n\n")
		return
	}
	writeWPT(w, http.StatusOK, "text/event-stream", "event: success\ndata: got "+got+"\n\n")
}

// headerListHas reports whether a comma-separated list of header names, as
// in Access-Control-Request-Headers, has name.
func headerListHas(list, name string) bool {
	for _, item := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(item), name) {
			return true
		}
	}
	return false
}
