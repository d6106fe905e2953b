package refserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestChat(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name      string
		body      string
		wantBot   string
		wantWords []string
	}{
		{"echo by default", `{"prompt": "Hello,  wide\nworld!"}`, "echo", []string{"Hello,", "wide", "world!"}},
		{"echo", `{"prompt": "one", "bot": "echo"}`, "echo", []string{"one"}},
		{"reverse", `{"prompt": "Hello, world", "bot": "reverse"}`, "reverse", []string{"dlrow", ",olleH"}},
		{"rot13", `{"prompt": "Why did the chicken cross the road?", "bot": "rot13"}`, "rot13",
			[]string{"Jul", "qvq", "gur", "puvpxra", "pebff", "gur", "ebnq?"}},
		{"unicode", `{"prompt": "héllo 世界 🙂", "bot": "reverse"}`, "reverse", []string{"🙂", "界世", "olléh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv, "/sse/chat?delay=0", tt.body)
			checkStreamHeader(t, resp)
			evs := parseEvents(body)
			want := wantReply(tt.wantBot, tt.wantWords, 0)
			if fmt.Sprint(evs) != fmt.Sprint(want) {
				t.Errorf("events\n%v\nwant\n%v", evs, want)
			}
		})
	}
}

func TestChatResumes(t *testing.T) {
	srv := newTestServer(t)
	body := `{"prompt": "a b c d", "bot": "echo"}`
	tests := []struct {
		lastEventID string
		wantFrom    int // the first word sent, from 0; -1 for 204
	}{
		{"", 0},
		{"2", 2},
		{"4", 4},
		{"99", 4},
		{"nonsense", 0},
		{"-3", 0},
		{"done", -1},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("POST", srv.URL+"/sse/chat?delay=0&session=resume", strings.NewReader(body))
		if tt.lastEventID != "" {
			req.Header.Set("Last-Event-ID", tt.lastEventID)
		}
		resp, got := do(t, req)
		if tt.wantFrom < 0 {
			if resp.StatusCode != http.StatusNoContent || got != "" {
				t.Errorf("Last-Event-ID %q: %s %q, want 204 and no body", tt.lastEventID, resp.Status, got)
			}
			continue
		}
		want := wantReply("echo", []string{"a", "b", "c", "d"}, tt.wantFrom)
		if evs := parseEvents(got); fmt.Sprint(evs) != fmt.Sprint(want) {
			t.Errorf("Last-Event-ID %q: events %v, want %v", tt.lastEventID, evs, want)
		}
	}
	reqs := sessionRequests(t, srv, "resume")
	if len(reqs) != len(tests) {
		t.Fatalf("the session log has %d requests, want %d", len(reqs), len(tests))
	}
	for i, rec := range reqs {
		if rec.Method != "POST" || rec.Body != body {
			t.Errorf("request %d: %s with body %q, want POST with %q", i, rec.Method, rec.Body, body)
		}
	}
	if last := reqs[len(reqs)-1]; last.Status != http.StatusNoContent || last.LastEventID != "done" {
		t.Errorf("the last request: status %d, Last-Event-ID %q; want 204 after done", last.Status, last.LastEventID)
	}
}

func TestChatPacesWords(t *testing.T) {
	srv := newTestServer(t)
	start := time.Now()
	resp, body := post(t, srv, "/sse/chat?delay=40", `{"prompt": "one two three"}`)
	if elapsed := time.Since(start); resp.StatusCode != http.StatusOK || elapsed < 120*time.Millisecond {
		t.Errorf("%s after %v, want 200 after at least 3 × 40 ms", resp.Status, elapsed)
	}
	if n := len(parseEvents(body)); n != 4 {
		t.Errorf("%d events, want 3 words and done", n)
	}
}

func TestChatRefusals(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name       string
		method     string
		query      string
		body       string
		wantStatus int
	}{
		{"GET", "GET", "", "", http.StatusMethodNotAllowed},
		{"PUT", "PUT", "", `{"prompt": "x"}`, http.StatusMethodNotAllowed},
		{"not JSON", "POST", "", `prompt=hello`, http.StatusBadRequest},
		{"no prompt", "POST", "", `{}`, http.StatusBadRequest},
		{"blank prompt", "POST", "", `{"prompt": " \n\t "}`, http.StatusBadRequest},
		{"prompt not a string", "POST", "", `{"prompt": 42}`, http.StatusBadRequest},
		{"unknown bot", "POST", "", `{"prompt": "x", "bot": "oracle"}`, http.StatusBadRequest},
		{"bad delay", "POST", "delay=soon", `{"prompt": "x"}`, http.StatusBadRequest},
		{"too large", "POST", "", `{"prompt": "` + strings.Repeat("x", maxChatBody) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/sse/chat?"+tt.query, strings.NewReader(tt.body))
			resp, body := do(t, req)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s, want %d: %s", resp.Status, tt.wantStatus, body)
			}
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Errorf("Content-Type %q: a refusal must not look like a stream", resp.Header.Get("Content-Type"))
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "POST, OPTIONS" {
				t.Errorf("Allow %q, want POST, OPTIONS", resp.Header.Get("Allow"))
			}
		})
	}
}

// wantReply is the events of /sse/chat for a reply of words, from word
// from on.
func wantReply(bot string, words []string, from int) []sseEvent {
	var evs []sseEvent
	for i := from; i < len(words); i++ {
		evs = append(evs, sseEvent{Type: "message", ID: strconv.Itoa(i + 1), Data: words[i]})
	}
	done, _ := json.Marshal(chatDone{Bot: bot, Words: len(words)})
	return append(evs, sseEvent{Type: "done", ID: "done", Data: string(done)})
}

// An sseEvent is an event as parseEvents reads it.
type sseEvent struct{ Type, ID, Data string }

func (e sseEvent) String() string { return fmt.Sprintf("{%s id=%q %q}", e.Type, e.ID, e.Data) }

// parseEvents reads the events of a body that the server wrote: LF line
// ends, one space after each colon, and no comments. It is no general
// parser (wasm/sse is one), only enough to read the server's own output.
func parseEvents(body string) []sseEvent {
	var evs []sseEvent
	for block := range strings.SplitSeq(body, "\n\n") {
		ev := sseEvent{Type: "message"}
		var data []string
		for line := range strings.SplitSeq(block, "\n") {
			name, value, _ := strings.Cut(line, ": ")
			switch name {
			case "event":
				ev.Type = value
			case "id":
				ev.ID = value
			case "data":
				data = append(data, value)
			}
		}
		if data != nil {
			ev.Data = strings.Join(data, "\n")
			evs = append(evs, ev)
		}
	}
	return evs
}

// post sends body to path and returns the response and its whole body.
func post(t *testing.T, srv *httptest.Server, path, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// do sends req and returns the response and its whole body.
func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp, string(body)
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
