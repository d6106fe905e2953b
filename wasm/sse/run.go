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
// the limits, and returns how many bytes they took; it takes none when r
// takes no run. Its events are those plainEvents would dispatch.
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
