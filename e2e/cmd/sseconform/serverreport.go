package main

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// printServerSummary writes the result of -server for a person: the
// response, the traces and the findings.
func printServerSummary(w io.Writer, rep *ServerReport, outDir string) {
	resp := rep.Response
	where := "same origin"
	if rep.CrossOrigin {
		where = "cross-origin"
	}
	fmt.Fprintf(w, "sseconform: %s, fetched from a page on %s (%s), %s\n", rep.URL, rep.PageOrigin, where, rep.Browser)
	if resp.Status != 0 {
		fmt.Fprintf(w, "  response: %d %s, Content-Type %q, headers after %.0f ms", resp.Status, resp.StatusText, resp.Header["content-type"], resp.HeadersMs)
		if resp.ReadBy != "" {
			fmt.Fprintf(w, ", %d bytes in %d chunk(s)", resp.BodyBytes, len(resp.Chunks))
			if resp.Ended {
				fmt.Fprintf(w, ", ended after %.0f ms", resp.EndMs)
			} else {
				fmt.Fprintf(w, ", still open after %.0f ms (%s)", resp.EndMs, resp.StoppedBy)
			}
			if resp.ReadBy != "page" {
				fmt.Fprintf(w, "; read by %s, since the page could not", resp.ReadBy)
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  stream: %d events, %d comments, %d lines\n", rep.Stream.Dispatched, rep.Stream.Comments, rep.Stream.Lines)
		if r := rep.Resume; r != nil {
			fmt.Fprintf(w, "  reconnection with Last-Event-ID: %s: ", r.LastEventID)
			switch {
			case r.Error != "":
				fmt.Fprintf(w, "%s\n", r.Error)
			case r.Status != 200:
				fmt.Fprintf(w, "status %d\n", r.Status)
			case r.Events == 0:
				fmt.Fprintf(w, "no event\n")
			default:
				fmt.Fprintf(w, "first event with id %q\n", r.FirstID)
			}
		}
	} else {
		fmt.Fprintf(w, "  no response: %s\n", resp.Error)
	}
	width := 0
	for _, tr := range rep.Traces {
		width = max(width, len(tr.Impl))
	}
	if len(rep.Traces) > 0 && rep.Traces[0].Page != "" {
		fmt.Fprintf(w, "  EventSource, from a page on %s:\n", origin(rep.Traces[0].Page))
	}
	for _, tr := range rep.Traces {
		if tr.Error != "" {
			fmt.Fprintf(w, "    %-*s  trace failed: %s\n", width, tr.Impl, tr.Error)
			continue
		}
		fmt.Fprintf(w, "    %-*s  %d open, %d messages, %d errors, ended by %s\n", width, tr.Impl, tr.Opens, tr.Messages, tr.Errors, tr.EndedBy)
	}
	if len(rep.Findings) == 0 {
		fmt.Fprintln(w, "no problem found")
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "%-7s %s: %s\n", strings.ToUpper(f.Severity), f.Code, f.Message)
	}
	fmt.Fprintf(w, "%d errors, %d warnings, %d notes; reports: %s, %s\n",
		rep.Counts["error"], rep.Counts["warning"], rep.Counts["info"],
		filepath.Join(outDir, "sseconform-server.html"), filepath.Join(outDir, "sseconform-server.json"))
}

// headerRow is one response header field for the HTML report.
type headerRow struct{ Name, Value string }

var serverTemplate = template.Must(template.New("server").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>sseconform: {{.R.URL}}</title>
<style>` + css + `</style></head><body><main>
<h1>Event stream check</h1>
<p class="meta"><code>{{.R.URL}}</code> from a page on <code>{{.R.PageOrigin}}</code>{{if .R.CrossOrigin}} (cross-origin){{end}}, in {{.R.Browser}}, {{.R.Started.Format "2006-01-02 15:04:05 MST"}}; read for at most {{.R.Duration}} or {{.R.MaxEvents}} events.</p>
<div class="cards">
<div class="card">errors<b class="{{if index .R.Counts "error"}}bad{{else}}ok{{end}}">{{index .R.Counts "error"}}</b></div>
<div class="card">warnings<b>{{index .R.Counts "warning"}}</b></div>
<div class="card">notes<b>{{index .R.Counts "info"}}</b></div>
{{range .R.Traces}}<div class="card">{{.Impl}}<b>{{if .Error}}<span class="bad">failed</span>{{else}}{{.Opens}} open, {{.Messages}} messages, {{.Errors}} errors{{end}}</b></div>{{end}}
</div>
<h2>Findings</h2>
{{range .R.Findings}}<section class="finding sev-{{.Severity}}"><b>{{.Severity}} · {{.Code}}</b><br>{{.Message}}</section>
{{else}}<p class="ok">No problem found.</p>{{end}}
<h2>Response</h2>
<table class="kv">
{{with .R.Response}}<tr><th>status</th><td>{{if .Status}}{{.Status}} {{.StatusText}}{{else}}none{{end}}{{with .Error}} · {{.}}{{end}}{{with .Blocked}} · {{.}}{{end}}</td></tr>
{{with .FinalURL}}<tr><th>final URL</th><td>{{.}}</td></tr>{{end}}
{{with .Protocol}}<tr><th>protocol</th><td>{{.}}</td></tr>{{end}}
<tr><th>timing</th><td>headers after {{printf "%.0f" .HeadersMs}} ms{{if .Chunks}}, first byte after {{printf "%.0f" .FirstMs}} ms{{end}}, {{.BodyBytes}} bytes in {{len .Chunks}} chunks, {{if .Ended}}ended{{else}}stopped ({{.StoppedBy}}){{end}} after {{printf "%.0f" .EndMs}} ms{{with .ReadBy}}; read by {{.}}{{end}}</td></tr>{{end}}
{{range .Headers}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}
{{with .R.Resume}}<tr><th>reconnection</th><td>with Last-Event-ID: {{.LastEventID}} · {{if .Error}}{{.Error}}{{else if ne .Status 200}}status {{.Status}}{{else if .Events}}first event with id “{{.FirstID}}”{{else}}no event{{end}}</td></tr>{{end}}
</table>
{{with .R.Stream.Events}}<h2>Events in the bytes</h2>
<table class="diff"><thead><tr><th>type</th><th>data</th><th>lastEventId</th></tr></thead><tbody>
{{range .}}<tr class="same"><td>{{.Type}}</td><td>{{.Data}}</td><td>{{.ID}}</td></tr>{{end}}</tbody></table>{{end}}
{{with .R.Response.BodySample}}<h2>The start of the body</h2><pre>{{.}}</pre>{{end}}
{{range .R.Traces}}<h2>Trace: {{.Impl}}</h2><p class="desc">from <code>{{.Page}}</code></p>{{with .Error}}<p class="bad">{{.}}</p>{{end}}
{{if .Trace}}<pre>{{range .Trace}}{{.Line}}
{{end}}</pre>{{end}}{{end}}
</main></body></html>
`))

func renderServerHTML(rep *ServerReport) ([]byte, error) {
	var headers []headerRow
	for name, v := range rep.Response.Header {
		headers = append(headers, headerRow{name, v})
	}
	slices.SortFunc(headers, func(a, b headerRow) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	err := serverTemplate.Execute(&b, struct {
		R       *ServerReport
		Headers []headerRow
	}{rep, headers})
	return b.Bytes(), err
}
