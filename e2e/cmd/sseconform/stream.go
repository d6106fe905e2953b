package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// A streamReport is what sseconform reads in the bytes of an event stream,
// by the rules of HTML §9.2.5 "Parsing an event stream" and §9.2.6
// "Interpreting an event stream". It is written apart from the client under
// wasm/, which it must not import: a check made by the code it checks would
// prove nothing.
type streamReport struct {
	Bytes    int  `json:"bytes"`
	Lines    int  `json:"lines"`
	Comments int  `json:"comments"`
	BOM      bool `json:"bom,omitempty"`
	// InvalidUTF8 counts the lines that are not valid UTF-8.
	InvalidUTF8 int `json:"invalidUtf8,omitempty"`
	// Events are the events a conforming client dispatches, the first
	// ones only; Dispatched counts them all.
	Events     []streamEvent `json:"events"`
	Dispatched int           `json:"dispatched"`
	// IDs counts the dispatched events that have a last event ID.
	IDs int `json:"ids"`
	// Types are the event types other than message, in order of first
	// appearance.
	Types []string `json:"types,omitempty"`
	// Unknown has the lines of fields that a client ignores: unknown
	// names, retry values that are not all ASCII digits, ids with U+0000.
	Unknown  []fieldLine `json:"unknownFields,omitempty"`
	BadRetry []fieldLine `json:"badRetry,omitempty"`
	NulID    []fieldLine `json:"nulId,omitempty"`
	// Incomplete is set when the body ended in the middle of an event,
	// which a client discards (HTML §9.2.6: "If the file ends in the
	// middle of an event, before the final empty line, the incomplete
	// event is not dispatched.").
	Incomplete bool `json:"incomplete,omitempty"`
	// LineEnds counts the line ends by kind: "lf", "cr", "crlf".
	LineEnds map[string]int `json:"lineEnds"`
}

// A streamEvent is one dispatched event.
type streamEvent struct {
	Type string `json:"type"`
	Data string `json:"data"`
	ID   string `json:"lastEventId"`
}

// A fieldLine is one line of the stream, numbered from 1.
type fieldLine struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}

// keepEvents and keepLines bound what a report keeps.
const (
	keepEvents = 50
	keepLines  = 20
	maxText    = 120
)

// parseStream reads body, the start of a response or all of it when ended.
func parseStream(body []byte, ended bool) streamReport {
	rep := streamReport{Bytes: len(body), LineEnds: map[string]int{}}
	if rest, ok := bytes.CutPrefix(body, []byte("\xEF\xBB\xBF")); ok {
		rep.BOM = true
		body = rest
	}
	var (
		data     strings.Builder
		hasData  bool
		typ      string
		lastID   string
		lineNo   int
		keepLine = func(list *[]fieldLine, line string) {
			if len(*list) < keepLines {
				*list = append(*list, fieldLine{lineNo, clip(line)})
			}
		}
	)
	for len(body) > 0 {
		i := bytes.IndexAny(body, "\r\n")
		if i < 0 {
			// The last line has no end: it is cut off, by the end of
			// the body or of what was read.
			if ended && bytes.HasPrefix(body, []byte("data")) {
				rep.Incomplete = true
			}
			break
		}
		raw := body[:i]
		switch {
		case body[i] == '\n':
			rep.LineEnds["lf"]++
			body = body[i+1:]
		case i+1 < len(body) && body[i+1] == '\n':
			rep.LineEnds["crlf"]++
			body = body[i+2:]
		case i+1 == len(body) && !ended:
			// A CR at the end of what was read may be the first half
			// of a CRLF; the line counts all the same.
			rep.LineEnds["cr"]++
			body = nil
		default:
			rep.LineEnds["cr"]++
			body = body[i+1:]
		}
		lineNo++
		rep.Lines++
		if !utf8.Valid(raw) {
			rep.InvalidUTF8++
		}
		line := strings.ToValidUTF8(string(raw), "\uFFFD")

		if line == "" {
			// Dispatch the event (HTML §9.2.6).
			if hasData {
				d := strings.TrimSuffix(data.String(), "\n")
				t := typ
				if t == "" {
					t = "message"
				}
				rep.Dispatched++
				if lastID != "" {
					rep.IDs++
				}
				if len(rep.Events) < keepEvents {
					rep.Events = append(rep.Events, streamEvent{Type: t, Data: clip(d), ID: lastID})
				}
				if t != "message" && !slices.Contains(rep.Types, t) {
					rep.Types = append(rep.Types, t)
				}
			}
			data.Reset()
			hasData, typ = false, ""
			continue
		}
		if strings.HasPrefix(line, ":") {
			rep.Comments++
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "event":
			typ = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if strings.ContainsRune(value, 0) {
				keepLine(&rep.NulID, line)
			} else {
				lastID = value
			}
		case "retry":
			if value == "" || strings.Trim(value, "0123456789") != "" {
				keepLine(&rep.BadRetry, line)
			}
		default:
			keepLine(&rep.Unknown, line)
		}
	}
	if ended && hasData {
		rep.Incomplete = true
	}
	return rep
}

// clip shortens s for a report.
func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

// suggestField names the field that an unknown field name was meant to be,
// or "".
func suggestField(name string) string {
	trimmed := strings.ToLower(strings.TrimSpace(name))
	for _, known := range []string{"event", "data", "id", "retry"} {
		if trimmed == known && name != known {
			return known
		}
	}
	return ""
}
