package refserver

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
)

func TestRefuse(t *testing.T) {
	srv := newTestServer(t)

	// Go's client rejects the head as Chromium does; every third request
	// of the session gets a stream.
	for n := 1; n <= 6; n++ {
		resp, err := http.Get(srv.URL + "/sse/refuse?ok=3&session=refusing")
		if n%3 != 0 {
			if err == nil {
				resp.Body.Close()
				t.Fatalf("request %d: %s, want an error", n, resp.Status)
			}
			continue
		}
		if err != nil {
			t.Fatalf("request %d: %v, want a stream", n, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "data: open " + strconv.Itoa(n) + "\n\n"
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || string(body) != want {
			t.Errorf("request %d: %s %q with body %q, want 200 text/event-stream with %q",
				n, resp.Status, resp.Header.Get("Content-Type"), body, want)
		}
	}
	reqs := sessionRequests(t, srv, "refusing")
	if len(reqs) != 6 {
		t.Fatalf("the session has %d requests, want 6", len(reqs))
	}
	for i, rec := range reqs {
		want := 0
		if (i+1)%3 == 0 {
			want = 200
		}
		if rec.Status != want || rec.Active || rec.EndedMs < rec.StartedMs {
			t.Errorf("request %d recorded as %+v, want status %d, over", i+1, rec, want)
		}
	}

	// The exact bytes, read from the raw connection.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /sse/refuse HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != refusedHead {
		t.Errorf("the raw answer is %q, want %q and then the end of the connection", raw, refusedHead)
	}

	resp, err := http.Get(srv.URL + "/sse/refuse?ok=soon")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("ok=soon: %s, want 400", resp.Status)
	}
}
