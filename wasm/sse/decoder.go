// Package sse decodes a text/event-stream byte stream into events, as the
// WHATWG HTML standard's "Server-sent events" section (§9.2.6, "Parsing an
// event stream", and §9.2.7, "Interpreting an event stream") defines it.
//
// The decoder is push-based: a browser hands a client the response body in
// chunks of arbitrary size, so callers Feed each chunk as it arrives and the
// decoder reports what it completes to a Handler. Lines, UTF-8 sequences and
// CRLF pairs may be split across chunks anywhere; the events reported do not
// depend on where the splits fall.
//
// The package is pure Go: it has no JavaScript dependency and is tested
// natively.
package sse

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// An Event is one dispatched message event. Its slices alias the decoder's
// buffers or the chunk being fed, and are valid only during the Handler
// call that receives them.
type Event struct {
	// Type is the event type: the last "event" field's value, or "message"
	// when the event had none.
	Type []byte
	// Data is the data buffer with its final LF removed.
	Data []byte
	// LastEventID is the event source's last event ID string at dispatch.
	LastEventID []byte
}

// A Handler receives the decoder's results in stream order.
type Handler interface {
	// Event is called once for each dispatched event.
	Event(Event)
	// Retry is called when a "retry" field sets the reconnection time.
	Retry(time.Duration)
}

// Limits bound the memory a decoder uses on hostile input. A zero field means
// no limit.
type Limits struct {
	// MaxLine is the longest line, in bytes, the decoder buffers.
	MaxLine int
	// MaxEvent is the largest data, in bytes, of one event.
	MaxEvent int
}

// ErrLineTooLong and ErrEventTooLarge are wrapped by the *LimitError that
// Feed returns when input exceeds the decoder's Limits.
var (
	ErrLineTooLong   = errors.New("sse: line exceeds the maximum line size")
	ErrEventTooLarge = errors.New("sse: event data exceeds the maximum event size")
)

// A LimitError reports input that exceeded a limit. Once Feed has returned
// one, the decoder discards further input until Reset.
type LimitError struct {
	Err   error // ErrLineTooLong or ErrEventTooLarge
	Limit int   // the limit in bytes
}

func (e *LimitError) Error() string {
	return e.Err.Error() + " (" + strconv.Itoa(e.Limit) + " bytes)"
}

func (e *LimitError) Unwrap() error { return e.Err }

// keepCapacity is the largest buffer capacity kept across events; a buffer
// that grew beyond it for one large event is released afterwards. Events
// of up to about a mebibyte reuse their buffers: allocating, clearing and
// collecting one per event cost more than decoding it.
const keepCapacity = 1 << 20

var (
	messageType = []byte("message")
	bom         = []byte{0xEF, 0xBB, 0xBF}
)

// A Decoder holds the state of one event stream: a partial line, the data,
// event type and last event ID buffers, and the source's last event ID
// string. The zero value is ready to use with no limits.
type Decoder struct {
	Limits Limits

	line        []byte // the start of a line whose end has not arrived
	data        []byte // the data buffer, each line followed by LF
	eventType   []byte // the event type buffer
	idBuffer    []byte // the last event ID buffer
	lastEventID []byte // the last event ID string, updated at dispatch

	started bool  // true once the stream's first bytes were checked for a BOM
	skipLF  bool  // the previous chunk ended in CR: a leading LF ends no line
	failed  error // a sticky *LimitError
}

// Reset prepares the decoder for a new stream, as at each reconnection: the
// buffers are emptied and the next bytes may start with a BOM. The last event
// ID survives, as in browsers, where a reconnection's stream starts with the
// last event ID buffer holding the source's last event ID string.
func (d *Decoder) Reset() {
	d.line = d.line[:0]
	d.data = d.data[:0]
	d.eventType = d.eventType[:0]
	d.idBuffer = append(d.idBuffer[:0], d.lastEventID...)
	d.started = false
	d.skipLF = false
	d.failed = nil
}

// LastEventID returns the source's last event ID string: the last event ID
// buffer's value at the most recent dispatch. The slice is valid until the
// next call to Feed, Reset or SetLastEventID.
func (d *Decoder) LastEventID() []byte { return d.lastEventID }

// SetLastEventID sets the last event ID string and buffer, for example to an
// initial value chosen by the application.
func (d *Decoder) SetLastEventID(id string) {
	d.lastEventID = append(d.lastEventID[:0], id...)
	d.idBuffer = append(d.idBuffer[:0], id...)
}

// Feed decodes the next chunk of the stream, calling h for each event and
// retry field it completes. It returns a *LimitError when the input exceeds
// the decoder's Limits; the decoder then discards all input until Reset.
func (d *Decoder) Feed(chunk []byte, h Handler) error {
	if d.failed != nil {
		return d.failed
	}
	if !d.started {
		var done bool
		if chunk, done = d.stripBOM(chunk); !done {
			return nil
		}
	}
	if d.skipLF && len(chunk) > 0 {
		d.skipLF = false
		if chunk[0] == '\n' {
			chunk = chunk[1:]
		}
	}
	runs, _ := h.(RunHandler)
	if err := d.scanLines(chunk, h, runs); err != nil {
		d.failed = err
		return err
	}
	return nil
}

