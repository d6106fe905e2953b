package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

func TestSideBySide(t *testing.T) {
	want := []string{"a", "b", "c", "d", "e"}
	got := []string{"a", "c", "x", "e", "f"}
	rows := sideBySide(want, got)
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s|%s;", r.Op, r.Left, r.Right)
	}
	const wantRows = "same a|a;del b|;same c|c;change d|x;same e|e;add |f;"
	if b.String() != wantRows {
		t.Errorf("rows %s\nwant %s", b.String(), wantRows)
	}
	if got := firstDifference(rows); got != "missing entry 1: b" {
		t.Errorf("firstDifference = %q", got)
	}
}

func TestSideBySideTrims(t *testing.T) {
	var want, got []string
	for i := range 1000 {
		want = append(want, fmt.Sprint(i))
		got = append(got, fmt.Sprint(i))
	}
	got[500] = "changed"
	rows := sideBySide(want, got)
	if len(rows) != 2*diffContext+3 || rows[0].Op != "gap" || rows[len(rows)-1].Op != "gap" {
		t.Errorf("%d rows: %s", len(rows), textDiff(rows))
	}
	if rows[0].Left != "497 equal entries" {
		t.Errorf("first gap %q", rows[0].Left)
	}
}

// TestSpecView checks that a golden trace and a live trace of the same run
// give the same spec view, and that it equals what the standard asks for.
func TestSpecView(t *testing.T) {
	sc, ok := scenario.Lookup("simple")
	if !ok {
		t.Fatal("no scenario simple")
	}
	golden, err := trace.ReadFile(goldenDir + "/simple.golden")
	if err != nil {
		t.Fatal(err)
	}
	want := trace.Lines(specWant(sc))
	for _, view := range [][]Entry{specView(golden, ""), specView(golden, "close-after")} {
		if got := trace.Lines(view); !slices.Equal(got, want) {
			t.Errorf("spec view\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if got := trace.Lines(specView(golden[:2], "timeout")); got[len(got)-1] != `{"type":"timeout"}` {
		t.Errorf("a timed-out trace ends with %s", got[len(got)-1])
	}
}

// TestExpectedMessageShortens checks that long data is shortened as
// web/trace.js shortens it, by the golden file of long-line.
func TestExpectedMessageShortens(t *testing.T) {
	sc, ok := scenario.Lookup("long-line")
	if !ok {
		t.Fatal("no scenario long-line")
	}
	golden, err := trace.ReadFile(goldenDir + "/long-line.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := trace.Lines(specView(golden, "")), trace.Lines(specWant(sc)); !slices.Equal(got, want) {
		t.Errorf("spec view\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestJudge checks the verdicts of a cell at both levels against a golden
// trace and the polyfill trace of a known difference.
func TestJudge(t *testing.T) {
	self := "<self>"
	msg := func(data string, origin *string) Entry {
		typ, id := "message", ""
		return Entry{Type: "message", Event: &typ, Data: &data, LastEventID: &id, Origin: origin, ReadyState: new(1)}
	}
	closed := Entry{Type: "error", ReadyState: new(2)}
	connecting := Entry{Type: "error", ReadyState: new(0)}
	x := expectation{
		Source: fromGolden, Want: []Entry{msg("a", &self), closed},
		Known: &knownTrace{Difference: known.Difference{ID: "k", Reason: "why"}, Want: []Entry{msg("a", &self), connecting, closed}},
	}
	wasm, native := impl{Name: "wasm", Kind: "wasm"}, impl{Name: "native", Kind: "native"}
	for _, c := range []struct {
		name       string
		im         impl
		entries    []Entry
		fidelity   []string
		behaviour  string
		full       string
		diffLevel  string
		knownGiven bool
	}{
		{"equal", wasm, []Entry{msg("a", &self), closed}, nil, verdictPass, verdictPass, "", false},
		{"known", wasm, []Entry{msg("a", &self), connecting, closed}, nil, verdictKnown, verdictKnown, "", true},
		{"native cannot be known", native, []Entry{msg("a", &self), connecting, closed}, nil, verdictFail, verdictFail, levelBehaviour, false},
		{"neither", wasm, []Entry{msg("b", &self), closed}, nil, verdictFail, verdictFail, levelBehaviour, false},
		{"no origin", wasm, []Entry{msg("a", nil), closed}, nil, verdictPass, verdictFail, levelFidelity, false},
		{"known but no origin", wasm, []Entry{msg("a", nil), connecting, closed}, nil, verdictKnown, verdictFail, levelFidelity, true},
		{"not a MessageEvent", wasm, []Entry{msg("a", &self), closed}, []string{"not a MessageEvent"}, verdictPass, verdictFail, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cell := Cell{FidelityProblems: c.fidelity}
			judge(&cell, c.im, x, Trace{Entries: c.entries})
			if cell.Behaviour != c.behaviour || cell.Fidelity != c.full || cell.DiffLevel != c.diffLevel || (cell.Known != nil) != c.knownGiven {
				t.Errorf("behaviour %s, fidelity %s, diff level %q, known %v; want %s, %s, %q, %v",
					cell.Behaviour, cell.Fidelity, cell.DiffLevel, cell.Known, c.behaviour, c.full, c.diffLevel, c.knownGiven)
			}
			if cell.Pass != (c.full != verdictFail) {
				t.Errorf("pass %v with fidelity %s", cell.Pass, cell.Fidelity)
			}
		})
	}
}

func TestMarkFields(t *testing.T) {
	l := entryFields(`{"type":"message","data":"a","origin":"<self>","readyState":1}`)
	r := entryFields(`{"type":"message","data":"b","readyState":1,"dataType":"[object Number]"}`)
	if got := markFields(l, r); fmt.Sprint(got) != "[data origin dataType]" {
		t.Errorf("changed %v", got)
	}
	if got := markedLine(l); got != `{"type":"message",⟦"data":"a"⟧,⟦"origin":"<self>"⟧,"readyState":1}` {
		t.Errorf("marked %s", got)
	}
}
