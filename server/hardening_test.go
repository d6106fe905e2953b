package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// startServer runs the server on a free port until the test ends or stop
// is called, and returns its base URL ("http://127.0.0.1:port/") and a
// channel that gets run's result.
func startServer(t *testing.T) (base string, stop context.CancelFunc, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, printed := io.Pipe()
	result := make(chan error, 1)
	go func() {
		result <- run(ctx, []string{"-addr", "127.0.0.1:0", "-root", t.TempDir()}, printed, io.Discard)
		printed.Close()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("reading the first line: %v (run: %v)", err, <-result)
	}
	go io.Copy(io.Discard, stdout)
	t.Cleanup(cancel)
	return strings.TrimSpace(strings.TrimPrefix(line, "eventsource-wasm reference server: ")), cancel, result
}

// TestRunLimitsHeaderSize checks that the server refuses a request whose
// head is larger than maxHeaderBytes, and serves one just within it.
func TestRunLimitsHeaderSize(t *testing.T) {
	base, _, _ := startServer(t)
	for _, tc := range []struct {
		size int
		want int
	}{
		{maxHeaderBytes / 2, http.StatusOK},
		{4 * maxHeaderBytes, http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, _ := http.NewRequest("GET", base+"sse/scenarios", nil)
		req.Header.Set("Last-Event-ID", strings.Repeat("9", tc.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%d bytes of header: %v", tc.size, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("a %d-byte Last-Event-ID: %s, want %d", tc.size, resp.Status, tc.want)
		}
	}
}

// TestRunShutsDownCleanly holds streams of every kind open, cancels the
// context, and checks that run returns at once and without error, that
// every client sees its stream end, that nothing listens any more, and
// that the server's goroutines are gone.
func TestRunShutsDownCleanly(t *testing.T) {
	before := runtime.NumGoroutine()
	base, stop, done := startServer(t)
	streams := []string{
		"sse/clock?interval=50",
		"sse/echo",
		"sse/counter?total=1000&per=1000&gap=100",
		"sse/flaky?total=1000&min=1000&max=1000&gap=100",
		"sse/drip?ms=1000",
		"sse/scenario/simple",
	}
	ended := make(chan string, len(streams))
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	for _, path := range streams {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		go func() {
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			ended <- path
		}()
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")

	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(shutdownTimeout + time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	t.Logf("shut down in %v with %d streams open", time.Since(start).Round(time.Millisecond), len(streams))
	for range streams {
		select {
		case <-ended:
		case <-time.After(2 * time.Second):
			t.Fatal("a stream did not end after the server shut down")
		}
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after shutdown", addr)
	}
	transport.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after shutdown, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
