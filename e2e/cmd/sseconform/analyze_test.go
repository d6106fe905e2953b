package main

import (
	"flag"
	"os"
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
			Events: []timedEvent{{"1", 10, "a"}, {"2", 150, "b"}, {"3", 300, "c"}},
			Header: map[string]string{
				"content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no",
				"access-control-allow-origin": "http://127.0.0.1:1",
			},
		},
		Stream: streamReport{Bytes: 30, Dispatched: 3, IDs: 3},
		Direct: &directRead{Status: 200, IDFields: 3, Events: []timedEvent{{"1", 8, "a"}, {"2", 148, "b"}, {"3", 299, "c"}}},
		Traces: []ServerTrace{{Impl: "native", Opens: 1, Messages: 3, EndedBy: "close-after"}, {Impl: "wasm", Opens: 1, Messages: 3, EndedBy: "close-after"}},
	}
}

func codes(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity+":"+f.ID)
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
		{"cache and proxy", func(r *ServerReport) {
			delete(r.Response.Header, "cache-control")
			r.Response.Header["x-accel-buffering"] = "yes"
		}, "warning:cache-control warning:proxy-buffering"},
		{"compressed and flushed", func(r *ServerReport) { r.Response.Header["content-encoding"] = "gzip" }, "info:content-encoding"},
		{"compressed and held back", func(r *ServerReport) {
			r.Response.Header["content-encoding"] = "gzip"
			r.Response.Events, r.Response.Chunks, r.Response.BodyBytes, r.Response.EndMs = nil, []chunk{{10, 10}}, 10, 5000
		}, "error:held-back"},
		{"events late to the page", func(r *ServerReport) {
			r.Response.Events = []timedEvent{{"1", 1500, "a"}, {"2", 1500, "b"}, {"3", 1500, "c"}}
		}, "error:held-back"},
		{"late by an offset only", func(r *ServerReport) {
			// The page's request started later than the direct one,
			// on a stream that both share: each event reaches the
			// page earlier after its start.
			r.Response.Events = []timedEvent{{"1", 5, "a"}, {"2", 140, "b"}, {"3", 290, "c"}}
		}, ""},
		{"bursts", func(r *ServerReport) {
			r.Response.Events = []timedEvent{{"1", 400, "a"}, {"2", 400, "b"}, {"3", 400, "c"}, {"4", 800, "d"}, {"5", 805, "e"}, {"6", 810, "f"},
				{"7", 1200, "g"}, {"8", 1200, "h"}, {"9", 1215, "i"}, {"10", 1300, "j"}}
			r.Direct.Events = r.Response.Events
		}, "warning:bursts"},
		{"one burst, then steady", func(r *ServerReport) {
			// A server that replays its history at once, then sends
			// as it goes.
			r.Response.Events = []timedEvent{{"1", 400, "a"}, {"2", 400, "b"}, {"3", 400, "c"}, {"4", 800, "d"}, {"5", 1200, "e"}}
			r.Direct.Events = r.Response.Events
		}, ""},
		{"no proxy header", func(r *ServerReport) { delete(r.Response.Header, "x-accel-buffering") }, "info:proxy-buffering-unset"},
		{"same origin: no CORS", func(r *ServerReport) {
			r.CrossOrigin, r.PageOrigin = false, "http://127.0.0.1:2"
			delete(r.Response.Header, "access-control-allow-origin")
		}, ""},
		{"cors", func(r *ServerReport) { delete(r.Response.Header, "access-control-allow-origin") }, "warning:cors"},
		{"cors for another origin", func(r *ServerReport) {
			r.Response.Header["access-control-allow-origin"] = "https://example.com"
		}, "warning:cors"},
		{"cors star", func(r *ServerReport) { r.Response.Header["access-control-allow-origin"] = "*" }, ""},
		{"late headers", func(r *ServerReport) { r.Response.HeadersMs = 1500 }, "warning:late-headers"},
		{"buffered body", func(r *ServerReport) {
			r.Response.Ended, r.Response.StoppedBy, r.Response.EndMs = true, "end", 900
			r.Response.Chunks = []chunk{{890, 30}}
			r.Response.Events = []timedEvent{{"1", 890, "a"}, {"2", 890, "b"}, {"3", 890, "c"}}
			r.Direct.Events = r.Response.Events
		}, "error:held-back"},
		{"buffered response", func(r *ServerReport) {
			r.Response.Ended, r.Response.StoppedBy, r.Response.HeadersMs, r.Response.EndMs = true, "end", 900, 905
			r.Response.Chunks = []chunk{{903, 30}}
			r.Response.Events = []timedEvent{{"1", 903, "a"}, {"2", 903, "b"}, {"3", 903, "c"}}
			r.Direct.Events = r.Response.Events
		}, "error:held-back"},
		{"no event", func(r *ServerReport) {
			r.Response.Chunks, r.Response.BodyBytes, r.Response.EndMs, r.Response.StoppedBy = nil, 0, 5000, "duration"
			r.Response.Events, r.Direct.Events, r.Direct.IDFields = nil, nil, 0
			r.Stream = streamReport{}
		}, "error:no-event"},
		{"no headers", func(r *ServerReport) {
			r.Response = Response{Error: "no response within 5000 ms", TimedOut: true, Header: map[string]string{}}
		}, "error:no-event"},
		{"no ids", func(r *ServerReport) {
			r.Stream.IDs, r.Direct.IDFields = 0, 0
		}, "note:no-ids"},
		{"fields", func(r *ServerReport) {
			r.Stream.Unknown = []fieldLine{{1, "Data: x"}}
			r.Stream.BadRetry = []fieldLine{{2, "retry: 1s"}}
			r.Stream.NulID = []fieldLine{{3, "id: a\x00"}}
			r.Stream.Incomplete = true
			r.Stream.InvalidUTF8 = 1
		}, "warning:id-nul warning:incomplete-event warning:retry warning:unknown-field warning:utf-8"},
		{"repeats on resume", func(r *ServerReport) {
			r.Resume = &Resume{LastEventID: "2", Before: []string{"1", "2"}, Published: []string{"3"}, Repeated: []string{"2"}}
		}, "error:duplicate-on-resume"},
		{"loses on resume", func(r *ServerReport) {
			r.Resume = &Resume{LastEventID: "2", Before: []string{"1", "2"}, Published: []string{"3", "4"}, Lost: []string{"3", "4"}}
		}, "error:lost-on-resume"},
		{"resumes", func(r *ServerReport) {
			r.Resume = &Resume{LastEventID: "2", Before: []string{"1", "2"}, Published: []string{"3", "4"}}
		}, ""},
		{"resume unchecked", func(r *ServerReport) {
			r.Resume = &Resume{LastEventID: "2", Unchecked: "no event was published in 5000 ms away"}
		}, "note:resume-unchecked"},
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
					t.Logf("%s %s: %s", f.Severity, f.ID, f.Message)
				}
			}
		})
	}
}

var updateREADME = flag.Bool("update", false, "rewrite the severity table in README.md")

// TestSeverityTable checks that README.md's severity table is the table
// of checks; -update rewrites it.
func TestSeverityTable(t *testing.T) {
	const (
		path  = "../../../README.md"
		begin = "<!-- severity table: from e2e/cmd/sseconform/findings.go (go test ./e2e/cmd/sseconform -run TestSeverityTable -update) -->\n"
		end   = "<!-- end of severity table -->\n"
	)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(b), begin)
	table, after, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md lacks the markers of the severity table")
	}
	if want := "\n" + severityTable() + "\n"; table != want {
		if *updateREADME {
			if err := os.WriteFile(path, []byte(before+begin+want+end+after), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's severity table is stale; rewrite it with go test ./e2e/cmd/sseconform -run TestSeverityTable -update")
	}
	for _, c := range checks {
		if !slices.Contains(severities, c.Severity) || c.What == "" {
			t.Errorf("check %s: severity %q, what %q", c.ID, c.Severity, c.What)
		}
		if c.Severity != sevInfo && c.Fix == "" {
			t.Errorf("check %s has no fix", c.ID)
		}
	}
}
