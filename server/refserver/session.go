package refserver

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits that keep the session log's memory bounded whatever the clients do.
const (
	// maxSessions is how many sessions are kept; beyond it the oldest is
	// forgotten.
	maxSessions = 1000
	// maxRequestsPerSession is how many requests a session records; later
	// ones are still counted and played but not recorded.
	maxRequestsPerSession = 1000
	// maxRecordedBody is how much of a request body is kept.
	maxRecordedBody = 64 << 10
)

// A sessionLog remembers, per session, every request the server saw, so that
// browser tests can check what the client sent and when.
type sessionLog struct {
	mu       sync.Mutex
	sessions map[string]*session
	order    []string // session ids, oldest first
	anon     int      // the number of anonymous sessions made so far
}

// A session is the requests of one session id, in the order they started.
type session struct {
	requests []*requestRecord
	dropped  int            // requests not recorded because of maxRequestsPerSession
	played   map[string]int // per scenario, how many requests it has had
}

// A requestRecord is what the server saw of one request and its response.
// The session log's mutex guards its fields once it is in the log.
type requestRecord struct {
	Path           string            `json:"path"`
	Query          string            `json:"query"`
	Scenario       string            `json:"scenario"`
	Method         string            `json:"method"`
	Header         map[string]string `json:"header"`
	LastEventID    string            `json:"lastEventId"`
	HasLastEventID bool              `json:"hasLastEventId"`
	Body           string            `json:"body"`
	// Status is the status code sent, 0 until the header is written.
	Status    int     `json:"status"`
	StartedMs float64 `json:"startedMs"`
	EndedMs   float64 `json:"endedMs"`
	// Active is true while the response is being written or held open.
	Active bool `json:"active"`
	// Aborted is true when the client went away before the response
	// ended, as close() makes it do.
	Aborted bool `json:"aborted"`
}

// newRequestRecord records r as it arrives. It reads at most
// maxRecordedBody bytes of the body.
func newRequestRecord(r *http.Request, now time.Time) *requestRecord {
	rec := &requestRecord{
		Path:      r.URL.Path,
		Query:     r.URL.RawQuery,
		Method:    r.Method,
		Header:    firstValues(r),
		StartedMs: unixMs(now),
		Active:    true,
	}
	if v, ok := r.Header["Last-Event-Id"]; ok && len(v) > 0 {
		rec.LastEventID, rec.HasLastEventID = v[0], true
	}
	if r.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
		rec.Body = string(body)
	}
	return rec
}

// firstValues returns the request's header fields with canonical names and
// their first values, Host included, which net/http moves out of r.Header.
func firstValues(r *http.Request) map[string]string {
	h := make(map[string]string, len(r.Header)+1)
	for name, values := range r.Header {
		if len(values) > 0 {
			h[name] = values[0]
		}
	}
	if r.Host != "" {
		h["Host"] = r.Host
	}
	return h
}

// unixMs is t as milliseconds since the Unix epoch, with microseconds.
func unixMs(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }

func newSessionLog() *sessionLog {
	return &sessionLog{sessions: make(map[string]*session)}
}

// anonymous returns a fresh session id for a request that named none.
func (l *sessionLog) anonymous() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.anon++
	return "anonymous-" + strconv.Itoa(l.anon)
}

// start records rec in session id and returns how many requests for
// scenarioName the session had before it. The caller must call finish when
// the response is over.
func (l *sessionLog) start(id, scenarioName string, rec *requestRecord) (index int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sessions[id]
	if !ok {
		s = &session{played: make(map[string]int)}
		l.sessions[id] = s
		l.order = append(l.order, id)
		for len(l.order) > maxSessions {
			delete(l.sessions, l.order[0])
			l.order = l.order[1:]
		}
	}
	rec.Scenario = scenarioName
	if len(s.requests) < maxRequestsPerSession {
		s.requests = append(s.requests, rec)
	} else {
		s.dropped++
	}
	index = s.played[scenarioName]
	s.played[scenarioName]++
	return index
}

// wroteHeader notes the status code sent for rec.
func (l *sessionLog) wroteHeader(rec *requestRecord, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec.Status = status
}

// finish marks rec as over at now; aborted says the client went away first.
func (l *sessionLog) finish(rec *requestRecord, now time.Time, aborted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec.Active = false
	rec.EndedMs = unixMs(now)
	rec.Aborted = aborted
}

// A sessionReport is the JSON answer of GET /sse/session/{id}.
type sessionReport struct {
	Requests []requestRecord `json:"requests"`
	// Dropped counts requests beyond maxRequestsPerSession, not listed.
	Dropped int `json:"dropped,omitempty"`
}

// report returns a copy of session id's log, or false if there is none.
func (l *sessionLog) report(id string) (sessionReport, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sessions[id]
	if !ok {
		return sessionReport{}, false
	}
	rep := sessionReport{Requests: make([]requestRecord, len(s.requests)), Dropped: s.dropped}
	for i, rec := range s.requests {
		rep.Requests[i] = *rec
	}
	return rep, true
}
