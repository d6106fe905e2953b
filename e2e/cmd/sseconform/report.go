package main

import (
	"bytes"
	"encoding/json"
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

func marshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var funcs = template.FuncMap{
	// anchor is an id for a scenario and an implementation.
	"anchor": func(parts ...string) string {
		return "r-" + regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(strings.Join(parts, "-"), "_")
	},
	"index1": func(i int) string {
		if i < 0 {
			return ""
		}
		return strconv.Itoa(i)
	},
	// dict makes a map of its key and value arguments, for a template
	// that needs more than one.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"sourceName": func(x expectation) string {
		if x.Source == fromGolden {
			return "expected: golden " + x.Golden
		}
		return "expected: the standard (message events and the end)"
	},
}

// css is the style of both reports: no external asset, so that a report
// reads offline and as a CI artifact.
const css = `
:root { color-scheme: light dark; --bg:#f7f8fb; --fg:#1b1f2a; --muted:#5d6475; --line:#e2e5ee; --card:#fff;
  --ok:#15803d; --ok-bg:#e3f6e9; --bad:#b91c1c; --bad-bg:#fde8e8; --warn:#b45309; --warn-bg:#fdf1dc; --info-bg:#eef2ff;
  --mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
@media (prefers-color-scheme: dark) { :root { --bg:#0e1117; --fg:#e6e8ee; --muted:#a1a8b8; --line:#2a3140; --card:#161b24;
  --ok:#4ade80; --ok-bg:#12301e; --bad:#f87171; --bad-bg:#3a1616; --warn:#fbbf24; --warn-bg:#3a2a0c; --info-bg:#1e2540; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { margin-top: 2em; } h3 { margin: 0 0 6px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; min-width: 180px; }
.card b { display: block; font-family: var(--mono); font-weight: 600; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
table { border-collapse: collapse; background: var(--card); }
.matrix th, .matrix td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; }
.matrix td.cell { text-align: center; font-weight: 600; }
.matrix td.pass { background: var(--ok-bg); color: var(--ok); }
.matrix td.fail { background: var(--bad-bg); color: var(--bad); }
.matrix td.cell a { color: inherit; }
.matrix td.known { background: var(--info-bg); color: var(--muted); }
body:has(#only-failures:checked) .matrix tr.all-pass { display: none; }
mark { background: var(--warn-bg); color: var(--warn); font-weight: 700; border-radius: 3px; }
.badge { font-size: .75em; padding: 1px 6px; border-radius: 8px; background: var(--warn-bg); color: var(--warn); margin-left: 6px; white-space: nowrap; }
.desc { color: var(--muted); font-size: .9em; }
section.failure, section.finding { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 14px 0; }
ul.problems { margin: 6px 0 10px; padding-left: 20px; }
.diff { width: 100%; table-layout: fixed; font-family: var(--mono); font-size: 12.5px; }
.diff th { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); font-family: system-ui, sans-serif; }
.diff td { padding: 2px 6px; vertical-align: top; white-space: pre-wrap; word-break: break-all; }
.diff .n { width: 3.5em; color: var(--muted); text-align: right; }
.diff tr.change td.l, .diff tr.del td.l { background: var(--bad-bg); }
.diff tr.change td.r, .diff tr.add td.r { background: var(--ok-bg); }
.diff tr.gap td { color: var(--muted); font-style: italic; text-align: center; }
.sev-error { border-left: 4px solid var(--bad) !important; } .sev-warning { border-left: 4px solid var(--warn) !important; } .sev-note, .sev-info { border-left: 4px solid var(--muted) !important; }
.kv th { text-align: left; padding: 2px 12px 2px 0; color: var(--muted); font-weight: 500; vertical-align: top; }
.kv td { font-family: var(--mono); font-size: 13px; word-break: break-all; }
pre { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px; overflow: auto; font-size: 12.5px; }
`

// diffTemplate shows rows side by side: expected on the left, actual on the
// right; in a changed entry the fields that differ are marked.
const diffTemplate = `{{define "entry"}}{{if .Fields}}{{"{"}}{{range $i, $f := .Fields}}{{if $i}},{{end}}{{if $f.Differs}}<mark>{{printf "%q" $f.Key}}:{{$f.Value}}</mark>{{else}}{{printf "%q" $f.Key}}:{{$f.Value}}{{end}}{{end}}{{"}"}}{{else}}{{.Line}}{{end}}{{end}}
{{define "diff"}}<table class="diff"><thead><tr><th class="n">#</th><th>{{.L}}</th><th class="n">#</th><th>{{.R}}</th></tr></thead><tbody>
{{range .Rows}}{{if eq .Op "gap"}}<tr class="gap"><td colspan="4">… {{.Left}} …</td></tr>
{{else}}<tr class="{{.Op}}"><td class="n">{{index1 .LeftIndex}}</td><td class="l">{{template "entry" (dict "Fields" .LeftFields "Line" .Left)}}</td><td class="n">{{index1 .RightIndex}}</td><td class="r">{{template "entry" (dict "Fields" .RightFields "Line" .Right)}}</td></tr>
{{end}}{{end}}</tbody></table>{{end}}`

// cellClass and cellText show a verdict in the matrix.
func cellClass(verdict string) string { return "cell " + verdict }

func cellText(verdict string) string {
	if verdict == verdictFail {
		return "FAIL"
	}
	return verdict
}

