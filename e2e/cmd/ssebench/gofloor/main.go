//go:build js && wasm

// Command gofloor is the Go floor of ssebench: a Go program built for
// GOOS=js with safejs, as the polyfill's module is, that does the least a
// Go client of the bench stream can do.
//
// In the ready and returning workloads it tells its page that it runs,
// and does nothing else: its time to ready is what the Go runtime and
// safejs cost before any code of the polyfill runs.
//
// In the EventSource API's throughput workloads its page copies each chunk
// of the stream into the program's memory, and the program finds the
// events in it, as the polyfill's module does, with the least work: it
// knows the bench stream's shape (server/refserver: "data: " + payload +
// "\n\n", never a CR), finds each line end with bytes.IndexByte, and tells
// the page where each event's data lies; the page decodes the text once
// and dispatches a real MessageEvent per event, as the event floor does.
// Its time there says how much of the polyfill's time in an engine Go
// itself accounts for: the rest is the polyfill's own code.
//
// web/bench/adapters/go-floor.js starts it, with the name of the object to
// register with as its first argument, and drives it.
package main

import (
	"bytes"
	"os"
	"unsafe"

	"github.com/hack-pad/safejs"
)

// pieceSize is the most bytes the page copies in at once.
const pieceSize = 256 << 10

var (
	// text holds the start of an event that the last piece cut (the
	// first carry bytes) and then the next piece.
	text  []byte
	carry int
	// scanned is the length of the text the last scan ended events in,
	// whose rest it carries to the next piece.
	scanned int
	// found is what a scan leaves the page: the length of the text the
	// events lie in, their count, then each event's data as a start and
	// an end offset in that text.
	found []uint32
)

// floorPiece moves what the last scan left of the text to its start and
// returns the address at which the page is to write at most pieceSize
// bytes of the stream.
//
//go:wasmexport gofloorPiece
func floorPiece() uint32 {
	carry = copy(text, text[scanned:carry])
	scanned = 0
	if len(text) < carry+pieceSize {
		text = append(text[:carry], make([]byte, pieceSize)...)
		text = text[:cap(text)]
	}
	return addressOf(text[carry:])
}

// floorScan finds the events in the n bytes that the page wrote after the
// carried ones, and returns the address of what it found (see found).
//
//go:wasmexport gofloorScan
func floorScan(n uint32) uint32 {
	carry += int(n)
	data := text[:carry]
	found = append(found[:0], 0, 0)
	events := 0
	start, end := -1, 0
	for pos := 0; ; {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			break
		}
		switch {
		case i == 0: // a blank line ends the event
			if start >= 0 {
				found = append(found, uint32(start), uint32(end))
				events++
				start = -1
			}
			scanned = pos + 1
		case i >= len("data: ") && string(data[pos:pos+len("data: ")]) == "data: ":
			start, end = pos+len("data: "), pos+i
		}
		pos += i + 1
	}
	found[0], found[1] = uint32(scanned), uint32(events)
	return addressOf(found)
}

// floorText returns the address of the text whose events the last scan
// found.
//
//go:wasmexport gofloorText
func floorText() uint32 { return addressOf(text) }

func addressOf[T any](s []T) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(s)))) }

func main() {
	if len(os.Args) < 2 {
		return
	}
	host, err := safejs.Global().Get(os.Args[1])
	if err != nil {
		return
	}
	if _, err := host.Call("register"); err != nil {
		return
	}
	// The exported functions run only while the program does.
	select {}
}
