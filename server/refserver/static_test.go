package refserver

import (
	"context"
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
