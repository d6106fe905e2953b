package main

import (
	"fmt"
	"strings"
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

// sideBySide diffs want and got by their longest common subsequence, pairs
// the entries that changed, and keeps diffContext equal rows around each
// change.
func sideBySide(want, got []string) []row {
	// Diff only what lies between the common prefix and suffix, which
	// keeps the table below small for long traces that differ a little.
	prefix := 0
	for prefix < min(len(want), len(got)) && want[prefix] == got[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < min(len(want), len(got))-prefix && want[len(want)-1-suffix] == got[len(got)-1-suffix] {
		suffix++
	}
	var rows []row
	for i := range prefix {
		rows = append(rows, row{Op: "same", Left: want[i], Right: got[i], LeftIndex: i, RightIndex: i})
	}
	rows = append(rows, diffMiddle(want[prefix:len(want)-suffix], got[prefix:len(got)-suffix], prefix)...)
	for k := suffix; k > 0; k-- {
		i, j := len(want)-k, len(got)-k
		rows = append(rows, row{Op: "same", Left: want[i], Right: got[j], LeftIndex: i, RightIndex: j})
	}
	return trimRows(rows)
}

// diffMiddle diffs a and b, which start at index offset in want and got.
// Runs of deletions followed by additions become changes, side by side.
func diffMiddle(a, b []string, offset int) []row {
	type op struct {
		kind byte // ' ', '-', '+'
		i, j int
	}
	var ops []op
	if len(a)*len(b) > 1<<22 {
		// Too long for the quadratic table: entry by entry.
		for k := range max(len(a), len(b)) {
			if k < len(a) {
				ops = append(ops, op{'-', k, -1})
			}
			if k < len(b) {
				ops = append(ops, op{'+', -1, k})
			}
		}
	} else {
		// lcs[i][j] is the length of the longest common subsequence of
		// a[i:] and b[j:].
		lcs := make([][]int, len(a)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(b)+1)
		}
		for i := len(a) - 1; i >= 0; i-- {
			for j := len(b) - 1; j >= 0; j-- {
				if a[i] == b[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		for i, j := 0, 0; i < len(a) || j < len(b); {
			switch {
			case i < len(a) && j < len(b) && a[i] == b[j]:
				ops = append(ops, op{' ', i, j})
				i++
				j++
			case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{'-', i, -1})
				i++
			default:
				ops = append(ops, op{'+', -1, j})
				j++
			}
		}
	}

	var rows []row
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			i, j := ops[k].i, ops[k].j
			rows = append(rows, row{Op: "same", Left: a[i], Right: b[j], LeftIndex: offset + i, RightIndex: offset + j})
			k++
			continue
		}
		// A run of changes: pair its deletions with its additions.
		var dels, adds []int
		for ; k < len(ops) && ops[k].kind != ' '; k++ {
			if ops[k].kind == '-' {
				dels = append(dels, ops[k].i)
			} else {
				adds = append(adds, ops[k].j)
			}
		}
		for n := range max(len(dels), len(adds)) {
			r := row{LeftIndex: -1, RightIndex: -1}
			if n < len(dels) {
				r.Left, r.LeftIndex = a[dels[n]], offset+dels[n]
			}
			if n < len(adds) {
				r.Right, r.RightIndex = b[adds[n]], offset+adds[n]
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
	return rows
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
