package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseStream(t *testing.T) {
	for _, c := range []struct {
		name  string
		body  string
		ended bool
		check func(t *testing.T, r streamReport)
	}{
		{"events and ids", "\xEF\xBB\xBFid: 1\ndata: a\n\nevent: add\ndata: b\ndata: c\n\n", false, func(t *testing.T, r streamReport) {
			if !r.BOM || r.Dispatched != 2 || fmt.Sprint(r.Events) != "[{message a 1} {add b\nc 1}]" || fmt.Sprint(r.Types) != "[add]" {
				t.Errorf("got %+v", r)
			}
		}},
		{"line ends", "data: a\r\n\r\ndata: b\r\rdata: c\n\n", false, func(t *testing.T, r streamReport) {
			if r.Dispatched != 3 || r.LineEnds["crlf"] != 2 || r.LineEnds["cr"] != 2 || r.LineEnds["lf"] != 2 {
				t.Errorf("got %d events, line ends %v", r.Dispatched, r.LineEnds)
			}
		}},
		{"a CR at the end of what was read", "data: a\r", false, func(t *testing.T, r streamReport) {
			if r.Lines != 1 || r.Dispatched != 0 || r.Incomplete {
				t.Errorf("got %+v", r)
			}
		}},
		{"ignored fields", "Data: x\ndata : y\nretry: 1s\nretry: 500\nid: a\x00b\ndata: z\n\n", false, func(t *testing.T, r streamReport) {
			if len(r.Unknown) != 2 || r.Unknown[0].Line != 1 || len(r.BadRetry) != 1 || r.BadRetry[0].Line != 3 || len(r.NulID) != 1 {
				t.Errorf("unknown %v, bad retry %v, NUL ids %v", r.Unknown, r.BadRetry, r.NulID)
			}
			if fmt.Sprint(r.Events) != "[{message z }]" {
				t.Errorf("events %v", r.Events)
			}
		}},
		{"comments and blocks without data", ": hi\n\nevent: x\n\nid: 3\n\n", true, func(t *testing.T, r streamReport) {
			if r.Comments != 1 || r.Dispatched != 0 || r.Incomplete {
				t.Errorf("got %+v", r)
			}
		}},
		{"cut off at the end of the body", "data: a\n\ndata: b\n", true, func(t *testing.T, r streamReport) {
			if r.Dispatched != 1 || !r.Incomplete {
				t.Errorf("got %+v", r)
			}
		}},
		{"cut off in a data line", "data: a\n\ndata: b", true, func(t *testing.T, r streamReport) {
			if !r.Incomplete {
				t.Errorf("got %+v", r)
			}
		}},
		{"cut off by the reader only", "data: a\n\ndata: b\n", false, func(t *testing.T, r streamReport) {
			if r.Incomplete {
				t.Errorf("got %+v", r)
			}
		}},
		{"invalid UTF-8", "data: a\xFFb\n\n", false, func(t *testing.T, r streamReport) {
			if r.InvalidUTF8 != 1 || r.Events[0].Data != "a\uFFFDb" {
				t.Errorf("got %+v", r)
			}
		}},
		{"long data is clipped", "data: " + strings.Repeat("x", 1000) + "\n\n", false, func(t *testing.T, r streamReport) {
			if d := r.Events[0].Data; len(d) > maxText+30 || !strings.HasSuffix(d, "(1000 bytes)") {
				t.Errorf("data %q", d)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, parseStream([]byte(c.body), c.ended)) })
	}
}

func TestSuggestField(t *testing.T) {
	for name, want := range map[string]string{"Data": "data", "data ": "data", "ID": "id", "data": "", "foo": "", " Retry": "retry"} {
		if got := suggestField(name); got != want {
			t.Errorf("suggestField(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestEventTimes checks that each event gets the time of the chunk that
// completes it, across CR, LF and CRLF split between chunks and a BOM.
func TestEventTimes(t *testing.T) {
	body := "\xEF\xBB\xBFid: 1\ndata: a\r\n\r\n: c\rdata: b\r\rid: 3\ndata: c\n\n"
	// Chunks end after "\xEF", between the CR and LF of the first blank
	// line, inside the third event, and at the end.
	cuts := []int{1, 19, 38, len(body)}
	var chunks []chunk
	last := 0
	for i, c := range cuts {
		chunks = append(chunks, chunk{Ms: float64(10 * (i + 1)), Bytes: c - last})
		last = c
	}
	got := fmt.Sprint(eventTimes([]byte(body), chunks))
	const want = "[{1 20 a} {1 30 b} {3 40 c}]"
	if got != want {
		t.Errorf("events %s, want %s", got, want)
	}
}