var conformTemplate = template.Must(template.New("conform").Funcs(funcs).Funcs(template.FuncMap{
	"cellClass": cellClass, "cellText": cellText, "levelScore": levelScore,
	"allPass": func(cells []Cell) bool {
		for _, c := range cells {
			if c.Behaviour != verdictPass || c.Fidelity != verdictPass {
				return false
			}
		}
		return true
	},
}).Parse(diffTemplate + `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>sseconform: EventSource conformance</title>
<style>` + css + `</style></head><body><main>
<h1>EventSource conformance</h1>
<p class="meta">{{len .Scenarios}} scenarios in {{.Browser}}, {{.Started.Format "2006-01-02 15:04:05 MST"}}, {{.Duration}}.
{{if .GoldenDir}}A trace must equal the golden trace of native Chromium in <code>{{.GoldenDir}}</code>; a scenario without one is checked against the standard.{{else}}Traces are checked against the standard: the message events of each scenario and how it ends.{{end}}
Each trace is compared twice: for <b>behaviour</b>, with object fidelity (class, origin, target, EventTarget-ness, URL resolution) set aside, and for <b>fidelity</b>, in full.
A polyfill trace equal to the checked-in trace of a <b>known</b> difference fails nothing.</p>
<div class="cards">{{range .Impls}}{{$l := index $.Levels .Name}}<div class="card">{{.Name}}<b>behaviour {{levelScore (index $l "behaviour") (len $.Scenarios)}}</b><b>fidelity {{levelScore (index $l "fidelity") (len $.Scenarios)}}</b></div>{{end}}</div>
<input type="checkbox" id="only-failures"><label for="only-failures"> show only the scenarios that are not a pass everywhere</label>
<table class="matrix"><thead><tr><th rowspan="2">Scenario</th>{{range .Impls}}<th colspan="2">{{.Name}}</th>{{end}}</tr>
<tr>{{range .Impls}}<th>behaviour</th><th>fidelity</th>{{end}}</tr></thead><tbody>
{{range $s := .Scenarios}}<tr class="{{if allPass .Cells}}all-pass{{else}}not-pass{{end}}"><td><b>{{.Name}}</b>{{if .SpecDisagreement}}<a class="badge" href="#{{anchor "spec" .Name}}">native ≠ spec</a>{{end}}<div class="desc">{{.Description}}</div></td>
{{range .Cells}}{{$link := ""}}{{if not .Pass}}{{$link = anchor $s.Name .Impl}}{{else if .Known}}{{$link = anchor "known" $s.Name .Impl}}{{end}}<td class="{{cellClass .Behaviour}}">{{if $link}}<a href="#{{$link}}">{{cellText .Behaviour}}</a>{{else}}{{cellText .Behaviour}}{{end}}</td><td class="{{cellClass .Fidelity}}">{{if $link}}<a href="#{{$link}}">{{cellText .Fidelity}}</a>{{else}}{{cellText .Fidelity}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{$failed := false}}{{range .Scenarios}}{{range .Cells}}{{if not .Pass}}{{$failed = true}}{{end}}{{end}}{{end}}
{{if $failed}}<h2>Failures</h2>
{{range $s := .Scenarios}}{{range .Cells}}{{if not .Pass}}<section class="failure" id="{{anchor $s.Name .Impl}}">
<h3>{{$s.Name}} · {{.Impl}} · behaviour {{cellText .Behaviour}}, fidelity {{cellText .Fidelity}}</h3><p class="desc">{{$s.Description}} · {{sourceName $s.Expect}}{{with .EndedBy}} · ended by {{.}}{{end}}</p>
<ul class="problems">{{range .Problems}}<li>{{.}}</li>{{end}}{{range .FidelityProblems}}<li>fidelity: {{.}}</li>{{end}}{{range .Notes}}<li class="desc">{{.}}</li>{{end}}</ul>
{{if .Diff}}<p class="desc">Every differing entry, {{if eq .DiffLevel "behaviour"}}with object fidelity set aside{{else}}in full{{end}}; the fields that differ are marked.</p>
{{template "diff" (dict "L" "Expected" "R" "Actual" "Rows" .Diff)}}{{end}}
</section>
{{end}}{{end}}{{end}}{{end}}
{{$known := false}}{{range .Scenarios}}{{range .Cells}}{{if and .Pass .Known}}{{$known = true}}{{end}}{{end}}{{end}}
{{if $known}}<h2>Known differences</h2>
<p class="desc">Traces equal to the checked-in polyfill trace of a difference from native Chromium that is known and explained (e2e/internal/known): they fail nothing.</p>
{{range $s := .Scenarios}}{{range .Cells}}{{if and .Pass .Known}}<section class="failure known" id="{{anchor "known" $s.Name .Impl}}">
<h3>{{$s.Name}} · {{.Impl}} · known difference <code>{{.Known.ID}}</code></h3><p class="desc">{{$s.Description}} · expected: {{$s.Expect.Known.Golden}}</p>
<p>{{.Known.Reason}}</p></section>
{{end}}{{end}}{{end}}{{end}}
{{$disagree := false}}{{range .Scenarios}}{{if .SpecDisagreement}}{{$disagree = true}}{{end}}{{end}}
{{if $disagree}}<h2>Where native Chromium and the spec disagree</h2>
<p class="desc">The events the standard asks for (the scenario's Expect list) next to what native Chromium dispatched.</p>
{{range .Scenarios}}{{if .SpecDisagreement}}<section class="failure" id="{{anchor "spec" .Name}}"><h3>{{.Name}}</h3><p class="desc">{{.Description}}</p>
{{template "diff" (dict "L" "The standard" "R" "Native Chromium" "Rows" .SpecDisagreement)}}</section>
{{end}}{{end}}{{end}}
</main></body></html>
`))

func renderConformHTML(rep *Report) ([]byte, error) {
	var b bytes.Buffer
	if err := conformTemplate.Execute(&b, rep); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
