package main

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
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
		switch resp.ReadBy {
		case "page":
			fmt.Fprintf(w, ", %d bytes in %d chunk(s)", resp.BodyBytes, len(resp.Chunks))
			if resp.Ended {
				fmt.Fprintf(w, ", ended after %.0f ms", resp.EndMs)
			} else {
				fmt.Fprintf(w, ", still open after %.0f ms (%s)", resp.EndMs, resp.StoppedBy)
			}
		case "":
		default:
			fmt.Fprintf(w, "; the page may not read the body, so the checks of the bytes read sseconform's own request (%d bytes)", resp.BodyBytes)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  stream: %d events, %d comments, %d lines\n", rep.Stream.Dispatched, rep.Stream.Comments, rep.Stream.Lines)
		if d := rep.Direct; d != nil {
			fmt.Fprintf(w, "  without compression, directly: %s\n", describeRead(d))
		}
		if r := rep.Resume; r != nil {
			fmt.Fprintf(w, "  %s\n", describeResume(r))
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
		fmt.Fprintf(w, "%-7s %s: %s\n", strings.ToUpper(f.Severity), f.ID, f.Message)
		if len(f.Evidence) > 0 {
			fmt.Fprintf(w, "        evidence: %s\n", evidenceText(f))
		}
		if f.Fix != "" && f.Severity != sevInfo {
			fmt.Fprintf(w, "        fix: %s\n", f.Fix)
		}
	}
	fmt.Fprintf(w, "%d errors, %d warnings, %d notes, %d info\n",
		rep.Counts[sevError], rep.Counts[sevWarning], rep.Counts[sevNote], rep.Counts[sevInfo])
	fmt.Fprintf(w, "reports in %s: sseconform-server.html, sseconform-server.json\n", absPath(outDir))
}

// describeResume says in one line what the reconnection with
// Last-Event-ID got.
func describeResume(r *Resume) string {
	if r.LastEventID == "" {
		return "reconnection with Last-Event-ID: not made: " + r.Unchecked
	}
	s := fmt.Sprintf("reconnection with Last-Event-ID: %s after %.0f ms away (a continuous client got %s meanwhile): ",
		r.LastEventID, r.AwayMs, orNone(idList(r.Published)))
	if re := r.Reconnection; re != nil && re.Status == 200 {
		s += "first ids " + orNone(idList(firstIDs(re, 5)))
	} else if re != nil {
		s += describeRead(re)
	}
	if len(r.Repeated) > 0 {
		s += "; repeated " + idList(r.Repeated)
	}
	if len(r.Lost) > 0 {
		s += "; lost " + idList(r.Lost)
	}
	return s
}

// headerRow is one response header field for the HTML report.
type headerRow struct{ Name, Value string }

var serverTemplate = template.Must(template.New("server").Funcs(funcs).Funcs(template.FuncMap{
	"describeRead": describeRead, "describeResume": describeResume,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>sseconform: {{.R.URL}}</title>
<style>` + css + `</style></head><body><main>
<h1>Event stream check</h1>
<p class="meta"><code>{{.R.URL}}</code> from a page on <code>{{.R.PageOrigin}}</code>{{if .R.CrossOrigin}} (cross-origin){{end}}, in {{.R.Browser}}, {{.R.Started.Format "2006-01-02 15:04:05 MST"}}; read for at most {{.R.Duration}} or {{.R.MaxEvents}} events.</p>
<div class="cards">
<div class="card">errors<b class="{{if index .R.Counts "error"}}bad{{else}}ok{{end}}">{{index .R.Counts "error"}}</b></div>
<div class="card">warnings<b>{{index .R.Counts "warning"}}</b></div>
<div class="card">notes<b>{{index .R.Counts "note"}}</b></div>
<div class="card">info<b>{{index .R.Counts "info"}}</b></div>
{{range .R.Traces}}<div class="card">{{.Impl}}<b>{{if .Error}}<span class="bad">failed</span>{{else}}{{.Opens}} open, {{.Messages}} messages, {{.Errors}} errors{{end}}</b></div>{{end}}
</div>
<h2>Findings</h2>
{{range .R.Findings}}<section class="finding sev-{{.Severity}}"><b>{{.Severity}} · {{.ID}}</b><br>{{.Message}}
{{with .Evidence}}<table class="kv">{{range $k, $v := .}}<tr><th>{{$k}}</th><td>{{$v}}</td></tr>{{end}}</table>{{end}}
{{if and .Fix (ne .Severity "info")}}<p class="desc">Fix: {{.Fix}}</p>{{end}}</section>
{{else}}<p class="ok">No problem found.</p>{{end}}
<h2>Response</h2>
<table class="kv">
{{with .R.Response}}<tr><th>status</th><td>{{if .Status}}{{.Status}} {{.StatusText}}{{else}}none{{end}}{{with .Error}} · {{.}}{{end}}{{with .Blocked}} · {{.}}{{end}}</td></tr>
{{with .FinalURL}}<tr><th>final URL</th><td>{{.}}</td></tr>{{end}}
{{with .Protocol}}<tr><th>protocol</th><td>{{.}}</td></tr>{{end}}
<tr><th>timing</th><td>headers after {{printf "%.0f" .HeadersMs}} ms{{if .Chunks}}, first byte after {{printf "%.0f" .FirstMs}} ms{{end}}, {{.BodyBytes}} bytes in {{len .Chunks}} chunks, {{if .Ended}}ended{{else}}stopped ({{.StoppedBy}}){{end}} after {{printf "%.0f" .EndMs}} ms{{with .ReadBy}}; read by {{.}}{{end}}</td></tr>{{end}}
{{range .Headers}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}
{{with .R.Direct}}<tr><th>direct request</th><td>without compression: {{describeRead .}}</td></tr>{{end}}
{{with .R.Resume}}<tr><th>reconnection</th><td>{{describeResume .}}</td></tr>{{end}}
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
