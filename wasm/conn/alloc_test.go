package conn

import (
	"strings"
	"testing"
	"time"
)

// quietEnd is a Transport, Listener and Clock that allocate nothing, so
// that an allocation counted around a Source's methods is the Source's.
type quietEnd struct{ batches int }

func (*quietEnd) Connect(int, Request)                  {}
func (*quietEnd) Abort(int)                             {}
func (*quietEnd) Opened(Response)                       {}
func (q *quietEnd) Dispatch([]byte)                     { q.batches++ }
func (*quietEnd) Failed(*Error)                         {}
func (*quietEnd) Now() time.Duration                    { return 0 }
func (*quietEnd) AfterFunc(time.Duration, func()) Timer { return nil }

// Once its buffers have grown, an open source decodes and hands on chunks
// without allocating: a long stream costs the module's garbage collector
// nothing, and no collection pauses its events. This holds for one event a
// chunk, as on a stream of events that come one at a time, and for many,
// as when the reads outrun the page.
func TestChunkAllocatesNothing(t *testing.T) {
	q := &quietEnd{}
	s := New(Config{URL: "http://example.test/stream", Transport: q, Listener: q, Clock: q})
	s.Start()
	s.Response(1, Response{Status: 200, ContentType: "text/event-stream", URL: "http://example.test/stream"})
	one := []byte("data: " + strings.Repeat("x", 94) + "\n\n")
	many := []byte(strings.Repeat(string(one), 100))
	withIDs := []byte(strings.Repeat("id: 7\nevent: tick\ndata: a\ndata: b\n\n", 50))
	for _, tc := range []struct {
		name  string
		chunk []byte
	}{
		{"one event", one},
		{"100 events", many},
		{"named events with IDs", withIDs},
	} {
		s.Chunk(1, tc.chunk) // grows the buffers
		before := q.batches
		if allocs := testing.AllocsPerRun(100, func() { s.Chunk(1, tc.chunk) }); allocs != 0 {
			t.Errorf("%s: %v allocations a chunk, want 0", tc.name, allocs)
		}
		if q.batches == before || s.ReadyState() != Open {
			t.Errorf("%s: %d batches, state %v: the chunks were not dispatched", tc.name, q.batches-before, s.ReadyState())
		}
	}
}

// BenchmarkChunk decodes 64 KiB chunks into batches, as the module does for
// each read: the Go side of a stream's cost. For the module's own code, run
// it for js/wasm (make bench-go) and read ns/event.
func BenchmarkChunk(b *testing.B) {
	for _, bc := range []struct {
		name  string
		event string
	}{
		{"100B", "data: " + strings.Repeat("x", 92) + "\n\n"},
		{"1000B", "data: " + strings.Repeat("y", 992) + "\n\n"},
		{"named", "id: 12345\nevent: update\ndata: " + strings.Repeat("z", 70) + "\n\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := &quietEnd{}
			s := New(Config{URL: "http://example.test/stream", Transport: q, Listener: q, Clock: q})
			s.Start()
			s.Response(1, Response{Status: 200, ContentType: "text/event-stream", URL: "http://example.test/stream"})
			events := (64 << 10) / len(bc.event)
			chunk := []byte(strings.Repeat(bc.event, events))
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			for b.Loop() {
				s.Chunk(1, chunk)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
		})
	}
}
