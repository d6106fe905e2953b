package sse

import "slices"

// A RunHandler is a Handler that can take a run of events at once: events
// of type "message" that leave the last event ID as it is, each written
// into a buffer of the handler's as a separator byte and then its data.
// The decoder writes the run with one call of a small loop, where it
// would make some calls per event through Event. The decoder asks for a
// run only when the events it could hold have the type "message" and the
// last event ID the handler is told.
type RunHandler interface {
	Handler
	// Run returns the buffer to append a run to, and the separator to
	// write before each event's data, for events whose last event ID is
	// lastEventID; ok is false when the handler takes no run now, and
	// then gets each event through Event. The data of a run's events
	// hold no CR or LF, so either can separate them.
	Run(lastEventID []byte) (buf []byte, sep byte, ok bool)
	// RunDone hands the buffer back with the run appended, which holds
	// events events (perhaps none), in the order of the stream.
	RunDone(buf []byte, events int)
}

// run hands r the run of events at the start of chunk that are each one
// data line and a blank line, both ended by LF or both by CRLF, within
// the limits (see oneLineEvent), and returns how many bytes they took; it
// takes none when r takes no run. scanLines calls it where a line starts,
// with no partial line, data or event type waiting and the last event ID
// buffer as the last event ID string, so that each event of the run has
// the type "message" and leaves the last event ID as it is.
//
// It is the module's hottest path, so its loop is appendRun, a small
// function of hand-written WebAssembly with no calls. Go compiles each of
// its functions to WebAssembly as a loop that dispatches to the
// function's blocks (so that a goroutine can be resumed anywhere), and an
// optimizing compiler takes time by the number of those blocks. In
// WebKitGTK, on two cores, JavaScriptCore's took 19-46 ms of a compiler
// thread for scanLines when it held this path (in Go, with its rare paths
// inlined) during a page's first stream of 20k events, while the page
// waited for the network process that the thread competed with. It takes
// 2-5 ms for appendRun.
func (d *Decoder) run(r RunHandler, chunk []byte) int {
	buf, sep, ok := r.Run(d.lastEventID)
	if !ok {
		return 0
	}
	taken, events := 0, 0
	for {
		n, took, k, need := appendRun(buf, chunk[taken:], sep, d.Limits.MaxLine, d.Limits.MaxEvent)
		buf = buf[:n]
		taken += took
		events += k
		if need == 0 {
			break
		}
		buf = slices.Grow(buf, need)
	}
	r.RunDone(buf, events)
	return taken
}

// startsDataLine reports whether b may start an event of one data line
// and a blank line: it starts with "data:" and is long enough to hold
// one. Go inlines it.
func startsDataLine(b []byte) bool {
	return len(b) >= len("data:\n\n") && string(b[:len("data:")]) == "data:"
}

// oneLineEvent reports whether rest starts with an event that is one data
// line and a blank line, both ended by LF or both by CRLF, within the
// limits, and returns its data and its length in bytes.
func oneLineEvent(rest []byte, limits Limits) (data []byte, n int, ok bool) {
	if !startsDataLine(rest) {
		return nil, 0, false
	}
	end := indexLineEnd(rest)
	if end < 0 {
		return nil, 0, false
	}
	n = end + 2 // past the blank line's LF
	if rest[end] == '\r' {
		n = end + 4 // past CRLF CRLF
		if n > len(rest) || string(rest[end:n]) != "\r\n\r\n" {
			return nil, 0, false
		}
	} else if n > len(rest) || rest[end+1] != '\n' {
		return nil, 0, false
	}
	data = fieldValue(rest[len("data:"):end])
	if limits.MaxLine > 0 && end > limits.MaxLine || limits.MaxEvent > 0 && len(data) > limits.MaxEvent {
		return nil, 0, false
	}
	return data, n, true
}

// appendRunGo is appendRun in Go, which the tests compare it with (see
// run_wasm.s). It appends to buf, within its capacity, each event of
// the run at the start of chunk (see oneLineEvent) as sep and its data.
// It returns buf's new length, the bytes of chunk and the events it took,
// and, when it stopped for want of room for the next event, the bytes
// that event needs (else 0). A limit of 0 is none.
func appendRunGo(buf, chunk []byte, sep byte, maxLine, maxEvent int) (n, took, events, need int) {
	n = len(buf)
	buf = buf[:cap(buf)]
	for {
		data, next, ok := oneLineEvent(chunk[took:], Limits{MaxLine: maxLine, MaxEvent: maxEvent})
		if !ok {
			return
		}
		if n+1+len(data) > len(buf) {
			need = 1 + len(data)
			return
		}
		buf[n] = sep
		n += 1 + copy(buf[n+1:], data)
		events++
		took += next
	}
}
