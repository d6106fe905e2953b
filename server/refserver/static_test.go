package refserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStatic(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"web/index.html":      "<!doctype html>index",
		"web/demo/page.html":  "page",
		"web/module.mjs":      "export {}",
		"web/app.wasm":        "\x00asm",
		"dist/polyfill.js":    "polyfill",
		"dist/polyfill.wasm":  "\x00asm dist",
		"secret.txt":          "SECRET in root",
		"web/../outside.html": "SECRET beside web",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(root, name), content)
	}
	if err := os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(root, "web", "link.txt")); err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Root: root})

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
		wantType   string
	}{
		{"index", "/", 200, "<!doctype html>index", "text/html; charset=utf-8"},
		{"nested page", "/demo/page.html", 200, "page", "text/html; charset=utf-8"},
		{"module script", "/module.mjs", 200, "export {}", "text/javascript; charset=utf-8"},
		{"wasm", "/app.wasm", 200, "\x00asm", "application/wasm"},
		{"dist script", "/dist/polyfill.js", 200, "polyfill", "text/javascript; charset=utf-8"},
		{"dist wasm", "/dist/polyfill.wasm", 200, "\x00asm dist", "application/wasm"},
		{"missing", "/nothing.html", 404, "", ""},
		{"missing in dist", "/dist/nothing.js", 404, "", ""},
		{"dot-dot", "/../secret.txt", 0, "", ""},
		{"dot-dot from dist", "/dist/../secret.txt", 0, "", ""},
		{"dot-dot twice from dist", "/dist/../../secret.txt", 0, "", ""},
		{"encoded dot-dot", "/%2e%2e/secret.txt", 0, "", ""},
		{"encoded slash", "/dist/..%2fsecret.txt", 0, "", ""},
		{"encoded slash twice", "/dist/..%2f..%2fsecret.txt", 0, "", ""},
		{"fully encoded", "/%2e%2e%2f%2e%2e%2fsecret.txt", 0, "", ""},
		{"backslash", "/..%5csecret.txt", 0, "", ""},
		{"sibling of web", "/../outside.html", 0, "", ""},
		{"symbolic link out", "/link.txt", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest("GET", tt.path, nil))
			body := w.Body.String()
			if strings.Contains(body, "SECRET") {
				t.Fatalf("GET %s served a file outside its directory: %d %q", tt.path, w.Code, body)
			}
			if tt.wantStatus == 0 {
				// Any refusal will do: a redirect to the cleaned
				// path, or 400, 403, 404.
				if w.Code == http.StatusOK {
					t.Errorf("GET %s: 200 %q, want a refusal", tt.path, body)
				}
				return
			}
			if w.Code != tt.wantStatus {
				t.Fatalf("GET %s: %d, want %d", tt.path, w.Code, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			if body != tt.wantBody {
				t.Errorf("GET %s: %q, want %q", tt.path, body, tt.wantBody)
			}
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.wantType)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("GET %s: Cache-Control %q, want no-cache", tt.path, got)
			}
		})
	}

	t.Run("POST refused", func(t *testing.T) {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("POST", "/index.html", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d, want 405", w.Code)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		w := httptest.NewRecorder()
		New(Options{Root: t.TempDir()}).ServeHTTP(w, httptest.NewRequest("GET", "/dist/polyfill.js", nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("no dist/: %d, want 404", w.Code)
		}
	})
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStaticPrecompressed(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "dist/m.wasm"), "plain")
	writeFile(t, filepath.Join(root, "dist/m.wasm.br"), "brotli bytes")
	writeFile(t, filepath.Join(root, "dist/m.wasm.gz"), "gzip bytes")
	writeFile(t, filepath.Join(root, "dist/only.js"), "js")
	writeFile(t, filepath.Join(root, "dist/only.js.gz"), "js gzip")
	writeFile(t, filepath.Join(root, "dist/stale.wasm"), "rebuilt")
	writeFile(t, filepath.Join(root, "dist/stale.wasm.br"), "old brotli")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(root, "dist/stale.wasm.br"), old, old); err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Root: root})
	for _, tc := range []struct {
		path, accept, range_      string
		wantBody, wantEnc, wantCT string
	}{
		{"/dist/m.wasm", "gzip, deflate, br, zstd", "", "brotli bytes", "br", "application/wasm"},
		{"/dist/m.wasm", "gzip", "", "gzip bytes", "gzip", "application/wasm"},
		{"/dist/m.wasm", "br;q=0, gzip", "", "gzip bytes", "gzip", "application/wasm"},
		{"/dist/m.wasm", "", "", "plain", "", "application/wasm"},
		{"/dist/m.wasm", "identity", "", "plain", "", "application/wasm"},
		{"/dist/m.wasm", "br", "bytes=0-1", "pl", "", "application/wasm"},
		{"/dist/only.js", "br, gzip", "", "js gzip", "gzip", "text/javascript; charset=utf-8"},
		{"/dist/stale.wasm", "br", "", "rebuilt", "", "application/wasm"},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Encoding", tc.accept)
		}
		if tc.range_ != "" {
			r.Header.Set("Range", tc.range_)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		res := w.Result()
		if got := w.Body.String(); got != tc.wantBody {
			t.Errorf("%s with %q: body %q, want %q", tc.path, tc.accept, got, tc.wantBody)
		}
		if got := res.Header.Get("Content-Encoding"); got != tc.wantEnc {
			t.Errorf("%s with %q: Content-Encoding %q, want %q", tc.path, tc.accept, got, tc.wantEnc)
		}
		if got := res.Header.Get("Content-Type"); got != tc.wantCT {
			t.Errorf("%s with %q: Content-Type %q, want %q", tc.path, tc.accept, got, tc.wantCT)
		}
		if tc.wantEnc != "" && !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s with %q: no Vary: Accept-Encoding", tc.path, tc.accept)
		}
	}
}

