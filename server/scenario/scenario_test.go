package scenario

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCatalogueExpectations reads every scenario's bytes the way the standard
// says a client must and checks the result against the scenario's Expect and
// Client.CloseAfter, so that a trace recorder never waits for an event that
// will not come.
func TestCatalogueExpectations(t *testing.T) {
	for _, s := range Catalogue() {
		t.Run(s.Name, func(t *testing.T) {
			got, last := play(t, s)
			switch {
			case len(last.Repeat) > 0:
				if s.Client.CloseAfter == 0 || len(got) <= s.Client.CloseAfter {
					t.Fatalf("endless scenario: CloseAfter = %d with %d events read from %d repetitions",
						s.Client.CloseAfter, len(got), s.Client.CloseAfter+1)
				}
				got = got[:s.Client.CloseAfter]
			case last.Hold && s.Client.TimeoutMs > 0:
				// The connection stalls, and the recorder gives up.
				if s.Client.CloseAfter != 0 {
					t.Errorf("stalled scenario: CloseAfter = %d, want 0 with TimeoutMs", s.Client.CloseAfter)
				}
			case last.Hold:
				if s.Client.CloseAfter != len(got) {
					t.Errorf("held scenario: CloseAfter = %d, but %d events are dispatched", s.Client.CloseAfter, len(got))
				}
			default:
				if s.Client.CloseAfter != 0 || s.Client.TimeoutMs != 0 {
					t.Errorf("scenario ends by itself: CloseAfter = %d and TimeoutMs = %d, want 0",
						s.Client.CloseAfter, s.Client.TimeoutMs)
				}
			}
			assertEvents(t, got, s.Expect)
			for _, e := range s.Expect {
				if e.Type != "message" && !slices.Contains(s.Client.Events, e.Type) {
					t.Errorf("event type %q is expected but not in Client.Events %q", e.Type, s.Client.Events)
				}
			}
		})
	}
}

func TestCatalogueNames(t *testing.T) {
	required := []string{
		"simple", "named-events", "multiline-data", "ids-reconnect", "retry", "close",
		"status-204", "status-500", "status-404", "wrong-content-type", "content-type-charset",
		"lf", "cr", "crlf", "mixed-line-ends", "bom", "double-bom", "cr-lf-split", "utf8-split",
		"invalid-utf8", "one-byte-chunks", "comments", "data-no-space", "field-no-colon",
		"unknown-fields", "id-with-nul", "empty-id-resets", "retry-non-digits",
		"empty-data-no-dispatch", "incomplete-event-discarded", "event-message-explicit",
		"unicode", "long-line", "long-events-batch", "many-tiny-events", "trailing-lf-data",
	}
	urlSafe := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, s := range Catalogue() {
		if !urlSafe.MatchString(s.Name) {
			t.Errorf("name %q is not lower-case words joined by hyphens", s.Name)
		}
		if seen[s.Name] {
			t.Errorf("name %q appears twice", s.Name)
		}
		seen[s.Name] = true
		if s.Description == "" || strings.ContainsAny(s.Description, "\r\n") {
			t.Errorf("%s: description %q is not one line", s.Name, s.Description)
		}
		if len(s.Responses) == 0 {
			t.Errorf("%s: no responses", s.Name)
		}
		got, ok := Lookup(s.Name)
		if !ok || got.Name != s.Name {
			t.Errorf("Lookup(%q) = %q, %v", s.Name, got.Name, ok)
		}
	}
	for _, name := range required {
		if !seen[name] {
			t.Errorf("the catalogue lacks %q", name)
		}
	}
	if _, ok := Lookup("no-such-scenario"); ok {
		t.Error(`Lookup("no-such-scenario") found a scenario`)
	}
}

// TestCatalogueOrderIsStable guards the order that listings and golden files
// rely on.
func TestCatalogueOrderIsStable(t *testing.T) {
	names := func() (ns []string) {
		for _, s := range Catalogue() {
			ns = append(ns, s.Name)
		}
		return ns
	}
	if a, b := names(), names(); !slices.Equal(a, b) {
		t.Errorf("two calls disagree:\n%q\n%q", a, b)
	}
}

