package main

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
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
	// Known is the polyfill trace of a known difference from native
	// Chromium, when the golden directory has one (<name>.wasm.golden):
	// a polyfill's trace equal to it is a known difference, which fails
	// nothing.
	Known *knownTrace `json:"known,omitempty"`
}

// A knownTrace is the checked-in trace of a polyfill where it cannot do
// what native Chromium does, with the reason from package known.
type knownTrace struct {
	known.Difference
	Golden string  `json:"golden"`
	Want   []Entry `json:"want,omitempty"`
}

// expect returns the expectation of sc: its golden file in goldenDir when
// there is one, else the spec view of its Expect events; and the polyfill
// golden file of a known difference, when goldenDir has one.
func expect(sc scenario.Scenario, goldenDir string) (expectation, error) {
	if goldenDir == "" {
		return expectation{Source: fromSpec, Want: specWant(sc)}, nil
	}
	x := expectation{Source: fromSpec, Want: specWant(sc)}
	path := filepath.Join(goldenDir, sc.Name+".golden")
	want, err := trace.ReadFile(path)
	switch {
	case err == nil:
		x = expectation{Source: fromGolden, Golden: path, Want: want}
	case !errors.Is(err, fs.ErrNotExist):
		return expectation{}, err
	}
	path = filepath.Join(goldenDir, sc.Name+".wasm.golden")
	want, err = trace.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return x, nil
	case err != nil:
		return expectation{}, err
	}
	// sseconform runs in Chromium (-browser chromium): its goldens are
	// Chromium's, and so are its known differences.
	d, _, ok := known.Scenario("chromium", sc.Name)
	if !ok {
		// A file without a reason is not a known difference: whoever
		// checked it in must say why (e2e/internal/known).
		d = known.Difference{ID: "unexplained", Reason: "no reason is recorded in e2e/internal/known for " + path}
	}
	x.Known = &knownTrace{Difference: d, Golden: path, Want: want}
	return x, nil
}

// views returns the two traces that a level compares: the expected and
// the actual trace, in full or with object fidelity set aside.
func (x expectation) views(want []Entry, tr Trace, level string) (w, g []Entry) {
	w, g = want, tr.Entries
	if x.Source == fromSpec {
		g = specView(tr.Entries, tr.EndedBy)
	}
	if level == levelBehaviour {
		w, g = behaviourView(w), behaviourView(g)
	}
	return w, g
}

// check compares a trace with the expectation at a level and returns the
// two views it compared and whether they are equal.
func (x expectation) check(tr Trace, level string) (want, got []Entry, ok bool) {
	want, got = x.views(x.Want, tr, level)
	return want, got, slices.Equal(trace.Lines(want), trace.Lines(got))
}

// checkKnown reports whether a trace equals the polyfill trace of a known
// difference at a level.
func (x expectation) checkKnown(tr Trace, level string) bool {
	if x.Known == nil || x.Source != fromGolden {
		return false
	}
	want, got := x.views(x.Known.Want, tr, level)
	return slices.Equal(trace.Lines(want), trace.Lines(got))
}

// The levels at which a trace is compared.
const (
	// levelFidelity compares the traces in full: the events, their
	// order and fields, and what the objects are (MessageEvent, origin,
	// target, EventTarget, the resolved URL).
	levelFidelity = "fidelity"
	// levelBehaviour sets object fidelity aside: the events a page gets,
	// in order, with their type, data, last event ID and the ready state,
	// whatever objects carry them.
	levelBehaviour = "behaviour"
)

// behaviourView is a trace without what object fidelity covers: the
// origin of each event.
func behaviourView(entries []Entry) []Entry {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		e.Origin = nil
		out[i] = e
	}
	return out
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
