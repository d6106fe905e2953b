package refserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// completeEvents returns the id and data of the events of a body that a
// client dispatches: only those ended by a blank line. The body is the
// server's own output (LF line ends, one id and one data line per event).
func completeEvents(body string) (ids, data []string) {
	end := strings.LastIndex(body, "\n\n")
	if end < 0 {
		return nil, nil
	}
	for block := range strings.SplitSeq(body[:end], "\n\n") {
		var id, d string
		hasData := false
		for line := range strings.SplitSeq(block, "\n") {
			name, value, _ := strings.Cut(line, ": ")
			switch name {
			case "id":
				id = value
			case "data":
				d, hasData = value, true
			}
		}
		if hasData {
			ids, data = append(ids, id), append(data, d)
		}
	}
	return ids, data
}

// readFlaky reads one response of /sse/flaky to its end or its break.
func readFlaky(t *testing.T, url, lastEventID string) (status int, body string, readErr error) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestFlakyLosesAndRepeatsNothing reconnects to /sse/flaky as a client
// would, with the id of the last complete event, until it answers 204: the
// complete events make every number from 1 to total once, in order, though
// each response broke off somewhere. The faults it logged match what the
// client saw.
func TestFlakyLosesAndRepeatsNothing(t *testing.T) {
	srv := newTestServer(t)
	const total = 300
	url := srv.URL + "/sse/flaky?total=" + itoa(total) + "&min=3&max=9&seed=7&session=flaky-http"
	var got []string
	last, responses, broken := "", 0, 0
	for responses = 0; responses < 2*total; responses++ {
		status, body, err := readFlaky(t, url, last)
		if status == http.StatusNoContent {
			break
		}
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if err != nil {
			broken++ // the connection closed or was reset in the body
		}
		ids, data := completeEvents(body)
		for i, id := range ids {
			k := atoi(id)
			if want := fmt.Sprintf("%d flaky-%d", k, k); data[i] != want {
				t.Fatalf("event %s has data %q, want %q", id, data[i], want)
			}
			got = append(got, id)
			last = id
		}
	}
	for i, id := range got {
		if id != itoa(i+1) {
			t.Fatalf("events %v…: event %d has id %s, want %d (lost or repeated)", got[:i+1], i+1, id, i+1)
		}
	}
	if len(got) != total {
		t.Fatalf("%d events, want %d", len(got), total)
	}

	var faults []Fault
	getJSON(t, srv, "/sse/flaky/faults?session=flaky-http", &faults)
	// Every response but the last, which ended after event total, broke
	// off; the last one before the 204 may be a fault too.
	if len(faults) < responses-1 || len(faults) > responses {
		t.Errorf("%d faults logged for %d responses", len(faults), responses)
	}
	points, kinds := map[string]int{}, map[string]int{}
	for i, f := range faults {
		points[f.Point]++
		kinds[f.Kind]++
		if i > 0 && f.After <= faults[i-1].After {
			t.Errorf("fault %d after event %d, but the one before was after %d", i, f.After, faults[i-1].After)
		}
		if f.Kind != "end" {
			broken--
		}
	}
	if broken != 0 {
		t.Errorf("%d more bodies broke than close and reset faults were logged", broken)
	}
	for _, p := range faultPoints {
		if points[p] == 0 {
			t.Errorf("no fault at point %s in %d faults: %v", p, len(faults), points)
		}
	}
	for _, k := range faultKinds {
		if kinds[k] == 0 {
			t.Errorf("no fault of kind %s in %d faults: %v", k, len(faults), kinds)
		}
	}
	t.Logf("%d events over %d responses; faults at %v, kinds %v", total, responses, points, kinds)
}

// TestFlakyIsRepeatable checks that a response depends only on the seed
// and Last-Event-ID.
func TestFlakyIsRepeatable(t *testing.T) {
	srv := newTestServer(t)
	for _, last := range []string{"", "17"} {
		_, first, _ := readFlaky(t, srv.URL+"/sse/flaky?seed=3&retry=5", last)
		_, second, _ := readFlaky(t, srv.URL+"/sse/flaky?seed=3&retry=5", last)
		if first != second {
			t.Errorf("Last-Event-ID %q: two responses differ:\n%q\n%q", last, first, second)
		}
		if !strings.HasPrefix(first, "retry: 5\n\n") {
			t.Errorf("response does not start with the retry field: %q", brief(first))
		}
	}
	_, other, _ := readFlaky(t, srv.URL+"/sse/flaky?seed=4&retry=5", "")
	_, first, _ := readFlaky(t, srv.URL+"/sse/flaky?seed=3&retry=5", "")
	if other == first {
		t.Error("seeds 3 and 4 gave the same response")
	}
}

