package refserver

import (
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// staticTypes fixes the Content-Type of the files whose type matters to a
// browser, whatever the host's MIME tables say: WebAssembly.instantiateStreaming
// refuses a module not served as application/wasm, and module scripts must
// have a JavaScript MIME type.
var staticTypes = map[string]string{
	".wasm": "application/wasm",
	".mjs":  "text/javascript; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
}

// static serves the files under the directory dir of the server's root.
// The directory is opened as an os.Root on each request, so it may appear
// after the server starts (dist/ is built later), and no request can leave
// it: not with "..", whether plain or percent-encoded, and not through a
// symbolic link.
func (s *Server) static(dir string) http.Handler {
	dir = filepath.Join(s.root, dir)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "refserver: static files answer GET and HEAD", http.StatusMethodNotAllowed)
			return
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			http.Error(w, "refserver: no directory "+dir, http.StatusNotFound)
			return
		}
		defer root.Close()
		w.Header().Set("Cache-Control", "no-cache")
		ext := path.Ext(r.URL.Path)
		if ct, ok := staticTypes[ext]; ok {
			w.Header().Set("Content-Type", ct)
		} else if ct := mime.TypeByExtension(ext); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if enc, suffix := precompressed(root, r); suffix != "" {
			w.Header().Set("Content-Encoding", enc)
			w.Header().Add("Vary", "Accept-Encoding")
			r2 := r.Clone(r.Context())
			r2.URL.Path += suffix
			r = r2
		}
		http.FileServerFS(root.FS()).ServeHTTP(w, r)
	})
}

// precompressed finds a compressed copy of the requested file, written at
// build time beside it (name.br, name.gz), that the client accepts. It
// returns the content coding and the file name suffix, or "" for none.
func precompressed(root *os.Root, r *http.Request) (encoding, suffix string) {
	if r.Header.Get("Range") != "" {
		return "", ""
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(r.URL.Path, "/") {
		return "", ""
	}
	orig, err := root.Stat(name)
	if err != nil || !orig.Mode().IsRegular() {
		return "", ""
	}
	for _, c := range []struct{ encoding, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(r.Header.Get("Accept-Encoding"), c.encoding) {
			continue
		}
		// A copy older than the file is stale (the file was rebuilt
		// without it): never serve it.
		fi, err := root.Stat(name + c.suffix)
		if err == nil && fi.Mode().IsRegular() && fi.Size() > 0 && !fi.ModTime().Before(orig.ModTime()) {
			return c.encoding, c.suffix
		}
	}
	return "", ""
}

// acceptsEncoding reports whether an Accept-Encoding header value accepts
// the content coding enc (RFC 9110 §12.5.3), ignoring preferences other
// than a refusal with q=0.
func acceptsEncoding(header, enc string) bool {
	for _, item := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(item, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), enc) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
