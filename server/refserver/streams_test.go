package refserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCounter(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name        string
		query       string
		lastEventID string
		wantStatus  int
		wantBody    string
	}{
		{"defaults start at 1", "", "", 200, events(1, 10)},
		{"per limits a connection", "total=5&per=2", "", 200, events(1, 2)},
		{"resumes after Last-Event-ID", "total=5&per=2", "2", 200, events(3, 4)},
		{"stops at total", "total=5&per=2", "4", 200, events(5, 5)},
		{"204 past total", "total=5&per=2", "5", 204, ""},
		{"invalid Last-Event-ID is 0", "total=3", "x7", 200, events(1, 3)},
		{"retry first", "total=1&retry=50", "", 200, "retry: 50\n" + events(1, 1)},
		{"gap between events", "total=2&gap=1", "", 200, events(1, 2)},
		{"idparam resumes after the query parameter", "total=5&per=2&idparam=lastEventId&lastEventId=2", "", 200, events(3, 4)},
		{"idparam ignores Last-Event-ID", "total=5&per=2&idparam=lastEventId&lastEventId=1", "3", 200, events(2, 3)},
		{"idparam without the parameter starts at 1", "total=5&per=2&idparam=lastEventId", "3", 200, events(1, 2)},
		{"bad total", "total=-1", "", 400, ""},
		{"bad per", "per=0", "", 400, ""},
		{"bad retry", "retry=soon", "", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, srv, "/sse/counter?"+tt.query, tt.lastEventID)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (%q)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 200 && body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
		})
	}

	// Reconnecting with each connection's last id yields every number once.
	t.Run("reconnects lose and repeat nothing", func(t *testing.T) {
		var all strings.Builder
		last := ""
		for range 20 {
			resp, body := fetch(t, srv, "/sse/counter?total=25&per=7&session=counting", last)
			if resp.StatusCode == http.StatusNoContent {
				break
			}
			all.WriteString(body)
			ids := regexp.MustCompile(`id: (\d+)\n`).FindAllStringSubmatch(body, -1)
			last = ids[len(ids)-1][1]
		}
		if all.String() != events(1, 25) {
			t.Errorf("got %q, want events 1 to 25", all.String())
		}
		if reqs := sessionRequests(t, srv, "counting"); len(reqs) != 5 || reqs[4].Status != 204 || reqs[4].LastEventID != "25" {
			t.Errorf("session shows %d requests, last %+v; want 5, the last 204 after id 25", len(reqs), reqs[len(reqs)-1])
		}
	})
}

// events is the counter's body for ids from to to.
func events(from, to int) string {
	var b strings.Builder
	for k := from; k <= to; k++ {
		fmt.Fprintf(&b, "id: %d\ndata: %d\n\n", k, k)
	}
	return b.String()
}

func TestBench(t *testing.T) {
	srv := newTestServer(t)
	t.Run("throughput", func(t *testing.T) {
		for _, tt := range []struct{ n, size int }{{0, 10}, {5, 0}, {5, 10}, {20000, 100}} {
			resp, body := fetch(t, srv, fmt.Sprintf("/sse/bench?n=%d&size=%d", tt.n, tt.size), "")
			event := "data: " + asciiPattern(int64(tt.size)) + "\n\n"
			if resp.StatusCode != 200 || body != strings.Repeat(event, tt.n) {
				t.Errorf("n=%d size=%d: %s with %d bytes, want %d events of %q", tt.n, tt.size, resp.Status, len(body), tt.n, brief(event))
			}
		}
	})
	t.Run("timestamps", func(t *testing.T) {
		before := float64(time.Now().UnixMicro()) / 1000
		_, body := fetch(t, srv, "/sse/bench?n=3&size=40&ts=1&gap=1", "")
		after := float64(time.Now().UnixMicro()) / 1000
		lines := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
		if len(lines) != 3 {
			t.Fatalf("%d events, want 3: %q", len(lines), body)
		}
		stamp := regexp.MustCompile(`^data: (\d+\.\d{3}) [a-z0-9]*$`)
		prev := 0.0
		for _, line := range lines {
			m := stamp.FindStringSubmatch(line)
			if m == nil || len(line) != len("data: ")+40 {
				t.Fatalf("event %q: want a stamp with microseconds, a space and 40 bytes of data in all", line)
			}
			ms, _ := strconv.ParseFloat(m[1], 64)
			if ms < before-1 || ms > after+1 || ms < prev {
				t.Errorf("stamp %.3f not within [%.3f, %.3f] or before %.3f", ms, before, after, prev)
			}
			prev = ms
		}
	})
	t.Run("limits", func(t *testing.T) {
		for _, q := range []string{"n=-1", "size=x", "n=100000000", "gap=-5"} {
			if resp, _ := fetch(t, srv, "/sse/bench?"+q, ""); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %s, want 400", q, resp.Status)
			}
		}
	})
}

