package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A bundlerApp is an app of testdata/bundlers built with one bundler the
// way the README says.
type bundlerApp struct {
	// name names the app, and its directories: src/NAME and bundles/NAME
	// in the test project.
	name string

	// entry is the app's script in testdata/bundlers.
	entry string

	// build bundles the app at src/NAME/ENTRY of the test project into
	// out, with an index.html there or not (then the test writes one).
	build func(t *testing.T, b bundleBuild)

	// module is whether the page loads the bundle as a module script.
	module bool

	// wantError, when set, is what the rejection of ready must say: the
	// app is built the wrong way, and the package must say how to fix it.
	wantError []string
}

// A bundleBuild is what a bundlerApp's build gets.
type bundleBuild struct {
	modules string // .cache/bundlers/node_modules
	src     string // the directory of the app's sources
	entry   string // the path of its entry script
	out     string // the directory to write the bundle to
}

// run runs a command of .cache/bundlers/node_modules/.bin in the app's
// sources directory.
func (b bundleBuild) run(t *testing.T, bin string, args ...string) {
	t.Helper()
	out := runCommand(t, b.src, filepath.Join(b.modules, ".bin", bin), args...)
	if s := strings.TrimSpace(out); s != "" {
		t.Logf("%s:\n%s", bin, s)
	}
}

// esbuild returns a build with esbuild in format ("esm" or "iife"), with
// esbuild's file loader for .wasm, as the README has it.
func esbuild(format string) func(t *testing.T, b bundleBuild) {
	return func(t *testing.T, b bundleBuild) {
		b.run(t, "esbuild", b.entry, "--bundle", "--format="+format, "--loader:.wasm=file",
			"--outfile="+filepath.Join(b.out, "app.js"), "--log-level=warning")
	}
}

