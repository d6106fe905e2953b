package batch

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/sse"
)

func event(typ, data, id string) sse.Event {
	return sse.Event{Type: []byte(typ), Data: []byte(data), LastEventID: []byte(id)}
}

func TestRoundTrip(t *testing.T) {
	events := []Record{
		{"message", "hello", ""},
		{"add", "line one\nline two", "42"},
		{"message", "", "42"},
		{"\ufeffodd type", "\ufeffdata with a BOM", "id\twith tab"},
	}
	var b []byte
	for _, e := range events {
		b = Append(b, event(e.Type, e.Data, e.LastEventID))
	}
	if b[0] != Separator {
		t.Fatalf("a batch must start with the separator, got %q", b[:1])
	}
	var s Splitter
	got, ok := s.Split(string(b))
	if !ok {
		t.Fatalf("Split(%q) reported a malformed batch", b)
	}
	if !reflect.DeepEqual(got, events) {
		t.Errorf("round trip:\n got %q\nwant %q", got, events)
	}
	if s.LastEventID != "id\twith tab" {
		t.Errorf("the splitter's last event ID is %q after the batch", s.LastEventID)
	}
}

func TestControlRecords(t *testing.T) {
	b := Append(nil, event("message", "a", "1"))
	b = AppendRetry(b, 5000)
	b = AppendLastEventID(b, []byte("2"))
	var s Splitter
	got, ok := s.Split(string(b))
	want := []Record{{"message", "a", "1"}, {"", "retry", "5000"}, {"", "id", "2"}}
	if !ok || !reflect.DeepEqual(got, want) || s.LastEventID != "2" {
		t.Errorf("got %q (ok %v, last event ID %q), want %q and 2", got, ok, s.LastEventID, want)
	}
}

func TestSplitRejectsMalformed(t *testing.T) {
	for _, b := range []string{"message\rdata\rid", "\rmessage\rdata", "\ra\rb\rc\rd", "m", "mdata", "x\rdata"} {
		var s Splitter
		if _, ok := s.Split(b); ok {
			t.Errorf("Split(%q) accepted a malformed batch", b)
		}
	}
	var s Splitter
	if got, ok := s.Split(""); !ok || got != nil {
		t.Errorf("Split(\"\") = %v, %v; want no records", got, ok)
	}
}

// The Builder writes the plain form while every event is a message with
// the ID the shim holds, and the general form otherwise, turning a batch
// that began plain into it when needed; either way the shim's split gives
// the events as they were, with their IDs.
func TestBuilder(t *testing.T) {
	type step struct {
		event *sse.Event // or, when nil:
		retry int64      // a retry record, when not 0
		id    string     // else the decoder's last event ID at the chunk's end
	}
	ev := func(typ, data, id string) step { e := event(typ, data, id); return step{event: &e} }
	for _, tc := range []struct {
		name    string
		startID string
		steps   []step
		want    string // the batch
		records []Record
	}{
		{
			name:    "messages with the known ID are plain",
			startID: "7",
			steps:   []step{ev("message", "a", "7"), ev("message", "", "7"), ev("message", "b\nc", "7"), {id: "7"}},
			want:    "m\ra\r\rb\nc",
			records: []Record{{"message", "a", "7"}, {"message", "", "7"}, {"message", "b\nc", "7"}},
		},
		{
			name:    "a named event makes the batch general",
			steps:   []step{ev("message", "a", ""), ev("add", "b", ""), ev("message", "c", "")},
			want:    "\rmessage\ra\r\radd\rb\r\rmessage\rc\r",
			records: []Record{{"message", "a", ""}, {"add", "b", ""}, {"message", "c", ""}},
		},
		{
			name:    "types that are nearly message are named",
			steps:   []step{ev("messagE", "a", ""), ev("Message", "b", ""), ev("messages", "c", ""), ev("messa", "d", "")},
			want:    "\rmessagE\ra\r\rMessage\rb\r\rmessages\rc\r\rmessa\rd\r",
			records: []Record{{"messagE", "a", ""}, {"Message", "b", ""}, {"messages", "c", ""}, {"messa", "d", ""}},
		},
		{
			name:    "an ID of the known one's length is new",
			startID: "1",
			steps:   []step{ev("message", "a", "2")},
			want:    "\rmessage\ra\r2",
			records: []Record{{"message", "a", "2"}},
		},
		{
			name:    "a new ID makes it general, from the event that carries it",
			startID: "1",
			steps:   []step{ev("message", "a", "1"), ev("message", "b", "2"), ev("message", "c", "2")},
			want:    "\rmessage\ra\r1\rmessage\rb\r2\rmessage\rc\r2",
			records: []Record{{"message", "a", "1"}, {"message", "b", "2"}, {"message", "c", "2"}},
		},
		{
			name:    "a retry field",
			steps:   []step{ev("message", "a", ""), {retry: 250}},
			want:    "\rmessage\ra\r\r\rretry\r250",
			records: []Record{{"message", "a", ""}, {"", "retry", "250"}},
		},
		{
			name:    "an ID that no event carried",
			startID: "1",
			steps:   []step{ev("message", "a", "1"), {id: "9"}},
			want:    "\rmessage\ra\r1\r\rid\r9",
			records: []Record{{"message", "a", "1"}, {"", "id", "9"}},
		},
		{
			name:    "a data field that looks like the plain mark",
			steps:   []step{ev("message", "m", ""), ev("message", "m\nm", "")},
			want:    "m\rm\rm\nm",
			records: []Record{{"message", "m", ""}, {"message", "m\nm", ""}},
		},
	} {
		b := NewBuilder(tc.startID)
		for _, s := range tc.steps {
			switch {
			case s.event != nil:
				b.Event(*s.event)
			case s.retry != 0:
				b.Retry(time.Duration(s.retry) * time.Millisecond)
			default:
				b.LastEventID([]byte(s.id))
			}
		}
		if got := string(b.Bytes()); got != tc.want {
			t.Errorf("%s: batch %q, want %q", tc.name, got, tc.want)
		}
		split := Splitter{LastEventID: tc.startID}
		if got, ok := split.Split(string(b.Bytes())); !ok || !reflect.DeepEqual(got, tc.records) {
			t.Errorf("%s: split %q (ok %v), want %q", tc.name, got, ok, tc.records)
		}
	}
}

