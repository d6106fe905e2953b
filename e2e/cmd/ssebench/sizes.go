package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
)

// measureSizes measures the files that a page of each implementation loads
// beyond the page itself: the polyfill's script and module, the bundle of
// each peer (minified, as bundle makes it), and the Go floor's program.
// Brotli comes from the brotli command, at its best quality, and is -1
// without it; gzip is Go's, at its best compression.
func measureSizes(cfg *config, ims []impl, notes []string) ([]FileSize, []string) {
	type file struct{ impl, label, path string }
	var files []file
	for _, im := range ims {
		switch {
		case im.Name == "wasm":
			files = append(files,
				file{"wasm", "dist/eventsource-wasm.wasm", filepath.Join(cfg.root, "dist", "eventsource-wasm.wasm")},
				file{"wasm", "dist/eventsource-wasm.js", filepath.Join(cfg.root, "dist", "eventsource-wasm.js")})
		case im.Name == goFloor:
			files = append(files, file{goFloor, "the Go floor's program, with safejs (.wasm)", filepath.Join(cfg.cacheDir, "bundles", goFloor+".wasm")})
		case im.Peer():
			files = append(files, file{im.Name, "bundle of " + im.Package + " (minified)", filepath.Join(cfg.cacheDir, "bundles", im.Name+".js")})
		}
	}
	brotli, err := exec.LookPath("brotli")
	if err != nil {
		brotli = ""
		notes = append(notes, "No brotli command: brotli sizes are n/a (apt-get install brotli; make bench installs it when it may).")
	}
	var out []FileSize
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			notes = append(notes, "size: "+err.Error())
			continue
		}
		fs := FileSize{Impl: f.impl, File: f.label, Raw: int64(len(data)), Gzip: gzipSize(data), Brotli: -1}
		if brotli != "" {
			if out, err := exec.Command(brotli, "-c", "-q", "11", f.path).Output(); err == nil {
				fs.Brotli = int64(len(out))
			} else {
				notes = append(notes, "brotli "+f.label+": "+err.Error())
			}
		}
		out = append(out, fs)
	}
	return out, notes
}

func gzipSize(data []byte) int64 {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return int64(buf.Len())
}