func TestEcho(t *testing.T) {
	srv := newTestServer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/sse/echo?session=echoed", strings.NewReader(`{"hello":"world"}`))
	req.Header.Set("Origin", "http://other.example")
	req.Header.Set("Last-Event-ID", "41")
	req.Header.Set("X-Custom", "yes\tand more")
	req.AddCookie(&http.Cookie{Name: "flavour", Value: "oat"})
	req.AddCookie(&http.Cookie{Name: "size", Value: "big"})
	resp, lines := openStream(t, req)
	checkStreamHeader(t, resp)
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://other.example" {
		t.Errorf("Access-Control-Allow-Origin %q, want the request's origin", got)
	}
	if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Access-Control-Allow-Credentials %q, want true", got)
	}
	if got := <-lines; got != "event: request" {
		t.Fatalf("first line %q, want event: request", got)
	}
	data := <-lines
	var report echoReport
	if err := json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &report); err != nil {
		t.Fatalf("data line %q: %v", data, err)
	}
	if got := <-lines; got != "" {
		t.Fatalf("line after data %q, want the blank line that ends the event", got)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"method", report.Method, "POST"},
		{"body", report.Body, `{"hello":"world"}`},
		{"Last-Event-ID", report.LastEventID, "41"},
		{"has Last-Event-ID", report.HasLastEventID, true},
		{"custom header", report.Headers["X-Custom"], "yes\tand more"},
		{"origin header", report.Headers["Origin"], "http://other.example"},
		{"cookies", strings.Join(report.Cookies, ","), "flavour,size"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if reqs := sessionRequests(t, srv, "echoed"); len(reqs) != 1 || !reqs[0].Active || reqs[0].Body != report.Body {
		t.Errorf("session shows %+v, want the one active request", reqs)
	}
}

func TestPreflight(t *testing.T) {
	srv := newTestServer(t)
	for _, path := range []string{"/sse/echo", "/sse/scenario/simple"} {
		req, _ := http.NewRequest("OPTIONS", srv.URL+path, nil)
		req.Header.Set("Origin", "http://other.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, x-custom")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := map[string]string{
			"Access-Control-Allow-Origin":      "http://other.example",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods":     "POST",
			"Access-Control-Allow-Headers":     "content-type, x-custom",
		}
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("%s: %s, want 204", path, resp.Status)
		}
		for name, value := range want {
			if got := resp.Header.Get(name); got != value {
				t.Errorf("%s: %s %q, want %q", path, name, got, value)
			}
		}
	}
}

func TestClock(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name        string
		lastEventID string
		firstID     int
	}{
		{"from the start", "", 1},
		{"continues after Last-Event-ID", "41", 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/sse/clock?interval=10", nil)
			if tt.lastEventID != "" {
				req.Header.Set("Last-Event-ID", tt.lastEventID)
			}
			resp, lines := openStream(t, req)
			checkStreamHeader(t, resp)
			want := []string{"retry: 2000", ""}
			for n := tt.firstID; n < tt.firstID+6; n++ {
				want = append(want, "id: "+strconv.Itoa(n))
				if n%5 == 0 {
					want = append(want, "event: tick")
				}
				want = append(want, fmt.Sprintf(`data: {"n":%d,"time":"*"}`, n), "", ": heartbeat", "")
			}
			for i, w := range want {
				got := <-lines
				if strings.HasPrefix(w, "data: ") {
					got = regexp.MustCompile(`"time":"[^"]+"`).ReplaceAllString(got, `"time":"*"`)
				}
				if got != w {
					t.Fatalf("line %d: %q, want %q", i, got, w)
				}
			}
		})
	}
}

// fetch requests path with an optional Last-Event-ID and reads the whole
// response.
func fetch(t *testing.T, srv *httptest.Server, path, lastEventID string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, string(body)
}

// openStream sends req and returns the response and a channel of the lines
// of its never-ending body, without their LF. The request is cancelled when
// the test ends.
func openStream(t *testing.T, req *http.Request) (*http.Response, <-chan string) {
	t.Helper()
	ctx, cancel := context.WithCancel(req.Context())
	t.Cleanup(cancel)
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return resp, lines
}

func checkStreamHeader(t *testing.T, resp *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "no-store",
		"X-Accel-Buffering": "no",
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %s, want 200", resp.Status)
	}
	for name, value := range want {
		if got := resp.Header.Get(name); got != value {
			t.Errorf("%s %q, want %q", name, got, value)
		}
	}
}

func TestResumePoint(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   int64
	}{
		{"", 0},
		{"7", 7},
		{"0", 0},
		{"-3", 0},
		{"7a", 0},
		{" 7", 0},
		{"99999999999999999999", 0}, // beyond int64
	} {
		r := httptest.NewRequest("GET", "/sse/counter", nil)
		if tt.header != "" {
			r.Header.Set("Last-Event-ID", tt.header)
		}
		if got := resumePoint(r); got != tt.want {
			t.Errorf("Last-Event-ID %q: resume point %d, want %d", tt.header, got, tt.want)
		}
	}
}
