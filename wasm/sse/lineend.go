package sse

// Finding where a line ends is most of the module's work on a stream of
// large events: every byte of the stream is looked at once, to see whether
// it is a CR or an LF. In WebAssembly, the standard library's
// bytes.IndexByte looks at four bytes a step and finds one byte value, so
// lines ended by either took two scans of each chunk. indexLineEnd looks
// for both, eight bytes a step (see lineend_wasm.s): a 20 MB stream of
// 1000-byte events, line by line, was scanned in about 3 ms instead of
// 6.5-10.6 in JavaScriptCore's shell, and 4 ms instead of 6.8 in Node.
// Elsewhere it is plain Go, which the tests compare it with.

// indexLineEndGo returns the index of the first CR or LF in b, or -1.
func indexLineEndGo(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}
