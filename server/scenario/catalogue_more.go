package scenario

import (
	"strconv"
	"strings"
	"time"
)

// dripDelay separates the one-byte chunks of "slow-drip".
const dripDelay = 30 * time.Millisecond

// dropPause is how long a dropped connection stays open after its last
// byte. A connection cut at once can lose what was sent just before, in
// Chromium's native EventSource on a busy machine as well as in a client
// on fetch: the network error can overtake data the page has not read
// yet. These scenarios are about what the client does with the data it
// has, so they give it the time to read it.
const dropPause = time.Second

// stallTimeout is how long the recorder waits on a stalled connection
// before it gives up, in milliseconds. It leaves the polyfill time to load
// first on a busy machine: the recorder counts from the construction.
const stallTimeout = 3000

// moreScenarios are the scenarios of issue #8: failures, the framing of
// widely used servers, and cross-origin streams.
func moreScenarios() []Scenario {
	var all []Scenario
	all = append(all, failureScenarios()...)
	all = append(all, serverStyleScenarios()...)
	all = append(all, crossOriginScenarios()...)
	return all
}

// failureScenarios are status codes that fail the connection, redirects,
// connections that drop or stall, and a server that restarts.
func failureScenarios() []Scenario {
	return []Scenario{
		// Status codes: anything but 200 fails the connection, with
		// one error event and no open event (HTML §9.2.3).
		{
			Name:        "status-401",
			Description: "401 Unauthorized with a WWW-Authenticate challenge: the client fails the connection; it has no way to answer the challenge.",
			Responses: []Response{{
				Status: 401,
				Header: map[string]string{"Content-Type": "text/plain; charset=utf-8", "WWW-Authenticate": `Bearer realm="sse"`},
				Chunks: chunks("unauthorized\n"),
			}},
		},
		{
			Name:        "status-403",
			Description: "403 Forbidden with an event-stream body: the client fails the connection and dispatches nothing.",
			Responses: []Response{{
				Status: 403,
				Header: map[string]string{"Content-Type": "text/event-stream"},
				Chunks: chunks("data: this must not be dispatched\n\n"),
			}},
		},
		{
			Name: "status-503",
			Description: "503 Service Unavailable with Retry-After: 1 and a retry field in an event-stream body: " +
				"the client fails the connection for good; neither asks it to come back.",
			Responses: []Response{{
				Status: 503,
				Header: map[string]string{"Content-Type": "text/event-stream", "Retry-After": "1"},
				Chunks: chunks(fastRetry + "data: this must not be dispatched\n\n"),
			}},
		},

		// Redirects: fetch follows them (Fetch, "HTTP-redirect fetch"), and
		// the events' origin is the final URL's (HTML §9.2.6).
		redirect(301),
		redirect(302),
		redirect(308),
		{
			Name:        "redirect-chain",
			Description: "301, 302, 307 and 308 in a row, each to the same-origin stream URL, then the event stream.",
			Responses: []Response{
				{Status: 301, Header: map[string]string{"Location": "/sse/scenario/redirect-chain?session={{session}}&hop=1"}},
				{Status: 302, Header: map[string]string{"Location": "/sse/scenario/redirect-chain?session={{session}}&hop=2"}},
				{Status: 307, Header: map[string]string{"Location": "/sse/scenario/redirect-chain?session={{session}}&hop=3"}},
				{Status: 308, Header: map[string]string{"Location": "/sse/scenario/redirect-chain?session={{session}}&hop=4"}},
				held(chunks("id: 1\ndata: after four redirects\n\n")),
			},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("after four redirects", "1")},
		},

		// Dropped connections: the body never ends properly, which the
		// client handles like the end of the body (HTML §9.2.3): any
		// incomplete event is discarded and it reconnects. Each drops
		// a second after its last byte (dropPause).
		{
			Name: "drop-mid-event",
			Description: "The connection drops in the middle of an event, after its data line but before the blank line: " +
				"that event is not dispatched, and the reconnection sends Last-Event-ID: 1.",
			Responses: []Response{
				dropped(chunks(fastRetry+"id: 1\ndata: complete\n\n", "id: 2\ndata: partial")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("complete", "1"), message("last-event-id=1", "1")},
		},
		{
			Name: "drop-after-id-line",
			Description: "The connection drops right after an id: 2 line: an id takes effect only when its event is dispatched, " +
				"so the reconnection sends Last-Event-ID: 1.",
			Responses: []Response{
				dropped(chunks(fastRetry+"id: 1\ndata: a\n\n", "id: 2\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("a", "1"), message("last-event-id=1", "1")},
		},
		{
			Name: "drop-after-event",
			Description: "The connection drops right after a complete event with id: 2: " +
				"the reconnection sends Last-Event-ID: 2.",
			Responses: []Response{
				dropped(chunks(fastRetry+"id: 1\ndata: a\n\n", "id: 2\ndata: b\n\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("a", "1"), message("b", "2"), message("last-event-id=2", "2")},
		},
		{
			Name: "server-restart",
			Description: "A restarting server: the stream drops after id 3, two reconnections fail with a network error, " +
				"and the third resumes after the Last-Event-ID it sends.",
			Responses: []Response{
				dropped(chunks(fastRetry+"id: 1\ndata: one\n\nid: 2\ndata: two\n\n", "id: 3\ndata: three\n\n")),
				{Refuse: true},
				{Refuse: true},
				ended(chunks("id: 4\ndata: resumed after {{lastEventId}}\n\n")),
			},
			Expect: []Event{
				message("one", "1"), message("two", "2"), message("three", "3"),
				message("resumed after 3", "4"),
			},
		},

		// Slow and stalled connections.
		{
			Name:        "slow-drip",
			Description: "One short event written one byte every 30 ms: the client assembles it whatever the pace.",
			Responses:   []Response{held(drip("id: 1\ndata: drip\n\n", dripDelay))},
			Client:      Client{CloseAfter: 1},
			Expect:      []Event{message("drip", "1")},
		},
		{
			Name: "stalled-after-headers",
			Description: "The response head arrives, then nothing: the client stays open and dispatches nothing " +
				"until the recorder gives up after 3 s.",
			Responses: []Response{{Hold: true}},
			Client:    Client{TimeoutMs: stallTimeout},
		},
		{
			Name: "stalled-mid-event",
			Description: "One event, then a data line whose event never ends: the client waits for the blank line " +
				"and dispatches only the first, until the recorder gives up after 3 s.",
			Responses: []Response{held(chunks("data: complete\n\n", "data: never completed\n"))},
			Client:    Client{TimeoutMs: stallTimeout},
			Expect:    []Event{message("complete", "")},
		},
	}
}

// redirect is a scenario whose first response redirects with status code
// to the second, the event stream.
func redirect(code int) Scenario {
	name := "redirect-" + strconv.Itoa(code)
	return Scenario{
		Name: name,
		Description: "A " + strconv.Itoa(code) + " " + statusText[code] +
			" redirect to the same-origin stream URL, whose second response is the event stream; fetch follows it.",
		Responses: []Response{
			{Status: code, Header: map[string]string{"Location": "/sse/scenario/" + name + "?session={{session}}"}},
			held(chunks("data: after " + strconv.Itoa(code) + "\n\n")),
		},
		Client: Client{CloseAfter: 1},
		Expect: []Event{message("after "+strconv.Itoa(code), "")},
	}
}

var statusText = map[int]string{301: "Moved Permanently", 302: "Found", 308: "Permanent Redirect"}

// serverStyleScenarios write events the way widely used servers do. Each
// description says which documented format or source it follows; the bytes
// are only those of the body, since the reference server does its own
// HTTP framing.
func serverStyleScenarios() []Scenario {
	return []Scenario{
		{
			Name: "heartbeat-comments",
			Description: "Comment lines as keep-alive heartbeats, as servers send them every 15 to 30 s: ': ping' alone in a block, " +
				"several in a row, between two data lines, and ':ping' with no space; none dispatches or splits an event.",
			Responses: []Response{held(chunks(
				": ping\n\n",
				"data: one\n\n",
				": ping\n\n", ": ping\n\n",
				"data: two\n: ping\ndata: three\n\n",
				":ping\n\n",
			))},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("one", ""), message("two\nthree", "")},
		},
		largeFlushBatch(),
		{
			Name: "data-split-on-lf-only",
			Description: "Servers that prefix data lines only at LF, as Rails' ActionController::Live::SSE#write (gsub \"\\n\") " +
				"and donovanhide/eventsource do, send a CR inside data as it is: the client ends the line there, " +
				"so the text after the CR is read as a field name and lost, while CRLF inside data survives.",
			Responses: []Response{held(chunks("data: a\rb\n\n", "data: c\r\ndata: d\n\n"))},
			Client:    Client{CloseAfter: 2},
			Expect:    []Event{message("a", ""), message("c\nd", "")},
		},
		{
			Name: "gzip-split-events",
			Description: "Content-Encoding: gzip as compression middleware sends it when the application flushes after every write " +
				"(Express's compression with res.flush()): each gzip flush ends in the middle of a field or an event.",
			Responses: []Response{{
				Chunks: []Chunk{
					{Data: "id: 1\ndata: comp"},
					{Delay: splitDelay, Data: "ressed\ndata: split"},
					{Delay: splitDelay, Data: " mid-event\n"},
					{Delay: splitDelay, Data: "\ndata: second\n\n"},
				},
				Hold: true,
				Gzip: true,
			}},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("compressed\nsplit mid-event", "1"), message("second", "1")},
		},
		{
			Name: "sse-starlette",
			Description: "sse-starlette (Python) as its ServerSentEvent.encode writes: CRLF after every line, comment, id, event, " +
				"data lines, then retry; heartbeats ': ping - <timestamp>'.",
			Responses: []Response{held(chunks(
				": ping - 2025-01-01 00:00:00.000000+00:00\r\n\r\n",
				"id: 1\r\nevent: update\r\ndata: first line\r\ndata: second line\r\nretry: 15000\r\n\r\n",
				": ping - 2025-01-01 00:00:15.000000+00:00\r\n\r\n",
				"id: 2\r\ndata: {\"done\":true}\r\n\r\n",
			))},
			Client: Client{Events: []string{"update"}, CloseAfter: 2},
			Expect: []Event{typed("update", "first line\nsecond line", "1"), message(`{"done":true}`, "2")},
		},
		{
			Name: "rails-live-sse",
			Description: "Rails' ActionController::Live::SSE: Content-Type with ; charset=utf-8 as Rails adds it, " +
				"then retry, event and id before the data, as SSE.new(stream, retry: 300, event: \"tick\") writes them.",
			Responses: []Response{{
				Header: map[string]string{"Content-Type": "text/event-stream; charset=utf-8"},
				Chunks: chunks(
					"retry: 300\nevent: tick\nid: 10\ndata: {\"name\":\"John\"}\n\n",
					"retry: 300\nevent: tick\ndata: line one\ndata: line two\n\n",
				),
				Hold: true,
			}},
			Client: Client{Events: []string{"tick"}, CloseAfter: 2},
			Expect: []Event{typed("tick", `{"name":"John"}`, "10"), typed("tick", "line one\nline two", "10")},
		},
		{
			Name: "r3labs-sse",
			Description: "r3labs/sse (Go) writes id: before every event, empty when the event has none, then data, event and retry: " +
				"the empty id resets the last event ID, so the reconnection sends no Last-Event-ID.",
			Responses: []Response{
				ended(chunks(
					"id: 7\ndata: with an id\nretry: 50\n\n",
					"id: \ndata: without an id\nevent: note\n\n",
				)),
				ended(chunks(lastEventIDProbe)),
			},
			Client: Client{Events: []string{"note"}},
			Expect: []Event{
				message("with an id", "7"), typed("note", "without an id", ""),
				message("last-event-id=", ""),
			},
		},
		{
			Name: "spring-webflux",
			Description: "Spring WebFlux's ServerSentEventHttpMessageWriter: no space after any colon; id, event, retry, " +
				"':' comment, then data with each LF turned into LF data:; a data value that starts with a space loses it.",
			Responses: []Response{held(chunks(
				"id:1\nevent:update\nretry:5000\n:a comment\ndata:{\"a\":1}\n\n",
				"id:2\ndata:line one\ndata:line two\n\n",
				"data: leading space\n\n",
			))},
			Client: Client{Events: []string{"update"}, CloseAfter: 3},
			Expect: []Event{
				typed("update", `{"a":1}`, "1"),
				message("line one\nline two", "2"),
				message("leading space", "2"),
			},
		},
		{
			Name: "signalr",
			Description: "ASP.NET Core SignalR's SSE transport: a ':' CRLF preamble, then each message as data: lines with CRLF, " +
				"the JSON record separator U+001E kept; a lone CR in a payload is sent as it is, so the text after it is lost " +
				"(ServerSentEventsMessageFormatter and its tests).",
			Responses: []Response{held(chunks(
				":\r\n",
				"data: {}\x1e\r\n\r\n",
				"\r\n",
				"data: Hello\rWorld\r\ndata: Next\r\ndata: Last\r\r\n\r\n",
			))},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("{}\x1e", ""), message("Hello\nNext\nLast", "")},
		},
		{
			Name: "warp",
			Description: "warp's (Rust) sse::Event of the 0.2 and 0.3 releases: no space after any colon; ':' comment, event, " +
				"data lines split at LF only, then id and retry after the data; keep-alive ':' blocks.",
			Responses: []Response{held(chunks(
				":\n\n",
				"event:update\ndata:first\ndata: second\nid:1\nretry:3000\n\n",
				":keep-alive\n\n",
				"data:a\rb\nid:2\n\n",
			))},
			Client: Client{Events: []string{"update"}, CloseAfter: 2},
			Expect: []Event{typed("update", "first\nsecond", "1"), message("a", "2")},
		},
		{
			Name: "flask-sse",
			Description: "Flask-SSE's Message: no space after any colon; event, data lines (str.splitlines), id, retry; " +
				"a message with empty data has no data line and dispatches nothing.",
			Responses: []Response{held(chunks(
				"event:greeting\ndata:hello\nid:1\nretry:3000\n\n",
				"event:greeting\n\n",
				"data:line\ndata:separated\nid:2\n\n",
			))},
			Client: Client{Events: []string{"greeting"}, CloseAfter: 2},
			Expect: []Event{typed("greeting", "hello", "1"), message("line\nseparated", "2")},
		},
		{
			Name: "gin-sse",
			Description: "gin-contrib/sse (Gin's c.SSEvent): Content-Type text/event-stream;charset=utf-8, no space after any colon, " +
				"id, event, retry, then data with LF turned into LF data: and CR escaped as the two characters \\r.",
			Responses: []Response{{
				Header: map[string]string{"Content-Type": "text/event-stream;charset=utf-8"},
				Chunks: chunks("id:1\nevent:update\nretry:3000\ndata:a\ndata:b\n\n", `id:2`+"\n"+`data:a\rb`+"\n\n"),
				Hold:   true,
			}},
			Client: Client{Events: []string{"update"}, CloseAfter: 2},
			Expect: []Event{typed("update", "a\nb", "1"), message(`a\rb`, "2")},
		},
		{
			Name: "faye-websocket",
			Description: "faye-websocket's EventSource (Node): the body opens with an empty line and retry: 5000, then CRLF events " +
				"with event before id, data keeping each original line break before data:, and ':' pings.",
			Responses: []Response{held(chunks(
				"\r\nretry: 5000\r\n\r\n",
				"event: update\r\nid: 1\r\ndata: one\ndata: two\r\n\r\n",
				":\r\n\r\n",
				"id: 2\r\ndata: three\r\ndata: four\r\n\r\n",
			))},
			Client: Client{Events: []string{"update"}, CloseAfter: 2},
			Expect: []Event{typed("update", "one\ntwo", "1"), message("three\nfour", "2")},
		},
	}
}

// largeFlushBatch is 500 events in one chunk, as a buffering proxy or
// server delivers a backlog.
func largeFlushBatch() Scenario {
	const count = 500
	var b strings.Builder
	expect := make([]Event, 0, count)
	for n := 1; n <= count; n++ {
		id := strconv.Itoa(n)
		b.WriteString("id: " + id + "\ndata: event " + id + "\n\n")
		expect = append(expect, message("event "+id, id))
	}
	return Scenario{
		Name: "large-flush-batch",
		Description: "500 events with ids in one chunk, as a buffering proxy (nginx with proxy_buffering on) " +
			"or a server catching up a backlog delivers them; every one is dispatched, in order.",
		Responses: []Response{held(chunks(b.String()))},
		Client:    Client{CloseAfter: count},
		Expect:    expect,
	}
}

// crossOriginScenarios redirect the stream to the other origin, where the
// CORS protocol decides whether the client may read it (Fetch, "CORS
// check"). The EventSource's request has credentials mode "same-origin"
// unless withCredentials is set, which the recorder never does.
//
// Where the CORS check fails, the standard has the client reconnect (a
// network error, HTML §9.2.3) while Chromium fails the connection; these
// scenarios end with that response, so both read the same events. A
// reconnection after a redirect goes to the URL redirected to: it fetches
// the EventSource's request again, whose URL list the redirect extended.
func crossOriginScenarios() []Scenario {
	toOther := func(name, query string) Response {
		return Response{Status: 307, Header: map[string]string{
			"Location": "{{otherOrigin}}/sse/scenario/" + name + "?session={{session}}" + query,
		}}
	}
	return []Scenario{
		{
			Name: "cors-redirect",
			Description: "A 307 redirect to the same stream on the other origin, which allows the page's origin with credentials: " +
				"the client reads it, and the events' origin is the other origin.",
			Responses: []Response{
				toOther("cors-redirect", ""),
				held(chunks("id: 1\ndata: from the other origin\n\n")),
			},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("from the other origin", "1")},
		},
		{
			Name: "cors-redirect-reconnect",
			Description: "A redirect to the other origin, whose stream ends: the reconnection fetches the source's request again, " +
				"whose URL list the redirect extended, so it goes straight to the other origin (the events' origin shows it) " +
				"with Last-Event-ID: 1, a header that needs a CORS preflight there.",
			Responses: []Response{
				toOther("cors-redirect-reconnect", ""),
				ended(chunks(fastRetry + "id: 1\ndata: first connection\n\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("first connection", "1"), message("last-event-id=1", "1")},
		},
		{
			Name:        "cors-wildcard",
			Description: "The other origin answers Access-Control-Allow-Origin: * without credentials, enough for a request without them.",
			Responses: []Response{
				toOther("cors-wildcard", ""),
				{
					Header: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": ""},
					Chunks: chunks("data: wildcard\n\n"),
					Hold:   true,
				},
			},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("wildcard", "")},
		},
		{
			Name: "cors-wildcard-credentials",
			Description: "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true: the pair is refused only " +
				"for a request with credentials, so a source without withCredentials reads the stream.",
			Responses: []Response{
				toOther("cors-wildcard-credentials", ""),
				{
					Header: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
					Chunks: chunks("data: wildcard with credentials\n\n"),
					Hold:   true,
				},
			},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("wildcard with credentials", "")},
		},
		{
			Name: "cors-no-acao",
			Description: "The other origin's stream has no Access-Control-Allow-Origin: the CORS check fails, " +
				"the client dispatches nothing and ends CLOSED.",
			Responses: []Response{
				toOther("cors-no-acao", ""),
				{
					Header: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": ""},
					Chunks: chunks("data: this must not be dispatched\n\n"),
					Hold:   true,
				},
			},
		},
		{
			Name: "cors-wrong-origin",
			Description: "The other origin allows only https://example.com: the CORS check fails, " +
				"the client dispatches nothing and ends CLOSED.",
			Responses: []Response{
				toOther("cors-wrong-origin", ""),
				{
					Header: map[string]string{"Access-Control-Allow-Origin": "https://example.com"},
					Chunks: chunks("data: this must not be dispatched\n\n"),
					Hold:   true,
				},
			},
		},
		{
			Name: "cors-redirect-hop-no-acao",
			Description: "A redirect to the other origin, which redirects again without Access-Control-Allow-Origin: " +
				"a cross-origin redirect must pass the CORS check too, so the client ends CLOSED without following it.",
			Responses: []Response{
				toOther("cors-redirect-hop-no-acao", "&hop=1"),
				{Status: 302, Header: map[string]string{
					"Location":                    "{{otherOrigin}}/sse/scenario/cors-redirect-hop-no-acao?session={{session}}&hop=2",
					"Access-Control-Allow-Origin": "",
				}},
			},
		},
	}
}

// dropped is a response that writes cs, waits dropPause, and then cuts the
// connection.
func dropped(cs []Chunk) Response {
	return Response{Chunks: append(cs, Chunk{Delay: dropPause}), Drop: true}
}

// drip turns s into one chunk per byte, each after delay.
func drip(s string, delay time.Duration) []Chunk {
	cs := bytewise(s)
	for i := 1; i < len(cs); i++ {
		cs[i].Delay = delay
	}
	return cs
}
