package main

import (
	"bufio"
	"context"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRun starts the server on a free port, uses it, including a stream
// that never ends, and checks that cancelling the context shuts it down.
func TestRun(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "web", "index.html"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, printed := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-root", root}, printed, io.Discard)
		printed.Close()
	}()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v (run: %v)", err, <-done)
	}
	const prefix = "eventsource-wasm reference server: "
	if !strings.HasPrefix(line, prefix+"http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	base := strings.TrimSuffix(strings.TrimPrefix(line, prefix), "\n")

	if body := get(t, base); body != "hello" {
		t.Errorf("GET /: %q, want hello", body)
	}
	if body := get(t, base+"sse/scenarios"); !strings.Contains(body, `"name":"simple"`) {
		t.Errorf("GET /sse/scenarios: %q lacks simple", body)
	}

	// A held stream must not keep the server from shutting down.
	resp, err := http.Get(base + "sse/scenario/simple")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := resp.Body.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{{"-no-such-flag"}, {"extra"}, {"-addr", "not an address"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestServerIsIndependentOfClient keeps the reference server a reference:
// no file under server/ may import the client's packages under wasm/.
func TestServerIsIndependentOfClient(t *testing.T) {
	const client = "github.com/eventsource-wasm/eventsource-wasm/wasm"
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			if imp == client || strings.HasPrefix(imp, client+"/") {
				t.Errorf("%s imports the client package %s", path, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
