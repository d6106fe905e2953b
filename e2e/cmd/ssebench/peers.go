package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// esbuildPackage is installed with the peers: it bundles their adapters.
const esbuildPackage = "esbuild"

// preparePeers installs the npm packages of the peers among ims into
// cacheDir, unless they are all there, and bundles the adapter of each into
// cacheDir/bundles/NAME.js, an IIFE that sets the global ssebenchAdapter.
// It returns the version of each bundled peer, and why each peer that it
// could not install or bundle is left out.
func preparePeers(ctx context.Context, root, cacheDir string, ims []impl, log io.Writer) (versions, skipped map[string]string) {
	versions, skipped = map[string]string{}, map[string]string{}
	var peers []impl
	for _, im := range ims {
		if im.Peer() {
			peers = append(peers, im)
		}
	}
	if len(peers) == 0 {
		return versions, skipped
	}
	skipAll := func(why string) (map[string]string, map[string]string) {
		for _, im := range peers {
			skipped[im.Name] = why
		}
		return versions, skipped
	}

	packages := []string{esbuildPackage}
	for _, im := range peers {
		packages = append(packages, im.Package)
	}
	modules := filepath.Join(cacheDir, "node_modules")
	var missing []string
	for _, p := range packages {
		if !isFile(filepath.Join(modules, p, "package.json")) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return skipAll("npm is not installed (apt-get install npm), so the peers cannot be installed")
		}
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return skipAll(err.Error())
		}
		// Install them all at once, as one tree, so that shared
		// dependencies resolve together.
		args := append([]string{"install", "--no-save", "--no-audit", "--no-fund", "--prefix", cacheDir}, packages...)
		fmt.Fprintf(log, "ssebench: npm %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, npm, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return skipAll(fmt.Sprintf("npm install failed: %v: %s", err, lastLines(out.String(), 5)))
		}
	}

	esbuild := filepath.Join(modules, ".bin", "esbuild")
	if !isFile(esbuild) {
		return skipAll("esbuild is missing from " + modules)
	}
	bundles := filepath.Join(cacheDir, "bundles")
	if err := os.MkdirAll(bundles, 0o755); err != nil {
		return skipAll(err.Error())
	}
	for _, im := range peers {
		if !isFile(filepath.Join(modules, im.Package, "package.json")) {
			skipped[im.Name] = "npm did not install " + im.Package
			continue
		}
		if err := bundle(ctx, esbuild, cacheDir, filepath.Join(root, "web", "bench", "peers", im.Adapter), filepath.Join(bundles, im.Name+".js")); err != nil {
			skipped[im.Name] = err.Error()
			continue
		}
		versions[im.Name] = packageVersion(filepath.Join(modules, im.Package))
	}
	return versions, skipped
}

// bundle bundles the adapter at src, with the packages of cacheDir, into an
// IIFE at dst. The adapter goes in on stdin, so that esbuild resolves its
// imports from cacheDir/node_modules (stdin resolves from the working
// directory), and no library file is copied into the repository.
func bundle(ctx context.Context, esbuild, cacheDir, src, dst string) error {
	source, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, esbuild,
		"--bundle", "--format=iife", "--platform=browser", "--target=es2022", "--minify",
		"--sourcefile="+filepath.Base(src), "--log-level=warning", "--outfile="+dst)
	cmd.Dir = cacheDir
	cmd.Stdin = bytes.NewReader(source)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("esbuild %s: %v: %s", filepath.Base(src), err, lastLines(out.String(), 5))
	}
	return nil
}

// packageVersion returns the version in the package.json of dir, or "?".
func packageVersion(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "?"
	}
	var p struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &p); err != nil || p.Version == "" {
		return "?"
	}
	return p.Version
}

// lastLines returns the last n lines of s, trimmed, on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
