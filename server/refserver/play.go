package refserver

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// playScenario answers one request of a scenario's session. Requests are
// counted per session and scenario: the i-th request gets Responses[i] and
// any later one 204 No Content, which tells a client to stop reconnecting
// (HTML §9.2.3). A request without a session gets a fresh anonymous one, so
// it is always the first.
func (s *Server) playScenario(w http.ResponseWriter, r *http.Request) {
	sc, ok := scenario.Lookup(r.PathValue("name"))
	if !ok {
		http.Error(w, "refserver: unknown scenario "+strconv.Quote(r.PathValue("name")), http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		http.Error(w, "refserver: a scenario answers GET and POST", http.StatusMethodNotAllowed)
		return
	}
	sessionID := r.URL.Query().Get("session")
	if sessionID == "" {
		sessionID = s.sessions.anonymous()
	}
	rec := newRequestRecord(r, s.now())
	index := s.sessions.start(sessionID, sc.Name, rec)
	var err error
	defer func() { s.sessions.finish(rec, s.now(), err != nil || r.Context().Err() != nil) }()

	if index >= len(sc.Responses) {
		s.sessions.wroteHeader(rec, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	resp := sc.Responses[index]
	if resp.Refuse {
		// No status is sent: the client sees a network error.
		err = refuseConnection(w)
		return
	}
	s.sessions.wroteHeader(rec, resp.StatusCode())
	err = play(r.Context(), w, resp, scenario.Vars{
		LastEventID: rec.LastEventID,
		Session:     sessionID,
		OtherOrigin: s.otherOriginFor(r),
	})
}

// play writes resp to w: the header, then each chunk after its delay,
// flushed on its own, then the repeated chunks, then it holds the
// connection if resp asks for that. It returns early with an error when the
// client goes away.
func play(ctx context.Context, w http.ResponseWriter, resp scenario.Response, vars scenario.Vars) error {
	status := resp.StatusCode()
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	if status == http.StatusOK {
		h.Set("Content-Type", "text/event-stream")
	} else {
		// No Content-Type unless the scenario sets one; net/http would
		// otherwise sniff the body for one.
		h["Content-Type"] = nil
	}
	for name, value := range resp.Header {
		name = textproto.CanonicalMIMEHeaderKey(name)
		if value == "" {
			// A nil value leaves the field out and stops sniffing.
			h[name] = nil
			continue
		}
		h.Set(name, vars.Expand(value))
	}
	if resp.Gzip {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
	}
	w.WriteHeader(status)
	if status == http.StatusNoContent || status == http.StatusNotModified {
		return nil
	}

	out := newFlushWriter(w)
	var body io.Writer = out
	var gz *gzip.Writer
	if resp.Gzip {
		gz = gzip.NewWriter(out)
		body = gz
	}
	// Send the header at once, so that the client can announce the
	// connection before the first chunk arrives.
	if err := out.flush(); err != nil {
		return err
	}
	write := func(c scenario.Chunk) error {
		if err := wait(ctx, c.Delay); err != nil {
			return err
		}
		if _, err := io.WriteString(body, vars.Expand(c.Data)); err != nil {
			return err
		}
		if gz != nil {
			if err := gz.Flush(); err != nil {
				return err
			}
		}
		return out.flush()
	}
	for _, c := range resp.Chunks {
		if err := write(c); err != nil {
			return err
		}
	}
	for vars.N = 1; len(resp.Repeat) > 0; vars.N++ {
		for _, c := range resp.Repeat {
			if err := write(c); err != nil {
				return err
			}
		}
	}
	if resp.Hold {
		<-ctx.Done()
		return ctx.Err()
	}
	if resp.Drop {
		return dropConnection(w)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return err
		}
		return out.flush()
	}
	return nil
}

// dropConnection closes the connection under w in the middle of the body,
// whose chunked encoding is then never terminated: the client reads every
// byte written so far, then a network error. Where there is no connection
// to take over (HTTP/2) it aborts the response instead.
func dropConnection(w http.ResponseWriter) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	return conn.Close()
}

// refuseConnection answers with refusedHead, which the client must treat
// as a network error, and closes the connection. It does not just close the
// connection: see refuse.
func refuseConnection(w http.ResponseWriter) error {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, err = buf.WriteString(refusedHead)
	if err == nil {
		err = buf.Flush()
	}
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// wait returns after d, or early with an error when ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A flushWriter writes to a response and flushes it to the network on
// demand, or after every write when it sits under a bufio.Writer that
// gathers large writes.
type flushWriter struct {
	w           http.ResponseWriter
	rc          *http.ResponseController
	flushWrites bool
}

func newFlushWriter(w http.ResponseWriter) *flushWriter {
	return &flushWriter{w: w, rc: http.NewResponseController(w)}
}

func (f *flushWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err == nil && f.flushWrites {
		err = f.flush()
	}
	return n, err
}

func (f *flushWriter) flush() error { return f.rc.Flush() }

// startEventStream writes the header of a 200 event stream and flushes it.
func startEventStream(w http.ResponseWriter) (*flushWriter, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := newFlushWriter(w)
	return out, out.flush()
}
