package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

// TestGoFloorStreams builds the Go floor as ssebench does and runs its page
// in Chromium through the streams of its throughput workloads, shortened:
// the page checks the count and the length of every event's data, so a
// floor that loses, splits or joins events fails here rather than in a
// long run. Events of 1000 B come in chunks that cut them anywhere, and
// events of 64 KiB in chunks larger than the program takes at once, so
// both the carried start of an event and the pieces of a chunk are run.
// Speed is not asserted: that is make bench's job.
func TestGoFloorStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if err := buildGoFloor(ctx, root, cache); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(benchHandler(root, filepath.Join(cache, "bundles"), nil))
	defer srv.Close()

	b, err := browser.Start(ctx, browser.Chromium, browser.Options{Name: "ssebench-gofloor", Tabs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tab, err := b.NewTab(ctx, func(m browser.ConsoleMessage) {
		if what, ok := m.Problem(); ok {
			t.Errorf("the page: %s", what)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if err := tab.Navigate(ctx, srv.URL+"/bench/gofloor.html?impl="+goFloor); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ n, size int }{{5000, 1000}, {40, 64 << 10}} {
		raw, err := tab.Evaluate(ctx, fmt.Sprintf(`(async () => {
			await ssebench.loaded;
			return ssebench.throughput({url: "/sse/bench?n=%d&size=%d", n: %d, size: %d, stallMs: 10000});
		})()`, tc.n, tc.size, tc.n, tc.size))
		if err != nil {
			t.Fatalf("%d × %d B: %v", tc.n, tc.size, err)
		}
		var got struct {
			Events int     `json:"events"`
			Bad    int     `json:"bad"`
			Error  *string `json:"error"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%d × %d B: %s: %v", tc.n, tc.size, raw, err)
		}
		if got.Error != nil || got.Events != tc.n || got.Bad != 0 {
			t.Errorf("%d × %d B: %s; want %d events of %d B and no error", tc.n, tc.size, raw, tc.n, tc.size)
		}
	}
}
