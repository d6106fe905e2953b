package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

// TestPackage checks the npm package as a user gets it: `make package`
// builds the tarball, npm installs it into a new project, and then
//
//   - the installed files and package.json's exports are what the package
//     promises;
//   - a page loads the installed package, as an ES module through an import
//     map and as a classic script, and gets events from the reference
//     server;
//   - TypeScript compiles testdata/typescript/usage.ts against the installed
//     declarations, and reports exactly the marked errors of bad.ts.
//
// It needs make, npm and node, and the first run installs TypeScript 5 into
// .cache/tsc (from the npm registry). It fails, and never skips, without them.
func TestPackage(t *testing.T) {
	onceForAllEngines(t, "the package is the same for every engine")
	// Not parallel until the package is installed: make package may
	// rebuild dist/, which the parallel tests of the package serve.
	requirePackageTools(t)
	project := installPackage(t)
	pkg := filepath.Join(project, "node_modules", "eventsource-wasm")
	t.Parallel()

	t.Run("files", func(t *testing.T) { checkPackageFiles(t, project, pkg) })
	if t.Failed() {
		return
	}
	t.Run("browser", func(t *testing.T) {
		t.Parallel()
		srv := newPackageServer(t, project)
		for _, entry := range []string{"esm", "classic"} {
			t.Run(entry, func(t *testing.T) {
				t.Parallel()
				checkPackageInBrowser(t, srv, entry)
			})
		}
	})
	t.Run("typescript", func(t *testing.T) {
		t.Parallel()
		checkTypeScript(t, project)
	})
}

// A packageManifest is what the tests read of js/package.json.
type packageManifest struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Files   []string `json:"files"`
}

// readManifest reads js/package.json, whose version names the tarball.
func readManifest(t *testing.T) packageManifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(env.root, "js", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m packageManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("js/package.json: %v", err)
	}
	if m.Name != "eventsource-wasm" || m.Version == "" {
		t.Fatalf("js/package.json names %q version %q, want eventsource-wasm and a version", m.Name, m.Version)
	}
	return m
}

// requirePackageTools fails the test unless make, npm and node are
// installed.
func requirePackageTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"make", "npm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: the package tests need make, and Node.js with npm "+
				"(e.g. apt-get install make nodejs npm): %v", tool, err)
		}
	}
}

// makePackage runs `make package` and returns the path of the tarball it
// wrote.
func makePackage(t *testing.T) string {
	t.Helper()
	start := time.Now()
	runCommand(t, env.root, "make", "--no-print-directory", "package")
	tgz := filepath.Join(env.root, "dist", "eventsource-wasm-"+readManifest(t).Version+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		t.Fatalf("make package did not write the tarball: %v", err)
	}
	t.Logf("make package: %v", time.Since(start).Round(time.Millisecond))
	return tgz
}

