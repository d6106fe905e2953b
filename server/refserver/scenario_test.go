package refserver

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// TestScenarioPlaysExactBytes plays every response of every scenario and
// compares what arrives with the scenario's data, then checks that the
// request after the last response gets 204 No Content.
func TestScenarioPlaysExactBytes(t *testing.T) {
	srv := newTestServer(t)
	for _, sc := range scenario.Catalogue() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			session := "bytes-" + sc.Name
			for i, want := range sc.Responses {
				vars := scenario.Vars{LastEventID: "7", Session: session, OtherOrigin: testOtherOrigin}
				if want.Refuse {
					checkRefused(t, srv, scenarioPath(sc.Name, session))
					continue
				}
				resp, body := get(t, srv, scenarioPath(sc.Name, session), "7", want, vars)
				if resp.StatusCode != want.StatusCode() {
					t.Fatalf("response %d: status %d, want %d", i, resp.StatusCode, want.StatusCode())
				}
				checkHeader(t, resp, want, vars)
				if got := expected(want, vars); body != got {
					t.Fatalf("response %d: body differs\n got %s\nwant %s", i, brief(body), brief(got))
				}
			}
			resp, body := get(t, srv, scenarioPath(sc.Name, session), "", scenario.Response{}, scenario.Vars{})
			if resp.StatusCode != http.StatusNoContent || body != "" {
				t.Errorf("request after the last response: %s with %d bytes, want 204 and none", resp.Status, len(body))
			}
		})
	}
}

func TestScenarioSessions(t *testing.T) {
	srv := newTestServer(t)
	type step struct {
		name        string
		scenario    string
		session     string
		lastEventID string
		wantStatus  int
		wantBody    string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"responses in order, then 204", []step{
			{"first", "ids-reconnect", "a", "", 200, "retry: 50\nid: 1\ndata: first\n\nid: 2\ndata: second\n\n"},
			{"second", "ids-reconnect", "a", "2", 200, "data: last-event-id=2\n\n"},
			{"third", "ids-reconnect", "a", "2", 204, ""},
			{"fourth", "ids-reconnect", "a", "2", 204, ""},
		}},
		{"absent Last-Event-ID is empty", []step{
			{"first", "ids-reconnect", "b", "", 200, "retry: 50\nid: 1\ndata: first\n\nid: 2\ndata: second\n\n"},
			{"second", "ids-reconnect", "b", "", 200, "data: last-event-id=\n\n"},
		}},
		{"counted per scenario within a session", []step{
			{"retry first", "retry", "c", "", 200, "retry: 300\ndata: before\n\n"},
			{"ids first", "ids-reconnect", "c", "", 200, "retry: 50\nid: 1\ndata: first\n\nid: 2\ndata: second\n\n"},
			{"retry second", "retry", "c", "", 200, "data: after\n\n"},
		}},
		{"no session is always the first request", []step{
			{"first", "retry", "", "", 200, "retry: 300\ndata: before\n\n"},
			{"again", "retry", "", "", 200, "retry: 300\ndata: before\n\n"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, st := range tt.steps {
				resp, body := get(t, srv, scenarioPath(st.scenario, st.session), st.lastEventID, scenario.Response{}, scenario.Vars{})
				if resp.StatusCode != st.wantStatus || body != st.wantBody {
					t.Errorf("%s: %d %q, want %d %q", st.name, resp.StatusCode, body, st.wantStatus, st.wantBody)
				}
			}
		})
	}
}

func TestScenarioRedirectKeepsSession(t *testing.T) {
	srv := newTestServer(t)
	client := &http.Client{} // follows redirects
	resp, err := client.Get(srv.URL + scenarioPath("redirect", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := "data: after redirect\n\n"
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != want {
		t.Fatalf("after the redirect: %q, %v; want %q", buf, err, want)
	}
	if !strings.HasPrefix(resp.Request.URL.RawQuery, "session=anonymous-") {
		t.Errorf("redirected to %s, want an anonymous session named in the query", resp.Request.URL)
	}
}

func TestScenarioErrors(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
	}{
		{"unknown scenario", "GET", "/sse/scenario/no-such-scenario?session=x", 404},
		{"unknown scenario by POST", "POST", "/sse/scenario/no-such-scenario", 404},
		{"unknown expectation", "GET", "/sse/scenario/no-such-scenario/expect", 404},
		{"unknown sse endpoint", "GET", "/sse/no-such-endpoint", 404},
		{"scenario by PUT", "PUT", "/sse/scenario/simple", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s: %s, want %d", tt.method, tt.path, resp.Status, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
		})
	}
}

