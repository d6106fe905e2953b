package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
)

// goldenPath is the golden file of a scenario: the trace of the native
// EventSource, which the wasm trace must equal.
func goldenPath(name string) string {
	return filepath.Join("testdata", name+".golden")
}

// nativeGolden is the name of the golden file of native engine's trace of
// a scenario: testdata/<name>.golden for Chromium, the oracle, and
// testdata/<engine>/<name>.golden for the others.
func nativeGolden(engine browser.Engine, name string) string {
	if engine == browser.Chromium {
		return name
	}
	return filepath.Join(string(engine), name)
}

func readGolden(name string) ([]Entry, error) { return trace.ReadFile(goldenPath(name)) }

func writeGolden(name string, entries []Entry) error {
	if err := os.MkdirAll(filepath.Dir(goldenPath(name)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(goldenPath(name), trace.Encode(entries), 0o644)
}

// diffTraces returns "" when the traces are equal, and else a diff of them
// entry by entry: "-" for an entry of want that got lacks, "+" for an entry
// of got that want lacks, and a few equal entries around each change for
// context. Each line has the index of the entry in want or got.
func diffTraces(want, got []Entry) string {
	a, b := trace.Lines(want), trace.Lines(got)
	if slices.Equal(a, b) {
		return ""
	}
	var lines []diffLine
	for _, e := range trace.Diff(a, b) {
		switch e.Op {
		case '+':
			lines = append(lines, diffLine{e.Op, e.J, b[e.J]})
		default:
			lines = append(lines, diffLine{e.Op, e.I, a[e.I]})
		}
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
