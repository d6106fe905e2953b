package sse

import (
	"bytes"
	"testing"
)

// TestIndexLineEnd compares indexLineEnd, which is WebAssembly in the
// module's build (GOOS=js GOARCH=wasm go test runs it under Node, as
// make unit does), with the plain Go loop: every length up to a few words,
// every position of the first CR or LF, at every alignment, among bytes
// that differ from CR and LF in one bit or in the top one, which are what
// a word-at-a-time scan could mistake for them.
func TestIndexLineEnd(t *testing.T) {
	fillers := []byte{'x', 0x00, 0x0b, 0x0c, 0x09, 0x8a, 0x8d, 0x0e, 0x2a, 0x2d, 0xff, 0x80}
	buf := make([]byte, 48)
	for _, filler := range fillers {
		for offset := 0; offset < 8; offset++ {
			for n := 0; n+offset <= len(buf); n++ {
				b := buf[offset : offset+n]
				for first := -1; first < n; first++ {
					for _, end := range []byte{'\n', '\r'} {
						for i := range b {
							b[i] = filler
						}
						if first >= 0 {
							b[first] = end
							// Line ends after the first must not move it.
							for i := first + 1; i < n; i += 3 {
								b[i] = '\n' + '\r' - end
							}
						}
						if got, want := indexLineEnd(b), indexLineEndGo(b); got != want || want != first {
							t.Fatalf("indexLineEnd(% x) = %d, the plain loop %d, want %d", b, got, want, first)
						}
					}
				}
			}
		}
	}
}

// FuzzIndexLineEnd holds indexLineEnd to the plain loop on any bytes.
func FuzzIndexLineEnd(f *testing.F) {
	f.Add([]byte("data: hello\r\n"))
	f.Add(bytes.Repeat([]byte{0x8a}, 17))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := indexLineEnd(b), indexLineEndGo(b); got != want {
			t.Fatalf("indexLineEnd(%q) = %d, the plain loop %d", b, got, want)
		}
	})
}
