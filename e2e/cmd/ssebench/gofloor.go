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
// compressLikeModule). Both come
// from the Go that runs ssebench, as the polyfill's come from the Go that
// make runs.
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
	loader := append(append(wasmExec, '\n'), adapter...)
	if err := os.WriteFile(filepath.Join(bundles, goFloor+".js"), loader, 0o644); err != nil {
		return err
	}
	return compressLikeModule(ctx, filepath.Join(bundles, goFloor+".js"))
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
