// Package known holds the differences between WasmEventSource and native
// Chromium that are known and explained, each with its reason, in one
// place: the e2e tests (the scenarios whose polyfill trace is checked in as
// e2e/testdata/<name>.wasm.golden, and the WPT cases that the polyfill fails
// by design), the report of sseconform, the list in README.md and
// e2e/wpt.md all take them from here. TestREADME keeps the README's list
// equal to Markdown.
package known

import (
	"fmt"
	"slices"
	"strings"
)

// A Difference is one way in which WasmEventSource does something other
// than native Chromium, and cannot or will not avoid it.
type Difference struct {
	// ID names the difference in reports: stable, lower case.
	ID string `json:"id"`
	// Reason says why, in a few sentences.
	Reason string `json:"reason"`
	// Scenarios are the scenarios of server/scenario whose polyfill trace
	// differs from native's golden trace for this reason; each polyfill
	// trace is checked in as e2e/testdata/<name>.wasm.golden.
	Scenarios []string `json:"scenarios,omitempty"`
	// WPT are the cases of e2e/wpt_test.go that the polyfill fails, while
	// native Chromium passes, for this reason.
	WPT []string `json:"wpt,omitempty"`
	// Engines are the engines (chromium, firefox, webkit) in which the
	// difference shows, or none for every engine. The polyfill trace of a
	// scenario that differs in one engine only is checked in as
	// e2e/testdata/<engine>/<name>.wasm.golden.
	Engines []string `json:"engines,omitempty"`
}

const lastEventIDPreflight = "fetch() treats Last-Event-ID as a header that is not CORS-safelisted, so a " +
	"cross-origin reconnection of the polyfill with any last event ID sends a CORS preflight first; native " +
	"EventSource sends it without one, whatever its value (see cross-origin-preflight-long)."

// Differences are all the known differences.
var Differences = []Difference{
	{
		ID: "cors-failure",
		Reason: "fetch() rejects with the same TypeError for a failed CORS check as for a network error " +
			"(Fetch hides the reason from scripts), so the polyfill treats it as a network error and reestablishes " +
			"the connection (readyState CONNECTING, HTML §9.2.3); native EventSource knows the CORS check failed and " +
			"fails the connection (CLOSED).",
		Scenarios: []string{"cors-no-acao", "cors-wrong-origin", "cors-redirect-hop-no-acao"},
		WPT:       []string{"cross-origin-wrong-origin", "cross-origin-empty-origin", "cross-origin-no-allow-origin"},
	},
	{
		ID:     "last-event-id-preflight",
		Reason: lastEventIDPreflight,
		WPT:    []string{"cross-origin-preflight-safe"},
	},
	{
		ID: "credentials-preflight",
		Reason: lastEventIDPreflight + " Here the reconnection carries Last-Event-ID: 1, and " +
			"the handler, as WPT's cors-cookie.py, does not allow the header in its answer to the preflight, so every " +
			"reconnection of the polyfill fails and the second event never comes.",
		WPT: []string{"request-credentials-enabled", "request-credentials-disabled", "request-credentials-default"},
	},
	{
		ID: "window-stop",
		Reason: "window.stop() cancels the page's fetches, and fetch() then rejects with the same " +
			"TypeError (\"Failed to fetch\") as for a network error, so the polyfill reestablishes the connection " +
			"(readyState CONNECTING) as HTML §9.2.3 says for a network error; native EventSource is aborted by the stop, " +
			"which fails the connection (CLOSED). No event or error value tells a page script that window.stop() ran.",
		WPT: []string{"request-cancellation"},
	},
	{
		ID: "fetch-waits-for-body",
		Reason: "Firefox's fetch() resolves only when the first bytes of the body arrive, not with the response " +
			"head, so the polyfill cannot fire open for a stream that stalls after its head; Firefox's own " +
			"EventSource does not fire it either.",
		Scenarios: []string{"stalled-after-headers"},
		Engines:   []string{"firefox"},
	},
	{
		ID: "header-utf8-twice",
		Reason: "WebKit's fetch() encodes a header value as UTF-8 of its code points, where Fetch takes each code " +
			"unit as a byte: the polyfill's Last-Event-ID, the ID's UTF-8 bytes as code units (as Fetch requires), " +
			"arrives encoded twice, and WebKit's Headers refuse code points above U+00FF, so no value can carry " +
			"such an ID right. WebKit's own EventSource sends the ID right; IDs of ASCII alone are not affected.",
		Scenarios: []string{"unicode-id-reconnect"},
		WPT:       []string{"format-field-id", "format-field-id-2"},
		Engines:   []string{"webkit"},
	},
	{
		ID: "is-trusted",
		Reason: "isTrusted is true only for events that the user agent dispatches " +
			"(DOM §2.2); an event that a script constructs and dispatches, as a polyfill must, has isTrusted false.",
		WPT: []string{"onmessage-trusted"},
	},
	{
		ID: "add-event-listener",
		Reason: "WasmEventSource.prototype has an addEventListener of its own, which calls EventTarget's and notes " +
			"the event type, so that while a for await loop runs, events of a type no listener was added for need no " +
			"MessageEvent (README, \"Async iteration\"): EventTarget keeps no list of listeners that a script can read. " +
			"It behaves as EventTarget's, but is not the same function.",
		WPT: []string{"idl-eventtarget-addeventlistener"},
	},
	{
		ID: "class-name",
		Reason: "By design the polyfill's class is WasmEventSource: its name and its @@toStringTag say so, so that " +
			"a page can tell the implementations apart; install() only assigns it to window.EventSource.",
		WPT: []string{"idl-interface-name", "idl-prototype-object", "idl-instance-stringification"},
	},
}