// Next starts a plain batch, whatever form the last one had, with the ID
// the last one left.
func TestBuilderNext(t *testing.T) {
	b := NewBuilder("")
	b.Event(event("add", "a", "5"))
	b.Next(1 << 20)
	if b.Len() != 0 {
		t.Fatalf("Next left %q", b.Bytes())
	}
	b.Event(event("message", "b", "5"))
	if got := string(b.Bytes()); got != "m\rb" {
		t.Errorf("the batch after Next is %q, want the plain m\\rb", got)
	}
}

// The zero Builder is ready to use, with an empty last event ID.
func TestBuilderZero(t *testing.T) {
	var b Builder
	b.Event(event("message", "a", ""))
	if got := string(b.Bytes()); got != "m\ra" {
		t.Errorf("the zero Builder's batch is %q, want the plain m\\ra", got)
	}
}

// Retry tells OnRetry each reconnection time, after its record, and works
// without it.
func TestBuilderOnRetry(t *testing.T) {
	var b Builder
	b.Retry(time.Second) // no OnRetry
	var heard []time.Duration
	b.OnRetry = func(d time.Duration) {
		if !strings.HasSuffix(string(b.Bytes()), strconv.FormatInt(d.Milliseconds(), 10)) {
			t.Errorf("OnRetry(%v) came before its record: %q", d, b.Bytes())
		}
		heard = append(heard, d)
	}
	b.Retry(250 * time.Millisecond)
	b.Retry(1500 * time.Millisecond)
	if want := []time.Duration{250 * time.Millisecond, 1500 * time.Millisecond}; !reflect.DeepEqual(heard, want) {
		t.Errorf("OnRetry heard %v, want %v", heard, want)
	}
}

// TestBuilderRun checks the runs the decoder writes into a batch: a run
// extends a plain batch, is refused by a general one or for another last
// event ID, and leaves an empty batch empty when it holds no event.
func TestBuilderRun(t *testing.T) {
	appendRun := func(b *Builder, id string, data ...string) bool {
		buf, sep, ok := b.Run([]byte(id))
		if !ok {
			return false
		}
		for _, d := range data {
			buf = append(append(buf, sep), d...)
		}
		b.RunDone(buf, len(data))
		return true
	}
	b := NewBuilder("7")
	if !appendRun(b, "7") || b.Len() != 0 {
		t.Fatalf("an empty run into an empty batch left %q, want nothing", b.Bytes())
	}
	b.Event(event("message", "a", "7"))
	if !appendRun(b, "7", "b", "") || !appendRun(b, "7", "c") {
		t.Fatal("a plain batch refused a run with its last event ID")
	}
	if got, want := string(b.Bytes()), "m\ra\rb\r\rc"; got != want {
		t.Errorf("batch %q, want %q", got, want)
	}
	if appendRun(b, "8", "d") {
		t.Error("a run with another last event ID was taken as plain")
	}
	b.Event(event("add", "e", "7"))
	if appendRun(b, "7", "f") {
		t.Error("a general batch took a run")
	}
	b.Next(1 << 20)
	if !appendRun(b, "7", "g") {
		t.Error("the next batch refused a run")
	}
	s := Splitter{LastEventID: "7"}
	if records, ok := s.Split(string(b.Bytes())); !ok || !reflect.DeepEqual(records, []Record{{"message", "g", "7"}}) {
		t.Errorf("the run's batch split into %v, %v", records, ok)
	}
}
