package refserver

import (
	"fmt"
	"net/http"
)

// refusedHead is the response head that /sse/refuse sends: a header value
// with a NUL byte, which no field value may hold (RFC 9110 §5.5), so that
// the browser fails the fetch with a network error before the response
// reaches the page. Chromium, Firefox and WebKit all do (checked); two
// different Content-Length values, which this server sent before, are a
// network error in Chromium and Firefox, but WebKit takes them as a 200.
const refusedHead = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/event-stream\r\n" +
	"X-Refused: \x00\r\n" +
	"Connection: close\r\n" +
	"\r\n"

// refuse fails requests with a network error, so that tests can watch a
// client back off between failed reconnection attempts in the session log.
// It records the request in the session its query names, writes refusedHead
// on the raw connection and closes it.
//
// It does not just close the connection without a response: Chromium
// silently resends a request that got no response at all on a reused
// keep-alive connection, so one failed attempt could show as two requests.
//
// With ok=K, every K-th request of the session succeeds instead: an event
// stream with the event "data: open N", whose body then ends, so that the
// client reconnects. N numbers the request from 1 among the session's
// requests outside the scenarios, as the session log counts them.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request) {
	every, err := intParam(r.URL.Query(), "ok", 0, 0, 1<<20)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	sessionID := r.URL.Query().Get("session")
	if sessionID == "" {
		sessionID = s.sessions.anonymous()
	}
	rec := newRequestRecord(r, s.now())
	n := s.sessions.start(sessionID, "", rec) + 1

	if every > 0 && int64(n)%every == 0 {
		s.sessions.wroteHeader(rec, http.StatusOK)
		out, err := startEventStream(w)
		if err == nil {
			if _, err = fmt.Fprintf(out, "data: open %d\n\n", n); err == nil {
				err = out.flush()
			}
		}
		s.finish(rec, r, err)
		return
	}

	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 has no connection to take over.
		s.sessions.wroteHeader(rec, http.StatusInternalServerError)
		http.Error(w, "refserver: /sse/refuse cannot take over the connection: "+err.Error(), http.StatusInternalServerError)
		s.finish(rec, r, nil)
		return
	}
	// The record ends before the client can see the answer, so that a
	// client that asks for the session log right after its failed request
	// never finds that request still active.
	s.sessions.finish(rec, s.now(), false)
	_, _ = buf.WriteString(refusedHead)
	_ = buf.Flush()
	_ = conn.Close()
}
