package sse

// appendRun is appendRunGo written in WebAssembly, in run_wasm.s.
//
//go:noescape
func appendRun(buf, chunk []byte, sep byte, maxLine, maxEvent int) (n, took, events, need int)