func TestVarsExpand(t *testing.T) {
	tests := []struct {
		name string
		vars Vars
		in   string
		want string
	}{
		{"no placeholder", Vars{LastEventID: "7"}, "data: x\n\n", "data: x\n\n"},
		{"last event id", Vars{LastEventID: "7"}, "data: {{lastEventId}}\n\n", "data: 7\n\n"},
		{"absent last event id", Vars{}, "data: [{{lastEventId}}]\n\n", "data: []\n\n"},
		{"session", Vars{Session: "abc"}, "/x?session={{session}}", "/x?session=abc"},
		{"repetition", Vars{N: 3}, "data: tick {{n}}\n\n", "data: tick 3\n\n"},
		{"several", Vars{LastEventID: "1", N: 2}, "{{n}}{{lastEventId}}{{n}}", "212"},
		{"unknown placeholder kept", Vars{}, "{{other}}", "{{other}}"},
		{"other origin", Vars{OtherOrigin: "http://127.0.0.1:2"}, "{{otherOrigin}}/sse", "http://127.0.0.1:2/sse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.vars.Expand(tt.in); got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeUTF8(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ascii", "abc", "abc"},
		{"valid", "é€😀", "é€😀"},
		{"lone continuation", "a\x80b", "a\uFFFDb"},
		{"truncated three-byte", "\xE2\x82x", "\uFFFDx"},
		{"overlong", "\xC0\x80", "\uFFFD\uFFFD"},
		{"surrogate", "\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"above U+10FFFF", "\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"truncated at the end", "a\xF0\x9F", "a\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeUTF8([]byte(tt.in)); got != tt.want {
				t.Errorf("decodeUTF8(%q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// play reads the responses of s in order as a conforming client would meet
// them and returns the events it dispatches and the last response it read.
func play(t *testing.T, s Scenario) ([]Event, Response) {
	t.Helper()
	var (
		events []Event
		// lastEventID is the event source's last event ID string, which
		// each reconnection sends as Last-Event-ID (HTML §9.2.3).
		lastEventID string
		last        Response
		// crossOrigin is true once a redirect went to the other
		// origin, where each response must pass the CORS check (Fetch,
		// "HTTP-redirect fetch" and "CORS check"). It stays true: a
		// reconnection fetches the EventSource's request again (HTML
		// §9.2.3), whose URL list the redirect extended, so it goes
		// straight to the other origin, as Chromium does.
		crossOrigin bool
	)
	for _, r := range s.Responses {
		last = r
		if r.Refuse {
			// A network error: the client reestablishes the
			// connection (HTML §9.2.3).
			continue
		}
		if crossOrigin && !corsAllowed(r) {
			// The CORS check fails, which is a network error too, so
			// the standard reconnects as above. Chromium fails the
			// connection instead; the cross-origin scenarios are
			// built so that both read the same events.
			continue
		}
		code := r.StatusCode()
		if code >= 300 && code < 400 {
			// Fetch follows the redirect; the next request of the
			// session gets the next response. Nothing is reset.
			location, ok := r.Header["Location"]
			if !ok {
				t.Fatalf("a %d response has no Location", code)
			}
			if strings.HasPrefix(location, "{{otherOrigin}}") {
				crossOrigin = true
			} else if crossOrigin {
				t.Fatalf("a redirect back from the other origin taints the request's origin; the model does not follow it")
			}
			continue
		}
		if code != 200 || !isEventStream(r) {
			// "fail the connection": no more requests.
			return events, last
		}
		vars := Vars{LastEventID: lastEventID, Session: "session", OtherOrigin: "http://other.test"}
		var body []byte
		for _, c := range r.Chunks {
			body = append(body, vars.Expand(c.Data)...)
		}
		for vars.N = 1; vars.N <= s.Client.CloseAfter+1 && len(r.Repeat) > 0; vars.N++ {
			for _, c := range r.Repeat {
				body = append(body, vars.Expand(c.Data)...)
			}
		}
		var got []Event
		got, lastEventID = interpret(decodeUTF8(body), lastEventID)
		events = append(events, got...)
		if !r.Ends() {
			return events, last
		}
	}
	// The request after the last response gets 204 No Content.
	return events, Response{Status: 204}
}

// corsAllowed reports whether a response from the other origin passes the
// CORS check of a request whose credentials mode is "same-origin", as an
// EventSource's is without withCredentials. The reference server echoes the
// request's Origin in Access-Control-Allow-Origin unless a scenario sets the
// field: "*" then passes, and any other value fails, since a scenario cannot
// know the port of the page's origin. Credentials are not checked, for the
// request sends none (Fetch, "CORS check").
func corsAllowed(r Response) bool {
	v, set := r.Header["Access-Control-Allow-Origin"]
	return !set || v == "*"
}

// isEventStream reports whether the Content-Type of r has the MIME type
// essence text/event-stream, comparing case-insensitively as MIME Sniffing
// says.
func isEventStream(r Response) bool {
	ct, ok := r.Header["Content-Type"]
	if !ok {
		return true // the server's default
	}
	essence, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(essence), "text/event-stream")
}

// interpret applies HTML §9.2.6 "Interpreting an event stream" to one
// decoded stream. Browsers seed the last event ID buffer of a new connection
// with the event source's last event ID string (Chromium's EventSourceParser
// is built with it); the standard's text initialises the buffer to the empty
// string, which no browser does, since every event of a reconnection would
// then lose its lastEventId.
func interpret(stream, lastEventID string) ([]Event, string) {
	stream = strings.TrimPrefix(stream, "\uFEFF")
	var (
		events                []Event
		data, eventType       strings.Builder
		lastEventIDBuffer     = lastEventID
		hasData, hasEventType bool
	)
	for {
		i := strings.IndexAny(stream, "\r\n")
		if i < 0 {
			// "Once the end of the file is reached, any pending data
			// must be discarded."
			return events, lastEventID
		}
		line := stream[:i]
		if strings.HasPrefix(stream[i:], "\r\n") {
			stream = stream[i+2:]
		} else {
			stream = stream[i+1:]
		}
		switch {
		case line == "":
			// Dispatch the event.
			lastEventID = lastEventIDBuffer
			if hasData {
				e := Event{Type: "message", Data: strings.TrimSuffix(data.String(), "\n"), LastEventID: lastEventID}
				if hasEventType && eventType.Len() > 0 {
					e.Type = eventType.String()
				}
				events = append(events, e)
			}
			data.Reset()
			eventType.Reset()
			hasData, hasEventType = false, false
			continue
		case line[0] == ':':
			continue
		}
		name, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "event":
			eventType.Reset()
			eventType.WriteString(value)
			hasEventType = true
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				lastEventIDBuffer = value
			}
		case "retry":
			// The reconnection time is not part of an event.
		}
	}
}

// decodeUTF8 is the UTF-8 decoder of the Encoding standard (§8.1.1), which
// replaces each maximal invalid subsequence with one U+FFFD. Go's own
// conversion replaces each invalid byte instead, so it cannot stand in.
func decodeUTF8(b []byte) string {
	var (
		out                    []rune
		codePoint, needed      int
		seen                   int
		lowerBound, upperBound = 0x80, 0xBF
	)
	for i := 0; i < len(b); {
		c := int(b[i])
		if needed == 0 {
			i++
			switch {
			case c <= 0x7F:
				out = append(out, rune(c))
			case c >= 0xC2 && c <= 0xDF:
				needed, codePoint = 1, c&0x1F
			case c >= 0xE0 && c <= 0xEF:
				if c == 0xE0 {
					lowerBound = 0xA0
				}
				if c == 0xED {
					upperBound = 0x9F
				}
				needed, codePoint = 2, c&0xF
			case c >= 0xF0 && c <= 0xF4:
				if c == 0xF0 {
					lowerBound = 0x90
				}
				if c == 0xF4 {
					upperBound = 0x8F
				}
				needed, codePoint = 3, c&0x7
			default:
				out = append(out, 0xFFFD)
			}
			continue
		}
		if c < lowerBound || c > upperBound {
			// The byte is read again as the start of what follows.
			codePoint, needed, seen = 0, 0, 0
			lowerBound, upperBound = 0x80, 0xBF
			out = append(out, 0xFFFD)
			continue
		}
		i++
		lowerBound, upperBound = 0x80, 0xBF
		codePoint = codePoint<<6 | c&0x3F
		seen++
		if seen == needed {
			out = append(out, rune(codePoint))
			codePoint, needed, seen = 0, 0, 0
		}
	}
	if needed != 0 {
		out = append(out, 0xFFFD)
	}
	return string(out)
}

// assertEvents fails t when got and want differ, naming the first
// difference rather than printing a mebibyte of data.
func assertEvents(t *testing.T, got, want []Event) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("event %d missing, want %s", i, show(want[i]))
			return
		case i >= len(want):
			t.Errorf("unexpected event %d: %s", i, show(got[i]))
			return
		case !reflect.DeepEqual(got[i], want[i]):
			t.Errorf("event %d:\n got %s\nwant %s", i, show(got[i]), show(want[i]))
			return
		}
	}
}

// show prints an event briefly.
func show(e Event) string {
	data := e.Data
	if len(data) > 80 {
		data = data[:80] + "…"
	}
	return fmt.Sprintf("type=%q data=%+q lastEventId=%q", e.Type, data, e.LastEventID)
}
