package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// wptReportPath is the coverage table that go test ./e2e -run 'TestWPT$'
// -wpt.report writes, relative to the package directory.
const wptReportPath = "wpt.md"

// wptNotApplicable lists the files of WPT's eventsource/ directory that no
// case re-expresses, and why.
var wptNotApplicable = []struct{ files, why string }{
	{"dedicated-worker/* (eventsource-close.htm, eventsource-close2.htm, eventsource-constructor-no-new.any.js, " +
		"eventsource-constructor-non-same-origin.htm, eventsource-constructor-url-bogus.js, eventsource-eventtarget.worker.js, " +
		"eventsource-onmesage.htm, eventsource-onmessage.htm, eventsource-onopen.htm, eventsource-prototype.htm, eventsource-url.htm), " +
		"shared-worker/* (eventsource-close.htm, eventsource-constructor-non-same-origin.htm, eventsource-eventtarget.htm, eventsource-onopen.htm), " +
		"and the worker and shared-worker variants of each *.any.js",
		"They run EventSource inside a worker. WasmEventSource runs in dedicated and shared workers, classic and " +
			"module, and e2e/worker_test.go checks it there in every engine (events, named events, reconnection with " +
			"Last-Event-ID, close(), a headers function, URLs resolved against the worker's location); these files are " +
			"not yet re-expressed as worker cases: only the window variant of a *.any.js file is a case here."},
	{"submissions/MOSQUITO/* (accept-header-include-text-event-stream.html, field-name-event.html, user-agent-announce-connection.html)",
		"They connect to an external server, html5.mosquito-fp7.eu, not to WPT's own server, so they have no " +
			"handler to re-express. What they check is checked by request-accept, format-field-event, onopen and the " +
			"readystate-* cases."},
	{"interfaces.html: the subtests of the interface EventTarget itself (its interface object, prototype and members)",
		"They test DOM's EventTarget, which both implementations share; the subtests of EventTarget members on an " +
			"EventSource instance are cases (idl-eventtarget-*)."},
	{"resources/*.py, resources/*.php, resources/*.htm, README.md, META.yml",
		"Handlers and support files, not tests; server/refserver/wpt.go re-expresses the handlers at /wpt/resources/ " +
			"(message.py → message, message2.py, last-event-id.py and .php, last-event-id2.py, status-reconnect.py, " +
			"reconnect-fail.py, status-error.py and .php, accept.php and accept.event_stream → accept, " +
			"cache-control.event_stream → cache-control, cors.py, cors-cookie.py, cors-unsafe-last-event-id.py, " +
			"common/redirect.py → redirect; the session log of /sse/echo stands for bfcache-counter.py), and web/wpt/resources/frame-*.html " +
			"stand for init.htm and eventsource-onmessage-realm.htm."},
}

// wptAdaptations says where the cases or the server's handlers depart from
// WPT's, and why.
var wptAdaptations = []string{
	"The other origin is the second port of the test server, 127.0.0.1 like the first: another origin of the same " +
		"site, as WPT's www2 and élève hosts are. Cookies ignore the port, so the cookie state of status-reconnect " +
		"and reconnect-fail is shared by both origins, as it is by WPT's hosts.",
	"Cases run three at a time in one page per implementation, the two implementations at once, so each case " +
		"names its own server state (the id of status-reconnect and reconnect-fail, the ident of cors-cookie, the " +
		"token of cors-unsafe-last-event-id) where WPT relies on defaults or on a time stamp.",
	"cors-unsafe-last-event-id accepts a CORS preflight when it asks for the header Last-Event-ID. WPT's handler " +
		"means to refuse a preflight of the first request but tests for a Last-Event-ID header on the preflight " +
		"itself, which a preflight never has (Fetch sends only Access-Control-Request-Headers), so as written it " +
		"refuses every preflight.",
	"request-cancellation creates its source when the case runs, not in the load handler: the page has loaded " +
		"long before. It runs in a tab of its own, since window.stop() would cancel the other cases' requests.",
	"bfcache navigates the tab itself (chromedp) instead of a window of WPT's RemoteContextHelper, and counts the " +
		"open connections in the server's session log of /sse/echo instead of with bfcache-counter.py.",
	"interfaces.html uses idlharness.js; the idl-* cases check the same WebIDL rules (§3.7) by hand, one case per " +
		"subtest that idlharness makes for EventSource and for an EventSource instance.",
}