func TestSlow(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "dist", "module.wasm"), "\x00asm")
	writeFile(t, filepath.Join(root, "secret.txt"), "SECRET in root")
	srv := New(Options{Root: root})

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
		minDelay   time.Duration
	}{
		{"file", "/slow/dist/module.wasm?delay=60", 200, "\x00asm", 60 * time.Millisecond},
		{"default delay", "/slow/dist/module.wasm", 200, "\x00asm", 500 * time.Millisecond},
		{"missing file", "/slow/dist/missing.wasm?delay=30", 404, "", 30 * time.Millisecond},
		{"no query for the file", "/slow/dist/module.wasm?delay=0&x=1", 200, "\x00asm", 0},
		{"dot-dot", "/slow/../secret.txt?delay=0", 0, "", 0},
		{"encoded dot-dot", "/slow/%2e%2e/secret.txt?delay=0", 0, "", 0},
		{"encoded slash", "/slow/dist/..%2f..%2fsecret.txt?delay=0", 0, "", 0},
		{"delay not a number", "/slow/dist/module.wasm?delay=soon", 400, "", 0},
		{"delay too long", "/slow/dist/module.wasm?delay=10001", 400, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			start := time.Now()
			srv.ServeHTTP(w, httptest.NewRequest("GET", tt.path, nil))
			elapsed := time.Since(start)
			body := w.Body.String()
			if strings.Contains(body, "SECRET") {
				t.Fatalf("GET %s served a file outside its directory: %d %q", tt.path, w.Code, body)
			}
			switch {
			case tt.wantStatus == 0 && w.Code == http.StatusOK:
				t.Errorf("GET %s: 200 %q, want a refusal", tt.path, body)
			case tt.wantStatus != 0 && w.Code != tt.wantStatus:
				t.Errorf("GET %s: %d %q, want %d", tt.path, w.Code, body, tt.wantStatus)
			case tt.wantStatus == http.StatusOK && body != tt.wantBody:
				t.Errorf("GET %s: %q, want %q", tt.path, body, tt.wantBody)
			}
			// A lower bound only: a loaded machine may be late, never early.
			if elapsed < tt.minDelay {
				t.Errorf("GET %s answered after %v, want at least %v", tt.path, elapsed, tt.minDelay)
			}
		})
	}

	t.Run("client gone", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", "/slow/dist/module.wasm?delay=10000", nil).WithContext(ctx))
		if w.Body.Len() != 0 {
			t.Errorf("a request whose client is gone got %d %q, want nothing", w.Code, w.Body.String())
		}
	})
}

