package sse

// Finding where a line ends is most of the module's work on a stream of
// large events: every byte of the stream is looked at once, to see whether
// it is a CR or an LF. In WebAssembly, the standard library's
// bytes.IndexByte looks at four bytes a step and finds one byte value, so
// lines ended by either took two scans of each chunk. indexLineEnd looks
// for both, eight bytes a step: in JavaScriptCore and V8, a 20 MB stream
// of 1000-byte events is scanned in about half the time (see
// lineend_wasm.s). Elsewhere it is plain Go, which the tests compare it
// with on every build.

// indexLineEndGo returns the index of the first CR or LF in b, or -1.
func indexLineEndGo(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}
