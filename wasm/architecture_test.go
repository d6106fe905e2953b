package main

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/eventsource-wasm/eventsource-wasm"

// goFloor is the benchmark's empty Go program, which stands for the Go
// runtime and safejs in the ready workload: no part of the module, it uses
// safejs as the module does.
const goFloor = "e2e/cmd/ssebench/gofloor/main.go"

// TestArchitecture keeps the layout honest. Only package bridge touches
// JavaScript, and only through safejs; its files and the command's build
// only for js/wasm, so the pure packages (sse, batch, conn) stay testable
// natively. The client and the reference server never import each other.
func TestArchitecture(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "node_modules" || d.Name() == "dist" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		jsOnly := false
		for _, group := range f.Comments {
			for _, c := range group.List {
				if expr, err := constraint.Parse(c.Text); err == nil {
					jsOnly = !expr.Eval(func(tag string) bool { return tag != "js" && tag != "wasm" })
				}
			}
		}
		inBridge := strings.HasPrefix(rel, "wasm/bridge/")
		if (inBridge || rel == "wasm/main.go") && !strings.HasSuffix(rel, "_test.go") && !jsOnly {
			t.Errorf("%s: must build only for js && wasm", rel)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case p == "syscall/js" && strings.HasPrefix(rel, "wasm/"):
				t.Errorf("%s imports syscall/js: use github.com/hack-pad/safejs, in package bridge", rel)
			case p == "github.com/hack-pad/safejs" && !inBridge && rel != goFloor:
				t.Errorf("%s imports safejs: only wasm/bridge may touch JavaScript", rel)
			case strings.HasPrefix(rel, "wasm/") && strings.HasPrefix(p, module+"/server"):
				t.Errorf("%s imports the reference server (%s): the client must not", rel, p)
			case strings.HasPrefix(rel, "server/") && strings.HasPrefix(p, module+"/wasm"):
				t.Errorf("%s imports the client (%s): the reference server must not", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
