package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

// refServer starts the reference server for a test.
func refServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(refserver.New(refserver.Options{}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func readServerReport(t *testing.T, dir string) (*ServerReport, string) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(dir, "sseconform-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep ServerReport
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "sseconform-server.html"))
	if err != nil {
		t.Fatal(err)
	}
	return &rep, string(page)
}

func findingCodes(rep *ServerReport, severity string) []string {
	var codes []string
	for _, f := range rep.Findings {
		if f.Severity == severity {
			codes = append(codes, f.ID)
		}
	}
	return codes
}

// TestServerGood checks a stream of the reference server that does
// everything right: no problem, and both implementations see its events.
func TestServerGood(t *testing.T) {
	t.Parallel()
	needDist(t)
	ref := refServer(t)
	out := t.TempDir()
	err, stdout, _ := runCommand(t, "-server", ref.URL+"/sse/scenario/simple", "-duration", "3s", "-max-events", "3",
		"-impl", "native,wasm", "-dist", distDir, "-out", out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stdout, "0 errors, 0 warnings") {
		t.Errorf("the summary does not say that there is no problem")
	}
	rep, page := readServerReport(t, out)
	for _, f := range rep.Findings {
		// A busy machine can delay the headers; nothing else is
		// wrong with this stream, whose events have no ids.
		if f.ID != "late-headers" && severityRank(f.Severity) < severityRank(sevNote) {
			t.Errorf("finding %+v, want none", f)
		}
	}
	if rep.Response.Status != 200 || rep.Response.Header["x-accel-buffering"] != "no" || rep.Stream.Dispatched != 3 {
		t.Errorf("response %+v, %d events; want 200 with all headers (X-Accel-Buffering too) and 3 events", rep.Response, rep.Stream.Dispatched)
	}
	for _, tr := range rep.Traces {
		if tr.Messages != 3 || tr.EndedBy != "close-after" {
			t.Errorf("%s: %d messages, ended by %q; want 3, close-after", tr.Impl, tr.Messages, tr.EndedBy)
		}
	}
	if !strings.Contains(page, `<b class="ok">0</b>`) {
		t.Errorf("the HTML report does not say that there is no error")
	}
}

// TestServerWrongContentType checks a stream served as text/plain: an
// error, so the run fails.
func TestServerWrongContentType(t *testing.T) {
	t.Parallel()
	ref := refServer(t)
	out := t.TempDir()
	err, stdout, _ := runCommand(t, "-server", ref.URL+"/sse/scenario/wrong-content-type", "-duration", "2s",
		"-impl", "native", "-out", out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	if !strings.Contains(stdout, `ERROR   content-type: Content-Type is "text/plain"`) {
		t.Errorf("the summary does not report the content type")
	}
	rep, page := readServerReport(t, out)
	if got := findingCodes(rep, "error"); strings.Join(got, ",") != "content-type" {
		t.Errorf("errors %q, want content-type only", got)
	}
	if tr := rep.Traces[0]; tr.Messages != 0 || tr.EndedBy != "closed" {
		t.Errorf("native: %d messages, ended by %q; want none, closed", tr.Messages, tr.EndedBy)
	}
	if !strings.Contains(page, `class="finding sev-error"`) {
		t.Errorf("the HTML report shows no error")
	}
}

// TestServerProblems checks a stream with many problems: no
// Cache-Control, headers flushed but the events held back to the end of
// the body, field lines that a client ignores, and Last-Event-ID ignored,
// so that a reconnection gets every event again. The page is on the
// stream's own origin (the default): no CORS finding, and the page reads
// the body itself.
func TestServerProblems(t *testing.T) {
	t.Parallel()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		select {
		case <-time.After(700 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Write([]byte("id: 1\ndata: one\n\nData: two\nretry: 1s\nid: a\x00b\nid: 2\ndata: three\n\ndata: cut off\n"))
	}))
	t.Cleanup(bad.Close)
	out := t.TempDir()
	err, _, _ := runCommand(t, "-server", bad.URL, "-duration", "2s", "-impl", "native", "-out", out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run: %v, want errFailed", err)
	}
	rep, _ := readServerReport(t, out)
	if rep.Response.ReadBy != "page" || rep.CrossOrigin {
		t.Errorf("the body was read by %q, cross-origin %v; want the page, on the stream's origin", rep.Response.ReadBy, rep.CrossOrigin)
	}
	if got := strings.Join(findingCodes(rep, sevError), ","); got != "held-back,duplicate-on-resume" {
		t.Errorf("errors %s, want held-back,duplicate-on-resume", got)
	}
	warnings := strings.Join(findingCodes(rep, sevWarning), ",")
	for _, want := range []string{"cache-control", "unknown-field", "retry", "id-nul", "incomplete-event"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("no %s warning in %s", want, warnings)
		}
	}
	if strings.Contains(warnings, "cors") {
		t.Errorf("a CORS warning for a page on the stream's own origin: %s", warnings)
	}
	for _, f := range rep.Findings {
		if f.ID == "unknown-field" && !strings.Contains(f.Message, `did you mean "data"`) {
			t.Errorf("the unknown field Data has no hint: %s", f.Message)
		}
		if f.ID == "duplicate-on-resume" && (f.Evidence["lastEventId"] != "2" || f.Evidence["repeated"] != "1,2") {
			t.Errorf("duplicate-on-resume evidence %v, want lastEventId 2, repeated 1,2", f.Evidence)
		}
	}
	if rep.Stream.Dispatched != 2 {
		t.Errorf("%d events in the bytes, want 2 (one, three)", rep.Stream.Dispatched)
	}
	// The trace runs on a page of the stream's own origin, which needs no
	// CORS: the harness there comes from sseconform, not from the server.
	if tr := rep.Traces[0]; tr.Messages != 2 || !strings.HasPrefix(tr.Page, bad.URL+"/harness.html") {
		t.Errorf("native from %s: %d messages, problems %q; want 2 from a page on %s", tr.Page, tr.Messages, tr.Problems, bad.URL)
	}
}