// stripBOM removes one leading U+FEFF BYTE ORDER MARK, which the UTF-8
// decode algorithm strips (Encoding §4.1), even when chunks split it. It
// reports done=false while it cannot yet tell whether the stream starts with
// a BOM; the prefix seen so far waits in d.line. When the stream turns out not
// to start with a BOM, that prefix stays in d.line as the start of the first
// line: its bytes are neither CR nor LF, so they cannot end a line.
func (d *Decoder) stripBOM(chunk []byte) (rest []byte, done bool) {
	have := len(d.line)
	need := len(bom) - have
	if len(chunk) < need {
		if bytes.Equal(chunk, bom[have:have+len(chunk)]) {
			d.line = append(d.line, chunk...)
			return nil, false
		}
	} else if bytes.Equal(chunk[:need], bom[have:]) {
		d.line = d.line[:0]
		d.started = true
		return chunk[need:], true
	}
	d.started = true
	return chunk, true
}

// scanLines splits chunk into lines ended by CRLF, LF or CR (§9.2.6) and
// interprets each complete one. The start of a line whose end is not in
// chunk waits in d.line. runs is h, if h is a RunHandler.
//
// When h is a RunHandler, as the module's batch builder is, most events
// never reach its line-by-line loop: each run of one-line events goes to
// h in one call first (see run). The loop's rare paths are functions of
// their own, which keeps it small for the engine's optimizing compiler
// (see run) on streams that do reach it.
func (d *Decoder) scanLines(chunk []byte, h Handler, runs RunHandler) error {
	for len(chunk) > 0 {
		if runs != nil && len(d.line) == 0 && len(d.data) == 0 && len(d.eventType) == 0 && startsDataLine(chunk) &&
			len(d.idBuffer) == len(d.lastEventID) && string(d.idBuffer) == string(d.lastEventID) {
			// A run may start here: its events have the type "message"
			// and leave the last event ID as it is. (Checked in place, not
			// in a call, as at each line of events with an ID or a type.)
			if chunk = chunk[d.run(runs, chunk):]; len(chunk) == 0 {
				return nil
			}
		}
		end := indexLineEnd(chunk)
		if end < 0 {
			return d.keepPartialLine(chunk)
		}
		line := chunk[:end]
		if len(d.line) > 0 || d.Limits.MaxLine > 0 && len(line) > d.Limits.MaxLine {
			var err error
			if line, err = d.completeLine(line); err != nil {
				return err
			}
		}
		next := d.pastLineEnd(chunk, end)
		if len(d.data) == 0 && next < len(chunk) && (chunk[next] == '\n' || chunk[next] == '\r') &&
			len(line) >= len("data:") && string(line[:len("data:")]) == "data:" {
			// A data line and then a blank line, which is in this chunk,
			// and no data before them: the most common event, whose data
			// goes to h as it is in the chunk (or in d.line, when the
			// line began in an earlier chunk), without a copy into the
			// data buffer or a turn of the loop for the blank line. Its
			// name is checked in place: in WebAssembly, a call to
			// splitField costs more than the check. (A "data" line with
			// no colon takes the general path.)
			value := fieldValue(line[len("data:"):])
			if d.Limits.MaxEvent > 0 && len(value) > d.Limits.MaxEvent {
				return d.eventTooLarge()
			}
			chunk = chunk[d.pastLineEnd(chunk, next):]
			d.dispatchData(h, value)
		} else {
			chunk = chunk[next:]
			if err := d.interpret(line, h); err != nil {
				return err
			}
		}
		if cap(d.line) > 0 {
			d.line = shrink(d.line)
		}
	}
	return nil
}

// completeLine returns the whole of a line whose end is in the chunk and
// whose start, if any, waits in d.line, checking it against the line
// limit.
//
//go:noinline
func (d *Decoder) completeLine(rest []byte) ([]byte, error) {
	if len(d.line) > 0 {
		if err := d.keepPartialLine(rest); err != nil {
			return nil, err
		}
		return d.line, nil
	}
	if d.Limits.MaxLine > 0 && len(rest) > d.Limits.MaxLine {
		return nil, &LimitError{ErrLineTooLong, d.Limits.MaxLine}
	}
	return rest, nil
}

// eventTooLarge returns the error for an event over the event limit.
//
//go:noinline
func (d *Decoder) eventTooLarge() error {
	return &LimitError{ErrEventTooLarge, d.Limits.MaxEvent}
}

