package batch

import (
	"reflect"
	"testing"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

func TestRoundTrip(t *testing.T) {
	events := []Record{
		{"message", "hello", ""},
		{"add", "line one\nline two", "42"},
		{"message", "", "42"},
		{"\ufeffodd type", "\ufeffdata with a BOM", "id\twith tab"},
	}
	var b []byte
	for _, e := range events {
		b = Append(b, sse.Event{Type: []byte(e.Type), Data: []byte(e.Data), LastEventID: []byte(e.LastEventID)})
	}
	if b[0] != Separator {
		t.Fatalf("a batch must start with the separator, got %q", b[:1])
	}
	got, ok := Split(string(b))
	if !ok {
		t.Fatalf("Split(%q) reported a malformed batch", b)
	}
	if !reflect.DeepEqual(got, events) {
		t.Errorf("round trip:\n got %q\nwant %q", got, events)
	}
}

func TestControlRecords(t *testing.T) {
	b := Append(nil, sse.Event{Type: []byte("message"), Data: []byte("a"), LastEventID: []byte("1")})
	b = AppendRetry(b, 5000)
	b = AppendLastEventID(b, []byte("2"))
	got, ok := Split(string(b))
	want := []Record{{"message", "a", "1"}, {"", "retry", "5000"}, {"", "id", "2"}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q (ok %v), want %q", got, ok, want)
	}
}

func TestSplitRejectsMalformed(t *testing.T) {
	for _, b := range []string{"message\rdata\rid", "\rmessage\rdata", "\ra\rb\rc\rd"} {
		if _, ok := Split(b); ok {
			t.Errorf("Split(%q) accepted a malformed batch", b)
		}
	}
	if got, ok := Split(""); !ok || got != nil {
		t.Errorf("Split(\"\") = %v, %v; want no records", got, ok)
	}
}