var bundlerApps = []bundlerApp{
	{
		// Vite emits the .wasm of new URL(..., import.meta.url) itself.
		name:  "vite",
		entry: "main.js",
		build: func(t *testing.T, b bundleBuild) {
			page := bundlePage("Vite", `<script type="module" src="./`+filepath.Base(b.entry)+`"></script>`)
			if err := os.WriteFile(filepath.Join(b.src, "index.html"), []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			b.run(t, "vite", "build", "--outDir", b.out, "--emptyOutDir", "--base", "./", "--logLevel", "warn")
		},
		module: true,
	},
	{
		// So does webpack 5, as an asset.
		name:  "webpack",
		entry: "main.js",
		build: func(t *testing.T, b bundleBuild) {
			script := filepath.Join(env.root, "e2e", "testdata", "bundlers", "webpack.mjs")
			out := runCommand(t, b.src, "node", script, b.modules, b.entry, b.out)
			t.Logf("webpack:\n%s", strings.TrimSpace(out))
		},
	},
	{
		// esbuild leaves new URL(..., import.meta.url) alone: the app
		// imports the .wasm, which the file loader emits, and hands its URL
		// to configure().
		name:   "esbuild-esm",
		entry:  "configured.js",
		build:  esbuild("esm"),
		module: true,
	},
	{
		// Or, in ES module output, where import.meta.url is the bundle's,
		// a copy of the .wasm beside the bundle.
		name:  "esbuild-esm-copy",
		entry: "main.js",
		build: func(t *testing.T, b bundleBuild) {
			esbuild("esm")(t, b)
			wasm, err := os.ReadFile(filepath.Join(b.src, "..", "..", "node_modules", "eventsource-wasm", "eventsource-wasm.wasm"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(b.out, "eventsource-wasm.wasm"), wasm, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		module: true,
	},
	{
		// An IIFE has no import.meta.url: configure() is the only way.
		name:  "esbuild-iife",
		entry: "configured.js",
		build: esbuild("iife"),
	},
	{
		// Without configure(), ready must reject with an error that says
		// so, instead of the page throwing "Invalid URL".
		name:      "esbuild-iife-unconfigured",
		entry:     "unconfigured.js",
		build:     esbuild("iife"),
		wantError: []string{"import.meta.url", "configure({ wasmURL })"},
	},
}

// bundlePage is an app's page: packageCheck, then the bundle's script tag.
func bundlePage(title, script string) string {
	return `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm bundled with ` + title + `</title>
<link rel="icon" href="data:,">
<script>` + packageCheck + `</script>
` + script + "\n"
}

// TestBundlers checks that the npm package works as bundlers bundle it: the
// tarball of `make package` is npm-installed into a new project, and
// testdata/bundlers' apps are built from it with Vite, webpack 5 and esbuild
// (ES module and IIFE output) as the README says, each into its own
// directory, which the test serves with the reference server's streams. In
// Chromium each page must get its events from the module the bundler
// emitted; the IIFE built without configure() must instead reject ready
// with an error that names the fix.
//
// The bundlers are installed at pinned versions into .cache/bundlers on the
// first run (from the npm registry). It needs make, npm and node, and fails,
// never skips, without them.
func TestBundlers(t *testing.T) {
	onceForAllEngines(t, "the bundlers' output is the same for every engine")
	// Not parallel until the package is installed: see TestPackage.
	requirePackageTools(t)
	project := installPackage(t)
	modules := installNpmTools(t)
	t.Parallel()
	builtWasm, err := os.ReadFile(filepath.Join(env.root, "dist", "eventsource-wasm.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	srv := newPackageServer(t, project)

	for _, app := range bundlerApps {
		t.Run(app.name, func(t *testing.T) {
			t.Parallel()
			b := bundleBuild{
				modules: modules,
				src:     filepath.Join(project, "src", app.name),
				out:     filepath.Join(project, "bundles", app.name),
			}
			b.entry = filepath.Join(b.src, app.entry)
			source, err := os.ReadFile(filepath.Join("testdata", "bundlers", app.entry))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(b.src, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(b.entry, source, 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			app.build(t, b)
			t.Logf("build: %v", time.Since(start).Round(time.Millisecond))
			page := filepath.Join(b.out, "index.html")
			if _, err := os.Stat(page); err != nil {
				script := `<script src="app.js"></script>`
				if app.module {
					script = `<script type="module" src="app.js"></script>`
				}
				if err := os.WriteFile(page, []byte(bundlePage(app.name, script)), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			prefix := "/bundles/" + app.name + "/"
			if app.wantError != nil {
				checkBundleError(t, srv, prefix, app.wantError)
				return
			}
			emitted := emittedModules(t, b.out)
			if len(emitted) != 1 || !bytes.Equal(emitted[0].data, builtWasm) {
				t.Errorf("the bundle has %d .wasm files (%s); want one, dist/eventsource-wasm.wasm", len(emitted), wasmNames(emitted))
			}
			res := evaluatePackagePage[packageResult](t, srv.URL+prefix+"index.html", `window.result`)
			checkPackageResult(t, res, []string{})
			fetched := srv.servedLike(prefix, ".wasm")
			if len(fetched) == 0 || len(emitted) == 0 || !slices.Contains(fetched, prefix+emitted[0].name) {
				t.Errorf("the page fetched %q; want the bundle's own module, %s", fetched, wasmNames(emitted))
			}
		})
	}
}

// A bundleErrorResult is what testdata/bundlers/unconfigured.js saw.
type bundleErrorResult struct {
	ReadyError  string `json:"readyError"`  // "rejected: " and the message, or "resolved"
	SourceError string `json:"sourceError"` // the reason and message of the source's error event
	ReadyState  int    `json:"readyState"`  // the source's, after the error event
}

// checkBundleError loads the page of an app built the wrong way,
// testdata/bundlers/unconfigured.js: ready must reject, and its source
// close with an error event of reason "internal", each with a message that
// has every string of want; no module may be fetched, and the page must
// throw nothing uncaught (newTab fails the test for that).
func checkBundleError(t *testing.T, srv *packageServer, prefix string, want []string) {
	t.Helper()
	got := evaluatePackagePage[bundleErrorResult](t, srv.URL+prefix+"index.html", `window.result`)
	t.Logf("ready: %s\nerror event: %s", got.ReadyError, got.SourceError)
	if !strings.HasPrefix(got.ReadyError, "rejected: ") {
		t.Errorf("ready %s; want it rejected", got.ReadyError)
	}
	if !strings.HasPrefix(got.SourceError, "internal: ") || got.ReadyState != 2 {
		t.Errorf("the source ended in readyState %d with the error %q; want CLOSED (2) after an error of reason internal",
			got.ReadyState, got.SourceError)
	}
	for _, w := range want {
		for what, message := range map[string]string{"the rejection of ready": got.ReadyError, "the error event": got.SourceError} {
			if !strings.Contains(message, w) {
				t.Errorf("%s does not say %q: %s", what, w, message)
			}
		}
	}
	if fetched := srv.servedLike(prefix, ".wasm"); len(fetched) > 0 {
		t.Errorf("the page fetched %q; want no module fetched", fetched)
	}
}

// An emittedModule is a .wasm file a bundler wrote.
type emittedModule struct {
	name string // its path under the bundle's directory
	data []byte
}

// emittedModules returns the .wasm files under dir.
func emittedModules(t *testing.T, dir string) []emittedModule {
	t.Helper()
	var found []emittedModule
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".wasm" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		found = append(found, emittedModule{name: filepath.ToSlash(rel), data: data})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func wasmNames(ms []emittedModule) string {
	var names []string
	for _, m := range ms {
		names = append(names, fmt.Sprintf("%s (%d bytes)", m.name, len(m.data)))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
