package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a reporter that keeps what it gets, for the tests of the
// harness itself.
type recorder struct {
	mu     sync.Mutex
	errors []string
	logs   []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// has reports whether a line of got contains want.
func (r *recorder) has(got *[]string, want string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range *got {
		if strings.Contains(line, want) {
			return true
		}
	}
	return false
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("errors: %q\nlogs: %q", r.errors, r.logs)
}

// TestHarnessReportsThePage checks the harness itself: a console message of
// the page reaches the test log, and an uncaught exception, an unhandled
// rejection or a panic of the Go runtime fails the test.
func TestHarnessReportsThePage(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	ctx := newTabReporting(t, rec)
	openHarness(t, ctx, "native")
	const script = `(() => {
		console.log("e2e-harness-log");
		console.log("panic: e2e-harness-panic");
		setTimeout(() => { throw new Error("e2e-harness-exception"); }, 0);
		Promise.reject(new Error("e2e-harness-rejection"));
	})()`
	evaluate[any](t, ctx, script)
	for _, c := range []struct {
		kind string
		got  *[]string
		want string
	}{
		{"log", &rec.logs, "e2e-harness-log"},
		{"error", &rec.errors, "e2e-harness-panic"},
		{"error", &rec.errors, "e2e-harness-exception"},
		{"error", &rec.errors, "e2e-harness-rejection"},
	} {
		waitFor(t, 5*time.Second, func() bool { return rec.has(c.got, c.want) },
			func() string { return fmt.Sprintf("no %s with %q:\n%s", c.kind, c.want, rec) })
	}
}
