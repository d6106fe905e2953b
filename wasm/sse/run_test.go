package sse

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestAppendRun compares appendRun, which is WebAssembly in the module's
// build (make unit runs it under Node), with appendRunGo on random runs:
// events whose lines end every way, values with bytes that a word-at-a-
// time scan could take for CR or LF, limits around the lengths, and
// buffers with room for some of the events or none.
func TestAppendRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	prefixes := []string{"data:", "data: ", "data:  ", "data", "dat", "Data:", "id: 1\n", ": c\n", "data:\t"}
	ends := []string{"\n\n", "\r\n\r\n", "\n\n", "\r\n\r\n", "\r\r", "\n", "\r\n", "\r\n\n", "\n\r\n", "\n\r", ""}
	alphabet := []byte{'a', ' ', ':', 0x0a ^ 0x80, 0x0d ^ 0x80, 0x0b, 0x0c, 0x00, 0xff, '\n', '\r'}
	for i := range 20000 {
		var chunk []byte
		for range rng.IntN(6) {
			chunk = append(chunk, prefixes[rng.IntN(len(prefixes))]...)
			for range rng.IntN(40) {
				c := alphabet[rng.IntN(len(alphabet)-2)]
				if rng.IntN(200) == 0 {
					c = alphabet[len(alphabet)-2+rng.IntN(2)]
				}
				chunk = append(chunk, c)
			}
			chunk = append(chunk, ends[rng.IntN(len(ends))]...)
		}
		chunk = chunk[:len(chunk)-rng.IntN(min(3, len(chunk)+1))]
		limit := func() int {
			if rng.IntN(2) == 0 {
				return 0
			}
			return rng.IntN(50)
		}
		maxLine, maxEvent := limit(), limit()
		prefix := bytes.Repeat([]byte{'p'}, rng.IntN(3))
		capacity := len(prefix) + rng.IntN(120)
		bufAsm := append(make([]byte, 0, capacity), prefix...)
		bufGo := append(make([]byte, 0, capacity), prefix...)
		n, took, events, need := appendRun(bufAsm, chunk, '|', maxLine, maxEvent)
		wn, wtook, wevents, wneed := appendRunGo(bufGo, chunk, '|', maxLine, maxEvent)
		if n != wn || took != wtook || events != wevents || need != wneed || !bytes.Equal(bufAsm[:n], bufGo[:wn]) {
			t.Fatalf("case %d: appendRun(cap %d, %q, maxLine %d, maxEvent %d)\n = %d %d %d %d, %q\nappendRunGo: %d %d %d %d, %q",
				i, capacity, chunk, maxLine, maxEvent, n, took, events, need, bufAsm[:n], wn, wtook, wevents, wneed, bufGo[:wn])
		}
	}
}

// TestAppendRunStops checks where a run ends, against appendRunGo's own
// account of the rules.
func TestAppendRunStops(t *testing.T) {
	for _, tc := range []struct {
		name          string
		chunk         string
		capacity      int
		maxLine       int
		maxEvent      int
		want          string
		took, n, need int
	}{
		{"two events", "data: a\n\ndata:bc\n\n", 10, 0, 0, "|a|bc", 18, 2, 0},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", 10, 0, 0, "|a|b", 22, 2, 0},
		{"a named event ends it", "data: a\n\nevent: x\ndata: b\n\n", 10, 0, 0, "|a", 9, 1, 0},
		{"an event cut at the end of the chunk", "data: a\n\ndata: b\n", 10, 0, 0, "|a", 9, 1, 0},
		{"a CR blank line ends it", "data: a\r\r", 10, 0, 0, "", 0, 0, 0},
		{"two data lines end it", "data: a\ndata: b\n\n", 10, 0, 0, "", 0, 0, 0},
		{"no room for the second", "data: a\n\ndata: bcd\n\n", 3, 0, 0, "|a", 9, 1, 4},
		{"the line limit", "data: a\n\ndata: ab\n\n", 10, 7, 0, "|a", 9, 1, 0},
		{"the event limit", "data: ab\n\ndata: abc\n\n", 10, 0, 2, "|ab", 10, 1, 0},
		{"a value of spaces keeps all but one", "data:   \n\n", 10, 0, 0, "|  ", 10, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 0, tc.capacity)
			n, took, events, need := appendRun(buf, []byte(tc.chunk), '|', tc.maxLine, tc.maxEvent)
			if got := string(buf[:n]); got != tc.want || took != tc.took || events != tc.n || need != tc.need {
				t.Errorf("appendRun = %q, took %d, %d events, need %d; want %q, %d, %d, %d", got, took, events, need, tc.want, tc.took, tc.n, tc.need)
			}
		})
	}
}
