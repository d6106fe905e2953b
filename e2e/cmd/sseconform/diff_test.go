package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

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
