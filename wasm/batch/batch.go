// Package batch encodes the events decoded from one response chunk as one
// UTF-8 text, so that they cross from Go to JavaScript in a single call:
// the shim decodes it from the module's memory into one string.
//
// Crossing the Go/JavaScript boundary costs far more than decoding an event,
// so the WASM module hands the JavaScript shim one batch per chunk, never one
// call per event. The format is chosen so that JavaScript can take a batch
// apart at its CRs, with one String.prototype.split (or, where fields are
// long, indexOf): CR never occurs in a field, as it ends a line in an
// event stream and data lines are joined with LF. A batch has one of two
// forms.
//
// The general form is a record of three fields per event:
//
//	general = *record
//	record  = CR type CR data CR lastEventID
//
// Beginning each record with CR also keeps a batch from starting with
// U+FEFF, which the shim's TextDecoder would strip; the split's first field
// is empty. A record with an empty type is not an event (every event has a
// type, "message" by default) but a change of the source's state, in stream
// order: data "retry" with the new reconnection time in milliseconds in the
// third field, or data "id" with a last event ID that no event carried (an
// "id" field in an event with no data).
//
// The plain form is the usual batch, in which every event is of type
// "message" and has the last event ID the shim already holds, and nothing
// else happens. It carries only the data, a field per event:
//
//	plain = PlainMark 1*(CR data)
//
// so that taking it apart makes one string per event instead of three,
// and the shim compares no types or IDs. Its first field, PlainMark, tells
// the forms apart.
package batch

import (
	"bytes"
	"slices"
	"strconv"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

// Separator separates the fields of a batch.
const Separator = '\r'

// PlainMark begins a batch in the plain form.
const PlainMark = 'm'

var messageType = []byte("message")

// A Builder builds the batches of one source, one chunk at a time. It
// keeps the last event ID as the shim last heard it, which the plain form
// leaves out: the shim holds it. The zero Builder starts with an empty ID.
//
// A Builder is the decoder's sse.Handler: the decoder hands it each event
// with no call in between, which on a stream of small events is a good
// part of the module's work.
type Builder struct {
	// OnRetry, when set, is called with each reconnection time that Retry
	// records, after its record.
	OnRetry func(time.Duration)

	buf     []byte
	known   []byte // the last event ID the shim has heard, with this batch
	general bool   // buf is in the general form; else plain (or empty)
}

var _ sse.RunHandler = (*Builder)(nil)

// NewBuilder returns a Builder for a source whose last event ID starts as
// id.
func NewBuilder(id string) *Builder {
	return &Builder{known: []byte(id)}
}

// Event adds an event.
//
// Most events of the usual stream come in runs instead (see Run). An
// event that comes here is kept small for the engine's optimizing
// compiler as much as for speed (see sse.Decoder's run): in the
// plain form it makes one call, to copy its data, and growing the buffer
// and the general form are functions of their own. With them inlined,
// JavaScriptCore's compiler took 20-61 ms of a thread for Event during a
// page's first stream, and 5-12 ms without.
func (b *Builder) Event(e sse.Event) {
	if b.general || !isMessage(e.Type) || !sameBytes(e.LastEventID, b.known) {
		b.generalEvent(e)
		return
	}
	n := len(b.buf)
	if cap(b.buf)-n < 2+len(e.Data) {
		b.grow(2 + len(e.Data))
	}
	if n == 0 {
		b.buf = b.buf[:1]
		b.buf[0] = PlainMark
		n = 1
	}
	b.buf = b.buf[:n+1+len(e.Data)]
	b.buf[n] = Separator
	copy(b.buf[n+1:], e.Data)
}

// Run starts a run of events in the plain form, which the decoder
// appends to the batch itself, if the batch is plain (or empty) and the
// shim has lastEventID, the run's events' last event ID.
func (b *Builder) Run(lastEventID []byte) (buf []byte, sep byte, ok bool) {
	if b.general || !sameBytes(lastEventID, b.known) {
		return nil, 0, false
	}
	if len(b.buf) == 0 {
		b.buf = append(b.buf, PlainMark)
	}
	return b.buf, Separator, true
}

// RunDone takes back the batch with a run appended. It needs no count of
// the run's events: in the plain form, each is a field of the batch.
func (b *Builder) RunDone(buf []byte, _ int) {
	if len(buf) == 1 {
		// No event: the batch is empty, not a plain mark alone.
		buf = buf[:0]
	}
	b.buf = buf
}

// grow makes room for at least n more bytes.
//
//go:noinline
func (b *Builder) grow(n int) { b.buf = slices.Grow(b.buf, n) }

// generalEvent adds an event in the general form.
//
//go:noinline
func (b *Builder) generalEvent(e sse.Event) {
	b.toGeneral()
	b.buf = Append(b.buf, e)
	if !bytes.Equal(e.LastEventID, b.known) {
		b.known = append(b.known[:0], e.LastEventID...)
	}
}

// isMessage reports whether t is "message", comparing in place: in
// WebAssembly, Go compares with a constant of up to six bytes without a
// call.
func isMessage(t []byte) bool {
	return len(t) == len("message") && string(t[:4]) == "mess" && string(t[4:]) == "age"
}

// sameBytes is bytes.Equal, without a call for two empty slices, the
// usual last event IDs.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || equalBytes(a, b))
}

