package refserver

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Fault injection: streams that break off at random points, in random
// ways, and resume after Last-Event-ID; a stream that drips one byte at a
// time; and an overloaded server that answers 503. The e2e fault tests
// (e2e/faults_test.go) count every event a client receives through them.
//
//	GET /sse/flaky?total=N&min=A&max=B&seed=S&gap=MS&retry=MS&session=S
//	GET /sse/flaky/faults?session=S
//	GET /sse/drip?ms=MS&session=S
//	GET /sse/overload?ok=K&retry=MS&session=S
//	GET /sse/soak?total=N&session=S

// registerFaults adds the fault injection routes.
func (s *Server) registerFaults() {
	f := &flakyLog{sessions: make(map[string][]Fault)}
	s.mux.HandleFunc("GET /sse/flaky", func(w http.ResponseWriter, r *http.Request) { s.flaky(w, r, f) })
	s.mux.HandleFunc("GET /sse/flaky/faults", f.report)
	s.mux.HandleFunc("GET /sse/drip", s.drip)
	s.mux.HandleFunc("GET /sse/overload", s.overload)
	s.mux.HandleFunc("GET /sse/soak", s.soak)
}

// A Fault is how one response of /sse/flaky broke off.
type Fault struct {
	// After is the id of the last complete event the response sent.
	After int64 `json:"after"`
	// Point is where in the next event the response broke off:
	// "between-events" (after the blank line of event After), "after-id"
	// (after the line "id: N"), "mid-id" (inside the id line),
	// "mid-data" (inside the data line), or "before-blank" (after the
	// data line, before the blank line that dispatches it).
	Point string `json:"point"`
	// Kind is how: "end" (the body ends properly), "close" (the
	// connection closes in the middle of the chunked body) or "reset"
	// (the connection is reset, TCP RST).
	Kind string `json:"kind"`
}

var (
	faultPoints = []string{"between-events", "after-id", "mid-id", "mid-data", "before-blank"}
	faultKinds  = []string{"end", "close", "reset"}
)

// Bounds of the fault log, so that it cannot grow without end.
const (
	maxFlakySessions = 100
	maxFaultsLogged  = 10000
)

// A flakyLog keeps the faults that /sse/flaky injected, by session.
type flakyLog struct {
	mu       sync.Mutex
	sessions map[string][]Fault
	order    []string
}

func (l *flakyLog) add(session string, f Fault) {
	if session == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	faults, ok := l.sessions[session]
	if !ok {
		l.order = append(l.order, session)
		for len(l.order) > maxFlakySessions {
			delete(l.sessions, l.order[0])
			l.order = l.order[1:]
		}
	}
	if len(faults) < maxFaultsLogged {
		l.sessions[session] = append(faults, f)
	}
}

// report answers GET /sse/flaky/faults?session=S with the faults injected
// in the session, in order, as JSON.
func (l *flakyLog) report(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	faults := append([]Fault{}, l.sessions[r.URL.Query().Get("session")]...)
	l.mu.Unlock()
	writeJSON(w, faults)
}

// flakyEvent is event k of /sse/flaky. Its data repeats the number, so
// that a client that dispatched a broken-off event would show it.
func flakyEvent(k int64) (idLine, dataLine string) {
	return fmt.Sprintf("id: %d\n", k), fmt.Sprintf("data: %d flaky-%d\n", k, k)
}

