package refserver

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The token lifetimes that POST /sse/auth/token grants.
const (
	defaultTokenTTL = 5 * time.Second
	minTokenTTL     = 100 * time.Millisecond
	maxTokenTTL     = time.Hour
	// maxTokens bounds the token store: beyond it the oldest token is
	// forgotten, expired or not.
	maxTokens = 10_000
)

// A tokenStore holds the bearer tokens that /sse/auth/token issued, until
// they expire or the store is full.
type tokenStore struct {
	mu     sync.Mutex
	grants map[string]tokenGrant
	order  []string // tokens, oldest first
	issued int      // how many tokens were ever issued
}

// A tokenGrant is what the server knows of one token.
type tokenGrant struct {
	// Serial numbers tokens from 1 in the order they were issued, so that
	// a page can say which token a connection used.
	Serial  int
	Expires time.Time
}

func newTokenStore() *tokenStore {
	return &tokenStore{grants: make(map[string]tokenGrant)}
}

// issue returns a new token that expires at expires. It first forgets the
// oldest tokens while they have expired, and the oldest one if the store is
// full, so that issuing takes constant time on average.
func (s *tokenStore) issue(now, expires time.Time) (string, tokenGrant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 && (len(s.order) >= maxTokens || !s.grants[s.order[0]].Expires.After(now)) {
		delete(s.grants, s.order[0])
		s.order = s.order[1:]
	}
	s.issued++
	tok := fmt.Sprintf("tok%d-%s", s.issued, strings.ToLower(rand.Text()[:16]))
	g := tokenGrant{Serial: s.issued, Expires: expires}
	s.grants[tok] = g
	s.order = append(s.order, tok)
	return tok, g
}

// lookup returns the grant of tok, if the store has it.
func (s *tokenStore) lookup(tok string) (tokenGrant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[tok]
	return g, ok
}

// A tokenResponse is the JSON answer of POST /sse/auth/token.
type tokenResponse struct {
	Token string `json:"token"`
	// ExpiresIn is the token's lifetime in milliseconds.
	ExpiresIn int64 `json:"expiresIn"`
	Serial    int   `json:"serial"`
}

// issueToken answers POST /sse/auth/token?ttl=D with a fresh bearer token
// for /sse/auth that expires after D: a Go duration ("5s", "1500ms") or a
// number of milliseconds, 5 s by default.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "refserver: tokens are issued to POST", http.StatusMethodNotAllowed)
		return
	}
	ttl, err := durationParam(r.URL.Query().Get("ttl"), defaultTokenTTL, minTokenTTL, maxTokenTTL)
	if err != nil {
		http.Error(w, "refserver: ttl: "+err.Error(), http.StatusBadRequest)
		return
	}
	now := s.now()
	tok, g := s.tokens.issue(now, now.Add(ttl))
	writeJSON(w, tokenResponse{Token: tok, ExpiresIn: ttl.Milliseconds(), Serial: g.Serial})
}

// An authEvent is the data of the events of /sse/auth.
type authEvent struct {
	// N counts the stream's messages; it is also their id.
	N int64 `json:"n,omitempty"`
	// Token is the serial number of the token the connection presented.
	Token int `json:"token"`
	// ExpiresIn is how long the token has left, in milliseconds.
	ExpiresIn int64  `json:"expiresIn"`
	Time      string `json:"time"`
}

// auth plays an authenticated stream, GET /sse/auth?interval=MS&retry=MS.
// The request needs "Authorization: Bearer <token>" with a token from
// POST /sse/auth/token; without one, or with an unknown or expired token,
// the answer is 401 with a WWW-Authenticate challenge (RFC 6750 §3), which
// fails an EventSource's connection for good.
//
// With a valid token it first sets the reconnection time (retry, 500 ms by
// default) and sends an event of type "welcome"; then, every interval (1 s
// by default), a message whose id counts up from the request's
// Last-Event-ID. When the token expires it sends an event of type "expired"
// and ends the body, so that the client reconnects, and must present a
// fresh token to go on. Every event's data is an authEvent.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, OPTIONS")
		http.Error(w, "refserver: auth answers GET", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	interval, err1 := intParam(q, "interval", 1000, 10, 60_000)
	retry, err2 := intParam(q, "retry", 500, 0, 60_000)
	if err := firstError(err1, err2); err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := s.record(r, "")
	var err error
	defer func() { s.finish(rec, r, err) }()

	now := s.now()
	grant, problem := s.authorize(r.Header.Get("Authorization"), now)
	if problem != "" {
		s.sessions.wroteHeader(rec, http.StatusUnauthorized)
		w.Header().Set("WWW-Authenticate", problem)
		http.Error(w, "refserver: 401 Unauthorized: "+problem, http.StatusUnauthorized)
		return
	}
	n := resumePoint(r)
	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	send := func(event string, id int64) error {
		now := s.now()
		data, _ := json.Marshal(authEvent{
			N:         id,
			Token:     grant.Serial,
			ExpiresIn: max(0, grant.Expires.Sub(now).Milliseconds()),
			Time:      now.UTC().Format(time.RFC3339),
		})
		var b strings.Builder
		if event != "" {
			fmt.Fprintf(&b, "event: %s\n", event)
		}
		if id > 0 {
			fmt.Fprintf(&b, "id: %d\n", id)
		}
		fmt.Fprintf(&b, "data: %s\n\n", data)
		if _, err := out.Write([]byte(b.String())); err != nil {
			return err
		}
		return out.flush()
	}
	if _, err = fmt.Fprintf(out, "retry: %d\n\n", retry); err != nil {
		return
	}
	if err = send("welcome", 0); err != nil {
		return
	}
	expired := time.NewTimer(grant.Expires.Sub(now))
	defer expired.Stop()
	tick := time.NewTicker(time.Duration(interval) * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			err = r.Context().Err()
			return
		case <-expired.C:
			err = send("expired", 0)
			return
		case <-tick.C:
			n++
			if err = send("", n); err != nil {
				return
			}
		}
	}
}

// authorize checks an Authorization header field at now. It returns the
// token's grant, or the WWW-Authenticate challenge to answer with.
func (s *Server) authorize(field string, now time.Time) (tokenGrant, string) {
	const challenge = `Bearer realm="refserver"`
	scheme, tok, ok := strings.Cut(field, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return tokenGrant{}, challenge
	}
	g, ok := s.tokens.lookup(strings.TrimSpace(tok))
	switch {
	case !ok:
		return g, challenge + `, error="invalid_token", error_description="unknown token"`
	case !g.Expires.After(now):
		return g, challenge + `, error="invalid_token", error_description="the token expired"`
	}
	return g, ""
}

// durationParam parses v as a Go duration or a number of milliseconds in
// [lo, hi], or returns def when v is empty.
func durationParam(v string, def, lo, hi time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if ms, merr := strconv.ParseInt(v, 10, 64); merr == nil {
		// Milliseconds, bounded first so that the product cannot wrap.
		d, err = time.Duration(min(max(ms, -1), int64(hi/time.Millisecond)+1))*time.Millisecond, nil
	}
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%q: want a duration from %v to %v", v, lo, hi)
	}
	return d, nil
}