// equalBytes is bytes.Equal, as a call of its own (see Event).
//
//go:noinline
func equalBytes(a, b []byte) bool { return bytes.Equal(a, b) }

// Retry adds a record of a new reconnection time, in milliseconds, and
// tells OnRetry.
func (b *Builder) Retry(d time.Duration) {
	b.toGeneral()
	b.buf = AppendRetry(b.buf, d.Milliseconds())
	if b.OnRetry != nil {
		b.OnRetry(d)
	}
}

// LastEventID adds a record of the last event ID id, unless the shim has
// it already.
func (b *Builder) LastEventID(id []byte) {
	if bytes.Equal(id, b.known) {
		return
	}
	b.toGeneral()
	b.buf = AppendLastEventID(b.buf, id)
	b.known = append(b.known[:0], id...)
}

// toGeneral turns the batch so far into the general form.
func (b *Builder) toGeneral() {
	if b.general {
		return
	}
	b.general = true
	if len(b.buf) == 0 {
		return
	}
	// A rare turn (an event with a type or a new ID after plain ones in
	// the same chunk): each plain record gets its type and ID.
	plain := append([]byte(nil), b.buf[2:]...)
	b.buf = b.buf[:0]
	for {
		end := bytes.IndexByte(plain, Separator)
		if end < 0 {
			b.buf = Append(b.buf, sse.Event{Type: messageType, Data: plain, LastEventID: b.known})
			return
		}
		b.buf = Append(b.buf, sse.Event{Type: messageType, Data: plain[:end], LastEventID: b.known})
		plain = plain[end+1:]
	}
}

// Grow makes room for n more bytes.
func (b *Builder) Grow(n int) { b.buf = slices.Grow(b.buf, n) }

// Bytes returns the batch, valid until the next call of a method other
// than Len.
func (b *Builder) Bytes() []byte { return b.buf }

// Len returns the length of the batch in bytes.
func (b *Builder) Len() int { return len(b.buf) }

// Next starts the next batch. It keeps the buffer for it unless the
// buffer is over keep bytes and four times what the batch used.
func (b *Builder) Next(keep int) {
	if cap(b.buf) > keep && cap(b.buf) > 4*len(b.buf) {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	b.general = false
}

// Append appends e to the general-form batch b as one record.
func Append(b []byte, e sse.Event) []byte {
	b = append(b, Separator)
	b = append(b, e.Type...)
	b = append(b, Separator)
	b = append(b, e.Data...)
	b = append(b, Separator)
	b = append(b, e.LastEventID...)
	return b
}

// AppendRetry appends a record of a new reconnection time to the
// general-form batch b.
func AppendRetry(b []byte, ms int64) []byte {
	b = append(b, Separator, Separator)
	b = append(b, "retry"...)
	b = append(b, Separator)
	return strconv.AppendInt(b, ms, 10)
}

// AppendLastEventID appends a record of a new last event ID to the
// general-form batch b.
func AppendLastEventID(b []byte, id []byte) []byte {
	b = append(b, Separator, Separator)
	b = append(b, "id"...)
	b = append(b, Separator)
	return append(b, id...)
}

// A Record is one record of a decoded batch.
type Record struct {
	Type, Data, LastEventID string
}

// A Splitter decodes the batches of one source in order, as the shim does.
// LastEventID is the last event ID it has heard, which plain records
// carry; set it to the source's initial one.
type Splitter struct {
	LastEventID string
}

// Split decodes a batch. It reports ok=false if b is not a well-formed
// batch. The module never needs it; tests and tools do.
func (s *Splitter) Split(b string) (records []Record, ok bool) {
	if b == "" {
		return nil, true
	}
	switch b[0] {
	case PlainMark:
		if len(b) < 2 || b[1] != Separator {
			return nil, false
		}
		for _, data := range splitFields(b[2:]) {
			records = append(records, Record{"message", data, s.LastEventID})
		}
		return records, true
	case Separator:
		fields := splitFields(b[1:])
		if len(fields)%3 != 0 {
			return nil, false
		}
		for i := 0; i < len(fields); i += 3 {
			r := Record{fields[i], fields[i+1], fields[i+2]}
			if r.Type != "" || r.Data == "id" {
				s.LastEventID = r.LastEventID
			}
			records = append(records, r)
		}
		return records, true
	}
	return nil, false
}

func splitFields(s string) []string {
	var fields []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == Separator {
			fields = append(fields, s[start:i])
			start = i + 1
		}
	}
	return append(fields, s[start:])
}
