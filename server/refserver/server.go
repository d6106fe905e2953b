// Package refserver is the reference server-sent events server: it plays the
// scenarios of package scenario, records what each client sent, and serves
// the demo and test pages.
//
// Routes:
//
//	GET      /                              static files from Root/web
//	GET      /dist/...                      static files from Root/dist
//	GET      /sse/scenarios                 the scenario catalogue as JSON
//	GET|POST /sse/scenario/{name}?session=S one response of a scenario, by session
//	GET      /sse/scenario/{name}/expect    the events a conforming client dispatches, as JSON
//	GET      /sse/session/{id}              every request seen for a session, as JSON
//	GET|POST /sse/echo?session=S            an event describing the request, then keepalives
//	GET      /sse/counter?total=N&per=K&retry=MS&gap=MS&idparam=NAME&session=S
//	                                        numbered events that resume after Last-Event-ID
//	                                        (or after the query parameter NAME)
//	GET      /sse/bench?n=N&size=B&ts=1&gap=MS
//	                                        N events of B bytes, for throughput and latency
//	GET      /sse/clock?interval=MS         a never-ending clock for the demo page
//	GET      /sse/refuse?ok=K&session=S     a network error, except every K-th request of the
//	                                        session, which gets one event and ends
//	POST     /sse/auth/token?ttl=D          a bearer token for /sse/auth that expires after D
//	GET      /sse/auth?interval=MS&retry=MS&session=S
//	                                        a stream for bearers of a live token, which
//	                                        ends when the token expires; 401 without one
//	POST     /sse/chat?delay=MS&session=S   a bot's reply to the JSON body {prompt, bot},
//	                                        word by word, then an event "done"
//	GET      /wpt/resources/...             the request handlers of the web-platform-tests
//	                                        eventsource/ directory, re-expressed (wpt.go)
//	GET      /sse/flaky?total=N&min=A&max=B&seed=S&gap=MS&retry=MS&session=S
//	                                        numbered events that resume after Last-Event-ID,
//	                                        each response breaking off at a random point
//	GET      /sse/flaky/faults?session=S    the faults /sse/flaky injected, as JSON
//	GET      /sse/drip?ms=MS                one event, one byte every MS milliseconds
//	GET      /sse/overload?ok=K&retry=MS&session=S
//	                                        503 with a retry field, after K streams that end
//	GET      /sse/soak?total=N&session=S    N numbered events in 32 KiB writes (faults.go)
//	GET      /sse/redirect?to=URL&status=C&session=S
//	                                        a redirect to a loopback URL
//	GET      /csp/{policy}/...              the pages of web/ under a Content-Security-Policy
//	                                        (security.go)
//	GET      /slow/{path...}?delay=MS       what GET /{path} gives, MS (default 500) milliseconds
//	                                        late: for tests of a slow module download
//
// Every /sse/ response allows cross-origin requests with credentials from any
// origin, and OPTIONS preflights are answered, so that tests can also run
// the client cross-origin.
//
// The server never imports the client under wasm/: it is a reference for the
// client, written independently of it.
package refserver

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// Options configure a Server.
type Options struct {
	// Root is the directory holding web/ and dist/; "" means the current
	// directory.
	Root string
	// Logf, when set, gets one line per request once its response is over.
	Logf func(format string, args ...any)
	// OtherOrigin is the origin of a second listener serving this same
	// Server, such as "http://127.0.0.1:8081", which the placeholder
	// "{{otherOrigin}}" of the cross-origin scenarios stands for. When it
	// is empty, the other origin is the request's host with 127.0.0.1 and
	// localhost swapped, on the same port: another origin on the same
	// listener.
	OtherOrigin string
}

// A Server is the reference server's http.Handler.
type Server struct {
	root     string
	logf     func(format string, args ...any)
	mux      *http.ServeMux
	sessions *sessionLog
	tokens   *tokenStore
	now      func() time.Time
	// otherOrigin is Options.OtherOrigin.
	otherOrigin string
	// versions keeps the static files' versions (see static).
	versions VersionCache
}

// New returns a Server configured by opts.
func New(opts Options) *Server {
	s := &Server{
		root:     opts.Root,
		logf:     opts.Logf,
		mux:      http.NewServeMux(),
		sessions: newSessionLog(),
		tokens:   newTokenStore(),
		now:      time.Now,

		otherOrigin: strings.TrimSuffix(opts.OtherOrigin, "/"),
	}
	if s.root == "" {
		s.root = "."
	}
	s.mux.HandleFunc("GET /sse/scenarios", s.listScenarios)
	s.mux.HandleFunc("GET /sse/scenario/{name}/expect", s.expectScenario)
	// Both GET and POST play a scenario; the handler checks the method
	// after the name, so that an unknown name is 404 whatever the method.
	s.mux.HandleFunc("/sse/scenario/{name}", s.playScenario)
	s.mux.HandleFunc("GET /sse/session/{id}", s.reportSession)
	s.mux.HandleFunc("/sse/echo", s.echo)
	s.mux.HandleFunc("GET /sse/counter", s.counter)
	s.mux.HandleFunc("GET /sse/bench", s.bench)
	s.mux.HandleFunc("GET /sse/clock", s.clock)
	s.mux.HandleFunc("GET /sse/refuse", s.refuse)
	s.mux.HandleFunc("/sse/auth/token", s.issueToken)
	s.mux.HandleFunc("/sse/auth", s.auth)
	s.mux.HandleFunc("/sse/chat", s.chat)
	s.mux.HandleFunc("/sse/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "refserver: no such endpoint: "+r.URL.Path, http.StatusNotFound)
	})
	s.registerWPT()
	s.registerFaults()
	s.registerSecurity()
	s.mux.HandleFunc("GET /slow/{path...}", s.slow)
	s.mux.Handle("/dist/", http.StripPrefix("/dist", s.static("dist")))
	s.mux.Handle("/", s.static("web"))
	return s
}

