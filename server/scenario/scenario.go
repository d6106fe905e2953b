// Package scenario is the catalogue of reproducible server behaviours that the
// reference server plays to an EventSource client.
//
// A scenario is data, not code: the exact bytes of each response, where the
// chunk boundaries fall, how long the server waits between them, and what a
// conforming client dispatches when it reads them. The expectations follow the
// WHATWG HTML standard, section 9.2 "Server-sent events"
// (https://html.spec.whatwg.org/multipage/server-sent-events.html); each
// scenario's description names the rule it exercises.
//
// This package is written independently of the client's stream parser under
// wasm/ and must never import it: a catalogue checked by the code it is meant
// to test would prove nothing.
package scenario

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Scenario is one reproducible server behaviour: what the server sends on
// each connection of a session.
type Scenario struct {
	// Name is stable and URL-safe, e.g. "crlf".
	Name string
	// Description is one line a person can read.
	Description string
	// Responses are played in order: the i-th request of a session gets
	// Responses[i]; any later request gets 204 No Content, which makes a
	// conforming client stop reconnecting ("HTTP 204 No Content ... must
	// fail the connection", HTML §9.2.3).
	Responses []Response
	// Client says how a trace recorder drives the client for this scenario.
	Client Client
	// Expect lists the events a conforming client dispatches, in order,
	// across all connections of a session, assuming it sends the
	// Last-Event-ID header the standard asks for on each reconnection. For a
	// scenario whose last response never ends (Hold or Repeat) it lists
	// exactly the Client.CloseAfter events dispatched before the recorder
	// calls close().
	Expect []Event
}

// A Response is what the server answers to one request of a session.
type Response struct {
	// Status is the HTTP status code; 0 means 200.
	Status int
	// Header holds response header fields. Values may use the placeholders
	// that Vars.Expand understands. For status 200, Content-Type defaults to
	// "text/event-stream" unless set here. A field set to the empty string is
	// left out of the response altogether; for Content-Type this also stops
	// Go's net/http from sniffing one, so a scenario can send no
	// Content-Type at all.
	Header map[string]string
	// Chunks are written in order, each flushed to the network on its own.
	Chunks []Chunk
	// Repeat, when not empty, is written over and over after Chunks until
	// the client goes away; the placeholder "{{n}}" in its data counts the
	// repetitions from 1. A response that repeats never ends, so Hold is
	// implied.
	Repeat []Chunk
	// Hold keeps the connection open after the last chunk until the client
	// goes away; otherwise the body ends after the last chunk.
	Hold bool
	// Gzip compresses the body with gzip and sends Content-Encoding: gzip
	// whatever the request's Accept-Encoding says. Each chunk is still
	// flushed on its own, so compression does not delay events.
	Gzip bool
	// Drop cuts the connection after the last chunk instead of ending the
	// body: the chunked encoding is never terminated, so the client sees a
	// network error in the middle of the body, as when a server crashes or
	// a proxy times out. Like a body that ends, it makes a conforming
	// client discard any incomplete event and reconnect (HTML §9.2.3).
	Drop bool
	// Refuse answers with a response head that Fetch must treat as a
	// network error (two different Content-Length values) and closes the
	// connection, as a server that is down or restarting would: the client
	// reconnects (HTML §9.2.3, "if res is a network error"). Status,
	// Header and the chunks are not used.
	Refuse bool
}

// Ends reports whether the body of r ends by itself, so that a client which
// keeps the connection open reconnects. A dropped or refused connection
// ends too.
func (r Response) Ends() bool { return !r.Hold && len(r.Repeat) == 0 }

// StatusCode is r.Status with 0 read as 200 OK.
func (r Response) StatusCode() int {
	if r.Status == 0 {
		return 200
	}
	return r.Status
}

// A Chunk is one write of the response body.
type Chunk struct {
	// Delay is how long the server waits before writing Data.
	Delay time.Duration
	// Data holds the exact bytes written, then flushed. The placeholders of
	// Vars.Expand are replaced first: "{{lastEventId}}" by the request's
	// Last-Event-ID header value (empty when absent).
	Data string
}

// Client says how a trace recorder drives the client for one scenario.
type Client struct {
	// Events are event types to listen for with addEventListener besides
	// "message".
	Events []string `json:"events,omitempty"`
	// CloseAfter makes the recorder call close() after this many dispatched
	// events; 0 means it waits until readyState is CLOSED.
	CloseAfter int `json:"closeAfter,omitempty"`
	// TimeoutMs, when set, is how long the recorder waits before it gives
	// up and calls close(), for a scenario whose connection stalls: such a
	// trace ends with a timeout, by design. CloseAfter must then be 0.
	TimeoutMs int `json:"timeoutMs,omitempty"`
}

// An Event is one MessageEvent a conforming client dispatches.
type Event struct {
	// Type is the event's type: "message" unless an event field set
	// another (HTML §9.2.6, "dispatch the event", step 6).
	Type string `json:"type"`
	// Data is the data buffer without its trailing LF.
	Data string `json:"data"`
	// LastEventID is the event source's last event ID string when the event
	// was dispatched.
	LastEventID string `json:"lastEventId"`
}

// Vars are the values that replace placeholders in a response.
type Vars struct {
	// LastEventID replaces "{{lastEventId}}": the request's Last-Event-ID
	// header value, empty when absent.
	LastEventID string
	// Session replaces "{{session}}": the session the request belongs to.
	Session string
	// N replaces "{{n}}": the 1-based repetition number inside
	// Response.Repeat, 0 elsewhere.
	N int
	// OtherOrigin replaces "{{otherOrigin}}": the origin of a second
	// listener of the same server, e.g. "http://127.0.0.1:8081", which is
	// another origin than the page's. A cross-origin scenario redirects
	// there: "Location: {{otherOrigin}}/sse/scenario/NAME?session={{session}}".
	OtherOrigin string
}

// Expand returns s with every placeholder replaced by its value in v.
func (v Vars) Expand(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return strings.NewReplacer(
		"{{lastEventId}}", v.LastEventID,
		"{{session}}", v.Session,
		"{{n}}", strconv.Itoa(v.N),
		"{{otherOrigin}}", v.OtherOrigin,
	).Replace(s)
}

// Catalogue returns every scenario in a stable order. The scenarios share
// their slices and maps with the package, so callers must treat them as
// read-only.
func Catalogue() []Scenario {
	return append([]Scenario(nil), built().list...)
}

// Lookup returns the scenario with the given name.
func Lookup(name string) (Scenario, bool) {
	i, ok := built().index[name]
	if !ok {
		return Scenario{}, false
	}
	return built().list[i], true
}

// built holds the catalogue, made once: some scenarios carry a mebibyte of
// data, too much to rebuild on every request.
var built = sync.OnceValue(func() (c struct {
	list  []Scenario
	index map[string]int
}) {
	c.list = catalogue()
	c.index = make(map[string]int, len(c.list))
	for i, s := range c.list {
		c.index[s.Name] = i
	}
	return c
})