// tickStream is an event stream handler: an event every 50 ms on each
// connection, each written and flushed (unless flush is false), with ids
// that count on from the request's Last-Event-ID (unless ids is false), so
// that a reconnection resumes right after the last event it had.
func tickStream(ids, flush bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Accel-Buffering", "no")
		n, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		rc := http.NewResponseController(w)
		w.WriteHeader(http.StatusOK)
		if flush {
			rc.Flush()
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			n++
			if ids {
				fmt.Fprintf(w, "id: %d\n", n)
			}
			fmt.Fprintf(w, "data: tick %d\n\n", n)
			if flush {
				rc.Flush()
			}
		}
	}
}

// gzipMiddleware compresses responses for clients that accept gzip, as
// many a compression middleware does. Its Flush flushes the connection;
// only with flushCompressor does it flush the compressor first, without
// which the compressor holds the events back until its buffer fills.
func gzipMiddleware(h http.Handler, flushCompressor bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		h.ServeHTTP(&gzipWriter{ResponseWriter: w, gz: gz, flushCompressor: flushCompressor}, r)
	})
}

type gzipWriter struct {
	http.ResponseWriter
	gz              *gzip.Writer
	flushCompressor bool
}

func (g *gzipWriter) Write(b []byte) (int, error) { return g.gz.Write(b) }

func (g *gzipWriter) Flush() {
	if g.flushCompressor {
		g.gz.Flush()
	}
	http.NewResponseController(g.ResponseWriter).Flush()
}

// publishEvery calls publish with 1, 2, ... every 50 ms until the test
// ends.
func publishEvery(t *testing.T, publish func(n int)) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-tick.C:
				publish(n)
			}
		}
	}()
}

// severityAbove lists the findings more severe than sev.
func severityAbove(rep *ServerReport, sev string) []string {
	var out []string
	for _, f := range rep.Findings {
		if severityRank(f.Severity) < severityRank(sev) {
			out = append(out, f.Severity+" "+f.ID+": "+f.Message)
		}
	}
	return out
}

// finding returns the first finding with the id, or fails the test.
func finding(t *testing.T, rep *ServerReport, id string) Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no %s finding in %+v", id, rep.Findings)
	return Finding{}
}