// wptOlderCopies maps the older copies of WPT files that the index of the
// repository still holds (the *.htm and *.js versions that the current
// *.any.js and *.window.js files replaced) to the file of the cases that
// cover them.
var wptOlderCopies = []struct{ files, current, note string }{
	{"event-data.html, event-data.js", "event-data.any.js", ""},
	{"eventsource-close.htm, eventsource-close.js", "eventsource-close.window.js", ""},
	{"eventsource-constructor-document-domain.htm", "eventsource-constructor-document-domain.window.js", ""},
	{"eventsource-constructor-empty-url.js", "eventsource-constructor-empty-url.any.js", ""},
	{"eventsource-constructor-non-same-origin.htm", "eventsource-constructor-non-same-origin.window.js", ""},
	{"eventsource-constructor-stringify.htm, eventsource-constructor-stringify.js", "eventsource-constructor-stringify.window.js", ""},
	{"eventsource-constructor-url-bogus.htm", "eventsource-constructor-url-bogus.any.js", ""},
	{"eventsource-cross-origin.htm, eventsource-cross-origin.js", "eventsource-cross-origin.window.js",
		"The .htm had a subtest \"no Allow-Credentials header should fail\", since dropped: its URL was malformed and its " +
			"source sent no credentials, so the header did not matter."},
	{"eventsource-eventtarget.js", "eventsource-eventtarget.any.js", ""},
	{"eventsource-onmessage.js", "eventsource-onmessage.any.js", ""},
	{"eventsource-onopen.js", "eventsource-onopen.any.js", ""},
	{"eventsource-prototype.htm, eventsource-prototype.js", "eventsource-prototype.any.js", ""},
	{"eventsource-reconnect.htm, eventsource-reconnect.js", "eventsource-reconnect.window.js", ""},
	{"eventsource-request-cancellation.any.js, eventsource-request-cancellation.htm, eventsource-request-cancellation.js",
		"eventsource-request-cancellation.any.window.js", ""},
	{"eventsource-url.js", "eventsource-url.any.js", ""},
	{"format-bom.js", "format-bom.any.js", ""},
	{"format-bom-2.htm", "format-bom-2.any.js", ""},
	{"format-comments.js", "format-comments.any.js", ""},
	{"format-data-before-final-empty-line.js", "format-data-before-final-empty-line.any.js", ""},
	{"format-field-data.htm, format-field-data.js", "format-field-data.any.js", ""},
	{"format-field-event-empty.htm", "format-field-event-empty.any.js", ""},
	{"format-field-event.htm", "format-field-event.any.js", ""},
	{"format-field-id.htm", "format-field-id.any.js", ""},
	{"format-field-id-2.htm", "format-field-id-2.any.js", ""},
	{"format-field-id-3.htm", "format-field-id-3.window.js", ""},
	{"format-field-id-null.htm", "format-field-id-null.window.js",
		"The .htm expected an id with U+0000 to be kept; the standard now ignores an id field whose value contains " +
			"U+0000 (HTML §9.2.6), and the .window.js checks that for five values."},
	{"format-field-retry.htm", "format-field-retry.any.js", ""},
	{"format-field-retry-bogus.htm", "format-field-retry-bogus.any.js", "The .htm used 2000 ms ± 10 %; the .any.js 3000 ms ± 25 %."},
	{"format-mime-valid-bogus.htm", "format-mime-valid-bogus.any.js", ""},
	{"format-null-character.html", "format-null-character.any.js", ""},
	{"format-utf-8.htm, format-utf-8.js", "format-utf-8.any.js", ""},
	{"request-accept.htm", "request-accept.any.js", ""},
	{"request-cache-control.htm", "request-cache-control.any.js", ""},
	{"request-credentials.htm", "request-credentials.any.window.js", ""},
	{"request-redirect.htm", "request-redirect.any.window.js", ""},
	{"request-status-error.htm", "request-status-error.window.js", ""},
}

// cell formats a result for the table.
func (r wptResult) cell() string {
	switch r.Status {
	case "pass":
		return "PASS"
	case "":
		return "—"
	}
	return strings.ToUpper(r.Status) + ": " + r.Message
}

// mdEscape makes s safe in a cell of a Markdown table.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "\x00", "\\0")
	return s
}

