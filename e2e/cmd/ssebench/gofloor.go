package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildGoFloor builds the Go floor as make builds the polyfill's module:
// its program, e2e/cmd/ssebench/gofloor, into CACHE/bundles/go-floor.wasm,
// and its loader, Go's wasm_exec.js followed by
// web/bench/adapters/go-floor.js, into CACHE/bundles/go-floor.js, each
// with the compressed copies that make writes of the module and the
// polyfill's script (so that both reach the page alike: see
// compressLikeModule). Both come from the Go that runs ssebench, as the
// polyfill's come from the Go that make runs. The loader asks for the
// module by its version, as the polyfill's classic loader does (the
// Makefile writes the module's version into its default URL): buildGoFloor
// writes the version in place of versionMarker, and benchHandler serves the
// module so asked for as immutable.
func buildGoFloor(ctx context.Context, root, cacheDir string) error {
	bundles := filepath.Join(cacheDir, "bundles")
	if err := os.MkdirAll(bundles, 0o755); err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-gcflags=runtime=-l",
		"-o", filepath.Join(bundles, goFloor+".wasm"), "./e2e/cmd/ssebench/gofloor")
	build.Dir = root
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./e2e/cmd/ssebench/gofloor: %v: %s", err, bytes.TrimSpace(out))
	}
	if err := compressLikeModule(ctx, filepath.Join(bundles, goFloor+".wasm")); err != nil {
		return err
	}
	goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	wasmExec, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	adapter, err := os.ReadFile(filepath.Join(root, "web", "bench", "adapters", goFloor+".js"))
	if err != nil {
		return err
	}
	version, err := fileVersion(filepath.Join(bundles, goFloor+".wasm"))
	if err != nil {
		return fmt.Errorf("the Go floor's version: %w", err)
	}
	if adapter, err = withVersion(adapter, version); err != nil {
		return fmt.Errorf("web/bench/adapters/%s.js: %w", goFloor, err)
	}
	loader := append(append(wasmExec, '\n'), adapter...)
	if err := os.WriteFile(filepath.Join(bundles, goFloor+".js"), loader, 0o644); err != nil {
		return err
	}
	return compressLikeModule(ctx, filepath.Join(bundles, goFloor+".js"))
}

// versionMarker stands for the Go floor's module's version in the URL that
// web/bench/adapters/go-floor.js asks for; buildGoFloor replaces it.
const versionMarker = "@@WASM_VERSION@@"

// withVersion returns the adapter with version in place of versionMarker,
// and fails when the marker is not there: a loader that asked for the
// module's plain URL would have it revalidated on return, unlike the
// polyfill's, and the floor would not be the polyfill's.
func withVersion(adapter []byte, version string) ([]byte, error) {
	if !bytes.Contains(adapter, []byte(versionMarker)) {
		return nil, fmt.Errorf("no %s where the module's version goes", versionMarker)
	}
	return bytes.ReplaceAll(adapter, []byte(versionMarker), []byte(version)), nil
}

// compressLikeModule writes the compressed copies of file that make build
// writes of the polyfill's module and scripts, with the same commands: file.gz with
// gzip -9, and file.br with brotli -q 11 where the brotli command is
// there. The bench server sends a browser the copy it accepts, as the
// reference server sends the polyfill's, so the Go floor's time to ready
// includes the same decompression as the polyfill's.
func compressLikeModule(ctx context.Context, file string) error {
	commands := [][]string{{"gzip", "-9", "-n", "-k", "-f", file}}
	if _, err := exec.LookPath("brotli"); err == nil {
		commands = append(commands, []string{"brotli", "-q", "11", "-n", "-k", "-f", "-o", file + ".br", file})
	}
	for _, c := range commands {
		if out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(c, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}
