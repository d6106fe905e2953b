package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// warmUpProbe loads the module in Node, from the reference server, and
// waits until it is ready and has been idle for a while. With SOURCE set it
// then opens one source and takes three events from it. It reports the
// fetch() calls and console output of the whole run (nodeWatch); V8
// reports each function it compiles (--trace-wasm-compilation-times): with
// Liftoff, at its first call, and later with TurboFan if it runs hot.
const warmUpProbe = nodeWatch + `
const m = await import(process.env.MODULE_URL);
m.configure({ wasmURL: process.env.SERVER_URL + "/dist/eventsource-wasm.wasm" });
await m.ready;
await new Promise((resolve) => setTimeout(resolve, 300));
const out = { calls, events: [] };
if (process.env.SOURCE) {
  const source = new m.WasmEventSource(process.env.SERVER_URL + "/sse/counter?total=3&per=3");
  await new Promise((resolve) => {
    source.onmessage = (e) => { if (out.events.push(e.data) === 3) resolve(); };
    source.onerror = (e) => { out.events.push("error: " + e.message); resolve(); };
  });
  source.close();
}
process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
`

// TestWarmUp checks what the module does once it is ready and no source
// waits for it (warmUp in js/core.js): it runs a source's whole course, so
// that the page's first source finds its code compiled, and nothing of it
// shows. Chromium, as Node, compiles each WebAssembly function at its
// first call; the test counts the functions V8 compiles in a run that only
// waits, and in one that then opens a source and takes three events. Only a
// few functions should be new to the source (the request's own path), where
// without the warm-up about a hundred are.
func TestWarmUp(t *testing.T) {
	t.Parallel()
	moduleURL := nodeModule(t)
	type result struct {
		Calls    []string `json:"calls"`
		Events   []string `json:"events"`
		compiled int
	}
	run := func(t *testing.T, source bool) result {
		environ := []string{"MODULE_URL=" + moduleURL, "SERVER_URL=" + env.server.URL}
		if source {
			environ = append(environ, "SOURCE=1")
		}
		stdout, stderr := runNode(t, environ, "--trace-wasm-compilation-times", "--input-type=module", "-e", warmUpProbe)
		var r result
		for line := range strings.Lines(stdout) {
			switch {
			case strings.HasPrefix(line, "{"):
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("the probe's report is not JSON: %v: %q", err, line)
				}
			case strings.HasPrefix(line, "Compiled function ") && strings.Contains(line, " using Liftoff"):
				r.compiled++
			}
		}
		if r.Calls == nil {
			t.Fatalf("the probe made no report\nstdout: %s\nstderr: %s", stdout, stderr)
		}
		if r.compiled == 0 {
			t.Fatalf("V8 reported no function compiled with Liftoff: has --trace-wasm-compilation-times changed its output?\nstdout: %.2000s", stdout)
		}
		return r
	}

	idle := run(t, false)
	// The warm-up is not seen: no request but the module's, no output.
	if want := []string{"fetch " + env.server.URL + "/dist/eventsource-wasm.wasm"}; !slices.Equal(idle.Calls, want) {
		t.Errorf("a module ready and idle made the calls %q; want only %q", idle.Calls, want)
	}
	withSource := run(t, true)
	if want := []string{"1", "2", "3"}; !slices.Equal(withSource.Events, want) {
		t.Fatalf("the source got %q; want %q", withSource.Events, want)
	}
	t.Logf("functions compiled with Liftoff: %d in an idle run, %d with a source", idle.compiled, withSource.compiled)
	// Without the warm-up, the source's path is about a hundred functions
	// (125 at the commit that added it, counted with the call to warmUp
	// taken out); with it, about ten.
	if added := withSource.compiled - idle.compiled; added > 25 {
		t.Errorf("the first source compiled %d functions that the warm-up had not: it did not warm up the source's path", added)
	}
}
