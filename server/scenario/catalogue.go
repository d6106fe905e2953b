package scenario

import (
	"strconv"
	"strings"
	"time"
)

// splitDelay separates chunks whose boundary matters, long enough that the
// browser's network stack hands them to the client as separate reads.
const splitDelay = 20 * time.Millisecond

// byteDelay separates the one-byte chunks of "one-byte-chunks".
const byteDelay = 5 * time.Millisecond

// fastRetry opens every stream that ends, so the client reconnects quickly
// ("retry" field, HTML §9.2.6).
const fastRetry = "retry: 50\n"

// lastEventIDProbe is an event that reports which Last-Event-ID header the
// reconnection carried (HTML §9.2.4).
const lastEventIDProbe = "data: last-event-id={{lastEventId}}\n\n"

// catalogue builds every scenario. Each one's Expect is written out by hand
// from the standard's rules; scenario_test.go checks it against an
// independent reading of the bytes.
func catalogue() []Scenario {
	return append([]Scenario{
		// Basics.
		{
			Name:        "simple",
			Description: "Three messages, then the stream stays open.",
			Responses:   []Response{held(chunks("data: one\n\n", "data: two\n\n", "data: three\n\n"))},
			Client:      Client{CloseAfter: 3},
			Expect:      []Event{message("one", ""), message("two", ""), message("three", "")},
		},
		{
			Name:        "named-events",
			Description: "The event field sets the type: add, remove, then a plain message.",
			Responses: []Response{held(chunks(
				"event: add\ndata: a1\n\n",
				"event: remove\ndata: r1\n\n",
				"data: plain\n\n",
			))},
			Client: Client{Events: []string{"add", "remove"}, CloseAfter: 3},
			Expect: []Event{typed("add", "a1", ""), typed("remove", "r1", ""), message("plain", "")},
		},
		{
			Name:        "event-type-reset",
			Description: "The event type buffer is reset after each dispatch, so the second event is a message again.",
			Responses:   []Response{held(chunks("event: add\ndata: a\n\ndata: b\n\n"))},
			Client:      Client{Events: []string{"add"}, CloseAfter: 2},
			Expect:      []Event{typed("add", "a", ""), message("b", "")},
		},
		{
			Name:        "multiline-data",
			Description: "Several data lines are joined with LF, including a first line that is empty.",
			Responses: []Response{held(chunks(
				"data: line one\ndata: line two\ndata: line three\n\n",
				"data:\ndata: after an empty line\n\n",
			))},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("line one\nline two\nline three", ""), message("\nafter an empty line", "")},
		},
		{
			Name:        "ids-reconnect",
			Description: "Events with ids 1 and 2, the body ends, and the reconnection must send Last-Event-ID: 2.",
			Responses: []Response{
				ended(chunks(fastRetry+"id: 1\ndata: first\n\n", "id: 2\ndata: second\n\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("first", "1"), message("second", "2"), message("last-event-id=2", "2")},
		},
		{
			Name:        "retry",
			Description: "retry: 300 sets the reconnection time, so the second request comes at least 300 ms after the first ends.",
			Responses: []Response{
				ended(chunks("retry: 300\ndata: before\n\n")),
				ended(chunks("data: after\n\n")),
			},
			Expect: []Event{message("before", ""), message("after", "")},
		},
		{
			Name:        "close",
			Description: "A message every 50 ms for as long as the client stays; close() must abort the request.",
			Responses: []Response{{
				Repeat: []Chunk{{Delay: 50 * time.Millisecond, Data: "data: tick {{n}}\n\n"}},
			}},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("tick 1", ""), message("tick 2", "")},
		},
		{
			Name:        "redirect",
			Description: "A 307 redirect to the same scenario, whose second response is the event stream; fetch follows it.",
			Responses: []Response{
				{Status: 307, Header: map[string]string{"Location": "/sse/scenario/redirect?session={{session}}"}},
				held(chunks("data: after redirect\n\n")),
			},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("after redirect", "")},
		},
		{
			Name:        "gzip",
			Description: "The stream is sent with Content-Encoding: gzip; the client sees the decoded events.",
			Responses: []Response{{
				Chunks: chunks("data: compressed one\n\n", "data: compressed two\n\n"),
				Hold:   true,
				Gzip:   true,
			}},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("compressed one", ""), message("compressed two", "")},
		},

		// Status codes and content types (HTML §9.2.3, "announce the
		// connection" and "fail the connection").
		{
			Name:        "status-204",
			Description: "204 No Content: the client fails the connection and does not reconnect.",
			Responses:   []Response{{Status: 204}},
		},
		{
			Name:        "status-500",
			Description: "500 with an event-stream body: any status other than 200 fails the connection, and nothing is dispatched.",
			Responses: []Response{{
				Status: 500,
				Header: map[string]string{"Content-Type": "text/event-stream"},
				Chunks: chunks("data: this must not be dispatched\n\n"),
			}},
		},
		{
			Name:        "status-404",
			Description: "404 Not Found with a text body: the client fails the connection.",
			Responses: []Response{{
				Status: 404,
				Header: map[string]string{"Content-Type": "text/plain; charset=utf-8"},
				Chunks: chunks("not found\n"),
			}},
		},
		{
			Name:        "reconnect-then-error",
			Description: "The first stream ends; the reconnection gets 500, which fails the connection for good.",
			Responses: []Response{
				ended(chunks(fastRetry + "data: before the error\n\n")),
				{Status: 500, Header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Chunks: chunks("server error\n")},
			},
			Expect: []Event{message("before the error", "")},
		},
		{
			Name:        "wrong-content-type",
			Description: "200 text/plain whose body looks like a valid stream: the client fails the connection.",
			Responses: []Response{{
				Header: map[string]string{"Content-Type": "text/plain"},
				Chunks: chunks("data: this must not be dispatched\n\n"),
			}},
		},
		{
			Name:        "no-content-type",
			Description: "200 with no Content-Type at all: the client fails the connection.",
			Responses: []Response{{
				Header: map[string]string{"Content-Type": ""},
				Chunks: chunks("data: this must not be dispatched\n\n"),
			}},
		},
		{
			Name:        "content-type-charset",
			Description: "text/event-stream; charset=utf-8 is still an event stream: its MIME type essence matches.",
			Responses: []Response{{
				Header: map[string]string{"Content-Type": "text/event-stream; charset=utf-8"},
				Chunks: chunks("data: one\n\n", "data: two\n\n"),
				Hold:   true,
			}},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("one", ""), message("two", "")},
		},
		{
			Name:        "content-type-uppercase",
			Description: "Text/Event-Stream: MIME types compare case-insensitively, so this is an event stream.",
			Responses: []Response{{
				Header: map[string]string{"Content-Type": "Text/Event-Stream"},
				Chunks: chunks("data: one\n\n"),
				Hold:   true,
			}},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("one", "")},
		},

		// Line ends (HTML §9.2.5: "end-of-line = ( cr lf / cr / lf )").
		framing("lf", "Lines end in LF.", "\n"),
		framing("cr", "Lines end in CR alone; the last blank line must dispatch without waiting for more bytes.", "\r"),
		framing("crlf", "Lines end in CRLF.", "\r\n"),
		{
			Name:        "mixed-line-ends",
			Description: "CRLF, CR and LF mixed within one event and between events.",
			Responses: []Response{held(chunks(
				"data: a\r\ndata: b\rdata: c\n\r\n",
				"data: d\n\r",
				"id: 1\r\ndata: e\r\r",
			))},
			Client: Client{CloseAfter: 3},
			Expect: []Event{message("a\nb\nc", ""), message("d", ""), message("e", "1")},
		},
		{
			Name:        "cr-lf-split",
			Description: "A CRLF split across chunks is one line end: the LF arriving later must not end an empty line.",
			Responses: []Response{held([]Chunk{
				{Data: "data: split\r"},
				{Delay: splitDelay, Data: "\ndata: next\r\n\r\n"},
			})},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("split\nnext", "")},
		},

		// Decoding (HTML §9.2.5: "Streams must be decoded using the UTF-8
		// decode algorithm").
		{
			Name:        "bom",
			Description: "One leading U+FEFF BYTE ORDER MARK is stripped, so the first line is a data field.",
			Responses:   []Response{held(chunks("\uFEFFdata: after the bom\n\n", "data: two\n\n"))},
			Client:      Client{CloseAfter: 2},
			Expect:      []Event{message("after the bom", ""), message("two", "")},
		},
		{
			Name:        "bom-split",
			Description: "The three bytes of the leading BOM arrive in separate chunks and are still stripped.",
			Responses: []Response{held([]Chunk{
				{Data: "\xEF"},
				{Delay: splitDelay, Data: "\xBB"},
				{Delay: splitDelay, Data: "\xBFdata: after the bom\n\n"},
			})},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("after the bom", "")},
		},
		{
			Name:        "double-bom",
			Description: "Only one BOM is stripped: the second makes the first field name unknown, so the first event has no data.",
			Responses:   []Response{held(chunks("\uFEFF\uFEFFdata: lost\n\ndata: kept\n\n"))},
			Client:      Client{CloseAfter: 1},
			Expect:      []Event{message("kept", "")},
		},
		{
			Name:        "utf8-split",
			Description: "Multi-byte characters (é, €, an emoji) split across chunks are decoded whole.",
			Responses: []Response{held([]Chunk{
				{Data: "data: caf\xC3"},
				{Delay: splitDelay, Data: "\xA9 costs 5 \xE2\x82"},
				{Delay: splitDelay, Data: "\xAC \xF0\x9F"},
				{Delay: splitDelay, Data: "\x98"},
				{Delay: splitDelay, Data: "\x80\n\n"},
			})},
			Client: Client{CloseAfter: 1},
			Expect: []Event{message("café costs 5 € 😀", "")},
		},
		{
			Name:        "invalid-utf8",
			Description: "Invalid UTF-8 becomes U+FFFD, one per maximal invalid subsequence, as the Encoding standard decodes it.",
			Responses: []Response{held(chunks(
				"data: a\xFFb\n\n",          // a byte that never starts a sequence
				"data: c\xE2\x82d\n\n",      // a truncated three-byte sequence: one U+FFFD
				"data: \xC0\x80\n\n",        // an overlong encoding: two U+FFFD
				"data: \xED\xA0\x80\n\n",    // an encoded surrogate: three U+FFFD
				"data: end\xF0\x9F\x98\n\n", // a truncated emoji just before the line end
			))},
			Client: Client{CloseAfter: 5},
			Expect: []Event{
				message("a\uFFFDb", ""),
				message("c\uFFFDd", ""),
				message("\uFFFD\uFFFD", ""),
				message("\uFFFD\uFFFD\uFFFD", ""),
				message("end\uFFFD", ""),
			},
		},
		{
			Name:        "one-byte-chunks",
			Description: "A few events written one byte per chunk.",
			Responses:   []Response{held(bytewise("id: 1\ndata: one\n\nevent: add\ndata: two\n\ndata: three\r\n\r\n"))},
			Client:      Client{Events: []string{"add"}, CloseAfter: 3},
			Expect:      []Event{message("one", "1"), typed("add", "two", "1"), message("three", "1")},
		},
		{
			Name:        "unicode",
			Description: "Multilingual text and emoji in data, event type and id.",
			Responses: []Response{held(chunks(
				"data: Grüße, こんにちは, Здравствуйте, مرحبا, שלום, नमस्ते\n\n",
				"event: ünïcødé\nid: ид-1\ndata: 👋🏽 👨‍👩‍👧 🇺🇳\n\n",
			))},
			Client: Client{Events: []string{"ünïcødé"}, CloseAfter: 2},
			Expect: []Event{
				message("Grüße, こんにちは, Здравствуйте, مرحبا, שלום, नमस्ते", ""),
				typed("ünïcødé", "👋🏽 👨‍👩‍👧 🇺🇳", "ид-1"),
			},
		},
		{
			Name:        "nul-in-data",
			Description: "U+0000 NULL in data is kept as is; only the id field refuses it.",
			Responses:   []Response{held(chunks("data: a\x00b\n\n"))},
			Client:      Client{CloseAfter: 1},
			Expect:      []Event{message("a\x00b", "")},
		},

		// Lines and fields (HTML §9.2.6, "Interpreting an event stream").
		{
			Name:        "comments",
			Description: "Lines starting with a colon are comments, including a colon alone, and never dispatch.",
			Responses: []Response{held(chunks(
				": a comment before anything\n\n",
				"data: one\n: between two data lines\ndata: two\n\n",
				":\n\n:no space\ndata: three\n\n",
			))},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("one\ntwo", ""), message("three", "")},
		},
		{
			Name:        "blank-lines",
			Description: "Extra blank lines dispatch nothing, because the data buffer is empty.",
			Responses:   []Response{held(chunks("\n\n\ndata: a\n\n\n\n\ndata: b\n\n"))},
			Client:      Client{CloseAfter: 2},
			Expect:      []Event{message("a", ""), message("b", "")},
		},
		{
			Name:        "data-no-space",
			Description: "One space after the colon is removed and only one: data:x, data: x and data:  x (two spaces).",
			Responses:   []Response{held(chunks("data:x\n\n", "data: x\n\n", "data:  x\n\n"))},
			Client:      Client{CloseAfter: 3},
			Expect:      []Event{message("x", ""), message("x", ""), message(" x", "")},
		},
		{
			Name:        "field-no-colon",
			Description: "A line with no colon is a field with an empty value: data alone adds an empty line of data.",
			Responses:   []Response{held(chunks("data\ndata\n\n", "data\n\n", "event\ndata: typed by an empty event field\n\n"))},
			Client:      Client{CloseAfter: 3},
			Expect:      []Event{message("\n", ""), message("", ""), message("typed by an empty event field", "")},
		},
		{
			Name:        "unknown-fields",
			Description: "Unknown field names are ignored; names are case-sensitive and a space before the colon belongs to the name.",
			Responses: []Response{held(chunks(
				"foo: bar\ndata: one\nDATA: upper case\nData: title case\ndata : space before colon\nretry-after: 5\n\n",
				"bar\ndata: two\n\n",
			))},
			Client: Client{CloseAfter: 2},
			Expect: []Event{message("one", ""), message("two", "")},
		},
		{
			Name:        "trailing-lf-data",
			Description: "Only the one trailing LF of the data buffer is removed: data: a then an empty data line gives \"a\\n\".",
			Responses:   []Response{held(chunks("data: a\ndata:\n\n", "data: b\ndata\ndata\n\n"))},
			Client:      Client{CloseAfter: 2},
			Expect:      []Event{message("a\n", ""), message("b\n\n", "")},
		},
		{
			Name:        "event-message-explicit",
			Description: "event: message and an empty event field both give the type message.",
			Responses:   []Response{held(chunks("event: message\ndata: explicit\n\n", "event:\ndata: empty type\n\n"))},
			Client:      Client{CloseAfter: 2},
			Expect:      []Event{message("explicit", ""), message("empty type", "")},
		},
		{
			Name:        "empty-data-no-dispatch",
			Description: "Blocks without data dispatch nothing, but an id in them still becomes the last event ID.",
			Responses:   []Response{held(chunks("event: x\n\n", "id: 9\n\n", "data: after\n\n"))},
			Client:      Client{Events: []string{"x"}, CloseAfter: 1},
			Expect:      []Event{message("after", "9")},
		},

		// The id field and the last event ID (HTML §9.2.4 and §9.2.6).
		{
			Name:        "id-with-nul",
			Description: "An id containing U+0000 NULL is ignored, so the last event ID stays 1.",
			Responses:   []Response{held(chunks("id: 1\ndata: a\n\n", "id: 2\x003\ndata: b\n\n"))},
			Client:      Client{CloseAfter: 2},
			Expect:      []Event{message("a", "1"), message("b", "1")},
		},
		{
			Name:        "empty-id-resets",
			Description: "An empty id (id: or id alone) resets the last event ID, so the reconnection sends no Last-Event-ID.",
			Responses: []Response{
				ended(chunks(fastRetry+"id: 5\ndata: a\n\n", "id:\ndata: b\n\n", "id: 6\ndata: c\n\n", "id\ndata: d\n\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{
				message("a", "5"), message("b", ""), message("c", "6"), message("d", ""),
				message("last-event-id=", ""),
			},
		},
		{
			Name:        "incomplete-event-discarded",
			Description: "The stream ends in the middle of an event: that event is discarded, and the reconnection gets 204.",
			Responses:   []Response{ended(chunks(fastRetry+"data: complete\n\n", "data: incomplete\n"))},
			Expect:      []Event{message("complete", "")},
		},
		{
			Name:        "incomplete-event-keeps-id",
			Description: "An id in an event cut off by the end of the stream never becomes the last event ID: the reconnection sends 1.",
			Responses: []Response{
				ended(chunks(fastRetry+"id: 1\ndata: a\n\n", "id: 2\ndata: lost\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("a", "1"), message("last-event-id=1", "1")},
		},
		{
			Name: "unicode-id-reconnect",
			Description: "A non-ASCII id (é€) becomes the last event ID, and the reconnection sends it in Last-Event-ID " +
				"encoded as UTF-8 (HTML §9.2.3).",
			Responses: []Response{
				ended(chunks(fastRetry + "id: é€\ndata: a\n\n")),
				ended(chunks(lastEventIDProbe)),
			},
			Expect: []Event{message("a", "é€"), message("last-event-id=é€", "é€")},
		},

		// The retry field (HTML §9.2.6: "If the field value consists of only
		// ASCII digits ...").
		{
			Name: "retry-non-digits",
			Description: "retry: 50, then retry values that are not all ASCII digits (5000x, -5000, \" 5000\", 5000.0, +5000, 5e3): " +
				"all ignored, so the reconnection comes after about 50 ms, not 5 s.",
			Responses: []Response{
				ended(chunks(fastRetry +
					"retry: 5000x\nretry: -5000\nretry:  5000\nretry: 5000.0\nretry: +5000\nretry: 5e3\n" +
					"data: x\n\n")),
				ended(chunks("data: reconnected\n\n")),
			},
			Expect: []Event{message("x", ""), message("reconnected", "")},
		},

		// Volume.
		longLine(),
		longEventsBatch(),
		manyTinyEvents(),
	}, moreScenarios()...)
}

// framing is a scenario whose events are separated by the line end eol and
// nothing else, so that lf, cr and crlf expect the same events.
func framing(name, description, eol string) Scenario {
	text := strings.Join([]string{
		"data: one", "data: two", "",
		"id: 1", "event: add", "data: three", "",
		": comment", "data: four", "", "",
	}, eol)
	return Scenario{
		Name:        name,
		Description: description,
		Responses:   []Response{held(chunks(text))},
		Client:      Client{Events: []string{"add"}, CloseAfter: 3},
		Expect:      []Event{message("one\ntwo", ""), typed("add", "three", "1"), message("four", "1")},
	}
}

// longLine is one data line of 1 MiB written in 64 KiB chunks.
func longLine() Scenario {
	const size, chunk = 1 << 20, 64 << 10
	data := pattern(size)
	text := "data: " + data + "\n\n"
	var cs []Chunk
	for len(text) > 0 {
		n := min(chunk, len(text))
		cs = append(cs, Chunk{Data: text[:n]})
		text = text[n:]
	}
	return Scenario{
		Name:        "long-line",
		Description: "One data line of 1 MiB written in 64 KiB chunks.",
		Responses:   []Response{held(cs)},
		Client:      Client{CloseAfter: 1},
		Expect:      []Event{message(data, "")},
	}
}

// longEventsBatch is events of 2.5 to 5 KB, several to a chunk: messages
// alone (one of them with empty data, one of two lines), then
// named events with IDs and a retry between them, then short messages
// before a long one.
func longEventsBatch() Scenario {
	p := pattern
	return Scenario{
		Name: "long-events-batch",
		Description: "Events of 2.5 to 5 KB, several to a chunk: messages alone, then named events with IDs and a retry, " +
			"then short messages before a long one; every one is dispatched whole, in order.",
		Responses: []Response{held(chunks(
			"data: "+p(3000)+"\n\ndata: "+p(3100)+"\n\ndata:\n\ndata: "+p(3200)+"\ndata: "+p(100)+"\n\n",
			"event: add\nid: 7\ndata: "+p(2500)+"\n\nretry: 5000\n\ndata: "+p(2600)+"\n\nevent: remove\nid: 8\ndata: "+p(2700)+"\ndata: "+p(2800)+"\n\n",
			"data: a\n\ndata: b\n\ndata: c\n\ndata: "+p(5000)+"\n\n",
		))},
		Client: Client{Events: []string{"add", "remove"}, CloseAfter: 11},
		Expect: []Event{
			message(p(3000), ""), message(p(3100), ""), message("", ""), message(p(3200)+"\n"+p(100), ""),
			typed("add", p(2500), "7"), message(p(2600), "7"), typed("remove", p(2700)+"\n"+p(2800), "8"),
			message("a", "8"), message("b", "8"), message("c", "8"), message(p(5000), "8"),
		},
	}
}

// manyTinyEvents is 10 000 small events written 1 000 to a chunk.
func manyTinyEvents() Scenario {
	const count, perChunk = 10000, 1000
	var cs []Chunk
	var expect []Event
	var b strings.Builder
	for n := 1; n <= count; n++ {
		b.WriteString("data: " + strconv.Itoa(n) + "\n\n")
		expect = append(expect, message(strconv.Itoa(n), ""))
		if n%perChunk == 0 {
			cs = append(cs, Chunk{Data: b.String()})
			b.Reset()
		}
	}
	return Scenario{
		Name:        "many-tiny-events",
		Description: "10 000 events data: N, 1 000 to a chunk.",
		Responses:   []Response{held(cs)},
		Client:      Client{CloseAfter: count},
		Expect:      expect,
	}
}

// pattern returns n printable ASCII bytes that make truncation easy to spot.
func pattern(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
}

// chunks turns each string into a chunk written without delay.
func chunks(data ...string) []Chunk {
	cs := make([]Chunk, len(data))
	for i, d := range data {
		cs[i] = Chunk{Data: d}
	}
	return cs
}

// bytewise turns s into one chunk per byte, each after byteDelay.
func bytewise(s string) []Chunk {
	cs := make([]Chunk, len(s))
	for i := range len(s) {
		cs[i] = Chunk{Delay: byteDelay, Data: s[i : i+1]}
	}
	cs[0].Delay = 0
	return cs
}

// held is a 200 event stream that stays open after its chunks.
func held(cs []Chunk) Response { return Response{Chunks: cs, Hold: true} }

// ended is a 200 event stream whose body ends after its chunks.
func ended(cs []Chunk) Response { return Response{Chunks: cs} }

// message is an event of type "message".
func message(data, lastEventID string) Event { return typed("message", data, lastEventID) }

// typed is an event of the given type.
func typed(typ, data, lastEventID string) Event {
	return Event{Type: typ, Data: data, LastEventID: lastEventID}
}
