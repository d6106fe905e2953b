package conn

import (
	"strconv"
	"time"
)

// A Reason says why a connection attempt failed or ended, in words a
// program can switch on. The strings reach JavaScript unchanged as the error
// event's reason.
type Reason string

const (
	// ReasonNetwork: fetch failed, or reading the body failed.
	ReasonNetwork Reason = "network"
	// ReasonEndOfStream: the server ended the response body.
	ReasonEndOfStream Reason = "end-of-stream"
	// ReasonStatus: the response status was not 200 OK.
	ReasonStatus Reason = "http-status"
	// ReasonContentType: the response was not text/event-stream.
	ReasonContentType Reason = "content-type"
	// ReasonHeartbeat: nothing arrived within the heartbeat timeout.
	ReasonHeartbeat Reason = "heartbeat-timeout"
	// ReasonTooLarge: a line or an event exceeded the configured limit.
	ReasonTooLarge Reason = "too-large"
	// ReasonRequestSetup: preparing the request failed, for example a
	// headers or body callback threw or its promise was rejected.
	ReasonRequestSetup Reason = "request-setup"
	// ReasonInternal: the module itself failed (a recovered panic, or the
	// Go runtime exited).
	ReasonInternal Reason = "internal"
)

// An Error describes why a source fired an error event, and what it does next.
type Error struct {
	Reason Reason
	// Status and StatusText are set for ReasonStatus.
	Status     int
	StatusText string
	// ContentType is the response's Content-Type, for ReasonContentType.
	ContentType string
	// Err is the underlying error, if any (a network error's message, a
	// decoder limit, a callback's exception).
	Err error
	// Reconnect is true when the source will reconnect after Delay; false
	// when it has closed for good.
	Reconnect bool
	Delay     time.Duration
	// Retries counts the reconnection attempts made since the last
	// successful connection, including the one this error schedules.
	Retries int
	// GaveUp is true when the source closed because Policy.MaxRetries
	// reconnection attempts had failed.
	GaveUp bool
}

func (e *Error) Error() string {
	msg := "eventsource: "
	switch e.Reason {
	case ReasonStatus:
		msg += "HTTP status " + strconv.Itoa(e.Status)
		if e.StatusText != "" {
			msg += " " + e.StatusText
		}
		msg += " (only 200 OK opens an event stream)"
	case ReasonContentType:
		msg += "Content-Type " + strconv.Quote(e.ContentType) + " is not text/event-stream"
	case ReasonNetwork:
		msg += "network error"
	case ReasonEndOfStream:
		msg += "the server ended the stream"
	case ReasonHeartbeat:
		msg += "no data arrived within the heartbeat timeout"
	case ReasonTooLarge:
		msg += "input too large"
	case ReasonRequestSetup:
		msg += "preparing the request failed"
	default:
		msg += string(e.Reason)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	switch {
	case e.GaveUp:
		msg += "; gave up after " + strconv.Itoa(e.Retries) + " failed reconnection attempts"
	case e.Reconnect:
		// In milliseconds, as the retry field counts; Duration.String
		// would bring time's formatting code into the module.
		msg += "; reconnecting in " + strconv.FormatInt(e.Delay.Milliseconds(), 10) + " ms"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }
