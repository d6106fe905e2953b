package main

import (
	"fmt"
	"strings"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
)

// A row is one line of a side-by-side diff of two traces: an entry of the
// expected trace on the left, of the actual one on the right, or both.
type row struct {
	// Op is "same", "change" (left and right differ), "del" (left only),
	// "add" (right only) or "gap" (equal rows left out; Left says how
	// many).
	Op    string `json:"op"`
	Left  string `json:"left,omitempty"`
	Right string `json:"right,omitempty"`
	// LeftIndex and RightIndex are the indexes of the entries in their
	// traces, or -1.
	LeftIndex  int `json:"leftIndex"`
	RightIndex int `json:"rightIndex"`
}

// The limits of a diff as reports show it.
const (
	diffContext = 3   // equal rows kept around each change
	diffMaxRows = 120 // rows at most
)

// sideBySide diffs want and got by their longest common subsequence
// (trace.Diff), pairs the entries that changed, and keeps diffContext equal
// rows around each change.
func sideBySide(want, got []string) []row {
	edits := trace.Diff(want, got)
	var rows []row
	for k := 0; k < len(edits); {
		if e := edits[k]; e.Op == ' ' {
			rows = append(rows, row{Op: "same", Left: want[e.I], Right: got[e.J], LeftIndex: e.I, RightIndex: e.J})
			k++
			continue
		}
		// A run of changes: pair its deletions with its additions.
		var dels, adds []int
		for ; k < len(edits) && edits[k].Op != ' '; k++ {
			if edits[k].Op == '-' {
				dels = append(dels, edits[k].I)
			} else {
				adds = append(adds, edits[k].J)
			}
		}
		for n := range max(len(dels), len(adds)) {
			r := row{LeftIndex: -1, RightIndex: -1}
			if n < len(dels) {
				r.Left, r.LeftIndex = want[dels[n]], dels[n]
			}
			if n < len(adds) {
				r.Right, r.RightIndex = got[adds[n]], adds[n]
			}
			switch {
			case n < len(dels) && n < len(adds):
				r.Op = "change"
			case n < len(dels):
				r.Op = "del"
			default:
				r.Op = "add"
			}
			rows = append(rows, r)
		}
	}
	return trimRows(rows)
}

// trimRows keeps diffContext equal rows around each change, puts a gap row
// where it leaves some out, and stops after diffMaxRows rows.
func trimRows(rows []row) []row {
	keep := make([]bool, len(rows))
	for k, r := range rows {
		if r.Op != "same" {
			for c := max(0, k-diffContext); c <= min(len(rows)-1, k+diffContext); c++ {
				keep[c] = true
			}
		}
	}
	var out []row
	skipped := 0
	for k, r := range rows {
		if !keep[k] {
			skipped++
			continue
		}
		if skipped > 0 {
			out = append(out, gapRow(fmt.Sprintf("%d equal entries", skipped)))
			skipped = 0
		}
		if len(out) >= diffMaxRows {
			out = append(out, gapRow("more differences left out"))
			return out
		}
		out = append(out, r)
	}
	if skipped > 0 {
		out = append(out, gapRow(fmt.Sprintf("%d equal entries", skipped)))
	}
	return out
}

func gapRow(what string) row {
	return row{Op: "gap", Left: what, LeftIndex: -1, RightIndex: -1}
}

// firstDifference says in one line where got first differs from want.
func firstDifference(rows []row) string {
	for _, r := range rows {
		switch r.Op {
		case "change":
			return fmt.Sprintf("entry %d: want %s, got %s", r.RightIndex, r.Left, r.Right)
		case "del":
			return fmt.Sprintf("missing entry %d: %s", r.LeftIndex, r.Left)
		case "add":
			return fmt.Sprintf("extra entry %d: %s", r.RightIndex, r.Right)
		}
	}
	return "the traces differ"
}

// textDiff formats rows as text: "-" for an entry only in want, "+" for an
// entry only in got.
func textDiff(rows []row) string {
	var b strings.Builder
	for _, r := range rows {
		switch r.Op {
		case "same":
			fmt.Fprintf(&b, " %5d %s\n", r.LeftIndex, r.Left)
		case "gap":
			fmt.Fprintf(&b, "       ... %s\n", r.Left)
		default:
			if r.LeftIndex >= 0 {
				fmt.Fprintf(&b, "-%5d %s\n", r.LeftIndex, r.Left)
			}
			if r.RightIndex >= 0 {
				fmt.Fprintf(&b, "+%5d %s\n", r.RightIndex, r.Right)
			}
		}
	}
	return b.String()
}
