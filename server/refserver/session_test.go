package refserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

func TestSessionReport(t *testing.T) {
	srv := newTestServer(t)
	get(t, srv, scenarioPath("ids-reconnect", "r"), "", scenario.Response{}, scenario.Vars{})
	req, _ := http.NewRequest("POST", srv.URL+scenarioPath("ids-reconnect", "r"), strings.NewReader("posted body"))
	req.Header.Set("Last-Event-ID", "2")
	req.Header.Add("X-Test", "first")
	req.Header.Add("X-Test", "second")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	reqs := sessionRequests(t, srv, "r")
	if len(reqs) != 2 {
		t.Fatalf("%d requests recorded, want 2: %+v", len(reqs), reqs)
	}
	first, second := reqs[0], reqs[1]
	tests := []struct {
		name      string
		got, want any
	}{
		{"first path", first.Path, "/sse/scenario/ids-reconnect"},
		{"first query", first.Query, "session=r"},
		{"first scenario", first.Scenario, "ids-reconnect"},
		{"first method", first.Method, "GET"},
		{"first has no Last-Event-ID", first.HasLastEventID, false},
		{"first status", first.Status, 200},
		{"second method", second.Method, "POST"},
		{"second Last-Event-ID", second.LastEventID, "2"},
		{"second has Last-Event-ID", second.HasLastEventID, true},
		{"second body", second.Body, "posted body"},
		{"second header, first value", second.Header["X-Test"], "first"},
		{"second header, canonical name", second.Header["Last-Event-Id"], "2"},
		{"second Host", second.Header["Host"], strings.TrimPrefix(srv.URL, "http://")},
		{"second not active", second.Active, false},
		{"second not aborted", second.Aborted, false},
		{"in order", first.StartedMs <= second.StartedMs, true},
		{"ended after started", second.EndedMs >= second.StartedMs, true},
		{"started recently", time.Since(time.UnixMicro(int64(first.StartedMs*1000))) < time.Minute, true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}

	if reqs := sessionRequests(t, srv, "never-seen"); len(reqs) != 0 {
		t.Errorf("an unknown session lists %d requests, want none", len(reqs))
	}
}

// TestSessionActiveUntilClientGoesAway checks what lets browser tests see
// that close() aborted the request: a held response stays active until the
// client goes away, and then it is marked aborted.
func TestSessionActiveUntilClientGoesAway(t *testing.T) {
	srv := newTestServer(t)
	for _, name := range []string{"simple", "close", "gzip"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			session := "active-" + name
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+scenarioPath(name, session), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := resp.Body.Read(make([]byte, 1)); err != nil {
				t.Fatalf("reading the stream: %v", err)
			}
			if reqs := sessionRequests(t, srv, session); len(reqs) != 1 || !reqs[0].Active || reqs[0].EndedMs != 0 {
				t.Fatalf("while the stream is open: %+v, want one active request", reqs)
			}
			cancel()
			resp.Body.Close()
			var last requestRecord
			waitFor(t, func() bool {
				last = sessionRequests(t, srv, session)[0]
				return !last.Active
			}, "the request to end")
			if !last.Aborted || last.EndedMs < last.StartedMs {
				t.Errorf("after the client went away: %+v, want aborted and ended", last)
			}
		})
	}
}

func TestSessionLogIsBounded(t *testing.T) {
	log := newSessionLog()
	req := httptest.NewRequest("GET", "/sse/scenario/simple", nil)
	for i := range maxSessions + 5 {
		log.start("s"+strconv.Itoa(i), "simple", newRequestRecord(req, time.Now()))
	}
	for i, want := range map[int]bool{0: false, 4: false, 5: true, maxSessions + 4: true} {
		if _, ok := log.report("s" + strconv.Itoa(i)); ok != want {
			t.Errorf("session %d kept: %v, want %v", i, ok, want)
		}
	}

	for i := range maxRequestsPerSession + 3 {
		if index := log.start("busy", "simple", newRequestRecord(req, time.Now())); index != i {
			t.Fatalf("request %d counted as %d", i, index)
		}
	}
	rep, _ := log.report("busy")
	if len(rep.Requests) != maxRequestsPerSession || rep.Dropped != 3 {
		t.Errorf("%d requests recorded and %d dropped, want %d and 3", len(rep.Requests), rep.Dropped, maxRequestsPerSession)
	}

	long := httptest.NewRequest("POST", "/sse/echo", strings.NewReader(strings.Repeat("x", maxRecordedBody+10)))
	if rec := newRequestRecord(long, time.Now()); len(rec.Body) != maxRecordedBody {
		t.Errorf("recorded %d bytes of body, want %d", len(rec.Body), maxRecordedBody)
	}
}

func sessionRequests(t *testing.T, srv *httptest.Server, session string) []requestRecord {
	t.Helper()
	var rep sessionReport
	getJSON(t, srv, "/sse/session/"+session, &rep)
	return rep.Requests
}

// waitFor polls cond until it holds, failing t after a few seconds.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
