package refserver

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
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
//
// Caching (RFC 9111), for a returning visitor: every file has a strong
// ETag, a hash of its content (each content coding its own), and is
// served with "Cache-Control: no-cache", so that a browser may keep it
// but asks before each use (If-None-Match, answered 304 while the file is
// the same). A request for a file whose query has v=VERSION, the first 16
// hex digits of the SHA-256 of the file's content (FileVersion), is for
// that content only: it is served "public, max-age=31536000, immutable",
// and a browser uses its copy for a year without asking. The classic
// loader asks for the module so (the Makefile writes the module's version
// into its default URL): in Chromium, that is what keeps the module's
// compiled code cached from one visit to the next, which a revalidated
// module lost after the first return (see the README, "Returning
// visitors"). A v= that is not the file's version, as when a page names
// a module rebuilt since, gets the file as it is now with no-cache.
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
		ext := path.Ext(r.URL.Path)
		if ct, ok := staticTypes[ext]; ok {
			w.Header().Set("Content-Type", ct)
		} else if ct := mime.TypeByExtension(ext); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		version := s.versions.Of(root, name)
		cacheControl := "no-cache"
		if v := r.URL.Query().Get("v"); version != "" && v == version {
			cacheControl = "public, max-age=31536000, immutable"
		}
		w.Header().Set("Cache-Control", cacheControl)
		if hasPrecompressed(root, name) {
			// Whichever copy this client gets, a cache must not hand
			// it to a client that accepts other codings.
			w.Header().Add("Vary", "Accept-Encoding")
		}
		etag := version
		if enc, suffix := precompressed(root, r); suffix != "" {
			w.Header().Set("Content-Encoding", enc)
			r2 := r.Clone(r.Context())
			r2.URL.Path += suffix
			r = r2
			// A strong validator names one representation: each
			// content coding has its own (RFC 9110 §8.8.3).
			etag += "-" + enc
		}
		if version != "" {
			// http.FileServer answers If-None-Match with 304 when it
			// matches the ETag set here.
			w.Header().Set("ETag", `"`+etag+`"`)
		}
		http.FileServerFS(root.FS()).ServeHTTP(w, r)
	})
}

// FileVersion returns the version of a file's content: the first 16 hex
// digits of its SHA-256. A request for a static file with v=FileVersion in
// its query is served as immutable (see static).
func FileVersion(content io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, content); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// A VersionCache keeps the versions (FileVersion) of files, so that a file
// is hashed once per change rather than on each request: an entry holds
// while the file's size and modification time stay the same. The zero
// value is ready to use; the reference server keeps one for its static
// files, and ssebench one for its bundles.
type VersionCache struct {
	mu      sync.Mutex
	entries map[string]versionEntry
}

type versionEntry struct {
	size    int64
	modTime time.Time
	version string
}

// Of returns the version of the regular file name under root, or "" when
// there is none (no such file, a directory, a read error).
func (c *VersionCache) Of(root *os.Root, name string) string {
	if name == "" || name == "." {
		return ""
	}
	f, err := root.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	key := root.Name() + "\x00" + name
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.modTime.Equal(fi.ModTime()) {
		return e.version
	}
	version, err := FileVersion(f)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]versionEntry{}
	}
	c.entries[key] = versionEntry{size: fi.Size(), modTime: fi.ModTime(), version: version}
	c.mu.Unlock()
	return version
}

// hasPrecompressed reports whether name has a compressed copy beside it.
func hasPrecompressed(root *os.Root, name string) bool {
	for _, suffix := range []string{".br", ".gz"} {
		if fi, err := root.Stat(name + suffix); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
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
