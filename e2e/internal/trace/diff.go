package trace

// An Edit is one step of an edit script from a to b: Op ' ' keeps a[I],
// which equals b[J]; '-' drops a[I] (J is -1); '+' adds b[J] (I is -1).
type Edit struct {
	Op   byte
	I, J int
}

// maxTable bounds the quadratic table of Diff.
const maxTable = 1 << 22

// Diff returns an edit script from a to b by their longest common
// subsequence, deletions before additions where both could come first.
// It keeps the common prefix and suffix as they are and diffs only what lies
// between, which keeps the table small for long traces that differ a
// little; when even that is too long for the quadratic table, it pairs the
// middle entry by entry instead: every entry dropped, then added.
func Diff(a, b []string) []Edit {
	prefix := 0
	for prefix < min(len(a), len(b)) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < min(len(a), len(b))-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	var edits []Edit
	for i := range prefix {
		edits = append(edits, Edit{' ', i, i})
	}
	for _, e := range diffMiddle(a[prefix:len(a)-suffix], b[prefix:len(b)-suffix]) {
		if e.I >= 0 {
			e.I += prefix
		}
		if e.J >= 0 {
			e.J += prefix
		}
		edits = append(edits, e)
	}
	for k := suffix; k > 0; k-- {
		edits = append(edits, Edit{' ', len(a) - k, len(b) - k})
	}
	return edits
}

// diffMiddle is Diff without the common prefix and suffix.
func diffMiddle(a, b []string) []Edit {
	var edits []Edit
	if len(a)*len(b) > maxTable {
		for k := range max(len(a), len(b)) {
			if k < len(a) {
				edits = append(edits, Edit{'-', k, -1})
			}
			if k < len(b) {
				edits = append(edits, Edit{'+', -1, k})
			}
		}
		return edits
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
			edits = append(edits, Edit{' ', i, j})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			edits = append(edits, Edit{'-', i, -1})
			i++
		default:
			edits = append(edits, Edit{'+', -1, j})
			j++
		}
	}
	return edits
}
