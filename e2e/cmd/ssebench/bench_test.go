package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeBundle writes a bundle and its compressed copies (their content
// only stands for the compressed bytes: the handler serves them as they
// are), and returns the bundle's version.
func writeBundle(t *testing.T, bundles, name string, content []byte, at time.Time) string {
	t.Helper()
	for file, data := range map[string][]byte{
		name:         content,
		name + ".br": append([]byte("br:"), content...),
		name + ".gz": append([]byte("gz:"), content...),
	} {
		p := filepath.Join(bundles, file)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	version, err := fileVersion(filepath.Join(bundles, name))
	if err != nil {
		t.Fatal(err)
	}
	return version
}

// getBundle asks srv for path with the Accept-Encoding given ("identity"
// for none: Go's client would otherwise ask for gzip, and undo it).
func getBundle(t *testing.T, srv *httptest.Server, path, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", accept)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	return resp, body
}

// A bundle asked for by its version is immutable, in whichever coding it
// is sent; asked for by another version, or by none, it is revalidated
// before each use, as the reference server's static files are.
func TestBundleCacheControl(t *testing.T) {
	bundles := t.TempDir()
	module := []byte("\x00asm\x01\x00\x00\x00 the Go floor")
	built := time.Now().Add(-time.Hour).Truncate(time.Second)
	version := writeBundle(t, bundles, "go-floor.wasm", module, built)
	loaderVersion := writeBundle(t, bundles, "go-floor.js", []byte("// the loader"), built)
	srv := httptest.NewServer(benchHandler(t.TempDir(), bundles, nil))
	defer srv.Close()

	for _, tc := range []struct {
		name, path, accept     string
		cacheControl, encoding string
		body                   []byte
	}{
		{"its version", "/bench/bundles/go-floor.wasm?v=" + version, "identity", immutable, "", module},
		{"another version", "/bench/bundles/go-floor.wasm?v=0123456789abcdef", "identity", "no-cache", "", module},
		{"no version", "/bench/bundles/go-floor.wasm", "identity", "no-cache", "", module},
		{"an empty version", "/bench/bundles/go-floor.wasm?v=", "identity", "no-cache", "", module},
		{"another file's version", "/bench/bundles/go-floor.wasm?v=" + loaderVersion, "identity", "no-cache", "", module},
		{"its version, brotli", "/bench/bundles/go-floor.wasm?v=" + version, "gzip, deflate, br, zstd", immutable, "br", append([]byte("br:"), module...)},
		{"its version, gzip", "/bench/bundles/go-floor.wasm?v=" + version, "gzip", immutable, "gzip", append([]byte("gz:"), module...)},
		{"no version, brotli", "/bench/bundles/go-floor.wasm", "br", "no-cache", "br", append([]byte("br:"), module...)},
		{"the loader, no version", "/bench/bundles/go-floor.js", "br", "no-cache", "br", []byte("br:// the loader")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := getBundle(t, srv, tc.path, tc.accept)
			if got := resp.Header.Get("Cache-Control"); got != tc.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tc.cacheControl)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", got)
			}
			if !bytes.Equal(body, tc.body) {
				t.Errorf("body %q, want %q", body, tc.body)
			}
		})
	}

	// A rebuilt module has a new version: the old one is no longer
	// immutable, and its compressed copies, older than the module now,
	// are never sent.
	rebuilt := []byte("\x00asm\x01\x00\x00\x00 the Go floor, rebuilt")
	p := filepath.Join(bundles, "go-floor.wasm")
	if err := os.WriteFile(p, rebuilt, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, built.Add(time.Minute), built.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	newVersion, err := fileVersion(p)
	if err != nil {
		t.Fatal(err)
	}
	if newVersion == version {
		t.Fatalf("the rebuilt module has the old version %s", version)
	}
	resp, body := getBundle(t, srv, "/bench/bundles/go-floor.wasm?v="+version, "br")
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("rebuilt, the old version: Cache-Control %q, want no-cache", got)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "" || !bytes.Equal(body, rebuilt) {
		t.Errorf("rebuilt: Content-Encoding %q, body %q; want the rebuilt module as it is, not the stale copy", got, body)
	}
	resp, _ = getBundle(t, srv, "/bench/bundles/go-floor.wasm?v="+newVersion, "identity")
	if got := resp.Header.Get("Cache-Control"); got != immutable {
		t.Errorf("rebuilt, the new version: Cache-Control %q, want %q", got, immutable)
	}
}

// The Go floor's loader asks for its module by the version that
// buildGoFloor writes into it, and building fails without the marker.
func TestGoFloorVersionedURL(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := os.ReadFile(filepath.Join(root, "web", "bench", "adapters", goFloor+".js"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := withVersion(adapter, "0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if want := `fetch("/bench/bundles/go-floor.wasm?v=0123456789abcdef")`; !bytes.Contains(got, []byte(want)) {
		t.Errorf("the bundled adapter lacks %s", want)
	}
	if bytes.Contains(got, []byte(versionMarker)) {
		t.Errorf("the bundled adapter still has %s", versionMarker)
	}
	_, err = withVersion([]byte(`fetch("/bench/bundles/go-floor.wasm")`), "0123456789abcdef")
	if err == nil || !strings.Contains(err.Error(), versionMarker) {
		t.Errorf("an adapter without the marker: error %v, want one naming %s", err, versionMarker)
	}
}

// The progress line of a returning visitor gives the figures it has: the
// Go floor's ready and no first events, native's first events and no ready.
func TestDescribeReturning(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    map[string]float64
		want string
	}{
		{"go-floor", map[string]float64{"ready_first_visit": 400, "ready": 125, "ready_again": 110, "ready_at": 240, "ready_at_again": 215},
			"first visit: ready 400 ms; returns: ready 125 ms, 110 ms, ready since navigation 240 ms, 215 ms"},
		{"native", map[string]float64{"first_visit": 300, "first": 180, "first_again": 170},
			"first visit: first event 300 ms; returns: first event 180 ms, 170 ms"},
		{"wasm", map[string]float64{"first_visit": 500, "ready_first_visit": 420, "first": 200, "first_again": 210, "ready": 80, "ready_again": 120,
			"ready_at": 150, "ready_at_again": 160, "first_revalidate": 300, "first_revalidate_again": 310, "ready_revalidate": 90, "ready_revalidate_again": 200},
			"first visit: first event 500 ms, ready 420 ms; returns: first event 200 ms, 210 ms, ready 80.0 ms, 120 ms, ready since navigation 150 ms, 160 ms; " +
				"module revalidated: first event 300 ms, 310 ms, ready 90.0 ms, 200 ms"},
	} {
		if got := describeReturning(tc.v); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
