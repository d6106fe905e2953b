package trace

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		a, b string // one entry a letter
		want string // the edit script, one op a letter
	}{
		{"", "", ""},
		{"abc", "abc", "   "},
		{"abc", "", "---"},
		{"", "ab", "++"},
		{"abc", "axc", " -+ "},
		{"abcd", "acd", " -  "},
		{"acd", "abcd", " +  "},
		{"abcde", "xbcdy", "-+   -+"},
	}
	for _, tt := range tests {
		a, b := strings.Split(tt.a, ""), strings.Split(tt.b, "")
		edits := Diff(a, b)
		var ops strings.Builder
		var gotA, gotB []string
		for _, e := range edits {
			ops.WriteByte(e.Op)
			switch e.Op {
			case ' ':
				if a[e.I] != b[e.J] {
					t.Errorf("Diff(%q, %q) keeps a[%d] %q as b[%d] %q", tt.a, tt.b, e.I, a[e.I], e.J, b[e.J])
				}
				gotA, gotB = append(gotA, a[e.I]), append(gotB, b[e.J])
			case '-':
				gotA = append(gotA, a[e.I])
			case '+':
				gotB = append(gotB, b[e.J])
			}
		}
		if ops.String() != tt.want {
			t.Errorf("Diff(%q, %q) = %q, want %q", tt.a, tt.b, ops.String(), tt.want)
		}
		// The script must walk both sides in order, every entry once.
		if !slices.Equal(gotA, a) || !slices.Equal(gotB, b) {
			t.Errorf("Diff(%q, %q) walks %q and %q", tt.a, tt.b, gotA, gotB)
		}
	}
}

func TestDiffTooLongForTheTable(t *testing.T) {
	a := make([]string, 3000)
	b := make([]string, 3000)
	for i := range a {
		a[i], b[i] = "a", "b"
	}
	a[0], b[0] = "same", "same"
	edits := Diff(a, b)
	if len(edits) != 1+2*2999 || edits[0] != (Edit{' ', 0, 0}) || edits[1] != (Edit{'-', 1, -1}) || edits[2] != (Edit{'+', -1, 1}) {
		t.Errorf("Diff of two long different traces starts %v, %d edits; want the common entry, then each entry dropped and added", edits[:3], len(edits))
	}
}

func TestLineAndGoldenFiles(t *testing.T) {
	data, id, rs := "<b>\uFFFD</b>", "", 1
	entries := []Entry{{Type: "open", ReadyState: &rs}, {Type: "message", Data: &data, LastEventID: &id}}
	if got, want := entries[1].Line(), `{"type":"message","data":"<b>\ufffd</b>","lastEventId":""}`; got != want {
		t.Errorf("Line() = %s, want %s", got, want)
	}
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, Encode(entries), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(Lines(back), Lines(entries)) {
		t.Errorf("a golden file read back as %q, want %q", Lines(back), Lines(entries))
	}
	if got := string(Encode(nil)); got != "[]\n" {
		t.Errorf("Encode(nil) = %q, want []", got)
	}
}

func TestShorten(t *testing.T) {
	if d, n, h := Shorten("short"); d != "short" || n != 5 || h != "" {
		t.Errorf("Shorten(short) = %q, %d, %q", d, n, h)
	}
	long := strings.Repeat("é", 300) + "🙂"
	d, n, h := Shorten(long)
	if n != 302 || len(h) != 8 || !strings.HasPrefix(d, strings.Repeat("é", 64)+"…") || !strings.HasSuffix(d, "🙂") {
		t.Errorf("Shorten(300 é and an emoji) = %q, %d, %q; want the first 64 and last 32 code units, length 302 and a hash", d, n, h)
	}
	if _, _, h2 := Shorten(long[:len(long)-4] + "🙃"); h2 == h {
		t.Errorf("two data that differ in their last code units have the same hash %s", h)
	}
}
