package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// http2Scenarios are the scenarios that TestHTTP2TLS replays over HTTP/2:
// plain events, named events, ids and a reconnection, framing, a UTF-8
// sequence split across writes, and two responses that fail the connection.
var http2Scenarios = []string{
	"simple", "named-events", "ids-reconnect", "crlf", "utf8-split", "status-500", "wrong-content-type",
}

// TestHTTP2TLS replays scenarios of the catalogue over HTTP/2 over TLS, with
// the harness page loaded from the same https origin, and checks that each
// trace of either implementation is the golden trace of the HTTP/1.1 run:
// the protocol under the stream must not change what a page sees. The
// server checks that the streams really went over HTTP/2.
func TestHTTP2TLS(t *testing.T) {
	t.Parallel()
	srv, protos := startHTTP2TLS(t)
	forEachImpl(t, func(t *testing.T, impl string) {
		if impl == "wasm" && env.polyfillErr != nil {
			t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
		}
		// One page runs every scenario in turn: the browser caches
		// nothing from a server whose certificate it does not trust,
		// so each page of its own would fetch and compile the polyfill
		// again.
		ctx := newTab(t)
		openHarnessAt(t, ctx, srv.URL, impl)
		if p := evaluate[string](t, ctx, `performance.getEntriesByType("navigation")[0].nextHopProtocol`); p != "h2" {
			t.Errorf("%s: the harness page came over %q, want h2", impl, p)
		}
		for _, name := range http2Scenarios {
			sc := lookup(t, name)
			t.Run(name, func(t *testing.T) {
				session := newSession(t)
				tr := runTraceIn(t, ctx, withOptions{traceOptions: scenarioOptions(impl, sc, session)})
				checkTrace(t, impl, tr)

				want, err := readGolden(sc.Name)
				if err != nil {
					t.Fatal(err)
				}
				if diff := diffTraces(want, tr.Entries); diff != "" {
					t.Errorf("%s over HTTP/2: the trace differs from %s (the HTTP/1.1 golden), %s", impl, goldenPath(sc.Name), diff)
				}

				got := protos.of("/sse/scenario/"+sc.Name, session)
				if len(got) == 0 {
					t.Fatalf("%s: the TLS server saw no request of the stream", impl)
				}
				for i, p := range got {
					if p != "HTTP/2.0" {
						t.Errorf("%s: request %d of the stream went over %s, want HTTP/2.0", impl, i+1, p)
					}
				}
			})
		}
	})
}

// TestAuthRequired checks a stream that needs an Authorization header:
// /sse/auth answers 401 without a bearer token, and the events with one
// (server/refserver/auth.go). The native EventSource cannot send request
// headers, so it fails the connection (error, CLOSED); so does
// WasmEventSource without the header. With headers: {Authorization} the
// polyfill opens and gets the events, and the server saw the token.
func TestAuthRequired(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, impl string
		authorize  bool
	}{
		{"native", "native", false},
		{"wasm-no-header", "wasm", false},
		{"wasm-bearer", "wasm", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			session := newSession(t)
			opts := withOptions{traceOptions: traceOptions{
				Impl:       c.impl,
				URL:        sessionURL("/sse/auth", session, "interval", "50"),
				Events:     []string{"welcome", "expired"},
				CloseAfter: 3,
				MaxErrors:  10,
				TimeoutMs:  5000,
			}}
			// The token is issued here, not before the subtests: a
			// subtest may wait for a tab longer than the token lives.
			token := issueAuthToken(t)
			if c.authorize {
				opts.Headers = map[string]string{"Authorization": "Bearer " + token}
			}
			tr := traceAt(t, env.server.URL, opts)
			checkTrace(t, c.impl, tr)
			reqs := sessionAt(t, env.server.URL, session)
			if len(reqs) != 1 {
				t.Fatalf("the server saw %d requests, want 1: %+v", len(reqs), reqs)
			}
			req := reqs[0]

			if !c.authorize {
				want := []Entry{{Type: "error", ReadyState: ptr(2)}}
				if diff := diffTraces(want, tr.Entries); diff != "" || tr.EndedBy != "closed" {
					t.Errorf("without Authorization: ended by %q, want the connection failed (closed); %s", tr.EndedBy, diff)
				}
				if req.Status != http.StatusUnauthorized {
					t.Errorf("status %d, want 401", req.Status)
				}
				if _, ok := req.Header["Authorization"]; ok {
					t.Errorf("the request had an Authorization header: %q", req.Header["Authorization"])
				}
				return
			}
			if tr.EndedBy != "close-after" {
				t.Errorf("with Authorization: ended by %q, want close-after (3 events)", tr.EndedBy)
			}
			types := make([]string, 0, len(tr.Entries))
			for _, e := range tr.Entries {
				s := e.Type
				if e.Event != nil {
					s += " " + *e.Event
				}
				if e.LastEventID != nil && *e.LastEventID != "" {
					s += " id=" + *e.LastEventID
				}
				types = append(types, s)
			}
			want := []string{"open", "message welcome", "message message id=1", "message message id=2", "close-called"}
			if !slices.Equal(types, want) {
				t.Errorf("with Authorization: trace %q, want %q", types, want)
			}
			if req.Status != http.StatusOK {
				t.Errorf("status %d, want 200", req.Status)
			}
			if got := req.Header["Authorization"]; got != "Bearer "+token {
				t.Errorf("Authorization %q, want the bearer token", got)
			}
		})
	}
}

