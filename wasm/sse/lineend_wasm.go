package sse

// indexLineEnd returns the index of the first CR or LF in b, or -1. It is
// written in WebAssembly, in lineend_wasm.s.
//
//go:noescape
func indexLineEnd(b []byte) int