// flaky plays a numbered stream that breaks off. Like /sse/counter it
// resumes after the number in Last-Event-ID, sends "id: k" and "data: k
// flaky-k" for the next k, and answers 204 No Content once k would exceed
// total. Unlike it, each response breaks off after a random number of
// events, from min to max, at a random point of the next event and in a
// random way (see Fault); the faults are logged for GET
// /sse/flaky/faults. The choices depend only on seed and Last-Event-ID,
// so a run can be repeated. With retry, each response first sets the
// reconnection time; with gap, it waits that many milliseconds before
// each event.
func (s *Server) flaky(w http.ResponseWriter, r *http.Request, log *flakyLog) {
	q := r.URL.Query()
	total, err1 := intParam(q, "total", 500, 0, 1<<40)
	// At least one event per response: the choices depend only on seed
	// and Last-Event-ID, so a response that sent none would be repeated
	// for ever.
	lo, err2 := intParam(q, "min", 20, 1, 1<<20)
	hi, err3 := intParam(q, "max", 50, 1, 1<<20)
	seed, err4 := intParam(q, "seed", 1, 0, 1<<62)
	gap, err5 := intParam(q, "gap", 0, 0, 10_000)
	retry, err6 := intParam(q, "retry", -1, 0, 1<<40)
	if err := firstError(err1, err2, err3, err4, err5, err6); err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	if hi < lo {
		http.Error(w, "refserver: max is less than min", http.StatusBadRequest)
		return
	}
	rec := s.record(r, "")
	var err error
	defer func() { s.finish(rec, r, err) }()

	start := resumePoint(r)
	if start >= total {
		s.sessions.wroteHeader(rec, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rnd := rand.New(rand.NewPCG(uint64(seed), uint64(start)))
	count := lo + rnd.Int64N(hi-lo+1)
	fault := Fault{
		After: start + count,
		Point: faultPoints[rnd.IntN(len(faultPoints))],
		Kind:  faultKinds[rnd.IntN(len(faultKinds))],
	}
	cut := rnd.IntN(1 << 16) // where in a line a mid-line fault falls

	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	if retry >= 0 {
		if _, err = fmt.Fprintf(out, "retry: %d\n\n", retry); err != nil {
			return
		}
	}
	for k := start + 1; k <= min(fault.After, total); k++ {
		if err = wait(r.Context(), time.Duration(gap)*time.Millisecond); err != nil {
			return
		}
		id, data := flakyEvent(k)
		// The id line and the rest go out separately, as two chunks.
		if _, err = out.Write([]byte(id)); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
		if _, err = out.Write([]byte(data + "\n")); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
	}
	if fault.After >= total {
		return // the rest fitted: the body ends, and the next request gets 204
	}

	// The partial event: what of event After+1 goes out before the fault.
	id, data := flakyEvent(fault.After + 1)
	var partial string
	switch fault.Point {
	case "after-id":
		partial = id
	case "mid-id":
		partial = id[:1+cut%(len(id)-2)] // at least "i", never the LF
	case "mid-data":
		partial = id + data[:1+cut%(len(data)-2)]
	case "before-blank":
		partial = id + data
	}
	if err = wait(r.Context(), time.Duration(gap)*time.Millisecond); err != nil {
		return
	}
	if partial != "" {
		if _, err = out.Write([]byte(partial)); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
	}
	log.add(q.Get("session"), fault)
	if fault.Kind != "end" {
		err = breakConnection(w, fault.Kind == "reset")
	}
}

// breakConnection takes over the connection of a response whose head and
// some of whose body went out, and closes it without ending the chunked
// body: the client sees a network error in the middle of the body. With
// reset, it closes with a TCP RST instead of a FIN.
func breakConnection(w http.ResponseWriter, reset bool) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return err
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	return conn.Close()
}

// dripBody is what /sse/drip sends, one byte at a time: an event whose
// data has two-, three- and four-byte UTF-8 sequences, each split across
// chunks.
const dripBody = "id: 1\ndata: drip é€😀\n\n"

// drip sends dripBody one byte at a time, ms milliseconds apart (default
// 100), each byte flushed on its own, then holds the connection open with
// nothing more, so that a client does not reconnect.
func (s *Server) drip(w http.ResponseWriter, r *http.Request) {
	ms, err := intParam(r.URL.Query(), "ms", 100, 1, 10_000)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := s.record(r, "")
	defer func() { s.finish(rec, r, err) }()
	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	for i := range len(dripBody) {
		if err = wait(r.Context(), time.Duration(ms)*time.Millisecond); err != nil {
			return
		}
		if _, err = out.Write([]byte{dripBody[i]}); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
	}
	<-r.Context().Done()
}

// overload plays a server under a reconnection storm. The first ok
// requests of the session (default 0) get an event stream that sets the
// reconnection time to retry milliseconds (default 10), sends "data: open
// N" and ends, so that the client reconnects at once. Every later request
// gets 503 Service Unavailable with Retry-After and an event-stream body
// that sets retry again and holds an event: a status other than 200 fails
// the connection for good (HTML §9.2.3), so a conforming client neither
// dispatches that event nor reconnects.
func (s *Server) overload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ok, err1 := intParam(q, "ok", 0, 0, 1<<20)
	retry, err2 := intParam(q, "retry", 10, 0, 1<<40)
	if err := firstError(err1, err2); err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	sessionID := q.Get("session")
	if sessionID == "" {
		sessionID = s.sessions.anonymous()
	}
	rec := newRequestRecord(r, s.now())
	n := int64(s.sessions.start(sessionID, "", rec)) + 1
	var err error
	defer func() { s.finish(rec, r, err) }()
	if n <= ok {
		s.sessions.wroteHeader(rec, http.StatusOK)
		var out *flushWriter
		if out, err = startEventStream(w); err == nil {
			_, err = fmt.Fprintf(out, "retry: %d\ndata: open %d\n\n", retry, n)
		}
		return
	}
	s.sessions.wroteHeader(rec, http.StatusServiceUnavailable)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, err = fmt.Fprintf(w, "retry: %d\ndata: overloaded, must not be dispatched\n\n", retry)
}

// maxSoakEvents bounds /sse/soak, so that one request cannot run for ever.
const maxSoakEvents = 10_000_000

// soak sends the numbered events "id: k" and "data: k" for k from 1 to
// total (default 100000) as fast as it can, gathered into writes of about
// 32 KiB as /sse/bench does, then ends the body; the reconnection gets 204.
// It is /sse/counter for long soak tests, where flushing each event would
// measure the network stack rather than the client.
func (s *Server) soak(w http.ResponseWriter, r *http.Request) {
	total, err := intParam(r.URL.Query(), "total", 100_000, 0, maxSoakEvents)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := s.record(r, "")
	defer func() { s.finish(rec, r, err) }()
	if r.Header.Get("Last-Event-ID") != "" {
		s.sessions.wroteHeader(rec, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	out.flushWrites = true
	buf := bufio.NewWriterSize(out, benchBuffer)
	for k := int64(1); k <= total; k++ {
		if _, err = fmt.Fprintf(buf, "id: %d\ndata: %d\n\n", k, k); err != nil {
			return
		}
	}
	err = buf.Flush()
}
