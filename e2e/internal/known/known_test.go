package known

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

var update = flag.Bool("update", false, "rewrite the list of known differences in README.md")

// The paths of the files that share the list, from this directory.
const (
	readmePath = "../../../README.md"
	wptPath    = "../../wpt.md"
	testdata   = "../../testdata"
)

// The markers of the list in README.md.
const (
	beginMarker = "<!-- known differences: from e2e/internal/known (go test ./e2e/internal/known -update) -->\n"
	endMarker   = "<!-- end of known differences -->\n"
)

// TestREADME checks that README.md lists the differences as Markdown gives
// them; -update rewrites the list.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	before, rest, ok := strings.Cut(readme, beginMarker)
	list, after, ok2 := strings.Cut(rest, endMarker)
	if !ok || !ok2 {
		t.Fatalf("README.md lacks the markers of the list of known differences:\n%s%s", beginMarker, endMarker)
	}
	if want := "\n" + Markdown() + "\n"; list != want {
		if *update {
			if err := os.WriteFile(readmePath, []byte(before+beginMarker+want+endMarker+after), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the list in %s", readmePath)
			return
		}
		t.Errorf("README.md's list of known differences is stale; rewrite it with go test ./e2e/internal/known -update\nhave:\n%s\nwant:\n%s", list, want)
	}
}

// TestWPTReport checks that e2e/wpt.md, the report of Chromium's run, gives
// every WPT difference in Chromium with this package's reason (TestWPT
// -wpt.report writes it from WPTCases).
func TestWPTReport(t *testing.T) {
	b, err := os.ReadFile(wptPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Differences {
		inChromium := len(d.Engines) == 0 || slices.Contains(d.Engines, "chromium")
		if len(d.WPT) > 0 && inChromium && !strings.Contains(string(b), d.Reason) {
			t.Errorf("%s lacks the reason of %s; rewrite it with go test ./e2e -run 'TestWPT$' -wpt.report", wptPath, d.ID)
		}
	}
}

// TestGoldenFiles checks that every polyfill golden file has a reason here
// and every scenario named here has a polyfill golden file, and that the
// names are scenarios of the catalogue.
func TestGoldenFiles(t *testing.T) {
	var withFile []string
	for _, pattern := range []string{"*.wasm.golden", "*/*.wasm.golden"} {
		files, err := filepath.Glob(filepath.Join(testdata, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(testdata, f)
			withFile = append(withFile, strings.TrimSuffix(filepath.ToSlash(rel), ".golden"))
		}
	}
	slices.Sort(withFile)
	if got := Scenarios(); !slices.Equal(got, withFile) {
		t.Errorf("scenarios with a known difference %q, with a .wasm.golden file %q: want the same", got, withFile)
	}
	for _, d := range Differences {
		for _, name := range d.Scenarios {
			if _, ok := scenario.Lookup(name); !ok {
				t.Errorf("%s is no scenario of the catalogue", name)
			}
		}
		for _, e := range d.Engines {
			if e != "chromium" && e != "firefox" && e != "webkit" {
				t.Errorf("difference %s: %q is no engine", d.ID, e)
			}
		}
	}
	ids := map[string]bool{}
	for _, d := range Differences {
		if ids[d.ID] || d.ID == "" || d.Reason == "" {
			t.Errorf("difference %q: an id must be unique and have a reason", d.ID)
		}
		ids[d.ID] = true
	}
}
