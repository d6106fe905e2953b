package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/known"
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
	for _, want := range []string{"native behaviour 3/3, fidelity 3/3", "wasm behaviour 3/3, fidelity 3/3", "reports in "} {
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
	if strings.Contains(page, "FAIL") || strings.Count(page, `<td class="cell pass">pass</td>`) != 12 {
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
	for _, want := range []string{"[1/3] simple: native ok, " + broken + " FAIL", "[2/3] status-500: native ok, " + broken + " ok"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the progress lacks %q", want)
		}
	}
	if !strings.Contains(stdout, "FAIL simple "+broken+": behaviour fail") {
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
		`<input type="checkbox" id="only-failures">`,
		`<tr><th>behaviour</th><th>fidelity</th><th>behaviour</th><th>fidelity</th></tr>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %s", want)
		}
	}
}

// TestFlags checks the errors of bad flags, which come before any browser
// starts, and -h.
func TestFlags(t *testing.T) {
	t.Parallel()
	unreadable := filepath.Join(t.TempDir(), "unreadable.js")
	if err := os.WriteFile(unreadable, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
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
		{[]string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag (sseconform -h shows the flags)"},
		{[]string{"-browser", "firefox"}, "-browser: firefox is not supported yet: until the multi-engine browser layer lands, sseconform runs in Chromium only"},
		{[]string{"-browser", "chromium,webkit"}, "webkit is not supported yet"},
		{[]string{"-browser", "opera"}, `unknown browser engine "opera"`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %q: %v, want an error with %q", c.args, err, c.want)
		}
		if stdout.Len()+stderr.Len() > 0 {
			t.Errorf("run %q printed %q %q; the error says it all, once", c.args, stdout.String(), stderr.String())
		}
	}
	if os.Getuid() != 0 {
		// root reads any file.
		err := run(t.Context(), []string{"-impl", unreadable + ":X"}, new(bytes.Buffer), new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("an unreadable script: %v, want permission denied", err)
		}
	}

	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Errorf("-h: %v, want success", err)
	}
	for _, want := range []string{"usage: sseconform", "Examples:", "sseconform -server http://localhost:3000/events", "make build", "-browser", "-impl"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-h does not print %q:\n%s", want, stdout.String())
		}
	}
}

// TestConformWrongGlobal checks that a script that defines no constructor
// of the given name fails the run once, at the start, before any scenario.
func TestConformWrongGlobal(t *testing.T) {
	t.Parallel()
	err, stdout, stderr := runCommand(t, "-impl", "native,testdata/drop-every-second.js:NoSuchSource", "-golden", "none", "-out", t.TempDir())
	const want = "-impl drop-every-second.js:NoSuchSource: sseTrace: /impl/1/drop-every-second.js defines no global constructor NoSuchSource"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run: %v, want an error with %q", err, want)
	}
	if strings.Contains(stderr, "[1/") || stdout != "" {
		t.Errorf("scenarios ran: %q %q", stdout, stderr)
	}
}

// TestConformKnownDifference checks that a polyfill trace equal to the
// checked-in trace of a known difference passes as a known difference,
// with its reason, and that one that differs from both golden traces
// fails.
func TestConformKnownDifference(t *testing.T) {
	t.Parallel()
	needDist(t)
	const name = "cors-no-acao"
	out := t.TempDir()
	err, stdout, stderr := runCommand(t, "-run", "^"+name+"$", "-impl", "native,wasm", "-golden", goldenDir, "-dist", distDir, "-out", out)
	if err != nil {
		t.Fatalf("run: %v, want success", err)
	}
	if !strings.Contains(stderr, "[1/1] "+name+": native ok, wasm known difference") {
		t.Errorf("the progress does not call it a known difference")
	}
	if !strings.Contains(stdout, "wasm   behaviour 0/1 (+1 known), fidelity 0/1 (+1 known)") ||
		!strings.Contains(stdout, "known difference cors-failure, which fails nothing ("+name+" wasm)") {
		t.Errorf("the summary does not give the known difference")
	}
	d, _, _ := known.Scenario("chromium", name)
	rep, page := readReport(t, out)
	c := rep.Scenarios[0].Cells[1]
	if !c.Pass || c.Behaviour != verdictKnown || c.Fidelity != verdictKnown || c.Known == nil || c.Known.Reason != d.Reason || rep.Known["wasm"] != 1 {
		t.Errorf("wasm cell %+v, known %v; want a known difference with the reason of %s", c, rep.Known, d.ID)
	}
	if !strings.Contains(page, `<td class="cell known">`) || !strings.Contains(page, template.HTMLEscapeString(d.Reason)) {
		t.Errorf("the HTML report does not show the known difference and its reason")
	}

	// The same scenario, with a polyfill trace checked in that the
	// polyfill does not make: it differs from both golden traces.
	golden := t.TempDir()
	native, err := os.ReadFile(filepath.Join(goldenDir, name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(native), `"readyState":2`, `"readyState":0`, 1)
	if other == string(native) {
		t.Fatalf("%s.golden has no readyState 2 to change", name)
	}
	for file, body := range map[string]string{name + ".golden": string(native), name + ".wasm.golden": other} {
		if err := os.WriteFile(filepath.Join(golden, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err, _, _ = runCommand(t, "-run", "^"+name+"$", "-impl", "wasm", "-golden", golden, "-dist", distDir, "-out", t.TempDir())
	if !errors.Is(err, errFailed) {
		t.Errorf("run with a polyfill golden trace it does not match: %v, want errFailed", err)
	}
}

// TestConformLevels runs two polyfills that dispatch plain Events with no
// origin: one that passes on every event, which differs from native in
// fidelity only, and one that also drops the second message event. The
// report must give behaviour and fidelity apart and mark the fields that
// differ.
func TestConformLevels(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	const plain, dropping = "plain-events.js:PlainEventSource", "plain-events.js:DroppingPlainEventSource"
	err, stdout, stderr := runCommand(t, "-run", "^(simple|crlf)$", "-impl", "testdata/"+plain+",testdata/"+dropping,
		"-golden", goldenDir, "-timeout", "3s", "-out", out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("run returned %v, want errFailed", err)
	}
	summary := strings.Join(strings.Fields(stdout), " ")
	for _, want := range []string{
		plain + " behaviour 2/2, fidelity 0/2",
		dropping + " behaviour 0/2, fidelity 0/2",
		"FAIL simple " + plain + ": behaviour pass, fidelity fail",
		"fidelity: a message event was not an instance of MessageEvent",
		`entry 1: origin: want "<self>", got none`,
		`⟦"origin":"<self>"⟧`,
		"FAIL simple " + dropping + ": behaviour fail, fidelity fail",
		`missing entry 2: {"type":"message","event":"message","data":"two"`,
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
	if !strings.Contains(stderr, "[1/2] simple: "+plain+" FAIL (fidelity only), "+dropping+" FAIL") {
		t.Errorf("the progress does not tell the levels apart")
	}

	rep, page := readReport(t, out)
	levels := func(impl string) string {
		l := rep.Levels[impl]
		return fmt.Sprintf("behaviour %v fidelity %v", l[levelBehaviour], l[levelFidelity])
	}
	if got := levels(plain); got != "behaviour map[pass:2] fidelity map[fail:2]" {
		t.Errorf("%s: %s", plain, got)
	}
	if got := levels(dropping); got != "behaviour map[fail:2] fidelity map[fail:2]" {
		t.Errorf("%s: %s", dropping, got)
	}
	for _, res := range rep.Scenarios {
		p, d := res.Cells[0], res.Cells[1]
		// The plain one's diff is of the full traces: every message
		// entry differs in its origin, and in nothing else.
		changed := 0
		for _, r := range p.Diff {
			if r.Op == "change" {
				changed++
				if fmt.Sprint(r.Changed) != "[origin]" {
					t.Errorf("%s %s: entry %d differs in %v, want origin only", res.Name, plain, r.RightIndex, r.Changed)
				}
			} else if r.Op == "add" || r.Op == "del" {
				t.Errorf("%s %s: %s row %+v, want changes only", res.Name, plain, r.Op, r)
			}
		}
		if p.DiffLevel != levelFidelity || changed < 2 {
			t.Errorf("%s %s: diff of level %q with %d changed entries", res.Name, plain, p.DiffLevel, changed)
		}
		// The dropping one's diff sets fidelity aside: the missing
		// event, and no origin.
		missing := false
		for _, r := range d.Diff {
			missing = missing || (r.Op == "del" && strings.Contains(r.Left, `"data":"two"`))
			if strings.Contains(r.Left+r.Right, `"origin"`) {
				t.Errorf("%s %s: the behaviour diff shows the origin: %+v", res.Name, dropping, r)
			}
		}
		if res.Name == "simple" && (d.DiffLevel != levelBehaviour || !missing) {
			t.Errorf("%s %s: diff of level %q without the missing event two:\n%s", res.Name, dropping, d.DiffLevel, textDiff(d.Diff))
		}
	}
	for _, want := range []string{
		`<mark>&#34;origin&#34;:&#34;&lt;self&gt;&#34;</mark>`,
		`<th>behaviour</th><th>fidelity</th>`,
		`<td class="cell pass"><a href="#r-simple-plain-events_js_PlainEventSource">pass</a></td><td class="cell fail">`,
		`body:has(#only-failures:checked) .matrix tr.all-pass`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %s", want)
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