// installPackage runs `make package` and npm-installs the tarball into a new
// project in a temporary directory, which it returns.
func installPackage(t *testing.T) string {
	t.Helper()
	tgz := makePackage(t)
	start := time.Now()
	project := t.TempDir()
	manifest := `{"name": "package-test", "version": "0.0.0", "private": true, "type": "module"}`
	if err := os.WriteFile(filepath.Join(project, "package.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	runCommand(t, project, "npm", "install", "--no-audit", "--no-fund", tgz)
	t.Logf("npm install: %v", time.Since(start).Round(time.Millisecond))
	return project
}

// checkPackageFiles checks the installed files, and that Node resolves the
// entry points of package.json's exports to them.
func checkPackageFiles(t *testing.T, project, pkg string) {
	// The entry points, the licenses and whatever else package.json lists.
	manifest := readManifest(t)
	names := append([]string{"package.json", "README.md", "LICENSE",
		"eventsource-wasm.js", "eventsource-wasm.mjs", "eventsource-wasm.wasm", "eventsource-wasm.d.ts",
	}, manifest.Files...)
	for _, name := range slices.Compact(slices.Sorted(slices.Values(names))) {
		info, err := os.Stat(filepath.Join(pkg, name))
		if err != nil || info.Size() == 0 {
			t.Errorf("the installed package lacks %s, or it is empty: %v", name, err)
		}
	}
	// The package is dist/ as make build wrote it.
	for _, name := range []string{"eventsource-wasm.wasm", "eventsource-wasm.mjs", "eventsource-wasm.js", "eventsource-wasm.d.ts"} {
		installed, err1 := os.ReadFile(filepath.Join(pkg, name))
		built, err2 := os.ReadFile(filepath.Join(env.root, "dist", name))
		if err1 != nil || err2 != nil || !bytes.Equal(installed, built) {
			t.Errorf("the installed %s differs from dist/%s", name, name)
		}
	}
	// The scripts include Go's wasm_exec.js, so Go's license must travel
	// with them: one of the package's license files is Go's.
	licenses := map[string]string{}
	for _, name := range manifest.Files {
		if strings.HasPrefix(name, "LICENSE") {
			text, _ := os.ReadFile(filepath.Join(pkg, name))
			licenses[name] = string(text)
		}
	}
	if !strings.Contains(licenses["LICENSE"], "MIT License") {
		t.Errorf("LICENSE is not the MIT License, or package.json does not list it")
	}
	goLicense := ""
	for name, text := range licenses {
		if strings.Contains(text, "The Go Authors") {
			goLicense = name
		}
	}
	if goLicense == "" {
		t.Errorf("no license file of the package (%q) is Go's, which wasm_exec.js needs", slices.Sorted(maps.Keys(licenses)))
	}
	for _, script := range []string{"eventsource-wasm.js", "eventsource-wasm.mjs"} {
		head, _ := os.ReadFile(filepath.Join(pkg, script))
		if goLicense != "" && !bytes.Contains(head[:min(len(head), 400)], []byte(goLicense)) {
			t.Errorf("%s does not name %s in its first lines", script, goLicense)
		}
	}

	// import.meta.resolve applies package.json's exports as a bundler or
	// Node would, without running the browser code.
	want := map[string]string{
		"eventsource-wasm":                       "eventsource-wasm.mjs",
		"eventsource-wasm/classic":               "eventsource-wasm.js",
		"eventsource-wasm/eventsource-wasm.wasm": "eventsource-wasm.wasm",
		"eventsource-wasm/package.json":          "package.json",
	}
	specifiers, _ := json.Marshal(slices.Sorted(maps.Keys(want)))
	script := fmt.Sprintf(`for (const s of %s) console.log(s + " " + import.meta.resolve(s));`, specifiers)
	out := runCommand(t, project, "node", "--input-type=module", "-e", script)
	sc := bufio.NewScanner(strings.NewReader(out))
	resolved := map[string]string{}
	for sc.Scan() {
		if spec, url, ok := strings.Cut(sc.Text(), " "); ok {
			resolved[spec] = url
		}
	}
	for spec, file := range want {
		if got, wantURL := resolved[spec], "file://"+filepath.Join(pkg, file); got != wantURL {
			t.Errorf("import.meta.resolve(%q) = %q, want %q", spec, got, wantURL)
		}
	}
}

// A packageServer serves the test project's node_modules/ and bundles/
// (the apps of TestBundlers) and two test pages, and passes /sse/ to a
// reference server, so that the page, the package and the stream share an
// origin. It records the paths it served.
type packageServer struct {
	*httptest.Server
	mu     sync.Mutex
	served []string
}

func (s *packageServer) sawPath(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.served, path)
}

// servedLike returns the paths served that begin with prefix and end with
// suffix.
func (s *packageServer) servedLike(prefix, suffix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var paths []string
	for _, p := range s.served {
		if strings.HasPrefix(p, prefix) && strings.HasSuffix(p, suffix) {
			paths = append(paths, p)
		}
	}
	return paths
}

func newPackageServer(t *testing.T, project string) *packageServer {
	t.Helper()
	s := &packageServer{}
	sse := refserver.New(refserver.Options{Root: env.root})
	files := http.FileServer(http.Dir(project))
	mux := http.NewServeMux()
	mux.Handle("/sse/", sse)
	serveFile := func(w http.ResponseWriter, r *http.Request) {
		switch filepath.Ext(r.URL.Path) {
		case ".wasm":
			w.Header().Set("Content-Type", "application/wasm")
		case ".js", ".mjs":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		files.ServeHTTP(w, r)
	}
	mux.HandleFunc("/node_modules/", serveFile)
	mux.HandleFunc("/bundles/", serveFile)
	mux.HandleFunc("GET /{page}", func(w http.ResponseWriter, r *http.Request) {
		page, ok := packagePages[r.PathValue("page")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.served = append(s.served, r.URL.Path)
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.CloseClientConnections()
		s.Close()
	})
	return s
}

// packageCheck is the script both test pages run once they have
// WasmEventSource: window.packageCheck(api) resolves to a packageResult.
const packageCheck = `
window.packageCheck = async ({ WasmEventSource, ready, install, defaultExport }) => {
  await ready;
  const es = new WasmEventSource("/sse/counter?total=3&per=3");
  const events = await new Promise((resolve, reject) => {
    const got = [];
    es.onmessage = (e) => {
      got.push(e.data + "@" + e.lastEventId);
      if (got.length === 3) resolve(got);
    };
    es.onerror = (e) => {
      if (!e.willReconnect) reject(new Error("error event: " + e.reason + ": " + e.message));
    };
    setTimeout(() => reject(new Error("no three events after 10 s; got " + got)), 10000);
  });
  es.close();
  return {
    events,
    readyState: es.readyState,
    readyIsStatic: WasmEventSource.ready === ready,
    installIsStatic: WasmEventSource.install === install,
    defaultIsClass: defaultExport === undefined || defaultExport === WasmEventSource,
    native: WasmEventSource.native === EventSource,
    pageEventSourceKept: window.EventSource === WasmEventSource.native,
    globals: ["WasmEventSource", "Go", "fs", "process", "path"].filter((name) => name in globalThis),
  };
};
`

// packagePages are the test pages, each loading the installed package by
// one of its entry points. Their scripts are inline: they are not demo
// pages and need no Content-Security-Policy.
var packagePages = map[string]string{
	"esm.html": `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm package: ES module</title>
<script type="importmap">{"imports": {"eventsource-wasm": "/node_modules/eventsource-wasm/eventsource-wasm.mjs"}}</script>
<script>` + packageCheck + `</script>
<script type="module">
import defaultExport, { WasmEventSource, ready, install } from "eventsource-wasm";
window.result = packageCheck({ WasmEventSource, ready, install, defaultExport });
</script>
`,
	"classic.html": `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm package: classic script</title>
<script src="/node_modules/eventsource-wasm/eventsource-wasm.js"></script>
<script>` + packageCheck + `
window.result = packageCheck({ WasmEventSource, ready: WasmEventSource.ready, install: WasmEventSource.install });
</script>
`,
}

// A packageResult is what window.packageCheck found.
type packageResult struct {
	Events              []string `json:"events"`
	ReadyState          int      `json:"readyState"`
	ReadyIsStatic       bool     `json:"readyIsStatic"`
	InstallIsStatic     bool     `json:"installIsStatic"`
	DefaultIsClass      bool     `json:"defaultIsClass"`
	Native              bool     `json:"native"`
	PageEventSourceKept bool     `json:"pageEventSourceKept"`
	Globals             []string `json:"globals"`
}

// checkPackageInBrowser loads the test page of entry ("esm" or "classic")
// and checks what it found.
func checkPackageInBrowser(t *testing.T, srv *packageServer, entry string) {
	res := evaluatePackagePage[packageResult](t, srv.URL+"/"+entry+".html", `window.result`)
	wantGlobals := []string{}
	if entry == "classic" {
		wantGlobals = []string{"WasmEventSource"}
	}
	checkPackageResult(t, res, wantGlobals)
	if wasm := "/node_modules/eventsource-wasm/eventsource-wasm.wasm"; !srv.sawPath(wasm) {
		t.Errorf("the page never fetched %s: the module must load from beside its script", wasm)
	}
}

// evaluatePackagePage opens url in a new tab and returns the value of expr,
// awaited, in the page.
func evaluatePackagePage[T any](t *testing.T, url, expr string) T {
	t.Helper()
	ctx := newTab(t)
	navigateTo(t, ctx, url)
	res, err := tryEvaluate[T](ctx, 30*time.Second, expr)
	if err != nil {
		t.Fatalf("%s: %s: %v", url, expr, err)
	}
	return res
}

// checkPackageResult checks what window.packageCheck found on a page whose
// only globals of the package's should be wantGlobals.
func checkPackageResult(t *testing.T, res packageResult, wantGlobals []string) {
	t.Helper()
	if want := []string{"1@1", "2@2", "3@3"}; !slices.Equal(res.Events, want) {
		t.Errorf("events %q, want %q", res.Events, want)
	}
	if res.ReadyState != 2 || !res.ReadyIsStatic || !res.InstallIsStatic || !res.DefaultIsClass || !res.Native || !res.PageEventSourceKept {
		t.Errorf("%+v: want readyState 2 after close, ready and install the statics, the default export the class, "+
			"native the page's EventSource, and the page's EventSource left alone", res)
	}
	if !slices.Equal(res.Globals, wantGlobals) {
		t.Errorf("globals on the page: %q, want %q (the Go runtime must stay off the page)", res.Globals, wantGlobals)
	}
}

// tscErrorLine matches an error of tsc --pretty false, e.g.
// "bad.ts(8,37): error TS2322: Type 'string' is not ...".
var tscErrorLine = regexp.MustCompile(`^([^(\s]+)\((\d+),(\d+)\): error (TS\d+): (.*)$`)

// expectedErrorMark marks a line of bad.ts that must have an error.
var expectedErrorMark = regexp.MustCompile(`// @error (TS\d+)\s*$`)

// checkTypeScript compiles usage.ts and bad.ts against the installed
// package: usage.ts must have no error, and bad.ts exactly the errors its
// lines are marked with.
func checkTypeScript(t *testing.T, project string) {
	tsc := typeScriptCompiler(t)
	want := map[string]bool{} // "bad.ts:8 TS2322"
	for _, name := range []string{"usage.ts", "bad.ts"} {
		src, err := os.ReadFile(filepath.Join("testdata", "typescript", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(project, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := expectedErrorMark.FindStringSubmatch(line); m != nil {
				want[fmt.Sprintf("%s:%d %s", name, i+1, m[1])] = true
			}
		}
	}
	if len(want) < 10 {
		t.Fatalf("bad.ts marks %d errors; it should misuse the API in many ways", len(want))
	}

	start := time.Now()
	cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
		"--moduleResolution", "bundler", "--lib", "es2022,dom", "--pretty", "false", "usage.ts", "bad.ts")
	cmd.Dir = project
	out, err := cmd.CombinedOutput()
	t.Logf("tsc: %v", time.Since(start).Round(time.Millisecond))
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) {
		t.Fatalf("tsc did not report the errors of bad.ts (err %v):\n%s", err, out)
	}
	got := map[string]bool{}
	for line := range strings.SplitSeq(string(out), "\n") {
		if m := tscErrorLine.FindStringSubmatch(line); m != nil {
			key := fmt.Sprintf("%s:%s %s", m[1], m[2], m[4])
			if !want[key] {
				t.Errorf("unexpected error: %s", line)
			}
			got[key] = true
		}
	}
	for key := range want {
		if !got[key] {
			t.Errorf("tsc did not report %s, marked in bad.ts", key)
		}
	}
	if t.Failed() {
		t.Logf("tsc output:\n%s", out)
	}
}

// typeScriptCompiler returns the path of tsc in .cache/tsc, and installs
// TypeScript 5 there first if it is missing.
func typeScriptCompiler(t *testing.T) string {
	t.Helper()
	prefix := filepath.Join(env.root, ".cache", "tsc")
	tsc := filepath.Join(prefix, "node_modules", ".bin", "tsc")
	if _, err := os.Stat(tsc); err == nil {
		return tsc
	}
	t.Logf("installing TypeScript 5 into %s", prefix)
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	runCommand(t, env.root, "npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, "typescript@5")
	if _, err := os.Stat(tsc); err != nil {
		t.Fatalf("npm installed TypeScript, but there is no %s: %v", tsc, err)
	}
	return tsc
}

// runCommand runs a command in dir and returns its standard output. It
// fails the test, with all the output, when the command fails.
func runCommand(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// No update check, and no question to a person.
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_yes=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// attwAccepted are the problems that @arethetypeswrong/cli may report of the
// package, each with why it does not apply; the README's "Bundlers" says the
// same to users. An empty field matches anything.
var attwAccepted = []struct {
	kind, entrypoint, resolution string
	why                          string
}{
	{kind: "NoResolution", resolution: "node10",
		why: "TypeScript's node10 resolution (moduleResolution \"node\") predates package.json's exports " +
			"and cannot resolve a subpath; \".\" resolves there through \"types\", and the bundler and " +
			"node16 resolutions are the ones that count"},
	{kind: "NoResolution", entrypoint: "./eventsource-wasm.wasm",
		why: "the .wasm is an asset, not a module: bundlers emit it (Vite and webpack through " +
			"new URL(..., import.meta.url), esbuild through --loader:.wasm=file), and what an import of it " +
			"gives is the bundler's to say (a URL string with esbuild's file loader, typed by the app as for " +
			"any asset)"},
	{kind: "CJSResolvesToESM", entrypoint: ".", resolution: "node16-cjs",
		why: "the package is an ES module only, for browsers; CommonJS code imports it with import(), " +
			"or with require() where Node supports require of ES modules (20.19, 22.12 and later)"},
}

// attwResolution is what attw reports of one resolution of one entry point.
type attwResolution struct {
	Resolution *struct {
		FileName string `json:"fileName"`
	} `json:"resolution"`
	ImplementationResolution *struct {
		FileName string `json:"fileName"`
	} `json:"implementationResolution"`
}

// TestPackageTypeResolution runs @arethetypeswrong/cli (installed at a
// pinned version into .cache/bundlers, see installNpmTools) on the tarball
// of `make package`: it resolves each of package.json's exports as
// TypeScript does under the node10, node16 (from CommonJS and from an ES
// module) and bundler resolutions, and reports types that are missing or
// say the wrong thing. Every problem fails the test but those of
// attwAccepted; the entry points of the ES module and the classic script
// must resolve to their own declarations and scripts.
func TestPackageTypeResolution(t *testing.T) {
	onceForAllEngines(t, "type resolution involves no browser")
	// Not parallel: make package rewrites dist/ (see TestPackage).
	requirePackageTools(t)
	tgz := makePackage(t)
	attw := filepath.Join(installNpmTools(t), ".bin", "attw")
	t.Parallel()

	// attw's report goes to a file: Node's process.exit() cuts output to a
	// pipe at 64 KiB, and the report is longer.
	out, err := os.Create(filepath.Join(t.TempDir(), "attw.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(attw, tgz, "--format", "json")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	err = cmd.Run()
	// attw exits with 1 when it reports a problem, which may be an accepted one.
	if exit := (*exec.ExitError)(nil); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("attw %s: %v\n%s", tgz, err, stderr.String())
	}
	written, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	stdout := bytes.NewBuffer(written)
	var report struct {
		Analysis struct {
			Entrypoints map[string]struct {
				Resolutions map[string]attwResolution `json:"resolutions"`
			} `json:"entrypoints"`
			Problems []map[string]any `json:"problems"`
		} `json:"analysis"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("attw's report: %v\n%s%s", err, stdout.String(), stderr.String())
	}

	for _, p := range report.Analysis.Problems {
		kind, _ := p["kind"].(string)
		entrypoint, _ := p["entrypoint"].(string)
		resolution, _ := p["resolutionKind"].(string)
		accepted := slices.ContainsFunc(attwAccepted, func(a struct{ kind, entrypoint, resolution, why string }) bool {
			return a.kind == kind && (a.entrypoint == "" || a.entrypoint == entrypoint) &&
				(a.resolution == "" || a.resolution == resolution)
		})
		if !accepted {
			detail, _ := json.Marshal(p)
			t.Errorf("attw: %s (see https://github.com/arethetypeswrong/arethetypeswrong.github.io/blob/main/docs/problems/%s.md): %s",
				kind, kind, detail)
		}
	}

	// Each entry point resolves, in node16 and for bundlers, to its own
	// declarations and script.
	const pkg = "/node_modules/eventsource-wasm/"
	want := map[string][2]string{ // entry point: declarations, script
		".":         {"eventsource-wasm.d.mts", "eventsource-wasm.mjs"},
		"./classic": {"eventsource-wasm-classic.d.ts", "eventsource-wasm.js"},
	}
	for entrypoint, files := range want {
		for _, kind := range []string{"node16-cjs", "node16-esm", "bundler"} {
			r, ok := report.Analysis.Entrypoints[entrypoint].Resolutions[kind]
			if !ok || r.Resolution == nil || r.ImplementationResolution == nil {
				t.Errorf("attw did not resolve %q under %s: %+v", entrypoint, kind, r)
				continue
			}
			if r.Resolution.FileName != pkg+files[0] || r.ImplementationResolution.FileName != pkg+files[1] {
				t.Errorf("under %s, %q resolves to %s and %s; want %s and %s", kind, entrypoint,
					r.Resolution.FileName, r.ImplementationResolution.FileName, pkg+files[0], pkg+files[1])
			}
		}
	}
	if t.Failed() {
		t.Logf("attw's table, for the record: run %s %s", attw, tgz)
	}
}
