// Package batch encodes the events decoded from one response chunk as one
// UTF-8 text, so that they cross from Go to JavaScript in a single call:
// the shim decodes it from the module's memory into one string.
//
// Crossing the Go/JavaScript boundary costs far more than decoding an event,
// so the WASM module hands the JavaScript shim one batch per chunk, never one
// call per event. The format is chosen so that JavaScript can take a batch
// apart with one String.prototype.split:
//
//	batch  = *record
//	record = CR type CR data CR lastEventID
//
// CR can separate the fields because it never occurs in them: it ends a line
// in an event stream, and data lines are joined with LF. Beginning each
// record with CR also keeps a batch from starting with U+FEFF, which the
// shim's TextDecoder would strip.
// The shim splits on CR and reads fields 1, 2, 3, then 4, 5, 6, and so on.
//
// A record with an empty type is not an event (every event has a type,
// "message" by default) but a change of the source's state, in stream
// order: data "retry" with the new reconnection time in milliseconds in the
// third field, or data "id" with a last event ID that no event carried (an
// "id" field in an event with no data).
package batch

import (
	"strconv"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

// Separator separates the fields of a batch.
const Separator = '\r'

// Append appends e to the batch b as one record.
func Append(b []byte, e sse.Event) []byte {
	b = append(b, Separator)
	b = append(b, e.Type...)
	b = append(b, Separator)
	b = append(b, e.Data...)
	b = append(b, Separator)
	b = append(b, e.LastEventID...)
	return b
}

// AppendRetry appends a record of a new reconnection time.
func AppendRetry(b []byte, ms int64) []byte {
	b = append(b, Separator, Separator)
	b = append(b, "retry"...)
	b = append(b, Separator)
	return strconv.AppendInt(b, ms, 10)
}

// AppendLastEventID appends a record of a new last event ID.
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

// Split decodes a batch, as the shim does. It reports ok=false if b is not
// a well-formed batch. The module never needs it; tests and tools do.
func Split(b string) (records []Record, ok bool) {
	if b == "" {
		return nil, true
	}
	if b[0] != Separator {
		return nil, false
	}
	fields := splitFields(b[1:])
	if len(fields)%3 != 0 {
		return nil, false
	}
	for i := 0; i < len(fields); i += 3 {
		records = append(records, Record{fields[i], fields[i+1], fields[i+2]})
	}
	return records, true
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
