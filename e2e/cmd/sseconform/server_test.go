package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
			codes = append(codes, f.Code)
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
		// wrong with this stream.
		if f.Code != "late-headers" {
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

// TestServerProblems checks a stream with many problems, none of which
// makes EventSource fail on its own origin: no CORS headers and no
// Cache-Control, headers flushed but the events held back to the end, field
// lines that a client ignores, and Last-Event-ID ignored.
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
		// It ignores Last-Event-ID: a reconnection gets it all again.
		w.Write([]byte("id: 1\ndata: one\n\nData: two\nretry: 1s\nid: a\x00b\nid: 2\ndata: three\n\ndata: cut off\n"))
	}))
	t.Cleanup(bad.Close)
	out := t.TempDir()
	err, _, _ := runCommand(t, "-server", bad.URL, "-duration", "2s", "-impl", "native", "-out", out)
	if err != nil {
		t.Fatalf("run: %v (no finding is an error)", err)
	}
	rep, _ := readServerReport(t, out)
	if rep.Response.ReadBy != "sseconform" {
		t.Errorf("the body was read by %q; want sseconform, since CORS keeps it from the page", rep.Response.ReadBy)
	}
	warnings := strings.Join(findingCodes(rep, "warning"), ",")
	for _, want := range []string{"cache-control", "cors", "buffered", "unknown-field", "retry", "id-nul", "incomplete-event"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("no %s warning in %s", want, warnings)
		}
	}
	if notes := strings.Join(findingCodes(rep, "info"), ","); !strings.Contains(notes, "resume") {
		t.Errorf("no note that the server replays the stream to a reconnection: %s", notes)
	}
	for _, f := range rep.Findings {
		if f.Code == "unknown-field" && !strings.Contains(f.Message, `did you mean "data"`) {
			t.Errorf("the unknown field Data has no hint: %s", f.Message)
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
