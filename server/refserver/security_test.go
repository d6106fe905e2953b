package refserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRedirect(t *testing.T) {
	srv := newTestServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		query      string
		wantStatus int
		wantTo     string
	}{
		{"to=http://127.0.0.1:9/sse/echo", 307, "http://127.0.0.1:9/sse/echo"},
		{"to=http://localhost:9/x&status=308", 308, "http://localhost:9/x"},
		{"to=http://[::1]:9/x&status=301", 301, "http://[::1]:9/x"},
		{"to=https://127.0.0.2/x&status=302", 302, "https://127.0.0.2/x"},
		{"to=http://127.0.0.1/x&status=303", 303, "http://127.0.0.1/x"},
		{"to=http://example.com/x", 400, ""},
		{"to=http://127.0.0.1.example.com/x", 400, ""},
		{"to=javascript:alert(1)", 400, ""},
		{"to=/relative", 400, ""},
		{"to=file:///etc/passwd", 400, ""},
		{"", 400, ""},
		{"to=http://127.0.0.1/x&status=304", 400, ""},
		{"to=http://127.0.0.1/x&status=200", 400, ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/sse/redirect?session=redirects&"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer seen")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.query, resp.StatusCode, tc.wantStatus)
			continue
		}
		if got := resp.Header.Get("Location"); got != tc.wantTo {
			t.Errorf("%s: Location %q, want %q", tc.query, got, tc.wantTo)
		}
	}
	reqs := sessionRequests(t, srv, "redirects")
	if len(reqs) != 5 {
		t.Fatalf("%d redirects in the session log, want 5", len(reqs))
	}
	if got := reqs[0].Header["Authorization"]; got != "Bearer seen" {
		t.Errorf("the session log has Authorization %q", got)
	}
}

// TestCSPPages checks the pages under /csp/{policy}/: web/ files with the
// policy's header, and nothing outside web/.
func TestCSPPages(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "web", "harness.html"), "<!doctype html>harness")
	writeFile(t, filepath.Join(root, "secret.txt"), "SECRET")
	srv := New(Options{Root: root})
	for _, tc := range []struct {
		path       string
		wantStatus int
		wantPolicy string
	}{
		{"/csp/strict/harness.html", 200, cspPolicies["strict"]},
		{"/csp/no-wasm/harness.html", 200, cspPolicies["no-wasm"]},
		{"/csp/unknown/harness.html", 404, ""},
		{"/harness.html", 200, ""},
		{"/csp/strict/nothing.html", 404, cspPolicies["strict"]},
		{"/csp/strict/%2e%2e/%2e%2e/secret.txt", 0, ""},
		{"/csp/strict/..%2f..%2fsecret.txt", 0, ""},
		{"/csp/strict/%252e%252e/%252e%252e/secret.txt", 0, ""},
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
		if strings.Contains(w.Body.String(), "SECRET") {
			t.Fatalf("GET %s served a file outside web/", tc.path)
		}
		if tc.wantStatus == 0 {
			if w.Code == http.StatusOK {
				t.Errorf("GET %s: 200, want a refusal", tc.path)
			}
			continue
		}
		if w.Code != tc.wantStatus {
			t.Errorf("GET %s: %d, want %d", tc.path, w.Code, tc.wantStatus)
		}
		if got := w.Header().Get("Content-Security-Policy"); got != tc.wantPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q, want %q", tc.path, got, tc.wantPolicy)
		}
	}
	for name, policy := range cspPolicies {
		if strings.Contains(policy, "unsafe-eval'") && !strings.Contains(policy, "'wasm-unsafe-eval'") ||
			strings.Contains(policy, "unsafe-inline") {
			t.Errorf("policy %s allows eval or inline script: %q", name, policy)
		}
	}
}

