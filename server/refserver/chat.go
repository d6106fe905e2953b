package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxChatBody bounds the request body of /sse/chat.
const maxChatBody = 16 << 10

// chatBots are the bots of /sse/chat: each turns a prompt into a reply,
// the same reply every time, so that tests can predict it.
var chatBots = map[string]func(prompt string) string{
	// echo repeats the prompt.
	"echo": func(p string) string { return p },
	// reverse says the prompt backwards, character by character.
	"reverse": func(p string) string {
		r := []rune(p)
		slices.Reverse(r)
		return string(r)
	},
	// rot13 rotates each Latin letter by 13 places.
	"rot13": func(p string) string {
		return strings.Map(func(c rune) rune {
			switch {
			case 'a' <= c && c <= 'z':
				return 'a' + (c-'a'+13)%26
			case 'A' <= c && c <= 'Z':
				return 'A' + (c-'A'+13)%26
			}
			return c
		}, p)
	},
}

// A chatRequest is the JSON body of POST /sse/chat.
type chatRequest struct {
	Prompt string `json:"prompt"`
	// Bot names one of chatBots; "" is "echo".
	Bot string `json:"bot"`
}

// A chatDone is the data of the last event of /sse/chat.
type chatDone struct {
	Bot   string `json:"bot"`
	Words int    `json:"words"`
}

// chat answers POST /sse/chat?delay=MS&session=S, whose body is a
// chatRequest, with the bot's reply as a stream: each word of the reply
// (split at white space) is the data of one message with id 1, 2, ..., a
// delay (80 ms by default) apart, and an event of type "done" with id
// "done" ends the reply and the body. A reconnection resumes after the
// word its Last-Event-ID names; one after "done" gets 204 No Content, so
// that a client that did not close stops reconnecting (HTML §9.2.3).
//
// A method other than POST is 405, a body that is not such JSON or whose
// prompt is blank is 400, and one larger than 16 KiB is 413.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "refserver: chat answers POST", http.StatusMethodNotAllowed)
		return
	}
	delay, err := intParam(r.URL.Query(), "delay", 80, 0, 10_000)
	if err != nil {
		http.Error(w, "refserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxChatBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "refserver: the body is over 16 KiB", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "refserver: reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	// The session log reads the body too.
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := s.record(r, "")
	defer func() { s.finish(rec, r, err) }()
	fail := func(status int, message string) {
		s.sessions.wroteHeader(rec, status)
		http.Error(w, "refserver: "+message, status)
	}

	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		fail(http.StatusBadRequest, `want a JSON body {"prompt": "...", "bot": "echo"}: `+err.Error())
		return
	}
	if req.Bot == "" {
		req.Bot = "echo"
	}
	bot, ok := chatBots[req.Bot]
	if !ok {
		fail(http.StatusBadRequest, fmt.Sprintf("no bot %q; there are echo, reverse and rot13", req.Bot))
		return
	}
	if strings.TrimFunc(req.Prompt, unicode.IsSpace) == "" {
		fail(http.StatusBadRequest, "the prompt is blank")
		return
	}
	words := strings.Fields(bot(req.Prompt))

	start := 0
	switch last := r.Header.Get("Last-Event-ID"); {
	case last == "done":
		s.sessions.wroteHeader(rec, http.StatusNoContent)
		w.WriteHeader(http.StatusNoContent)
		return
	case last != "":
		if k, err := strconv.Atoi(last); err == nil && k > 0 {
			start = min(k, len(words))
		}
	}
	s.sessions.wroteHeader(rec, http.StatusOK)
	out, err := startEventStream(w)
	if err != nil {
		return
	}
	for i := start; i < len(words); i++ {
		if err = wait(r.Context(), time.Duration(delay)*time.Millisecond); err != nil {
			return
		}
		if _, err = fmt.Fprintf(out, "id: %d\ndata: %s\n\n", i+1, words[i]); err != nil {
			return
		}
		if err = out.flush(); err != nil {
			return
		}
	}
	done, _ := json.Marshal(chatDone{Bot: req.Bot, Words: len(words)})
	if _, err = fmt.Fprintf(out, "event: done\nid: done\ndata: %s\n\n", done); err != nil {
		return
	}
	err = out.flush()
}
