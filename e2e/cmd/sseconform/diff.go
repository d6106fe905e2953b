package main

import (
	"encoding/json"
	"fmt"
	"slices"
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
	// LeftFields and RightFields are the entries field by field, with
	// the fields that differ marked, for a change; Changed names those
	// fields.
	LeftFields  []field  `json:"-"`
	RightFields []field  `json:"-"`
	Changed     []string `json:"changed,omitempty"`
}

// A field is one member of an entry's JSON, as Entry.Line writes it.
type field struct {
	Key, Value string // Value is JSON
	Differs    bool
}

// entryFields splits the JSON object of an entry line into its members, in
// order. An entry has only string and number members.
func entryFields(line string) []field {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var fs []field
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		fs = append(fs, field{Key: fmt.Sprint(k), Value: string(v)})
	}
	return fs
}

// markFields marks the fields of two entries that differ: in value, or
// present in one only. It returns the names of those fields, in the order
// of the left entry, then of the right.
func markFields(left, right []field) []string {
	value := func(fs []field, key string) (string, bool) {
		for _, f := range fs {
			if f.Key == key {
				return f.Value, true
			}
		}
		return "", false
	}
	var changed []string
	for i, f := range left {
		if v, ok := value(right, f.Key); !ok || v != f.Value {
			left[i].Differs = true
			changed = append(changed, f.Key)
		}
	}
	for i, f := range right {
		if v, ok := value(left, f.Key); !ok || v != f.Value {
			right[i].Differs = true
			if !slices.Contains(changed, f.Key) {
				changed = append(changed, f.Key)
			}
		}
	}
	return changed
}

// describeField says what a changed field is on each side.
func describeField(r row, key string) string {
	side := func(fs []field) string {
		for _, f := range fs {
			if f.Key == key {
				return f.Value
			}
		}
		return "none"
	}
	return fmt.Sprintf("%s: want %s, got %s", key, side(r.LeftFields), side(r.RightFields))
}

// markedLine is an entry with the fields that differ in ⟦ ⟧.
func markedLine(fs []field) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		if f.Differs {
			b.WriteString("⟦")
		}
		fmt.Fprintf(&b, "%q:%s", f.Key, f.Value)
		if f.Differs {
			b.WriteString("⟧")
		}
	}
	b.WriteByte('}')
	return b.String()
}

// entryDiff formats every differing entry of rows for a console: for a
// changed entry, what each differing field is on each side and both
// entries with those fields marked; for a missing or an extra one, the
// entry.
func entryDiff(rows []row) string {
	var b strings.Builder
	for _, r := range rows {
		switch r.Op {
		case "change":
			descs := make([]string, len(r.Changed))
			for i, k := range r.Changed {
				descs[i] = describeField(r, k)
			}
			fmt.Fprintf(&b, "entry %d: %s\n", r.RightIndex, strings.Join(descs, "; "))
			fmt.Fprintf(&b, "    want %s\n    got  %s\n", markedLine(r.LeftFields), markedLine(r.RightFields))
		case "del":
			fmt.Fprintf(&b, "missing entry %d: %s\n", r.LeftIndex, r.Left)
		case "add":
			fmt.Fprintf(&b, "extra entry %d: %s\n", r.RightIndex, r.Right)
		case "gap":
			if strings.HasPrefix(r.Left, "more") {
				fmt.Fprintf(&b, "... %s (the JSON report has the whole trace)\n", r.Left)
			}
		}
	}
	return b.String()
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
				r.LeftFields, r.RightFields = entryFields(r.Left), entryFields(r.Right)
				r.Changed = markFields(r.LeftFields, r.RightFields)
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
			descs := make([]string, len(r.Changed))
			for i, k := range r.Changed {
				descs[i] = describeField(r, k)
			}
			return fmt.Sprintf("entry %d: %s", r.RightIndex, strings.Join(descs, "; "))
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