// TestStaticCaching checks the caching headers of static files: a strong
// ETag per content coding with no-cache, a 304 for a matching
// If-None-Match, and immutable for a request that names the file's
// version, the first 16 hex digits of its SHA-256 (what the Makefile
// writes into the classic loader's default module URL with sha256sum).
func TestStaticCaching(t *testing.T) {
	root := t.TempDir()
	module := filepath.Join(root, "dist/m.wasm")
	writeFile(t, module, "plain")
	writeFile(t, module+".br", "brotli bytes")
	writeFile(t, filepath.Join(root, "dist/alone.js"), "js")
	srv := New(Options{Root: root})
	const version = "a116c9ed46d62077" // printf plain | sha256sum | cut -c1-16
	const immutable = "public, max-age=31536000, immutable"

	get := func(path, accept, ifNoneMatch string) *http.Response {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		if ifNoneMatch != "" {
			r.Header.Set("If-None-Match", ifNoneMatch)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Result()
	}
	body := func(res *http.Response) string {
		t.Helper()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	for _, tc := range []struct {
		name, path, accept, ifNoneMatch string
		wantStatus                      int
		wantBody, wantETag, wantCache   string
		wantVary                        bool
	}{
		{"identity", "/dist/m.wasm", "", "", 200, "plain", `"` + version + `"`, "no-cache", true},
		{"brotli", "/dist/m.wasm", "br", "", 200, "brotli bytes", `"` + version + `-br"`, "no-cache", true},
		{"revalidated", "/dist/m.wasm", "", `"` + version + `"`, 304, "", `"` + version + `"`, "no-cache", true},
		{"revalidated brotli", "/dist/m.wasm", "br", `"` + version + `-br"`, 304, "", `"` + version + `-br"`, "no-cache", true},
		{"other coding's tag", "/dist/m.wasm", "br", `"` + version + `"`, 200, "brotli bytes", `"` + version + `-br"`, "no-cache", true},
		{"versioned", "/dist/m.wasm?v=" + version, "br", "", 200, "brotli bytes", `"` + version + `-br"`, immutable, true},
		{"versioned identity", "/dist/m.wasm?v=" + version, "", "", 200, "plain", `"` + version + `"`, immutable, true},
		{"another version", "/dist/m.wasm?v=0123456789abcdef", "br", "", 200, "brotli bytes", `"` + version + `-br"`, "no-cache", true},
		{"version prefix", "/dist/m.wasm?v=" + version[:8], "", "", 200, "plain", `"` + version + `"`, "no-cache", true},
		{"no compressed copy", "/dist/alone.js", "br, gzip", "", 200, "js", "", "no-cache", false},
		{"missing", "/dist/none.wasm?v=" + version, "", "", 404, "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(tc.path, tc.accept, tc.ifNoneMatch)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("%d, want %d", res.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus == 404 {
				if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") || res.Header.Get("ETag") != "" {
					t.Errorf("a missing file: Cache-Control %q, ETag %q; want neither immutable nor a tag", cc, res.Header.Get("ETag"))
				}
				return
			}
			if got := body(res); got != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			if tc.wantETag != "" {
				if got := res.Header.Get("ETag"); got != tc.wantETag {
					t.Errorf("ETag %s, want %s", got, tc.wantETag)
				}
			}
			if got := res.Header.Get("Cache-Control"); got != tc.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tc.wantCache)
			}
			if got := strings.Contains(res.Header.Get("Vary"), "Accept-Encoding"); got != tc.wantVary {
				t.Errorf("Vary %q: Accept-Encoding there %v, want %v", res.Header.Get("Vary"), got, tc.wantVary)
			}
		})
	}

	t.Run("rebuilt", func(t *testing.T) {
		// A rebuilt file has a new version: the old one is no longer
		// immutable, nor does its tag revalidate.
		writeFile(t, module, "rebuilt module")
		writeFile(t, module+".br", "new brotli")
		later := time.Now().Add(time.Minute)
		for _, name := range []string{module, module + ".br"} {
			if err := os.Chtimes(name, later, later); err != nil {
				t.Fatal(err)
			}
		}
		const newVersion = "f94084e4cfedc723" // printf 'rebuilt module' | sha256sum | cut -c1-16
		if res := get("/dist/m.wasm?v="+version, "", ""); res.Header.Get("Cache-Control") != "no-cache" || body(res) != "rebuilt module" {
			t.Errorf("the old version: Cache-Control %q, want no-cache and the new file", res.Header.Get("Cache-Control"))
		}
		if res := get("/dist/m.wasm", "", `"`+version+`"`); res.StatusCode != 200 || res.Header.Get("ETag") != `"`+newVersion+`"` {
			t.Errorf("the old tag: %d with ETag %s, want 200 with %q", res.StatusCode, res.Header.Get("ETag"), newVersion)
		}
		if res := get("/dist/m.wasm?v="+newVersion, "br", ""); res.Header.Get("Cache-Control") != immutable || body(res) != "new brotli" {
			t.Errorf("the new version: Cache-Control %q, want %q", res.Header.Get("Cache-Control"), immutable)
		}
	})
}

func TestFileVersion(t *testing.T) {
	v, err := FileVersion(strings.NewReader("plain"))
	if err != nil || v != "a116c9ed46d62077" {
		t.Errorf("FileVersion(plain) = %q, %v; want a116c9ed46d62077 (sha256sum's first 16 digits)", v, err)
	}
}

// A VersionCache hashes a file once while it stays the same, and again when
// its size or modification time changes.
func TestVersionCache(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "m.wasm")
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	write := func(content string, when time.Time) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, when, when); err != nil {
			t.Fatal(err)
		}
	}
	version := func(content string) string {
		v, err := FileVersion(strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var c VersionCache
	write("one", at)
	first := c.Of(root, "m.wasm")
	if first != version("one") || len(first) != 16 {
		t.Fatalf("version %q, want %q (16 hex digits)", first, version("one"))
	}
	// The same size and time: the cached version stands, though the
	// content changed (which a build never does without a new time).
	write("two", at)
	if got := c.Of(root, "m.wasm"); got != first {
		t.Errorf("unchanged size and time: version %q, want the cached %q", got, first)
	}
	write("two", at.Add(time.Second))
	if got := c.Of(root, "m.wasm"); got != version("two") {
		t.Errorf("a new time: version %q, want %q", got, version("two"))
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"none", "sub"} {
		if got := c.Of(root, name); got != "" {
			t.Errorf("%s: version %q, want none", name, got)
		}
	}
}
