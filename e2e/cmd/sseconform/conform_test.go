package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The paths of the repository that the tests use, from this directory.
const (
	goldenDir = "../../testdata"
	distDir   = "../../../dist"
)

// browsers bounds the runs that start a browser at once: each starts its
// own Chromium, and a machine of two cores runs two well and five badly.
var browsers = make(chan struct{}, 2)

// runCommand calls run with args and returns its error and output.
func runCommand(t *testing.T, args ...string) (err error, stdout, stderr string) {
	t.Helper()
	browsers <- struct{}{}
	defer func() { <-browsers }()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	err = run(ctx, args, &out, &errOut)
	t.Logf("sseconform %s: %v in %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err,
		time.Since(start).Round(time.Millisecond), out.String(), errOut.String())
	return err, out.String(), errOut.String()
}

// needDist fails the test when the polyfill is not built: the tests never
// skip, so that CI cannot pass by running nothing.
func needDist(t *testing.T) {
	t.Helper()
	if err := checkDist(distDir); err != nil {
		t.Fatalf("%v\n(make e2e builds it first)", err)
	}
}

func readReport(t *testing.T, dir string) (*Report, string) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(dir, "sseconform.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "sseconform.html"))
	if err != nil {
		t.Fatal(err)
	}
	return &rep, string(page)
}

// TestConformNativeAndWasm runs three scenarios of the catalogue with the
// native EventSource and WasmEventSource, which both pass.
func TestConformNativeAndWasm(t *testing.T) {
	t.Parallel()
	needDist(t)
	out := t.TempDir()
	err, stdout, stderr := runCommand(t, "-run", "simple|crlf|status-500", "-impl", "native,wasm",
		"-golden", goldenDir, "-dist", distDir, "-out", out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"[3/3] ", "simple: native ok, wasm ok", "crlf: native ok, wasm ok", "status-500: native ok, wasm ok"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the progress lacks %q", want)
		}
	}
	summary := strings.Join(strings.Fields(stdout), " ")
	for _, want := range []string{"native 3 passed, 0 failed", "wasm 3 passed, 0 failed"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}

	rep, page := readReport(t, out)
	if len(rep.Scenarios) != 3 {
		t.Fatalf("the report has %d scenarios, want 3", len(rep.Scenarios))
	}
	for _, res := range rep.Scenarios {
		if res.Expect.Source != fromGolden {
			t.Errorf("%s: expected from %q, want the golden file", res.Name, res.Expect.Source)
		}
		for _, c := range res.Cells {
			if !c.Pass || c.Entries == 0 {
				t.Errorf("%s %s: pass %v, %d trace entries, problems %q", res.Name, c.Impl, c.Pass, c.Entries, c.Problems)
			}
		}
	}
	if strings.Contains(page, "FAIL") || !strings.Contains(page, `<td class="cell pass">pass</td>`) {
		t.Errorf("the HTML report does not show a matrix of passes")
	}
	if strings.Contains(page, "<script") || strings.Contains(page, `<link`) {
		t.Errorf("the HTML report loads something: it must be self-contained")
	}
}

// TestConformDetectsBrokenImpl runs an implementation that drops every
// second message event: the run must fail, and the report must show the
// expected and the actual trace.
func TestConformDetectsBrokenImpl(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	const broken = "drop-every-second.js:DroppingEventSource"
	// Without the golden files, the scenarios are checked against the
	// standard; the broken implementation waits for its third event in
	// vain until the timeout.
	err, stdout, stderr := runCommand(t, "-run", "simple|crlf|status-500",
		"-impl", "native,testdata/"+broken, "-golden", "none", "-timeout", "2s", "-out", out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	for _, want := range []string{"simple: native ok, " + broken + " FAIL", "status-500: native ok, " + broken + " ok"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the progress lacks %q", want)
		}
	}
	if !strings.Contains(stdout, "FAIL simple "+broken) {
		t.Errorf("the summary does not name the failure of simple")
	}

	rep, page := readReport(t, out)
	if rep.Failed[broken] != 2 || rep.Passed[broken] != 1 || rep.Passed["native"] != 3 {
		t.Errorf("passed %v, failed %v; want native 3 passed, %s 1 passed and 2 failed", rep.Passed, rep.Failed, broken)
	}
	var simple *Cell
	for _, res := range rep.Scenarios {
		if res.Name == "simple" {
			simple = &res.Cells[1]
		}
	}
	if simple == nil || simple.Pass || len(simple.Diff) == 0 {
		t.Fatalf("simple with %s: %+v; want a failure with a diff", broken, simple)
	}
	// The expected "two" is missing on the right, and the trace timed out
	// where the standard wants close() after three events.
	var missing, timedOut bool
	for _, r := range simple.Diff {
		missing = missing || (strings.Contains(r.Left, `"data":"two"`) && r.Right == "")
		timedOut = timedOut || (r.Left == `{"type":"close-called"}` && r.Right == `{"type":"timeout"}`)
	}
	if !missing || !timedOut {
		t.Errorf("the diff of simple lacks the missing event or the timeout:\n%s", textDiff(simple.Diff))
	}
	for _, want := range []string{
		`id="r-simple-drop-every-second_js_DroppingEventSource"`,
		"<th>Expected</th>", "<th>Actual</th>",
		`<tr class="del">`,
		`&#34;data&#34;:&#34;two&#34;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %s", want)
		}
	}
}

// TestFlags checks the errors of bad flags, which come before any browser
// starts.
func TestFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-impl", "firefox"}, `unknown implementation "firefox"`},
		{[]string{"-impl", "testdata/none.js:X"}, "no such file"},
		{[]string{"-impl", "testdata/drop-every-second.js:not-a-name"}, "is not the name of a global"},
		{[]string{"-impl", "native,native"}, "listed twice"},
		{[]string{"-impl", "wasm", "-dist", "testdata"}, "-impl wasm needs testdata/eventsource-wasm.js"},
		{[]string{"-run", "("}, "-run"},
		{[]string{"-run", "no-such-scenario", "-impl", "native", "-golden", "none"}, "matches no scenario"},
		{[]string{"-impl", "native", "-golden", "testdata/none"}, "-golden"},
		{[]string{"-parallel", "0"}, "-parallel 0"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		err := run(t.Context(), c.args, new(bytes.Buffer), new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %q: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// TestServe checks that -serve serves the conformance page, its script and
// the catalogue, and stops when its context ends.
func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-serve", "127.0.0.1:0", "-dist", distDir}, out, io.Discard) }()

	var page string
	for deadline := time.Now().Add(10 * time.Second); page == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", out.String())
		}
		if _, rest, ok := strings.Cut(out.String(), "open "); ok {
			page, _, _ = strings.Cut(rest, " ")
		}
	}
	base := strings.TrimSuffix(page, "/conformance.html")
	for path, want := range map[string]string{
		"/conformance.html": `<script src="/conformance.js" defer></script>`,
		"/conformance.js":   "sseConformance",
		"/conformance.css":  ".matrix",
		"/trace.js":         "sseTrace",
		"/sse/scenarios":    `"name":"simple"`,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %s, body without %q", path, resp.Status, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

// syncBuffer is a bytes.Buffer that a goroutine can write while another
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
