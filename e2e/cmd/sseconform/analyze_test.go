package main

import (
	"slices"
	"strings"
	"testing"
)

// goodReport is a stream that the reference server sends: nothing to
// report.
func goodReport() *ServerReport {
	return &ServerReport{
		URL: "http://127.0.0.1:2/sse", PageOrigin: "http://127.0.0.1:1", CrossOrigin: true, MaxEvents: 3,
		Response: Response{
			Status: 200, StatusText: "OK", ReadBy: "page", HeadersMs: 5, EndMs: 300, BodyBytes: 30,
			Chunks: []chunk{{10, 10}, {150, 10}, {300, 10}}, StoppedBy: "max-events",
			Header: map[string]string{
				"content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no",
				"access-control-allow-origin": "http://127.0.0.1:1",
			},
		},
		Stream: streamReport{Bytes: 30, Dispatched: 3},
		Traces: []ServerTrace{{Impl: "native", Opens: 1, Messages: 3, EndedBy: "close-after"}, {Impl: "wasm", Opens: 1, Messages: 3, EndedBy: "close-after"}},
	}
}

func codes(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity+":"+f.Code)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestAnalyze(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(r *ServerReport)
		want   string
	}{
		{"good", func(r *ServerReport) {}, ""},
		{"404", func(r *ServerReport) {
			r.Response.Status, r.Response.Header["content-type"] = 404, "text/plain"
		}, "error:status"},
		{"204", func(r *ServerReport) { r.Response.Status = 204 }, "error:status"},
		{"unreachable", func(r *ServerReport) {
			r.Response = Response{Error: "TypeError: Failed to fetch", Header: map[string]string{}}
		}, "error:unreachable"},
		{"no content type", func(r *ServerReport) { delete(r.Response.Header, "content-type") }, "error:content-type"},
		{"charset and case", func(r *ServerReport) {
			r.Response.Header["content-type"] = "Text/Event-Stream; charset=latin1"
		}, "warning:charset"},
		{"cache, proxy and encoding", func(r *ServerReport) {
			delete(r.Response.Header, "cache-control")
			r.Response.Header["x-accel-buffering"] = "yes"
			r.Response.Header["content-encoding"] = "gzip"
		}, "warning:cache-control warning:content-encoding warning:proxy-buffering"},
		{"no proxy header", func(r *ServerReport) { delete(r.Response.Header, "x-accel-buffering") }, "info:proxy-buffering"},
		{"cors", func(r *ServerReport) { delete(r.Response.Header, "access-control-allow-origin") }, "warning:cors"},
		{"cors for another origin", func(r *ServerReport) {
			r.Response.Header["access-control-allow-origin"] = "https://example.com"
		}, "warning:cors"},
		{"cors star", func(r *ServerReport) { r.Response.Header["access-control-allow-origin"] = "*" }, ""},
		{"late headers", func(r *ServerReport) { r.Response.HeadersMs = 1500 }, "warning:late-headers"},
		{"buffered body", func(r *ServerReport) {
			r.Response.Ended, r.Response.StoppedBy, r.Response.EndMs = true, "end", 900
			r.Response.Chunks = []chunk{{890, 30}}
		}, "warning:buffered"},
		{"buffered response", func(r *ServerReport) {
			r.Response.Ended, r.Response.StoppedBy, r.Response.HeadersMs, r.Response.EndMs = true, "end", 900, 905
			r.Response.Chunks = []chunk{{903, 30}}
		}, "warning:buffered"},
		{"no data", func(r *ServerReport) {
			r.Response.Chunks, r.Response.BodyBytes, r.Response.EndMs, r.Response.StoppedBy = nil, 0, 5000, "duration"
			r.Stream = streamReport{}
		}, "info:no-data"},
		{"fields", func(r *ServerReport) {
			r.Stream.Unknown = []fieldLine{{1, "Data: x"}}
			r.Stream.BadRetry = []fieldLine{{2, "retry: 1s"}}
			r.Stream.NulID = []fieldLine{{3, "id: a\x00"}}
			r.Stream.Incomplete = true
			r.Stream.InvalidUTF8 = 1
		}, "warning:id-nul warning:incomplete-event warning:retry warning:unknown-field warning:utf-8"},
		{"replays from the start", func(r *ServerReport) {
			r.Stream.Events = []streamEvent{{"message", "a", "1"}, {"message", "b", "2"}}
			r.Resume = &Resume{LastEventID: "2", Status: 200, FirstID: "1", Events: 1}
		}, "info:resume"},
		{"resumes", func(r *ServerReport) {
			r.Stream.Events = []streamEvent{{"message", "a", "1"}, {"message", "b", "2"}}
			r.Resume = &Resume{LastEventID: "2", Status: 200, FirstID: "3", Events: 1}
		}, ""},
		{"polyfill disagrees", func(r *ServerReport) { r.Traces[1].Messages, r.Traces[1].Opens = 0, 0 }, "warning:impls-disagree"},
		{"trace failed", func(r *ServerReport) { r.Traces[1].Error = "no harness" }, "error:trace"},
		{"api problem", func(r *ServerReport) { r.Traces[1].Problems = []string{"the source is not an EventTarget"} }, "error:trace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := goodReport()
			c.change(r)
			fs := analyze(r)
			if got := codes(fs); got != c.want {
				t.Errorf("findings %s, want %q", got, c.want)
				for _, f := range fs {
					t.Logf("%s %s: %s", f.Severity, f.Code, f.Message)
				}
			}
		})
	}
}