// TestServerSeverities runs -server against servers on loopback with one
// fault each, and against healthy ones: each fault must be its finding,
// with its severity, evidence and exit status; a healthy or a flushed
// server gets nothing above INFO (a note for a server without ids).
func TestServerSeverities(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		handler func(t *testing.T) http.Handler
		path    string
		args    []string
		// fails is whether the run must fail; above is the severity
		// above which no finding may be.
		fails bool
		above string
		check func(t *testing.T, rep *ServerReport)
	}{
		{
			name:    "healthy",
			handler: func(*testing.T) http.Handler { return tickStream(true, true) },
			above:   sevInfo,
			check: func(t *testing.T, rep *ServerReport) {
				r := rep.Resume
				if r == nil || r.Unchecked != "" || len(r.Published) < 3 || len(r.Lost)+len(r.Repeated) > 0 {
					t.Errorf("resume %+v: want it measured, with 3 or more events published while away, none lost or repeated", r)
				}
			},
		},
		{
			name:    "never flushes",
			handler: func(*testing.T) http.Handler { return tickStream(true, false) },
			fails:   true,
			above:   sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				f := finding(t, rep, "no-event")
				if f.Severity != sevError || f.Evidence["headers"] != "none" || f.Evidence["window"] != "2s" || f.Fix == "" {
					t.Errorf("no-event %+v: want an error, no headers in the 2s window, and a fix", f)
				}
			},
		},
		{
			// Events of 200 bytes every 20 ms, never flushed: Go's
			// server writes them out as its buffers fill, some 30
			// at once.
			name: "never flushes, buffers fill",
			handler: func(*testing.T) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/event-stream")
					w.Header().Set("Cache-Control", "no-store")
					pad := strings.Repeat("x", 180)
					n, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
					for n++; ; n++ {
						select {
						case <-r.Context().Done():
							return
						case <-time.After(20 * time.Millisecond):
						}
						fmt.Fprintf(w, "id: %d\ndata: %s\n\n", n, pad)
					}
				})
			},
			args:  []string{"-max-events", "80", "-duration", "4s"},
			above: sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				f := finding(t, rep, "bursts")
				if f.Severity != sevWarning || f.Evidence["bursts"] == "" || f.Evidence["silencesBefore"] == "" {
					t.Errorf("bursts %+v: want a warning with the bursts and the silences", f)
				}
			},
		},
		{
			name:    "compressor holds back",
			handler: func(*testing.T) http.Handler { return gzipMiddleware(tickStream(true, true), false) },
			fails:   true,
			above:   sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				f := finding(t, rep, "held-back")
				ev := f.Evidence
				if f.Severity != sevError || ev["pageEvents"] != "0" || ev["contentEncoding"] != "gzip" ||
					ev["directContentEncoding"] != "none" || ev["directEvents"] == "" || ev["directEvents"] == "0" {
					t.Errorf("held-back %+v: want an error, no event to the gzip page, events to the direct request", f)
				}
			},
		},
		{
			name:    "compressor flushed",
			handler: func(*testing.T) http.Handler { return gzipMiddleware(tickStream(true, true), true) },
			above:   sevInfo,
			check: func(t *testing.T, rep *ServerReport) {
				if f := finding(t, rep, "content-encoding"); f.Severity != sevInfo || f.Evidence["contentEncoding"] != "gzip" {
					t.Errorf("content-encoding %+v: want info, gzip", f)
				}
				if rep.Response.Header["content-encoding"] != "gzip" || len(rep.Response.Events) == 0 {
					t.Errorf("the page got %d events, Content-Encoding %q; want events through gzip", len(rep.Response.Events), rep.Response.Header["content-encoding"])
				}
			},
		},
		{
			name: "r3labs/sse default",
			handler: func(t *testing.T) http.Handler {
				srv := r3sse.New()
				srv.CreateStream("ticks")
				t.Cleanup(srv.Close)
				publishEvery(t, func(n int) { srv.Publish("ticks", &r3sse.Event{Data: []byte(fmt.Sprint("tick ", n))}) })
				return srv
			},
			path:  "/?stream=ticks",
			fails: true,
			above: sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				f := finding(t, rep, "duplicate-on-resume")
				if f.Severity != sevError || f.Evidence["repeated"] != f.Evidence["lastEventId"] || f.Evidence["lastEventId"] == "" {
					t.Errorf("duplicate-on-resume %+v: want an error that repeats the event of Last-Event-ID", f)
				}
				if !strings.HasPrefix(f.Evidence["reconnectionFirstIds"], f.Evidence["lastEventId"]+",") {
					t.Errorf("the reconnection began with %s, want %s first", f.Evidence["reconnectionFirstIds"], f.Evidence["lastEventId"])
				}
			},
		},
		{
			name: "go-sse without a replayer",
			handler: func(t *testing.T) http.Handler {
				srv := &gosse.Server{}
				publishEvery(t, func(n int) {
					m := &gosse.Message{ID: gosse.ID(strconv.Itoa(n))}
					m.AppendData(fmt.Sprint("tick ", n))
					srv.Publish(m)
				})
				return srv
			},
			fails: true,
			above: sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				f := finding(t, rep, "lost-on-resume")
				last, _ := strconv.Atoi(f.Evidence["lastEventId"])
				lost := strings.Split(f.Evidence["lost"], ",")
				if f.Severity != sevError || len(lost) < 3 || lost[0] != strconv.Itoa(last+1) || f.Evidence["publishedWhileAway"] == "" {
					t.Errorf("lost-on-resume %+v: want an error that loses the events after Last-Event-ID", f)
				}
			},
		},
		{
			name: "go-sse with a replayer",
			handler: func(t *testing.T) http.Handler {
				replayer, err := gosse.NewFiniteReplayer(200, false)
				if err != nil {
					t.Fatal(err)
				}
				srv := &gosse.Server{Provider: &gosse.Joe{Replayer: replayer}}
				publishEvery(t, func(n int) {
					m := &gosse.Message{ID: gosse.ID(strconv.Itoa(n))}
					m.AppendData(fmt.Sprint("tick ", n))
					srv.Publish(m)
				})
				return srv
			},
			above: sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				if r := rep.Resume; r == nil || r.Unchecked != "" || len(r.Lost)+len(r.Repeated) > 0 {
					t.Errorf("resume %+v: want it measured, nothing lost or repeated", r)
				}
			},
		},
		{
			name:    "no ids",
			handler: func(*testing.T) http.Handler { return tickStream(false, true) },
			above:   sevNote,
			check: func(t *testing.T, rep *ServerReport) {
				if f := finding(t, rep, "no-ids"); f.Severity != sevNote || f.Evidence["ids"] != "0" {
					t.Errorf("no-ids %+v: want a note", f)
				}
				if rep.Resume != nil {
					t.Errorf("resume %+v: want none without ids", rep.Resume)
				}
			},
		},
		{
			name:    "cross-origin page without CORS",
			handler: func(*testing.T) http.Handler { return tickStream(true, true) },
			args:    []string{"-page-origin", "local"},
			above:   sevWarning,
			check: func(t *testing.T, rep *ServerReport) {
				if f := finding(t, rep, "cors"); f.Severity != sevWarning || f.Evidence["accessControlAllowOrigin"] != "none" {
					t.Errorf("cors %+v: want a warning", f)
				}
				if !rep.CrossOrigin || rep.Response.ReadBy != "sseconform" {
					t.Errorf("cross-origin %v, read by %q; want cross-origin, read by sseconform", rep.CrossOrigin, rep.Response.ReadBy)
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(c.handler(t))
			t.Cleanup(func() {
				srv.CloseClientConnections()
				srv.Close()
			})
			out := t.TempDir()
			args := append([]string{"-server", srv.URL + c.path, "-duration", "2s", "-max-events", "5", "-impl", "native", "-out", out}, c.args...)
			err, stdout, _ := runCommand(t, args...)
			if c.fails != errors.Is(err, errFailed) || (err != nil && !errors.Is(err, errFailed)) {
				t.Fatalf("run: %v; want failure %v", err, c.fails)
			}
			rep, page := readServerReport(t, out)
			above := severityAbove(rep, c.above)
			if c.fails {
				// The errors are the fault's: checked below.
				above = slices.DeleteFunc(above, func(s string) bool { return strings.HasPrefix(s, sevError+" ") })
			}
			if len(above) > 0 {
				t.Errorf("findings above %s: %q", c.above, above)
			}
			c.check(t, rep)
			for _, f := range rep.Findings {
				if f.Severity == sevError && (!strings.Contains(stdout, "ERROR   "+f.ID+": ") || !strings.Contains(page, "error · "+f.ID)) {
					t.Errorf("the summary or the HTML report does not give the error %s", f.ID)
				}
			}
		})
	}
}
