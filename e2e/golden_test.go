package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// goldenPath is the golden file of a scenario: the trace of the native
// EventSource, which the wasm trace must equal.
func goldenPath(name string) string {
	return filepath.Join("testdata", name+".golden")
}

// entryLine is the compact JSON of an entry, the unit that golden files are
// compared and diffed by. It leaves "<" and ">" as they are, for "<self>",
// and writes U+FFFD REPLACEMENT CHARACTER as \ufffd, so that a reader can
// tell it from any other character a terminal cannot show.
func entryLine(e Entry) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(err) // Entry has only strings and numbers.
	}
	// U+FFFD can only be inside a JSON string, where \ufffd means it too.
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\uFFFD", `\ufffd`)
}

func entryLines(entries []Entry) []string {
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = entryLine(e)
	}
	return lines
}

// encodeGolden formats a trace as a JSON array with one entry a line, which
// reads well and diffs well in review.
func encodeGolden(entries []Entry) []byte {
	lines := entryLines(entries)
	if len(lines) == 0 {
		return []byte("[]\n")
	}
	return []byte("[\n  " + strings.Join(lines, ",\n  ") + "\n]\n")
}

func readGolden(name string) ([]Entry, error) {
	b, err := os.ReadFile(goldenPath(name))
	if err != nil {
		return nil, err
	}
	var entries []Entry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("%s: %w", goldenPath(name), err)
	}
	return entries, nil
}

func writeGolden(name string, entries []Entry) error {
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		return err
	}
	return os.WriteFile(goldenPath(name), encodeGolden(entries), 0o644)
}

// diffTraces returns "" when the traces are equal, and else a diff of them
// entry by entry: "-" for an entry of want that got lacks, "+" for an entry
// of got that want lacks, and a few equal entries around each change for
// context. Each line has the index of the entry in want or got.
func diffTraces(want, got []Entry) string {
	a, b := entryLines(want), entryLines(got)
	if slices.Equal(a, b) {
		return ""
	}

	// Diff only what lies between the common prefix and suffix, which
	// keeps the table below small for long traces that differ a little.
	prefix := 0
	for prefix < min(len(a), len(b)) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < min(len(a), len(b))-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	var lines []diffLine
	for i := range prefix {
		lines = append(lines, diffLine{' ', i, a[i]})
	}
	lines = append(lines, diffMiddle(a[prefix:len(a)-suffix], b[prefix:len(b)-suffix], prefix)...)
	for i := len(a) - suffix; i < len(a); i++ {
		lines = append(lines, diffLine{' ', i, a[i]})
	}
	return formatDiff(len(a), len(b), lines)
}

// A diffLine is an entry of want (' ' or '-') or of got ('+'), with its
// index in that trace.
type diffLine struct {
	op    byte
	index int
	text  string
}

// diffMiddle diffs a and b, which start at index offset in want and got,
// by their longest common subsequence, or entry by entry when they are too
// long for the quadratic table.
func diffMiddle(a, b []string, offset int) []diffLine {
	var lines []diffLine
	if len(a)*len(b) > 1<<22 {
		for i := range max(len(a), len(b)) {
			if i < len(a) {
				lines = append(lines, diffLine{'-', offset + i, a[i]})
			}
			if i < len(b) {
				lines = append(lines, diffLine{'+', offset + i, b[i]})
			}
		}
		return lines
	}

	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
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
			lines = append(lines, diffLine{' ', offset + i, a[i]})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, diffLine{'-', offset + i, a[i]})
			i++
		default:
			lines = append(lines, diffLine{'+', offset + j, b[j]})
			j++
		}
	}
	return lines
}

// formatDiff prints the changes with two equal entries of context around
// each, and at most maxLines lines in all.
func formatDiff(lenWant, lenGot int, lines []diffLine) string {
	const around, maxLines = 2, 80
	keep := make([]bool, len(lines))
	for k, l := range lines {
		if l.op != ' ' {
			for c := max(0, k-around); c <= min(len(lines)-1, k+around); c++ {
				keep[c] = true
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "want %d entries, got %d (-want +got):\n", lenWant, lenGot)
	printed, skipped := 0, false
	for k, l := range lines {
		if !keep[k] {
			skipped = true
			continue
		}
		if skipped {
			out.WriteString("      ...\n")
			skipped = false
		}
		if printed == maxLines {
			out.WriteString("      ... (more differences)\n")
			break
		}
		fmt.Fprintf(&out, "%c%5d %s\n", l.op, l.index, l.text)
		printed++
	}
	return out.String()
}
