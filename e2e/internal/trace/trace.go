// Package trace holds the event traces that web/trace.js records, as both
// the e2e tests and the sseconform command read, store and compare them:
// the entry and trace types, the one-line JSON form of an entry, golden
// files, the shortening of long data, and a diff of two traces' lines.
package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf16"
)

// Entry is one entry of a trace, as web/trace.js records it. The pointer
// fields are absent from some types of entry; a present empty string differs
// from an absent one.
type Entry struct {
	Type        string  `json:"type"`
	Event       *string `json:"event,omitempty"`
	Data        *string `json:"data,omitempty"`
	DataType    string  `json:"dataType,omitempty"`
	DataLength  *int    `json:"dataLength,omitempty"`
	DataHash    string  `json:"dataHash,omitempty"`
	LastEventID *string `json:"lastEventId,omitempty"`
	Origin      *string `json:"origin,omitempty"`
	ReadyState  *int    `json:"readyState,omitempty"`
}

// Line is the compact JSON of an entry, the unit that traces are compared,
// diffed and stored by. It leaves "<" and ">" as they are, for "<self>",
// and writes U+FFFD REPLACEMENT CHARACTER as \ufffd, so that a reader can
// tell it from any other character a terminal cannot show.
func (e Entry) Line() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(err) // Entry has only strings and numbers.
	}
	// U+FFFD can only be inside a JSON string, where \ufffd means it too.
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\uFFFD", `\ufffd`)
}

// Lines returns the Line of each entry.
func Lines(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Line()
	}
	return out
}

// Trace is the result of sseTrace.run in web/trace.js.
type Trace struct {
	Entries []Entry `json:"trace"`

	// EndedBy says what ended the trace: "closed" (an error event with
	// readyState CLOSED), "close-after", "max-errors" or "timeout".
	EndedBy string `json:"endedBy"`

	// AllMessageEvents and AllTargetsSource report whether every message
	// event was a MessageEvent whose target was the source.
	AllMessageEvents bool `json:"allMessageEvents"`
	AllTargetsSource bool `json:"allTargetsSource"`
	MessageEvents    int  `json:"messageEvents"`

	// API is what the source looked like right after its construction.
	API struct {
		InitialReadyState int   `json:"initialReadyState"`
		URLResolved       bool  `json:"urlResolved"`
		WithCredentials   bool  `json:"withCredentials"`
		IsEventTarget     bool  `json:"isEventTarget"`
		Constants         []int `json:"constants"`
	} `json:"api"`

	// PolyfillReady is the state of WasmEventSource.ready when the trace
	// ended, or "n/a" for an implementation other than the polyfill.
	PolyfillReady string `json:"polyfillReady"`

	// NativeConstructed counts the native EventSource objects that were
	// made on a page of another implementation; it should be 0.
	NativeConstructed int `json:"nativeConstructed"`
}

// Options are the options of sseTrace.run.
type Options struct {
	Impl       string   `json:"impl"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	CloseAfter int      `json:"closeAfter"`
	MaxErrors  int      `json:"maxErrors"`
	TimeoutMs  int64    `json:"timeoutMs"`
}

// Encode formats a trace as a golden file: a JSON array with one entry a
// line, which reads well and diffs well in review.
func Encode(entries []Entry) []byte {
	lines := Lines(entries)
	if len(lines) == 0 {
		return []byte("[]\n")
	}
	return []byte("[\n  " + strings.Join(lines, ",\n  ") + "\n]\n")
}

// ReadFile reads a golden file.
func ReadFile(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var entries []Entry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// Shorten does what web/trace.js does to data longer than 256 UTF-16 code
// units: it keeps the first 64 and the last 32 code units, and gives the
// length and the FNV-1a hash of the code units. Shorter data comes back
// whole, with its length and no hash.
func Shorten(s string) (data string, length int, hash string) {
	u := utf16.Encode([]rune(s))
	if len(u) <= 256 {
		return s, len(u), ""
	}
	h := uint32(0x811c9dc5)
	for _, c := range u {
		h ^= uint32(c)
		h *= 0x01000193
	}
	short := string(utf16.Decode(u[:64])) + "…" + string(utf16.Decode(u[len(u)-32:]))
	return short, len(u), fmt.Sprintf("%08x", h)
}
