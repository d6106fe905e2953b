package refserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIssueToken(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		ttl           string
		wantExpiresIn int64
	}{
		{"", 5000},
		{"5s", 5000},
		{"1500ms", 1500},
		{"250", 250},
		{"1h", 3_600_000},
	}
	seen := map[string]bool{}
	for i, tt := range tests {
		tok := issue(t, srv, tt.ttl)
		if tok.ExpiresIn != tt.wantExpiresIn {
			t.Errorf("ttl=%q: expiresIn %d, want %d", tt.ttl, tok.ExpiresIn, tt.wantExpiresIn)
		}
		if tok.Serial != i+1 {
			t.Errorf("ttl=%q: serial %d, want %d", tt.ttl, tok.Serial, i+1)
		}
		if tok.Token == "" || seen[tok.Token] {
			t.Errorf("ttl=%q: token %q is empty or not new", tt.ttl, tok.Token)
		}
		seen[tok.Token] = true
	}

	for _, ttl := range []string{"soon", "50ms", "2h", "-1", "99999999999999999999", "9223372036854775807"} {
		resp, err := http.Post(srv.URL+"/sse/auth/token?ttl="+ttl, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("ttl=%s: %s, want 400", ttl, resp.Status)
		}
	}
	if resp, _ := fetch(t, srv, "/sse/auth/token", ""); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("GET /sse/auth/token: %s, Allow %q; want 405, POST", resp.Status, resp.Header.Get("Allow"))
	}
}

func TestAuthRefusals(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := New(Options{Root: t.TempDir(), Logf: t.Logf})
	s.now = clock.now
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})

	expired := issue(t, srv, "1s")
	clock.advance(time.Second)
	tests := []struct {
		name          string
		authorization string
		wantChallenge string
	}{
		{"no header", "", `Bearer realm="refserver"`},
		{"another scheme", "Basic dXNlcjpwYXNz", `Bearer realm="refserver"`},
		{"no token", "Bearer ", `Bearer realm="refserver"`},
		{"unknown token", "Bearer tok1-nonsense", `Bearer realm="refserver", error="invalid_token", error_description="unknown token"`},
		{"expired token", "Bearer " + expired.Token, `Bearer realm="refserver", error="invalid_token", error_description="the token expired"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/sse/auth?session=refused", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %s, want 401", resp.Status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.wantChallenge)
			}
			if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("Content-Type %q: a refusal must not look like a stream", ct)
			}
		})
	}
	reqs := sessionRequests(t, srv, "refused")
	if len(reqs) != len(tests) {
		t.Fatalf("the session log has %d requests, want %d", len(reqs), len(tests))
	}
	for i, rec := range reqs {
		if rec.Status != http.StatusUnauthorized || rec.Active {
			t.Errorf("request %d: status %d, active %v; want 401, over", i, rec.Status, rec.Active)
		}
	}
	if got := reqs[4].Header["Authorization"]; got != "Bearer "+expired.Token {
		t.Errorf("the session log has Authorization %q, want the expired token", got)
	}

	if resp, _ := post(t, srv, "/sse/auth", ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /sse/auth: %s, want 405", resp.Status)
	}
	if resp, _ := fetch(t, srv, "/sse/auth?interval=5", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("interval=5: %s, want 400", resp.Status)
	}
}

// TestAuthStream follows a client through a token's life: the stream ends
// when its token expires, the token is refused after that, and a fresh one
// resumes the stream after the last id.
func TestAuthStream(t *testing.T) {
	srv := newTestServer(t)
	first := issue(t, srv, "300ms")

	start := time.Now()
	resp, body := fetchAuth(t, srv, "/sse/auth?interval=50&retry=20&session=life", first.Token, "")
	elapsed := time.Since(start)
	checkStreamHeader(t, resp)
	if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("the stream lasted %v, want about the token's 300 ms", elapsed)
	}
	events := parseEvents(body)
	if !strings.HasPrefix(body, "retry: 20\n\n") {
		t.Errorf("the body starts %s, want retry: 20", brief(body))
	}
	if len(events) < 4 {
		t.Fatalf("%d events, want a welcome, several messages and expired: %s", len(events), brief(body))
	}
	if events[0].Type != "welcome" || events[len(events)-1].Type != "expired" {
		t.Errorf("events %v: want welcome first and expired last", events)
	}
	last := ""
	for i, ev := range events {
		var data authEvent
		if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
			t.Fatalf("event %d: data %q: %v", i, ev.Data, err)
		}
		if data.Token != first.Serial {
			t.Errorf("event %d: token %d, want %d", i, data.Token, first.Serial)
		}
		if ev.Type == "message" {
			if want := int64(i); data.N != want || ev.ID != itoa(i) {
				t.Errorf("message %d: n %d, id %q; want %d", i, data.N, ev.ID, want)
			}
			last = ev.ID
		}
	}

	// The client reconnects with the token it had: refused.
	resp, _ = fetchAuth(t, srv, "/sse/auth?interval=50&session=life", first.Token, last)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "expired") {
		t.Errorf("reconnecting with the expired token: %s %q, want 401 and a challenge saying it expired", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}

	// With a fresh token, the stream goes on after the last id.
	second := issue(t, srv, "120ms")
	_, body = fetchAuth(t, srv, "/sse/auth?interval=50&session=life", second.Token, last)
	events = parseEvents(body)
	if len(events) < 3 || events[1].ID != itoa(atoi(last)+1) {
		t.Errorf("after Last-Event-ID %s the events are %v, want ids from %d", last, events, atoi(last)+1)
	}
	if !strings.Contains(events[0].Data, `"token":`+itoa(second.Serial)) {
		t.Errorf("welcome %q, want token %d", events[0].Data, second.Serial)
	}

	reqs := sessionRequests(t, srv, "life")
	var got []string
	for _, rec := range reqs {
		got = append(got, itoa(rec.Status)+" "+rec.Header["Authorization"])
	}
	want := []string{"200 Bearer " + first.Token, "401 Bearer " + first.Token, "200 Bearer " + second.Token}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("session log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The store forgets expired tokens when it issues one, and never holds more
// than maxTokens.
func TestTokenStoreBounded(t *testing.T) {
	st := newTokenStore()
	now := time.Now()
	old, _ := st.issue(now, now.Add(time.Second))
	for range maxTokens + 10 {
		st.issue(now.Add(2*time.Second), now.Add(time.Hour))
	}
	if _, ok := st.lookup(old); ok {
		t.Error("an expired token is still in the store")
	}
	if len(st.grants) != maxTokens || len(st.order) != maxTokens {
		t.Errorf("the store holds %d tokens (%d in order), want %d", len(st.grants), len(st.order), maxTokens)
	}
}

// issue gets a token from POST /sse/auth/token?ttl=ttl.
func issue(t *testing.T, srv *httptest.Server, ttl string) tokenResponse {
	t.Helper()
	resp, body := post(t, srv, "/sse/auth/token?ttl="+ttl, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /sse/auth/token?ttl=%s: %s %q: %s", ttl, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var tok tokenResponse
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatalf("POST /sse/auth/token: %v in %s", err, body)
	}
	return tok
}

// fetchAuth gets path with a bearer token and, unless "", a Last-Event-ID.
func fetchAuth(t *testing.T, srv *httptest.Server, path, token, lastEventID string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	return do(t, req)
}

// A fakeClock is a Server's clock in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
