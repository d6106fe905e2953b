package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The tests of the ES module in Node, as server-side rendering of a page
// imports it: importing does nothing and prints nothing, and making a
// source fails with an error that says why.

// nodeWatch, the start of a Node probe, wraps fetch() and the console:
// calls lists each request and each line written to the console.
const nodeWatch = `
const calls = [];
const nodeFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  calls.push("fetch " + String(input instanceof Request ? input.url : input));
  return nodeFetch(input, init);
};
for (const name of ["log", "info", "warn", "error", "debug"]) {
  console[name] = (...args) => calls.push("console." + name + " " + args.join(" "));
}
`

// nodeProbe wraps fetch() and the console (nodeWatch), imports the module,
// lets two turns of the event loop pass and reports what the import did;
// then it makes sources (see nodeResult) and writes the report as JSON.
const nodeProbe = nodeWatch + `
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
if (process.env.CASE === "missing") {
  delete globalThis.WebAssembly;
  delete globalThis.MessageEvent;
}
const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
const m = await import(process.env.MODULE_URL);
await turn();
await turn();
const out = {
  importCalls: calls.splice(0),
  newGlobals: Object.getOwnPropertyNames(globalThis).filter((name) => !globalsBefore.has(name)),
  exports: Object.keys(m).sort(),
  readyIsPromise: m.ready instanceof Promise,
};
const thrown = (f) => {
  try { f(); return null; } catch (e) { return { name: e.name, message: e.message }; }
};
const firstError = (source) => new Promise((resolve) => {
  source.onerror = (e) => resolve({ reason: e.reason, message: e.message, readyState: source.readyState });
  setTimeout(() => resolve({ reason: "none in 15 s" }), 15000);
});
const settled = (p) => p.then(() => "resolved", (e) => "rejected: " + e.message);

if (process.env.CASE === "default") {
  // A relative URL: there is nothing to resolve it against.
  out.relative = thrown(() => new m.WasmEventSource("/sse/counter"));
  out.unparsable = thrown(() => new m.WasmEventSource("http://["));
  // An absolute URL: the module, a file: URL beside the .mjs, cannot load.
  const source = new m.WasmEventSource(process.env.SERVER_URL + "/sse/counter?total=3");
  out.absolute = await firstError(source);
  out.ready = await settled(m.ready);
} else if (process.env.CASE === "missing") {
  // A scope without WebAssembly and MessageEvent: the constructor throws.
  out.missing = thrown(() => new m.WasmEventSource(process.env.SERVER_URL + "/sse/counter?total=3"));
  out.ready = await settled(m.ready);
} else {
  // With the module at an http URL, it runs.
  m.configure({ wasmURL: process.env.SERVER_URL + "/dist/eventsource-wasm.wasm" });
  const source = new m.WasmEventSource(process.env.SERVER_URL + "/sse/counter?total=3&per=3");
  out.events = await new Promise((resolve) => {
    const got = [];
    source.onmessage = (e) => {
      got.push(e.data + "@" + e.lastEventId + " " + e.origin);
      if (got.length === 3) resolve(got);
    };
    source.onerror = (e) => { if (!e.willReconnect) resolve(got.concat("error: " + e.message)); };
    setTimeout(() => resolve(got.concat("timeout")), 15000);
  });
  source.close();
  out.ready = await settled(m.ready);
}
out.calls = calls;
process.stdout.write(JSON.stringify(out), () => process.exit(0));
`

// nodeResult is what nodeProbe reports.
type nodeResult struct {
	ImportCalls    []string     `json:"importCalls"`
	NewGlobals     []string     `json:"newGlobals"`
	Exports        []string     `json:"exports"`
	ReadyIsPromise bool         `json:"readyIsPromise"`
	Relative       *thrownError `json:"relative"`
	Unparsable     *thrownError `json:"unparsable"`
	Absolute       *struct {
		Reason     string `json:"reason"`
		Message    string `json:"message"`
		ReadyState int    `json:"readyState"`
	} `json:"absolute"`
	Missing *thrownError `json:"missing"`
	Events  []string     `json:"events"`
	Ready   string       `json:"ready"`
	Calls   []string     `json:"calls"`
}

