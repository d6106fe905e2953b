package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// npmTools are the npm packages that the package's tests run, each at an
// exact version, installed into .cache/bundlers by installNpmTools.
var npmTools = map[string]string{
	"vite":                  "8.4.1",
	"webpack":               "5.113.0",
	"esbuild":               "0.28.2",
	"@arethetypeswrong/cli": "0.18.5",
}

// npmToolsOnce guards the installation: the tests that need the tools may
// run in parallel, and they share one directory.
var npmToolsOnce struct {
	sync.Mutex
	modules string // .cache/bundlers/node_modules, once installed
}

// installNpmTools installs npmTools into .cache/bundlers, unless every one of
// them is there at its version, and returns .cache/bundlers/node_modules.
// The first run needs the npm registry; later runs need nothing.
func installNpmTools(t *testing.T) string {
	t.Helper()
	npmToolsOnce.Lock()
	defer npmToolsOnce.Unlock()
	if npmToolsOnce.modules != "" {
		return npmToolsOnce.modules
	}
	dir := filepath.Join(env.root, ".cache", "bundlers")
	modules := filepath.Join(dir, "node_modules")
	if stale := staleNpmTools(modules); len(stale) > 0 {
		start := time.Now()
		t.Logf("installing %s into %s", strings.Join(stale, ", "), dir)
		manifest, err := json.MarshalIndent(map[string]any{
			"name":         "eventsource-wasm-e2e-tools",
			"private":      true,
			"description":  "The npm packages of eventsource-wasm's package tests (e2e/bundlers_test.go), installed by them.",
			"dependencies": npmTools,
		}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "package.json"), append(manifest, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		runCommand(t, dir, "npm", "install", "--no-audit", "--no-fund")
		if stale := staleNpmTools(modules); len(stale) > 0 {
			t.Fatalf("npm install in %s left %s missing or at another version", dir, strings.Join(stale, ", "))
		}
		t.Logf("npm install: %v", time.Since(start).Round(time.Millisecond))
	}
	npmToolsOnce.modules = modules
	return modules
}

// staleNpmTools returns the packages of npmTools that modules lacks, or has
// at another version, as name@version.
func staleNpmTools(modules string) []string {
	var stale []string
	for name, version := range npmTools {
		if got := packageVersionIn(filepath.Join(modules, name)); got != version {
			stale = append(stale, name+"@"+version)
		}
	}
	slices.Sort(stale)
	return stale
}

// packageVersionIn returns the version in dir/package.json, or "".
func packageVersionIn(dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return ""
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return ""
	}
	return p.Version
}
