package main

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// The sources of an expected trace.
const (
	// fromGolden: the golden file of the scenario, the trace of native
	// Chromium; a trace must equal it entry by entry.
	fromGolden = "golden"
	// fromSpec: the scenario's Expect events, which follow the standard,
	// and the way the scenario must end; only the message events and the
	// end of a trace are compared (see specView).
	fromSpec = "spec"
)

// An expectation is what a trace of one scenario must look like.
type expectation struct {
	Source string `json:"source"`
	Golden string `json:"golden,omitempty"` // the path of the golden file
	// Want is the expected trace; a report leaves it out when every
	// implementation passed.
	Want []Entry `json:"want,omitempty"`
}

// expect returns the expectation of sc: its golden file in goldenDir when
// there is one, else the spec view of its Expect events.
func expect(sc scenario.Scenario, goldenDir string) (expectation, error) {
	if goldenDir != "" {
		path := filepath.Join(goldenDir, sc.Name+".golden")
		want, err := trace.ReadFile(path)
		if err == nil {
			return expectation{Source: fromGolden, Golden: path, Want: want}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return expectation{}, err
		}
	}
	return expectation{Source: fromSpec, Want: specWant(sc)}, nil
}

// check compares a trace with the expectation and returns what differs, or
// nil.
func (x expectation) check(tr Trace) (want, got []Entry, ok bool) {
	want, got = x.Want, tr.Entries
	if x.Source == fromSpec {
		got = specView(tr.Entries, tr.EndedBy)
	}
	return want, got, slices.Equal(trace.Lines(want), trace.Lines(got))
}

// specWant is the spec view of what a conforming client does in sc: the
// events of sc.Expect, then close() when the recorder closes after
// Client.CloseAfter events, a timeout when the scenario stalls until the
// recorder gives up (Client.TimeoutMs), or else an error event with
// readyState CLOSED
// (HTML §9.2.3: a client fails the connection when the server answers 204,
// or any status other than 200, or the wrong type).
func specWant(sc scenario.Scenario) []Entry {
	want := make([]Entry, 0, len(sc.Expect)+1)
	for _, e := range sc.Expect {
		want = append(want, expectedMessage(e))
	}
	if sc.Client.TimeoutMs > 0 {
		// A scenario that stalls by design ends when the recorder
		// gives up.
		return append(want, Entry{Type: "timeout"})
	}
	if sc.Client.CloseAfter > 0 {
		return append(want, Entry{Type: "close-called"})
	}
	return append(want, Entry{Type: "error", ReadyState: new(2)})
}

// specView keeps of a trace what the spec view compares: each message
// event's type, data and last event ID, and how the trace ended.
func specView(entries []Entry, endedBy string) []Entry {
	var view []Entry
	for _, e := range entries {
		if e.Type == "message" {
			e.Origin, e.ReadyState = nil, nil
			view = append(view, e)
		}
	}
	switch endedBy {
	case "close-after":
		return append(view, Entry{Type: "close-called"})
	case "closed":
		return append(view, Entry{Type: "error", ReadyState: new(2)})
	case "":
		// A golden trace: its last entry says how it ended.
		if n := len(entries); n > 0 && entries[n-1].Type != "message" {
			last := entries[n-1]
			if last.Type == "close-called" {
				last.ReadyState = nil
			}
			return append(view, last)
		}
		return view
	default:
		return append(view, Entry{Type: endedBy})
	}
}

// expectedMessage is the entry that web/trace.js records for e.
func expectedMessage(e scenario.Event) Entry {
	data, length, hash := trace.Shorten(e.Data)
	entry := Entry{Type: "message", Event: &e.Type, Data: &data, LastEventID: &e.LastEventID}
	if hash != "" {
		entry.DataLength, entry.DataHash = &length, hash
	}
	return entry
}
