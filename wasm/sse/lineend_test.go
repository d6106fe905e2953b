package sse

import (
	"math/rand/v2"
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

// TestIndexLineEndRandom compares the two on random bytes, mostly from
// the values that a scan could confuse with CR and LF: go test -fuzz
// does not run for js/wasm, where indexLineEnd is not the plain loop.
func TestIndexLineEndRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'\n', '\r', 0x0a ^ 0x80, 0x0d ^ 0x80, 0x0b, 0x0c, 0x0e, 0x00, 0x01, 0xff, 'a'}
	buf := make([]byte, 300)
	for range 20000 {
		b := buf[rng.IntN(8):]
		b = b[:rng.IntN(len(b)+1)]
		ends := rng.IntN(3) // how often CR and LF may come: never, rarely, often
		for i := range b {
			c := alphabet[2+rng.IntN(len(alphabet)-2)]
			if ends > 0 && rng.IntN(100) < ends*ends {
				c = alphabet[rng.IntN(2)]
			}
			b[i] = c
		}
		if got, want := indexLineEnd(b), indexLineEndGo(b); got != want {
			t.Fatalf("indexLineEnd(% x) = %d, the plain loop %d", b, got, want)
		}
	}
}