// ServeHTTP routes r, adds the cross-origin headers of /sse/ responses, and
// logs the request once its response is over.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if s.logf != nil {
			s.logf("%s %s %d %v", r.Method, r.URL.RequestURI(), sw.status, s.now().Sub(start).Round(time.Millisecond))
		}
	}()
	if r.Body != nil {
		r.Body = http.MaxBytesReader(sw, r.Body, maxRequestBody)
	}
	if strings.HasPrefix(r.URL.Path, "/sse/") {
		allowOrigin(sw, r)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(sw, r)
			return
		}
	}
	s.mux.ServeHTTP(sw, r)
}

// maxSlowDelay bounds the delay parameter of /slow/.
const maxSlowDelay = 10 * time.Second

// slow answers GET /slow/{path...} as the server answers GET /{path}, after
// the delay its query asks for. A test whose page must act before a file
// arrives, such as a module that fails to load, cannot rely on the page's
// own scripts being faster than a loopback response.
func (s *Server) slow(w http.ResponseWriter, r *http.Request) {
	ms, err := intParam(r.URL.Query(), "delay", 500, 0, maxSlowDelay.Milliseconds())
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	inner := r.Clone(r.Context())
	inner.URL.Path = "/" + r.PathValue("path")
	inner.URL.RawPath = ""
	inner.URL.RawQuery = ""
	inner.RequestURI = inner.URL.RequestURI()
	s.mux.ServeHTTP(w, inner)
}

// otherOriginFor returns the origin that "{{otherOrigin}}" stands for in a
// response to r: Options.OtherOrigin, or else r's host with 127.0.0.1 and
// localhost swapped, which reaches the same listener from another origin.
// For any other host it is r's own origin, and a cross-origin scenario then
// runs same-origin.
func (s *Server) otherOriginFor(r *http.Request) string {
	if s.otherOrigin != "" {
		return s.otherOrigin
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	switch host {
	case "127.0.0.1":
		host = "localhost"
	case "localhost":
		host = "127.0.0.1"
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	return "http://" + host
}

// allowOrigin lets the requesting origin read the response, credentials
// included (Fetch, "CORS protocol").
func allowOrigin(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// preflight answers a CORS-preflight request, allowing whatever method and
// headers it asks for.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
	if headers := r.Header.Get("Access-Control-Request-Headers"); headers != "" {
		h.Set("Access-Control-Allow-Headers", headers)
	}
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// A scenarioSummary is one entry of GET /sse/scenarios.
type scenarioSummary struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Client      scenario.Client `json:"client"`
	// Connections is the number of scripted responses; the request after
	// them gets 204 No Content.
	Connections int `json:"connections"`
	// ExpectedEvents is the number of events a conforming client
	// dispatches; GET /sse/scenario/{name}/expect lists them.
	ExpectedEvents int `json:"expectedEvents"`
}

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request) {
	catalogue := scenario.Catalogue()
	list := make([]scenarioSummary, len(catalogue))
	for i, sc := range catalogue {
		list[i] = scenarioSummary{
			Name:           sc.Name,
			Description:    sc.Description,
			Client:         sc.Client,
			Connections:    len(sc.Responses),
			ExpectedEvents: len(sc.Expect),
		}
	}
	writeJSON(w, list)
}

func (s *Server) expectScenario(w http.ResponseWriter, r *http.Request) {
	sc, ok := scenario.Lookup(r.PathValue("name"))
	if !ok {
		http.Error(w, "refserver: unknown scenario "+r.PathValue("name"), http.StatusNotFound)
		return
	}
	events := sc.Expect
	if events == nil {
		events = []scenario.Event{}
	}
	writeJSON(w, struct {
		Name   string           `json:"name"`
		Client scenario.Client  `json:"client"`
		Events []scenario.Event `json:"events"`
	}{sc.Name, sc.Client, events})
}

// reportSession answers with every request seen for a session. A session
// the server never saw has no requests, which is not an error: a test may
// ask before its client connected.
func (s *Server) reportSession(w http.ResponseWriter, r *http.Request) {
	rep, ok := s.sessions.report(r.PathValue("id"))
	if !ok || rep.Requests == nil {
		rep.Requests = []requestRecord{}
	}
	writeJSON(w, rep)
}

// writeJSON answers with v as JSON, never cached.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

// A statusWriter remembers the status code of a response for the log. It
// unwraps to the ResponseWriter it wraps, so http.ResponseController can
// still flush.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
