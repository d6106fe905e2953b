//go:build !wasm

package sse

// appendRun is appendRunGo (see run_wasm.s).
func appendRun(buf, chunk []byte, sep byte, maxLine, maxEvent int) (n, took, events, need int) {
	return appendRunGo(buf, chunk, sep, maxLine, maxEvent)
}
