package conn

import "time"

// DefaultDelay is the reconnection time before a server sets one with a
// retry field. The standard leaves it to the user agent ("probably in the
// region of a few seconds"); Chromium uses 3 seconds.
const DefaultDelay = 3 * time.Second

// A Policy decides how long a source waits before each reconnection attempt
// and when it stops trying. The zero Policy behaves like native EventSource:
// a constant delay of DefaultDelay, or the server's retry value, for ever.
type Policy struct {
	// Delay is the initial reconnection time; a retry field from the
	// server replaces it. Zero means DefaultDelay.
	Delay time.Duration
	// Factor multiplies the delay after each consecutive failed attempt;
	// values at or below 1 keep it constant.
	Factor float64
	// MaxDelay caps every delay, including one a server sets with retry;
	// zero means no cap.
	MaxDelay time.Duration
	// Jitter, between 0 and 1, shortens each delay by a random fraction of
	// up to Jitter, so that many clients do not reconnect in step.
	Jitter float64
	// MaxRetries is the number of consecutive reconnection attempts after
	// which the source gives up and closes; zero means never give up.
	MaxRetries int
}

// delay returns the wait before reconnection attempt number retry (1 for
// the first since the last successful connection), given the current
// reconnection time and a random number in [0, 1).
func (p Policy) delay(reconnectionTime time.Duration, retry int, random float64) time.Duration {
	const longest = float64(1<<63 - 1)
	d := float64(reconnectionTime)
	if p.Factor > 1 {
		for i := 1; i < retry && d < longest; i++ {
			d *= p.Factor
		}
	}
	if p.MaxDelay > 0 && d > float64(p.MaxDelay) {
		d = float64(p.MaxDelay)
	}
	if jitter := min(max(p.Jitter, 0), 1); jitter > 0 {
		d -= d * jitter * random
	}
	if d >= longest {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(d)
}
