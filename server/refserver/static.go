package refserver

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
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
		if ct, ok := staticTypes[path.Ext(r.URL.Path)]; ok {
			w.Header().Set("Content-Type", ct)
		}
		http.FileServerFS(root.FS()).ServeHTTP(w, r)
	})
}
