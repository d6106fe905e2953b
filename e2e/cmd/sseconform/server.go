package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
	"github.com/eventsource-wasm/eventsource-wasm/web"
)

// A local is the HTTP server of a run, on 127.0.0.1 and a free port:
//
//	/sse/...            the reference server (server/refserver)
//	/dist/...           the built polyfill, from -dist
//	/impl/N/FILE.js     the script of the N-th implementation
//	/harness.html, /trace.js   the trace harness, embedded in the command
//	/conformance.html   the conformance page, embedded too
type local struct {
	URL    string
	srv    *http.Server
	closed chan struct{}
}

// startLocal starts the server for impls on a free port of 127.0.0.1.
func startLocal(impls []impl, distDir string) (*local, error) {
	return listenLocal("127.0.0.1:0", impls, distDir)
}

// listenLocal starts the server for impls on addr.
func listenLocal(addr string, impls []impl, distDir string) (*local, error) {
	mux := http.NewServeMux()
	ref := refserver.New(refserver.Options{})
	mux.Handle("/sse/", ref)
	mux.Handle("/dist/", http.StripPrefix("/dist/", noCache(http.FileServer(http.Dir(distDir)))))
	for i, im := range impls {
		if im.Kind != "script" {
			continue
		}
		mux.HandleFunc("GET "+scriptPath(i, im), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.ServeFile(w, r, im.Path)
		})
	}
	mux.Handle("/", noCache(http.FileServerFS(web.Conformance)))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &local{
		URL: "http://" + ln.Addr().String(),
		// WebKit's driver cannot read a page's console: the relay
		// puts a script in each page served to WebKit that keeps it
		// for the tab to read (other engines get the pages as they
		// are).
		srv:    &http.Server{Handler: browser.ConsoleRelay(mux), ErrorLog: log.New(io.Discard, "", 0)},
		closed: make(chan struct{}),
	}
	go func() {
		defer close(l.closed)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "sseconform: server:", err)
		}
	}()
	return l, nil
}

// otherOrigin is the second origin of the cross-origin scenarios: the
// reference server's default, the same port with localhost in place of
// 127.0.0.1 (refserver.Options.OtherOrigin).
func (l *local) otherOrigin() string {
	return strings.Replace(l.URL, "//127.0.0.1:", "//localhost:", 1)
}

// close stops the server and ends the streams it still plays.
func (l *local) close() {
	l.srv.Close()
	<-l.closed
}

// noCache serves static files with Cache-Control: no-cache and a
// JavaScript or WebAssembly type whatever the host's MIME tables say:
// WebAssembly.instantiateStreaming refuses a module of another type.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		switch path.Ext(r.URL.Path) {
		case ".wasm":
			w.Header().Set("Content-Type", "application/wasm")
		case ".js", ".mjs":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		h.ServeHTTP(w, r)
	})
}

// scriptPath is where the local server serves the script of the i-th
// implementation.
func scriptPath(i int, im impl) string {
	return "/impl/" + strconv.Itoa(i) + "/" + url.PathEscape(filepath.Base(im.Path))
}

// harnessURL is the URL of the harness page for the i-th implementation.
func (l *local) harnessURL(i int, im impl) string { return harnessURL(l.URL, i, im) }

// harnessURL is the URL of the harness page for the i-th implementation on
// origin.
func harnessURL(origin string, i int, im impl) string {
	q := url.Values{"impl": {im.Kind}}
	if im.Kind == "script" {
		q.Set("src", scriptPath(i, im))
		q.Set("global", im.Global)
	}
	return origin + "/harness.html?" + strings.ReplaceAll(q.Encode(), "%2F", "/")
}
