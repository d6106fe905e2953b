package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// A Resume is what the server sent to a reconnection that carried the last
// event ID of the first connection (HTML §9.2.3: a client reconnecting
// sends `Last-Event-ID`), so that a server can resume the stream after it.
type Resume struct {
	LastEventID string `json:"lastEventId"`
	Status      int    `json:"status"`
	Error       string `json:"error,omitempty"`
	// FirstID is the last event ID of the first event of the reply, and
	// Events counts its events.
	FirstID string `json:"firstId,omitempty"`
	Events  int    `json:"events"`
}

// checkResume reconnects as a client would after the first connection's
// last event, when that had an id, and reads the reply's first event. It
// returns nil when the stream has no ids.
func checkResume(ctx context.Context, cfg *config, target string, st streamReport) *Resume {
	last := ""
	for _, e := range st.Events {
		last = e.ID
	}
	if last == "" || len(st.Events) < 2 {
		return nil
	}
	r := &Resume{LastEventID: last}
	ctx, cancel := context.WithTimeout(ctx, min(cfg.duration, 3*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Last-Event-ID", last)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	if r.Status != http.StatusOK {
		return r
	}
	var body []byte
	buf := make([]byte, 8<<10)
	for len(body) < probeMaxBytes {
		n, err := resp.Body.Read(buf)
		body = append(body, buf[:n]...)
		got := parseStream(body, errors.Is(err, io.EOF))
		if got.Dispatched > 0 || err != nil {
			r.Events = got.Dispatched
			if len(got.Events) > 0 {
				r.FirstID = got.Events[0].ID
			}
			break
		}
	}
	return r
}