// issueAuthToken returns a fresh bearer token for /sse/auth that outlives
// the test.
func issueAuthToken(t *testing.T) string {
	t.Helper()
	resp, err := http.Post(env.server.URL+"/sse/auth/token?ttl=60s", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.Token == "" {
		t.Fatalf("POST /sse/auth/token: %s, %v, token %q", resp.Status, err, tok.Token)
	}
	return tok.Token
}

func ptr[T any](v T) *T { return &v }

// startHTTP2TLS starts a reference server for HTTP/2 over TLS, with a
// self-signed certificate (the browser ignores certificate errors: see
// TestMain), and a log of the protocol of each request. It stops when the
// test ends.
func startHTTP2TLS(t *testing.T) (*httptest.Server, *protoLog) {
	t.Helper()
	protos := &protoLog{next: refserver.New(refserver.Options{
		Root:        env.root,
		OtherOrigin: env.otherServer.URL,
	})}
	srv := httptest.NewUnstartedServer(protos)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, protos
}

// A protoLog is an http.Handler that records r.Proto of each request before
// it hands the request on: the session log of the server does not say
// which protocol a request came over.
type protoLog struct {
	next http.Handler
	mu   sync.Mutex
	seen []protoSeen
}

type protoSeen struct {
	path, session, proto string
}

func (p *protoLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, protoSeen{r.URL.Path, r.URL.Query().Get("session"), r.Proto})
	p.mu.Unlock()
	p.next.ServeHTTP(w, r)
}

// of returns the protocols of the requests for path in session, in order.
func (p *protoLog) of(path, session string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.seen {
		if s.path == path && s.session == session {
			out = append(out, s.proto)
		}
	}
	return out
}

// withOptions are the options of sseTrace.run beyond traceOptions.
type withOptions struct {
	traceOptions
	WithCredentials bool              `json:"withCredentials,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
}

// scenarioOptions are the options of sseTrace.run for scenario sc, as
// runTrace makes them.
func scenarioOptions(impl string, sc scenario.Scenario, session string) traceOptions {
	opts := traceOptions{
		Impl:       impl,
		URL:        scenarioURL(sc.Name, session),
		Events:     sc.Client.Events,
		CloseAfter: sc.Client.CloseAfter,
		MaxErrors:  10,
		TimeoutMs:  traceTimeout.Milliseconds(),
	}
	if sc.Client.TimeoutMs > 0 {
		opts.TimeoutMs = int64(sc.Client.TimeoutMs)
	}
	if opts.Events == nil {
		opts.Events = []string{}
	}
	return opts
}

// traceAt runs one trace in a new tab whose harness page comes from base,
// an origin such as the https one of startHTTP2TLS. Unlike runTrace it does
// not check the trace: the caller does, with checkTrace or its own checks.
func traceAt(t *testing.T, base string, opts withOptions) Trace {
	t.Helper()
	return traceAtAfter(t, base, opts, "")
}

// traceAtAfter is traceAt that evaluates the JavaScript expression setup,
// when it is not empty, in the loaded page before the trace.
func traceAtAfter(t *testing.T, base string, opts withOptions, setup string) Trace {
	t.Helper()
	if opts.Impl == "wasm" && env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	ctx := newTab(t)
	openHarnessAt(t, ctx, base, opts.Impl)
	if setup != "" {
		evaluate[any](t, ctx, setup)
	}
	return runTraceIn(t, ctx, opts)
}

// runTraceIn runs one trace in the harness page of the tab ctx.
func runTraceIn(t *testing.T, ctx context.Context, opts withOptions) Trace {
	t.Helper()
	arg, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	// The page times out on its own; this deadline only catches a page
	// that hangs.
	tr := evaluateWithin[Trace](t, ctx, time.Duration(opts.TimeoutMs)*time.Millisecond+10*time.Second, "sseTrace.run("+string(arg)+")")
	markOtherOrigin(tr.Entries)
	return tr
}

// sessionAt returns the requests that the reference server at base saw in
// a session, as GET /sse/session/{id} reports them.
func sessionAt(t *testing.T, base, session string) []SessionRequest {
	t.Helper()
	resp, err := http.Get(base + "/sse/session/" + url.PathEscape(session))
	if err != nil {
		t.Fatalf("GET %s/sse/session/%s: %v", base, session, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/sse/session/%s: %s", base, session, resp.Status)
	}
	var log struct {
		Requests []SessionRequest `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil {
		t.Fatalf("GET %s/sse/session/%s: %v", base, session, err)
	}
	return log.Requests
}
