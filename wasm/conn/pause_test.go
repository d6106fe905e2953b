package conn

import (
	"reflect"
	"testing"
	"time"
)

// pendingTimers counts the timers of the clock that are neither stopped
// nor fired.
func (c *fakeClock) pendingTimers() int {
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// TestPauseWhileOpen checks Pause on an open connection: the attempt is
// aborted with no error and no timer left running, nothing happens however
// long the pause lasts, and Resume connects once, at once, with the last
// event ID. Reports of the aborted attempt are ignored.
func TestPauseWhileOpen(t *testing.T) {
	h := newHarness(t, Config{HeartbeatTimeout: 5 * time.Second})
	h.src.Start()
	h.ok("text/event-stream")
	h.chunk("id: 3\ndata: a\n\n")
	h.expect("connect 1", "open OPEN", `event message "a" id="3"`)

	h.src.Pause()
	h.expect("abort 1")
	if h.src.ReadyState() != Connecting || !h.src.Paused() {
		t.Fatalf("after Pause: %v, paused %v; want CONNECTING, paused", h.src.ReadyState(), h.src.Paused())
	}
	if n := h.clock.pendingTimers(); n != 0 {
		t.Errorf("after Pause: %d timers pending (the heartbeat's), want none", n)
	}
	h.chunk("data: late\n\n")
	h.src.End(1)
	h.clock.Advance(time.Hour)
	h.src.Pause() // again: nothing
	h.expect()

	h.src.Resume()
	h.expect("connect 3")
	h.src.Resume() // again: nothing
	h.expect()
	if want := []string{`+0s last-event-id=""`, `+1h0m0s last-event-id="3"`}; !reflect.DeepEqual(h.reqs, want) {
		t.Errorf("requests %q, want %q", h.reqs, want)
	}
	h.ok("text/event-stream")
	h.chunk("data: b\n\n")
	h.expect("open OPEN", `event message "b" id="3"`)
}

// TestPauseStopsRetryTimer checks Pause while a reconnection is pending:
// its timer is stopped, so no attempt follows while paused, and Resume
// connects at once instead of waiting out the delay. The retry count is
// kept: maxRetries still counts attempts that failed before the pause.
func TestPauseStopsRetryTimer(t *testing.T) {
	h := newHarness(t, Config{Policy: Policy{Delay: time.Second, MaxRetries: 2}})
	h.src.Start()
	h.src.Fail(1, ReasonNetwork, nil)
	h.expect("connect 1", "abort 1", "error network CONNECTING reconnect=true delay=1s")
	if n := h.clock.pendingTimers(); n != 1 {
		t.Fatalf("before Pause: %d timers pending, want the reconnection's", n)
	}
	h.src.Pause()
	h.expect("abort 2")
	if n := h.clock.pendingTimers(); n != 0 {
		t.Errorf("after Pause: %d timers pending, want none", n)
	}
	h.clock.Advance(time.Minute)
	h.expect()
	h.src.Resume()
	h.expect("connect 4")
	h.src.Fail(4, ReasonNetwork, nil)
	h.expect("abort 4", "error network CONNECTING reconnect=true delay=1s")
	h.clock.Advance(time.Second)
	h.src.Fail(h.last, ReasonNetwork, nil)
	h.expect("connect 6", "abort 6", "error network CLOSED reconnect=false delay=0s")
}

// TestPauseBeforeStart checks a source paused before it starts (made while
// its page is hidden): Start sends nothing, and Resume makes the first
// request, with the initial last event ID.
func TestPauseBeforeStart(t *testing.T) {
	h := newHarness(t, Config{LastEventID: "9"})
	h.src.Pause()
	h.src.Start()
	h.expect("abort 0")
	h.clock.Advance(time.Hour)
	h.expect()
	h.src.Resume()
	h.expect("connect 2")
	if want := []string{`+1h0m0s last-event-id="9"`}; !reflect.DeepEqual(h.reqs, want) {
		t.Errorf("requests %q, want %q", h.reqs, want)
	}
}

// TestPauseAfterClose checks that a closed source stays closed: Pause and
// Resume do nothing.
func TestPauseAfterClose(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.Start()
	h.src.Pause()
	h.src.Close()
	h.expect("connect 1", "abort 1", "abort 2")
	h.src.Resume()
	h.src.Pause()
	h.clock.Advance(time.Hour)
	h.expect()
	if h.src.ReadyState() != Closed || h.src.Paused() {
		t.Errorf("after Close: %v, paused %v; want CLOSED, not paused", h.src.ReadyState(), h.src.Paused())
	}
}

// TestHoldKeepsHeartbeat checks that the heartbeat timeout does not fire
// while the page holds back the reads, and counts afresh from Release.
func TestHoldKeepsHeartbeat(t *testing.T) {
	h := newHarness(t, Config{HeartbeatTimeout: time.Second})
	h.src.Start()
	h.ok("text/event-stream")
	h.expect("connect 1", "open OPEN")
	h.clock.Advance(500 * time.Millisecond)
	h.src.Hold()
	h.clock.Advance(10 * time.Second)
	h.expect()
	h.src.Release()
	h.clock.Advance(999 * time.Millisecond)
	h.expect()
	h.clock.Advance(time.Millisecond)
	h.expect("abort 1", "error heartbeat-timeout CONNECTING reconnect=true delay=3s")
}
