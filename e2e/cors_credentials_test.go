package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
)

// TestCORSWithCredentials checks sseTrace.run's withCredentials option
// end to end, the same way for both implementations: a cross-origin stream
// carries the cookies of the other origin's host only when the source was
// made with {withCredentials: true}, and the server's CORS answer (the
// request's Origin, Access-Control-Allow-Credentials: true) lets the page
// read it either way.
//
// The page is on env.server and the stream on env.otherServer: both are
// 127.0.0.1, on two ports, so two origins of one site. Cookies belong to a
// host, not to an origin, so a cookie that the page sets is a cookie of the
// other origin too, and it goes there when credentials are included.
func TestCORSWithCredentials(t *testing.T) {
	t.Parallel()
	if !strings.HasPrefix(env.otherServer.URL, "http://127.0.0.1:") || !strings.HasPrefix(env.server.URL, "http://127.0.0.1:") {
		t.Fatalf("the test needs both servers on 127.0.0.1: %s and %s", env.server.URL, env.otherServer.URL)
	}
	for _, impl := range impls {
		for _, withCredentials := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/withCredentials=%v", impl, withCredentials), func(t *testing.T) {
				t.Parallel()
				checkCORSCredentials(t, impl, withCredentials)
			})
		}
	}
}

func checkCORSCredentials(t *testing.T, impl string, withCredentials bool) {
	session := newSession(t)
	cookie := "cred_" + session
	// A cookie for the host 127.0.0.1 (any port), and only for the echo
	// stream, so that no other test sees it.
	setCookie := "(document.cookie = " + js(cookie+"=1; path=/sse/echo; max-age=60") + ", document.cookie.length)"
	opts := withOptions{
		traceOptions: traceOptions{
			Impl:       impl,
			URL:        env.otherServer.URL + sessionURL("/sse/echo", session),
			Events:     []string{"request"},
			CloseAfter: 1,
			MaxErrors:  10,
			TimeoutMs:  8000,
		},
		WithCredentials: withCredentials,
	}
	tr := traceAtAfter(t, env.server.URL, opts, setCookie)

	if tr.API.WithCredentials != withCredentials {
		t.Errorf("%s: withCredentials = %v, want %v", impl, tr.API.WithCredentials, withCredentials)
	}
	invariants := tr
	invariants.API.WithCredentials = false // checked above
	checkTrace(t, impl, invariants)

	// The same trace for both implementations, with or without
	// credentials: the server allows the page's origin either way.
	if len(tr.Entries) != 3 || tr.EndedBy != "close-after" {
		t.Fatalf("%s: ended by %q with %d entries, want open, the request event and close():\n%s", impl, tr.EndedBy, len(tr.Entries), trace.Encode(tr.Entries))
	}
	want := []Entry{
		{Type: "open", ReadyState: ptr(1)},
		{Type: "message", Event: ptr("request"), LastEventID: ptr(""), Origin: ptr(otherOrigin), ReadyState: ptr(1)},
		{Type: "close-called", ReadyState: ptr(2)},
	}
	// The data describes the request, headers and all, which differ.
	want[1].Data, want[1].DataLength, want[1].DataHash = tr.Entries[1].Data, tr.Entries[1].DataLength, tr.Entries[1].DataHash
	if diff := diffTraces(want, tr.Entries); diff != "" {
		t.Errorf("%s: %s", impl, diff)
	}

	// What the other server's session log says it saw: the cookie,
	// exactly when withCredentials.
	reqs := sessionAt(t, env.otherServer.URL, session)
	if len(reqs) != 1 {
		t.Fatalf("%s: the other origin saw %d requests, want 1", impl, len(reqs))
	}
	req := reqs[0]
	if got := strings.Contains(req.Header["Cookie"], cookie+"=1"); got != withCredentials {
		t.Errorf("%s, withCredentials %v: the session log has the cookie: %v, want %v (Cookie %q)", impl, withCredentials, got, withCredentials, req.Header["Cookie"])
	}
	if got := req.Header["Origin"]; got != env.server.URL {
		t.Errorf("%s: Origin %q, want the page's, %q", impl, got, env.server.URL)
	}
	if req.Status != 200 {
		t.Errorf("%s: status %d, want 200", impl, req.Status)
	}
}