// Scenario returns the difference that explains the polyfill trace of the
// scenario name in engine, and the name of its golden file under
// e2e/testdata without ".golden": <name>.wasm for a difference in every
// engine, <engine>/<name>.wasm for one in some.
func Scenario(engine, name string) (d Difference, golden string, ok bool) {
	for _, d := range Differences {
		if !slices.Contains(d.Scenarios, name) {
			continue
		}
		if len(d.Engines) == 0 {
			return d, name + ".wasm", true
		}
		if slices.Contains(d.Engines, engine) {
			return d, engine + "/" + name + ".wasm", true
		}
	}
	return Difference{}, "", false
}

// Scenarios returns the golden file names (as Scenario gives them) of all
// the scenarios with a known difference, sorted.
func Scenarios() []string {
	var names []string
	for _, d := range Differences {
		for _, name := range d.Scenarios {
			if len(d.Engines) == 0 {
				names = append(names, name+".wasm")
			}
			for _, e := range d.Engines {
				names = append(names, e+"/"+name+".wasm")
			}
		}
	}
	slices.Sort(names)
	return names
}

// WPTCases returns the reason of each WPT case that the polyfill fails by
// design in engine, by case id.
func WPTCases(engine string) map[string]string {
	m := map[string]string{}
	for _, d := range Differences {
		if len(d.Engines) > 0 && !slices.Contains(d.Engines, engine) {
			continue
		}
		for _, id := range d.WPT {
			m[id] = d.Reason
		}
	}
	return m
}

// Markdown is the list of the differences as README.md has it.
func Markdown() string {
	var b strings.Builder
	for _, d := range Differences {
		var where []string
		if len(d.Scenarios) > 0 {
			where = append(where, "scenarios "+codeList(d.Scenarios))
		}
		if len(d.WPT) > 0 {
			where = append(where, "WPT "+codeList(d.WPT))
		}
		if len(d.Engines) > 0 {
			where = append(where, "in "+strings.Join(d.Engines, " and ")+" only")
		}
		fmt.Fprintf(&b, "- `%s` (%s): %s\n", d.ID, strings.Join(where, "; "), d.Reason)
	}
	return b.String()
}

func codeList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}
