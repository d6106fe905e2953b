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
// web/bench/adapters/go-floor.js, into CACHE/bundles/go-floor.js. Both come
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
	return os.WriteFile(filepath.Join(bundles, goFloor+".js"), loader, 0o644)
}
