package refserver

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Endpoints for the security tests (e2e/faults_test.go): a redirect to
// another origin, to check which request headers survive it, and the test
// pages under a strict Content-Security-Policy.
//
//	GET /sse/redirect?to=URL&status=307&session=S
//	GET /csp/{policy}/...

// maxRequestBody bounds every request body the server reads: no endpoint
// needs more, and ServeHTTP refuses to read past it whatever the handler.
const maxRequestBody = 1 << 20

// registerSecurity adds the routes of the security tests.
func (s *Server) registerSecurity() {
	s.mux.HandleFunc("GET /sse/redirect", s.redirect)
	for name := range cspPolicies {
		prefix := "/csp/" + name
		s.mux.Handle("GET "+prefix+"/", cspPage(cspPolicies[name], http.StripPrefix(prefix, s.static("web"))))
	}
}

// redirect records the request, with its headers, in the session its
// query names, and redirects to the URL in to with status (307 by
// default; 301, 302, 303, 307 or 308). Only loopback URLs are allowed, so
// the reference server is no open redirector.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status, err := intParam(q, "status", http.StatusTemporaryRedirect, 301, 308)
	if err != nil || status == 304 || status == 305 || status == 306 {
		http.Error(w, "refserver: status must be 301, 302, 303, 307 or 308", http.StatusBadRequest)
		return
	}
	to, err := url.Parse(q.Get("to"))
	if err != nil || (to.Scheme != "http" && to.Scheme != "https") || !isLoopback(to.Hostname()) {
		http.Error(w, "refserver: to must be an http(s) URL on a loopback host", http.StatusBadRequest)
		return
	}
	rec := s.record(r, "")
	s.sessions.wroteHeader(rec, int(status))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to.String(), int(status))
	s.finish(rec, r, nil)
}

// isLoopback reports whether host names this machine: localhost or a
// loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cspPolicies are the Content-Security-Policy headers of the pages under
// /csp/{policy}/. "strict" is what a careful site sends: scripts only from
// its own origin, no eval and no inline script, but WebAssembly allowed
// ('wasm-unsafe-eval', which WebAssembly.instantiateStreaming needs).
// "no-wasm" forbids WebAssembly too, so the polyfill cannot run.
var cspPolicies = map[string]string{
	"strict":  "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'",
	"no-wasm": "script-src 'self'; object-src 'none'; base-uri 'none'",
}

// cspPage serves h with a Content-Security-Policy header.
func cspPage(policy string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		h.ServeHTTP(w, r)
	})
}