func TestListScenarios(t *testing.T) {
	srv := newTestServer(t)
	var list []struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Client      scenario.Client `json:"client"`
		Connections int             `json:"connections"`
	}
	getJSON(t, srv, "/sse/scenarios", &list)
	catalogue := scenario.Catalogue()
	if len(list) != len(catalogue) {
		t.Fatalf("%d scenarios listed, want %d", len(list), len(catalogue))
	}
	for i, sc := range catalogue {
		got := list[i]
		if got.Name != sc.Name || got.Description != sc.Description ||
			got.Connections != len(sc.Responses) || got.Client.CloseAfter != sc.Client.CloseAfter {
			t.Errorf("entry %d = %+v, want scenario %q with %d connections", i, got, sc.Name, len(sc.Responses))
		}
	}

	var expect struct {
		Events []scenario.Event `json:"events"`
	}
	getJSON(t, srv, "/sse/scenario/named-events/expect", &expect)
	sc, _ := scenario.Lookup("named-events")
	if len(expect.Events) != len(sc.Expect) || expect.Events[0] != sc.Expect[0] {
		t.Errorf("expect = %+v, want %+v", expect.Events, sc.Expect)
	}
}

// get requests path with an optional Last-Event-ID, without following
// redirects or decoding gzip, and returns the response and its body. For a
// response that never ends it reads the bytes that want plays (two rounds of
// Repeat) and then goes away.
func get(t *testing.T, srv *httptest.Server, path, lastEventID string, want scenario.Response, vars scenario.Vars) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		body = gz
	}
	if want.Drop {
		// The body must stop at a broken chunked encoding, not end.
		b, err := io.ReadAll(body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("reading a dropped body: %v, want io.ErrUnexpectedEOF", err)
		}
		return resp, string(b)
	}
	if want.Ends() || want.StatusCode() != http.StatusOK {
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("reading the body: %v", err)
		}
		return resp, string(b)
	}
	b := make([]byte, len(expected(want, vars)))
	if _, err := io.ReadFull(body, b); err != nil {
		t.Fatalf("reading %d bytes of a held body: %v", len(b), err)
	}
	return resp, string(b)
}

// expected is the body that playing r with vars writes, with two rounds of
// Repeat.
func expected(r scenario.Response, vars scenario.Vars) string {
	var b strings.Builder
	for _, c := range r.Chunks {
		b.WriteString(vars.Expand(c.Data))
	}
	for vars.N = 1; vars.N <= 2 && len(r.Repeat) > 0; vars.N++ {
		for _, c := range r.Repeat {
			b.WriteString(vars.Expand(c.Data))
		}
	}
	return b.String()
}

// checkHeader checks the header fields that playing want must send.
func checkHeader(t *testing.T, resp *http.Response, want scenario.Response, vars scenario.Vars) {
	t.Helper()
	wantType, set := want.Header["Content-Type"]
	if !set && want.StatusCode() == http.StatusOK {
		wantType = "text/event-stream"
	}
	if got, ok := resp.Header["Content-Type"]; wantType == "" && ok {
		t.Errorf("Content-Type %q, want none", got)
	} else if wantType != "" && resp.Header.Get("Content-Type") != wantType {
		t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), wantType)
	}
	for name, value := range want.Header {
		if value != "" && resp.Header.Get(name) != vars.Expand(value) {
			t.Errorf("%s: %q, want %q", name, resp.Header.Get(name), vars.Expand(value))
		}
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	if got, wantGzip := resp.Header.Get("Content-Encoding"), want.Gzip; (got == "gzip") != wantGzip {
		t.Errorf("Content-Encoding %q, gzip wanted: %v", got, wantGzip)
	}
}

// checkRefused checks that a request for path fails as a network error
// would: the response head cannot be read.
func checkRefused(t *testing.T, srv *httptest.Server, path string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s: %s, want an error", path, resp.Status)
	}
}

func TestOtherOrigin(t *testing.T) {
	tests := []struct {
		option, host, want string
	}{
		{"http://127.0.0.1:9/", "127.0.0.1:8", "http://127.0.0.1:9"},
		{"", "127.0.0.1:8", "http://localhost:8"},
		{"", "localhost:8", "http://127.0.0.1:8"},
		{"", "localhost", "http://127.0.0.1"},
		{"", "example.com:8", "http://example.com:8"},
	}
	for _, tt := range tests {
		s := New(Options{OtherOrigin: tt.option})
		r := httptest.NewRequest("GET", "/sse/scenario/cors-redirect", nil)
		r.Host = tt.host
		if got := s.otherOriginFor(r); got != tt.want {
			t.Errorf("OtherOrigin %q, Host %q: %q, want %q", tt.option, tt.host, got, tt.want)
		}
	}
}

// testOtherOrigin is what the test server's "{{otherOrigin}}" stands for.
const testOtherOrigin = "http://127.0.0.1:1"

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Options{Root: t.TempDir(), Logf: t.Logf, OtherOrigin: testOtherOrigin}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func scenarioPath(name, session string) string {
	p := "/sse/scenario/" + url.PathEscape(name)
	if session != "" {
		p += "?session=" + url.QueryEscape(session)
	}
	return p
}

func getJSON(t *testing.T, srv *httptest.Server, path string, v any) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// brief shortens s for a failure message.
func brief(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q… (%d bytes)", s[:120], len(s))
	}
	return fmt.Sprintf("%q", s)
}
