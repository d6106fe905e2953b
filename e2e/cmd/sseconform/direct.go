package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// An eventScanner finds the events of a stream as its bytes come, by the
// rules of HTML §9.2.5 and §9.2.6, for the times at which events arrive
// and their ids. parseStream reads the whole body for the report.
type eventScanner struct {
	buf      []byte
	started  bool // past a leading BOM
	pendCR   bool // the last chunk ended in CR: a following LF belongs to it
	data     strings.Builder
	hasData  bool
	typ      string
	lastID   string
	idFields int // id fields seen, whether or not they change the id
}

// A scannedEvent is one dispatched event.
type scannedEvent struct {
	Type, Data, ID string
}

// feed takes the next bytes of the stream and returns the events they
// complete.
func (s *eventScanner) feed(chunk []byte) []scannedEvent {
	s.buf = append(s.buf, chunk...)
	if !s.started {
		if len(s.buf) < 3 && bytes.HasPrefix([]byte("\xEF\xBB\xBF"), s.buf) {
			return nil
		}
		s.buf = bytes.TrimPrefix(s.buf, []byte("\xEF\xBB\xBF"))
		s.started = true
	}
	var out []scannedEvent
	for {
		if s.pendCR && len(s.buf) > 0 {
			if s.buf[0] == '\n' {
				s.buf = s.buf[1:]
			}
			s.pendCR = false
		}
		i := bytes.IndexAny(s.buf, "\r\n")
		if i < 0 {
			return out
		}
		line := string(s.buf[:i])
		if s.buf[i] == '\r' {
			s.pendCR = true
		}
		s.buf = s.buf[i+1:]
		if e, ok := s.line(line); ok {
			out = append(out, e)
		}
	}
}

// line interprets one line, and returns the event a blank line dispatches.
func (s *eventScanner) line(line string) (scannedEvent, bool) {
	if line == "" {
		defer func() { s.data.Reset(); s.hasData, s.typ = false, "" }()
		if !s.hasData {
			return scannedEvent{}, false
		}
		t := s.typ
		if t == "" {
			t = "message"
		}
		return scannedEvent{Type: t, Data: strings.TrimSuffix(s.data.String(), "\n"), ID: s.lastID}, true
	}
	if strings.HasPrefix(line, ":") {
		return scannedEvent{}, false
	}
	name, value, _ := strings.Cut(line, ":")
	value = strings.TrimPrefix(value, " ")
	switch name {
	case "event":
		s.typ = value
	case "data":
		s.data.WriteString(value)
		s.data.WriteByte('\n')
		s.hasData = true
	case "id":
		s.idFields++
		if !strings.ContainsRune(value, 0) {
			s.lastID = value
		}
	}
	return scannedEvent{}, false
}

// A timedEvent is an event with the time it arrived, in milliseconds from
// the start of its request.
type timedEvent struct {
	ID string  `json:"id"`
	Ms float64 `json:"ms"`
	// Data is clipped; it matches events of two requests that carry no
	// ids.
	Data string `json:"data,omitempty"`
}

// eventTimes gives the arrival times of the events in body, which came in
// chunks at the given times.
func eventTimes(body []byte, chunks []chunk) []timedEvent {
	var s eventScanner
	var out []timedEvent
	for _, c := range chunks {
		n := min(c.Bytes, len(body))
		for _, e := range s.feed(body[:n]) {
			out = append(out, timedEvent{ID: e.ID, Ms: c.Ms, Data: clip(e.Data)})
		}
		body = body[n:]
	}
	return out
}

// A directRead is what one request of the stream made by sseconform itself,
// not by the browser, got.
type directRead struct {
	// Label says which request it was.
	Label       string       `json:"label"`
	LastEventID string       `json:"lastEventId,omitempty"`
	Error       string       `json:"error,omitempty"`
	Status      int          `json:"status,omitempty"`
	Encoding    string       `json:"contentEncoding,omitempty"`
	HeadersMs   float64      `json:"headersMs"`
	Bytes       int          `json:"bytes"`
	Ended       bool         `json:"ended,omitempty"`
	EndMs       float64      `json:"endMs"`
	Events      []timedEvent `json:"events,omitempty"`
	// IDFields counts the id fields in the stream, valid or not.
	IDFields int `json:"idFields"`

	header http.Header
	body   []byte
	mu     sync.Mutex // guards Events while the read runs
}

// maxDirectEvents bounds the events a direct read keeps.
const maxDirectEvents = 5000

// readDirect reads target with Go's HTTP client, as EventSource asks for
// it (Accept: text/event-stream, Cache-Control: no-cache) but without
// compression (Accept-Encoding: identity), with Last-Event-ID when
// lastID is not "". It reads until ctx ends, the body ends, or stop says
// so after an event; stop is called with r locked.
func readDirect(ctx context.Context, label, target, lastID string, stop func(r *directRead) bool) *directRead {
	r := &directRead{Label: label, LastEventID: lastID}
	start := time.Now()
	since := func() float64 { return float64(time.Since(start).Microseconds()) / 1000 }
	defer func() { r.EndMs = since() }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	// Set by hand, so that Go's transport does not ask for gzip and
	// unpack it: this request sees the stream as the server sends it
	// uncompressed.
	req.Header.Set("Accept-Encoding", "identity")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.Error = err.Error()
		if ctx.Err() != nil {
			r.Error = "no response headers: " + r.Error
		}
		return r
	}
	defer resp.Body.Close()
	r.HeadersMs = since()
	r.Status, r.header = resp.StatusCode, resp.Header
	r.Encoding = resp.Header.Get("Content-Encoding")
	if r.Status != http.StatusOK {
		return r
	}
	var s eventScanner
	// A small buffer: Go's reader of a chunked body fills the buffer it
	// is given, across chunks, before it returns, so a large one would
	// hold events back here, from a server that writes out partial
	// chunks, as no browser does.
	buf := make([]byte, 512)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			at := since()
			r.Bytes += n
			if len(r.body) < probeMaxBytes {
				r.body = append(r.body, buf[:min(n, probeMaxBytes-len(r.body))]...)
			}
			events := s.feed(buf[:n])
			r.mu.Lock()
			r.IDFields = s.idFields
			for _, e := range events {
				if len(r.Events) < maxDirectEvents {
					r.Events = append(r.Events, timedEvent{ID: e.ID, Ms: at, Data: clip(e.Data)})
				}
			}
			done := len(events) > 0 && stop != nil && stop(r)
			r.mu.Unlock()
			if done {
				return r
			}
		}
		if errors.Is(err, io.EOF) {
			r.Ended = true
			return r
		}
		if err != nil {
			if ctx.Err() == nil {
				r.Error = err.Error()
			}
			return r
		}
	}
}

// ids returns the ids of the events read so far.
func (r *directRead) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, len(r.Events))
	for i, e := range r.Events {
		ids[i] = e.ID
	}
	return ids
}