func TestFlakyRefusals(t *testing.T) {
	srv := newTestServer(t)
	for _, q := range []string{"total=-1", "min=0", "min=5&max=4", "seed=x", "gap=100000"} {
		if status, _, _ := readFlaky(t, srv.URL+"/sse/flaky?"+q, ""); status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, status)
		}
	}
	if status, _, _ := readFlaky(t, srv.URL+"/sse/flaky?total=5", "5"); status != http.StatusNoContent {
		t.Errorf("past total: status %d, want 204", status)
	}
}

// TestFlakyLogIsBounded checks that the fault log forgets old sessions.
func TestFlakyLogIsBounded(t *testing.T) {
	l := &flakyLog{sessions: map[string][]Fault{}}
	for i := range maxFlakySessions + 10 {
		l.add("s"+itoa(i), Fault{After: 1})
	}
	l.add("", Fault{})
	if len(l.sessions) != maxFlakySessions || len(l.order) != maxFlakySessions {
		t.Errorf("%d sessions kept, want %d", len(l.sessions), maxFlakySessions)
	}
	if _, ok := l.sessions["s0"]; ok {
		t.Error("the oldest session is still kept")
	}
	for range maxFaultsLogged + 5 {
		l.add("big", Fault{})
	}
	if n := len(l.sessions["big"]); n != maxFaultsLogged {
		t.Errorf("%d faults kept, want %d", n, maxFaultsLogged)
	}
}

// TestDrip checks that /sse/drip sends its body, paced: a byte every 5 ms
// takes at least that long.
func TestDrip(t *testing.T) {
	srv := newTestServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/sse/drip?ms=5", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	checkStreamHeader(t, resp)
	r := bufio.NewReaderSize(resp.Body, 16)
	var got []byte
	for len(got) < len(dripBody) {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, b)
	}
	if string(got) != dripBody {
		t.Errorf("body %q, want %q", got, dripBody)
	}
	if elapsed, min := time.Since(start), time.Duration(len(dripBody))*5*time.Millisecond; elapsed < min {
		t.Errorf("the body came in %v, want at least %v", elapsed, min)
	}
	if status, _, _ := readFlaky(t, srv.URL+"/sse/drip?ms=0", ""); status != http.StatusBadRequest {
		t.Errorf("ms=0: status %d, want 400", status)
	}
}

// TestOverload checks /sse/overload: ok streams that end, then 503 with a
// retry field and Retry-After, every request in the session log.
func TestOverload(t *testing.T) {
	srv := newTestServer(t)
	url := srv.URL + "/sse/overload?ok=2&retry=25&session=storm"
	for i := 1; i <= 4; i++ {
		status, body, err := readFlaky(t, url, "")
		if err != nil {
			t.Fatal(err)
		}
		if i <= 2 {
			if want := "retry: 25\ndata: open " + itoa(i) + "\n\n"; status != 200 || body != want {
				t.Errorf("request %d: %d %q, want 200 %q", i, status, body, want)
			}
			continue
		}
		if status != http.StatusServiceUnavailable || !strings.HasPrefix(body, "retry: 25\ndata: ") {
			t.Errorf("request %d: %d %q, want 503 with a retry field", i, status, body)
		}
	}
	resp, _ := fetch(t, srv, "/sse/overload?session=storm-2", "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("ok=0: %s, Retry-After %q, Content-Type %q", resp.Status, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	if n := len(sessionRequests(t, srv, "storm")); n != 4 {
		t.Errorf("the session log has %d requests, want 4", n)
	}
	if status, _, _ := readFlaky(t, srv.URL+"/sse/overload?ok=x", ""); status != http.StatusBadRequest {
		t.Errorf("ok=x: status %d, want 400", status)
	}
}

func TestFlakyEventFormat(t *testing.T) {
	id, data := flakyEvent(42)
	if id != "id: 42\n" || data != "data: 42 flaky-42\n" {
		t.Errorf("flakyEvent(42) = %q, %q", id, data)
	}
	if _, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(id, "id:"))); err != nil {
		t.Error(err)
	}
}

// TestSoak checks /sse/soak: every number once, then 204 on reconnection.
func TestSoak(t *testing.T) {
	srv := newTestServer(t)
	resp, body := fetch(t, srv, "/sse/soak?total=5000&session=soak", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	var want strings.Builder
	for k := 1; k <= 5000; k++ {
		fmt.Fprintf(&want, "id: %d\ndata: %d\n\n", k, k)
	}
	if body != want.String() {
		t.Errorf("body of %d bytes, want %d bytes of numbered events", len(body), want.Len())
	}
	if resp, _ := fetch(t, srv, "/sse/soak?total=5000&session=soak", "5000"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("reconnection: %s, want 204", resp.Status)
	}
	if resp, _ := fetch(t, srv, "/sse/soak?total=-1", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("total=-1: %s, want 400", resp.Status)
	}
}