// runNode runs Node with args in the repository root and returns what it
// wrote to stdout and stderr. It fails the test if Node fails.
func runNode(t *testing.T, environ []string, args ...string) (stdout, stderr string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed: the Node tests need Node.js 20 or later (e.g. apt-get install nodejs): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = env.root
	cmd.Env = append(os.Environ(), environ...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// nodeModule begins a test in Node, which runs once, not in each engine,
// and needs the built module: it returns the file URL of the ES module.
func nodeModule(t *testing.T) string {
	t.Helper()
	onceForAllEngines(t, "it runs Node, no browser")
	if env.polyfillErr != nil {
		t.Fatalf("cannot test WasmEventSource: %v", env.polyfillErr)
	}
	return "file://" + filepath.Join(env.root, "dist", "eventsource-wasm.mjs")
}

// TestModuleInNode checks dist/eventsource-wasm.mjs in Node, as a page's
// server-side rendering imports it.
func TestModuleInNode(t *testing.T) {
	t.Parallel()
	moduleURL := nodeModule(t)

	t.Run("import", func(t *testing.T) {
		t.Parallel()
		// The import alone, and nothing else: no output at all.
		stdout, stderr := runNode(t, nil, "--input-type=module", "-e", `await import(`+js(moduleURL)+`);`)
		if stdout != "" || stderr != "" {
			t.Errorf("importing the module in Node printed\nstdout: %q\nstderr: %q\nwant nothing", stdout, stderr)
		}
	})

	run := func(t *testing.T, which string) nodeResult {
		t.Helper()
		stdout, stderr := runNode(t, []string{"MODULE_URL=" + moduleURL, "SERVER_URL=" + env.server.URL, "CASE=" + which},
			"--input-type=module", "-e", nodeProbe)
		if stderr != "" {
			t.Errorf("node wrote to stderr: %s", stderr)
		}
		var r nodeResult
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("the probe's report is not JSON: %v: %q", err, stdout)
		}
		t.Logf("node reported: %s", stdout)
		if len(r.ImportCalls) != 0 || len(r.NewGlobals) != 0 {
			t.Errorf("importing the module called %q and defined the globals %q; want no fetch, no console and no global", r.ImportCalls, r.NewGlobals)
		}
		if want := []string{"WasmEventSource", "configure", "default", "install", "ready"}; !slices.Equal(r.Exports, want) || !r.ReadyIsPromise {
			t.Errorf("exports %q, ready a Promise %v; want %q, true", r.Exports, r.ReadyIsPromise, want)
		}
		return r
	}

	t.Run("default", func(t *testing.T) {
		t.Parallel()
		r := run(t, "default")
		if r.Relative == nil || r.Relative.Name != "SyntaxError" || !strings.Contains(r.Relative.Message, "The URL '/sse/counter' is invalid") ||
			!strings.Contains(r.Relative.Message, "no base URL") {
			t.Errorf("a relative URL in Node: %+v; want a SyntaxError that says the URL is invalid as there is no base URL", r.Relative)
		}
		if u := r.Unparsable; u == nil || u.Name != "SyntaxError" || !strings.Contains(u.Message, "The URL 'http://[' is invalid: it does not parse (") {
			t.Errorf(`new WasmEventSource("http://[") in Node: %+v; want a SyntaxError that says it does not parse, and why`, u)
		}
		wasm := "file://" + filepath.Join(env.root, "dist", "eventsource-wasm.wasm")
		if a := r.Absolute; a == nil || a.Reason != "internal" || a.ReadyState != 2 || !strings.Contains(a.Message, "could not fetch "+wasm) ||
			!strings.Contains(a.Message, "configure({ wasmURL })") {
			t.Errorf("an absolute URL in Node: %+v; want one error event, reason internal, CLOSED, saying it could not fetch %s and what to do", a, wasm)
		}
		if !strings.HasPrefix(r.Ready, "rejected: eventsource-wasm: could not fetch "+wasm) {
			t.Errorf("ready: %s; want a rejection naming %s", r.Ready, wasm)
		}
		// The failure is reported once, on the console.
		var logged []string
		for _, c := range r.Calls {
			if strings.HasPrefix(c, "console.") {
				logged = append(logged, c)
			}
		}
		if len(logged) != 1 || !strings.HasPrefix(logged[0], "console.error eventsource-wasm: could not fetch") {
			t.Errorf("the console got %q; want one console.error of the load failure", logged)
		}
	})

	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		r := run(t, "missing")
		const lacks = "this environment cannot run WasmEventSource: it lacks MessageEvent, WebAssembly"
		if r.Missing == nil || r.Missing.Name != "Error" || !strings.Contains(r.Missing.Message, lacks) {
			t.Errorf("a source where WebAssembly and MessageEvent are missing: %+v; want an Error that says %q", r.Missing, lacks)
		}
		if !strings.Contains(r.Ready, lacks) {
			t.Errorf("ready: %s; want a rejection that says %q", r.Ready, lacks)
		}
	})

	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		r := run(t, "configured")
		want := []string{"1@1 " + env.server.URL, "2@2 " + env.server.URL, "3@3 " + env.server.URL}
		if !slices.Equal(r.Events, want) || r.Ready != "resolved" {
			t.Errorf("with configure({ wasmURL }) at the test server: events %q, ready %s; want %q, resolved", r.Events, r.Ready, want)
		}
		if len(r.Calls) == 0 || r.Calls[0] != "fetch "+env.server.URL+"/dist/eventsource-wasm.wasm" {
			t.Errorf("calls %q; want the configured .wasm fetched first", r.Calls)
		}
	})
}