// pastLineEnd returns where the line after the line end at chunk[end] starts,
// taking a CRLF pair as one line end. A CR at the end of chunk may be the
// first half of a pair, whose LF would be the next chunk's first byte: it
// sets d.skipLF, so that Feed drops that LF.
func (d *Decoder) pastLineEnd(chunk []byte, end int) (next int) {
	next = end + 1
	if chunk[end] == '\r' {
		if next == len(chunk) {
			d.skipLF = true
		} else if chunk[next] == '\n' {
			next++
		}
	}
	return next
}

// splitField splits a field's line into its name, which runs to the first
// colon (or the end of the line), and its value, the rest less one leading
// space.
func splitField(line []byte) (name, value []byte) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return line, nil
	}
	return line[:i], fieldValue(line[i+1:])
}

// fieldValue is a field's value, given what follows the colon: the rest of
// the line less one leading space.
func fieldValue(afterColon []byte) []byte {
	if len(afterColon) > 0 && afterColon[0] == ' ' {
		return afterColon[1:]
	}
	return afterColon
}

// keepPartialLine appends part of a line to d.line, within the line limit.
//
//go:noinline
func (d *Decoder) keepPartialLine(part []byte) error {
	if d.Limits.MaxLine > 0 && len(d.line)+len(part) > d.Limits.MaxLine {
		return &LimitError{ErrLineTooLong, d.Limits.MaxLine}
	}
	d.line = append(d.line, part...)
	return nil
}

// interpret processes one line (§9.2.6): a blank line dispatches the event, a
// line starting with a colon is a comment, and any other line is a field
// (see splitField).
func (d *Decoder) interpret(line []byte, h Handler) error {
	if len(line) == 0 {
		d.dispatch(h)
		return nil
	}
	if line[0] == ':' {
		return nil
	}
	name, value := splitField(line)
	switch string(name) {
	case "data":
		// The data buffer ends in the LF of each line; the event's data
		// will be the buffer less its final LF, which the limit bounds.
		if d.Limits.MaxEvent > 0 && len(d.data)+len(value) > d.Limits.MaxEvent {
			return &LimitError{ErrEventTooLarge, d.Limits.MaxEvent}
		}
		d.data = append(d.data, value...)
		d.data = append(d.data, '\n')
	case "event":
		d.eventType = append(d.eventType[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.idBuffer = append(d.idBuffer[:0], value...)
		}
	case "retry":
		if ms, ok := parseRetry(value); ok {
			h.Retry(ms)
		}
	}
	// Any other field is ignored.
	return nil
}

// maxRetry is the longest reconnection time representable as a Duration.
const maxRetry = time.Duration(1<<63 - 1)

// parseRetry interprets a retry field's value: only a non-empty string of
// ASCII digits sets the reconnection time, as milliseconds in base ten. Like
// Chromium, it ignores a value too large for an unsigned 64-bit integer; a
// value too large for a Duration saturates.
func parseRetry(value []byte) (time.Duration, bool) {
	if len(value) == 0 {
		return 0, false
	}
	var ms uint64
	for _, c := range value {
		if c < '0' || c > '9' {
			return 0, false
		}
		next := ms*10 + uint64(c-'0')
		if ms > (1<<64-1)/10 || next < ms*10 {
			return 0, false
		}
		ms = next
	}
	if ms > uint64(maxRetry/time.Millisecond) {
		return maxRetry, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// dispatch implements "dispatch the event" (§9.2.6): the last event ID string
// takes the buffer's value; an event with an empty data buffer is dropped;
// otherwise the data loses its final LF and the event goes to h with the
// type "message" unless an event field named another. The data and event
// type buffers are then emptied.
func (d *Decoder) dispatch(h Handler) {
	if len(d.data) == 0 {
		d.setLastEventID()
		d.eventType = d.eventType[:0]
		return
	}
	d.dispatchData(h, d.data[:len(d.data)-1])
	d.data = shrink(d.data)
}

// dispatchData dispatches an event whose data buffer, less its final LF,
// is data.
func (d *Decoder) dispatchData(h Handler, data []byte) {
	d.setLastEventID()
	eventType := d.eventType
	if len(eventType) == 0 {
		eventType = messageType
	}
	h.Event(Event{Type: eventType, Data: data, LastEventID: d.lastEventID})
	d.eventType = d.eventType[:0]
}

// setLastEventID sets the last event ID string to the buffer's value, as
// every dispatch does, with an event or without.
func (d *Decoder) setLastEventID() {
	// Both are empty in most streams: no call at all then.
	if len(d.lastEventID) != len(d.idBuffer) || len(d.idBuffer) > 0 {
		d.copyLastEventID()
	}
}

// copyLastEventID sets the last event ID string to the buffer's value,
// out of the line of the dispatch (see scanLines).
//
//go:noinline
func (d *Decoder) copyLastEventID() {
	if !bytes.Equal(d.lastEventID, d.idBuffer) {
		d.lastEventID = append(d.lastEventID[:0], d.idBuffer...)
	}
}

// shrink empties a buffer, releasing it if one large event grew it.
func shrink(b []byte) []byte {
	if cap(b) > keepCapacity {
		return nil
	}
	return b[:0]
}