// TestStaticTraversalOnTheWire sends request lines as a client could
// write them, which httptest.NewRequest would clean first: double percent
// encoding, overlong UTF-8, NUL, backslashes and targets that are not
// paths. None may serve a file outside web/ or dist/.
func TestStaticTraversalOnTheWire(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "web", "index.html"), "index")
	writeFile(t, filepath.Join(root, "dist", "a.js"), "a")
	writeFile(t, filepath.Join(root, "secret.txt"), "SECRET in root")
	writeFile(t, filepath.Join(filepath.Dir(root), "secret-beside.txt"), "SECRET beside root")
	t.Cleanup(func() { os.Remove(filepath.Join(filepath.Dir(root), "secret-beside.txt")) })
	srv := httptest.NewServer(New(Options{Root: root}))
	defer srv.Close()

	for _, target := range []string{
		"/../secret.txt",
		"/%2e%2e/secret.txt",
		"/%252e%252e/secret.txt",
		"/%252e%252e%252fsecret.txt",
		"/dist/%252e%252e%252fsecret.txt",
		"/dist/..%252fsecret.txt",
		"/%25%32%65%25%32%65/secret.txt",
		"/%c0%ae%c0%ae/secret.txt",
		"/%c0%ae%c0%ae%c0%afsecret.txt",
		"/..%5c..%5csecret.txt",
		"/dist/..\\secret.txt",
		"/secret.txt%00.html",
		"/%2e%2e/%2e%2e/secret-beside.txt",
		"/dist/../../secret-beside.txt",
		"//secret.txt",
		"/./secret.txt",
		"../secret.txt",
		"secret.txt",
		"*",
		"http://127.0.0.1/../secret.txt",
		"/csp/strict/../../secret.txt",
		"/csp/strict/%2e%2e%2f%2e%2e%2fsecret.txt",
	} {
		status, body := rawGet(t, srv.Listener.Addr().String(), target)
		if strings.Contains(body, "SECRET") {
			t.Errorf("GET %s served a file outside web/ and dist/: %d %q", target, status, body)
		} else if status == http.StatusOK {
			t.Errorf("GET %s: 200 %q, want a refusal", target, body)
		}
	}
	if status, body := rawGet(t, srv.Listener.Addr().String(), "/dist/a.js"); status != 200 || body != "a" {
		t.Errorf("GET /dist/a.js: %d %q", status, body)
	}
}

// rawGet writes one GET request line as is and reads the response.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestRequestBodyLimit posts bodies of 4 MiB: no endpoint reads more than
// maxRequestBody of one, not even a handler that tries to read it all.
func TestRequestBodyLimit(t *testing.T) {
	s := New(Options{Root: t.TempDir()})
	var readAll atomic.Int64
	s.mux.HandleFunc("POST /sse/test-read-all", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		readAll.Store(n)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	})
	var read atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read.Store(0)
		r.Body = countingBody{r.Body, &read}
		s.ServeHTTP(w, r)
	}))
	// A stream whose body is not read to its end cannot tell that the
	// client went away: end them all when the test does.
	streams, endStreams := context.WithCancel(context.Background())
	srv.Config.BaseContext = func(net.Listener) context.Context { return streams }
	srv.Start()
	defer func() {
		endStreams()
		srv.CloseClientConnections()
		srv.Close()
	}()

	const size = 4 << 20
	for _, path := range []string{
		"/sse/test-read-all",
		"/sse/echo?session=big",
		"/sse/scenario/simple?session=big",
		"/sse/chat?session=big",
		"/sse/auth/token",
	} {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(strings.Repeat("x", size)))
		req.Header.Set("Content-Type", "application/json")
		ctx, cancel := context.WithCancel(context.Background())
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			cancel()
			t.Fatalf("POST %s: %v", path, err)
		}
		// The first byte of the response is enough: the streams never end.
		_, _ = resp.Body.Read(make([]byte, 1))
		cancel()
		resp.Body.Close()
		if n := read.Load(); n > maxRequestBody+1 {
			t.Errorf("POST %s: the handler read %d bytes of the body, want at most %d", path, n, maxRequestBody)
		}
		if path == "/sse/test-read-all" {
			if resp.StatusCode != http.StatusRequestEntityTooLarge || readAll.Load() != maxRequestBody {
				t.Errorf("POST %s: %s after reading %d bytes, want 413 after %d", path, resp.Status, readAll.Load(), maxRequestBody)
			}
		}
		t.Logf("POST %s with %d bytes: %s, %d bytes read", path, size, resp.Status, read.Load())
	}
}
