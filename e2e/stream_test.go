package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestFromReadableStreamInvalidChunk checks a stream given to
// WasmEventSource.fromReadableStream whose second chunk is a string, not
// bytes: the event of the first chunk is dispatched, then the source closes
// with an error event that says why, without reconnecting (such a source
// never does).
func TestFromReadableStreamInvalidChunk(t *testing.T) {
	t.Parallel()
	ctx := openPage(t, "wasm.html")
	w := watch(t, ctx, `WasmEventSource.fromReadableStream(new ReadableStream({
		start(c) {
			c.enqueue(new TextEncoder().encode("data: one\n\n"));
			c.enqueue("data: two\n\n");
			c.close();
		},
	}))`, untilClosed)
	if got := w.data(); !slices.Equal(got, []string{"one"}) {
		t.Errorf("events %q, want only one", got)
	}
	errs := w.of("error")
	if len(errs) != 1 || w.EndedBy != "closed" {
		t.Fatalf("want one error event, then CLOSED; %s", w)
	}
	wantError(t, "the error of the string chunk", errs[0], "network", false, 0, 0)
	if !strings.Contains(errs[0].Message, "invalid chunk") {
		t.Errorf("the error says %q; want it to name the invalid chunk", errs[0].Message)
	}
}