// writeWPTReport writes e2e/wpt.md from a run of every case.
func writeWPTReport(groups []wptGroup, run wptRunResults) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# WPT `eventsource/` parity\n\n")
	w("The subtests of the web-platform-tests directory [`eventsource/`](https://github.com/web-platform-tests/wpt/tree/master/eventsource),\n")
	w("re-expressed as the cases of `e2e/wpt_test.go` and `e2e/wpt_stream_test.go`, and their results with native\n")
	w("Chromium `EventSource` and with `WasmEventSource` installed as the page's `EventSource`, in the same browser.\n\n")
	w("The WPT files are those of the current tree, read from the repository index of web-platform-tests/wpt and, for the\n")
	w("files that index lacks (format-field-parsing, format-field-retry-empty, format-field-unknown, format-leading-space,\n")
	w("format-mime-bogus, format-mime-trailing-semicolon, format-newlines, format-field-id-3.window.js,\n")
	w("format-field-id-null.window.js, eventsource-cross-origin-redirect-origin), from copies of the same tree in browser\n")
	w("repositories. Only the facts they check carry over; the code is ours.\n\n")
	w("This file is written by a run: `go test ./e2e -run 'TestWPT$' -wpt.report` (after `make build`). Do not edit it.\n\n")
	w("Browser: `%s`\n\n", run.userAgent)

	w("## Summary\n\n")
	w("| cases | applicable subtests | native Chromium passes | WasmEventSource passes |\n|---|---:|---:|---:|\n")
	var total, totalN, totalW int
	for _, g := range groups {
		n, nw := 0, 0
		for _, c := range g.cases {
			if run.results["native"][c.ID].passed() {
				n++
			}
			if run.results["wasm"][c.ID].passed() {
				nw++
			}
		}
		native := fmt.Sprint(n)
		if g.polyfillOnly != "" {
			native += " (not implemented)"
		}
		w("| %s | %d | %s | %d |\n", g.name, len(g.cases), native, nw)
		total += len(g.cases)
		totalN += n
		totalW += nw
	}
	w("| all | %d | %d | %d |\n\n", total, totalN, totalW)
	w("`TestWPT` fails when WasmEventSource fails a case that native Chromium passes, unless the case is a known\n")
	w("difference (`wptKnownDifferences`, listed below with the reasons), and when native Chromium fails a case that\n")
	w("`wptNativeFailures` does not list. The `fromReadableStream` cases check WasmEventSource only: %s.\n\n",
		groups[len(groups)-1].polyfillOnly)

	for _, g := range groups {
		w("## Cases: %s\n\n", g.name)
		w("| WPT file | subtest | case | native | WasmEventSource | why not passing |\n|---|---|---|---|---|---|\n")
		cases := slices.Clone(g.cases)
		slices.SortStableFunc(cases, func(a, b wptCase) int { return strings.Compare(a.File, b.File) })
		for _, c := range cases {
			native, wasm := run.results["native"][c.ID], run.results["wasm"][c.ID]
			var why []string
			switch {
			case g.polyfillOnly != "" && !native.passed():
				why = append(why, "native: not implemented in Chromium.")
			case wptNativeFailures[c.ID] != "":
				why = append(why, "native: a Chromium failure (below).")
			}
			switch {
			case wptKnownDifferences[c.ID] != "":
				why = append(why, "WasmEventSource: a known difference (below).")
			case wptPolyfillBugs[c.ID] != "":
				why = append(why, "WasmEventSource: a polyfill bug (below).")
			case !wasm.passed() && g.polyfillOnly == "" && !native.passed():
				why = append(why, "WasmEventSource: as native.")
			case !wasm.passed():
				why = append(why, "WasmEventSource: not analysed.")
			}
			w("| %s | %s | `%s` | %s | %s | %s |\n", mdEscape(c.File), mdEscape(c.Subtest), c.ID,
				mdEscape(native.cell()), mdEscape(wasm.cell()), strings.Join(why, " "))
		}
		w("\n")
	}

	for _, list := range []struct {
		title, intro string
		m            map[string]string
	}{
		{"Known differences", "What WasmEventSource does differently from native Chromium, and cannot or will not avoid (`wptKnownDifferences`).", wptKnownDifferences},
		{"Polyfill bugs", "Cases that WasmEventSource fails because of bugs; `TestWPT` fails until they are fixed (`wptPolyfillBugs`).", wptPolyfillBugs},
		{"Chromium failures", "Cases that native Chromium fails (`wptNativeFailures`).", wptNativeFailures},
	} {
		w("## %s\n\n%s\n\n", list.title, list.intro)
		// One item per reason, with the cases it explains.
		byReason := map[string][]string{}
		for id, why := range list.m {
			byReason[why] = append(byReason[why], "`"+id+"`")
		}
		var items []string
		for why, ids := range byReason {
			sort.Strings(ids)
			items = append(items, "- "+strings.Join(ids, ", ")+": "+why+"\n")
		}
		sort.Strings(items)
		for _, item := range items {
			w("%s", item)
		}
		if len(items) == 0 {
			w("None.\n")
		}
		w("\n")
	}
	w("## How the cases differ from WPT's\n\n")
	for _, d := range wptAdaptations {
		w("- %s\n", d)
	}
	w("\n## Not applicable\n\n")
	for _, na := range wptNotApplicable {
		w("- %s. %s\n", na.files, na.why)
	}
	w("\n## Older copies\n\n")
	w("The index of WPT that this table was made from also holds older versions of some files, which the current\n")
	w("files replaced. Their subtests are those of the current file, which the cases above cover.\n\n")
	w("| older files | current file | note |\n|---|---|---|\n")
	for _, o := range wptOlderCopies {
		w("| %s | %s | %s |\n", o.files, o.current, mdEscape(o.note))
	}
	return os.WriteFile(filepath.Join(".", wptReportPath), []byte(b.String()), 0o644)
}
