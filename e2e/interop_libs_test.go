package e2e

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/donovanhide/eventsource"
	ginsse "github.com/gin-contrib/sse"
	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/eventsource-wasm/eventsource-wasm/server/scenario"
)

// interopLibraries are the Go SSE server libraries that TestInterop runs,
// each as its documentation shows it used, with what a browser receives from
// it for interopScript. These are test-only dependencies: nothing outside
// e2e/*_test.go imports them.
var interopLibraries = []interopLibrary{
	{
		name:      "tmaxmax-go-sse",
		module:    "github.com/tmaxmax/go-sse",
		path:      "/interop/events",
		newServer: newGoSSEServer,
		id:        sameID,
		// It splits data at CR, LF and CRLF into data lines, keeps the
		// ids it is given and replays what follows Last-Event-ID.
		want: []scenario.Event{
			interopEvent0("one", "1"), {Type: "update", Data: "two\nlines", LastEventID: "2"},
			interopEvent0("three", "3"), interopEvent0("four", "4"), interopEvent0("five", "5"),
		},
		wantLastEventIDs: []string{"", "3"},
		replays:          true,
		quirks: []string{
			"the response head is sent with the first event, not on subscription: until then the client stays CONNECTING",
		},
	},
	{
		name:      "r3labs-sse",
		module:    "github.com/r3labs/sse/v2",
		path:      "/interop/events?stream=interop",
		newServer: newR3labsServer(true),
		id:        sameID,
		want: []scenario.Event{
			interopEvent0("one", "0"), {Type: "update", Data: "two", LastEventID: "1"},
			interopEvent0("three", "2"),
			interopEvent0("three", "2"), // replayed: see the quirks
			interopEvent0("four", "3"), interopEvent0("five", "4"),
		},
		wantLastEventIDs: []string{"", "2"},
		replays:          true,
		quirks: []string{
			"with AutoReplay (the default) the event log replaces every id with its index from 0, so the ids published are lost",
			"a reconnection is replayed the events from the one EQUAL to Last-Event-ID on (EventLog.Replay: id >= eventid), " +
				"so the client receives the last event it saw twice: \"three\" arrives again with lastEventId 2",
			"data is written on one data: line unless SplitData is set, so a CR or LF inside data ends the line: " +
				"\"two\\r\\nlines\" arrives as \"two\"",
		},
	},
	{
		name:      "r3labs-sse-string-ids",
		module:    "github.com/r3labs/sse/v2",
		path:      "/interop/events?stream=interop",
		newServer: newR3labsServer(false),
		id:        func(id string) string { return "ev-" + id },
		want: []scenario.Event{
			interopEvent0("one", "ev-1"), {Type: "update", Data: "two", LastEventID: "ev-2"},
			interopEvent0("three", "ev-3"),
		},
		wantLastEventIDs: []string{"", "ev-3"},
		refused:          true,
		quirks: []string{
			"without AutoReplay the ids published are kept, but a Last-Event-ID that is not a number is answered " +
				"400 Bad Request (\"Last-Event-ID must be a number!\"), which fails the connection for good: " +
				"the client ends CLOSED at the first reconnection",
		},
	},
	{
		name:      "donovanhide-eventsource",
		module:    "github.com/donovanhide/eventsource",
		path:      "/interop/events",
		newServer: newDonovanhideServer,
		id:        sameID,
		want: []scenario.Event{
			interopEvent0("one", "1"), {Type: "update", Data: "two\nlines", LastEventID: "2"},
			interopEvent0("three", "3"),
			interopEvent0("three", "3"), // replayed: see the quirks
			interopEvent0("four", "4"), interopEvent0("five", "5"),
		},
		wantLastEventIDs: []string{"", "3"},
		replays:          true,
		quirks: []string{
			"its Event has no retry field, so the client waits its default reconnection time (about 3 s)",
			"SliceRepository.Replay starts at the first event whose id is >= Last-Event-ID, compared as strings, " +
				"so the client receives the last event it saw twice (\"three\"), and ids like 10 sort before 9",
			"data is split into data: lines at LF only, so a lone CR inside data would end the line and lose the rest",
		},
	},
	{
		name:      "gin-contrib-sse",
		module:    "github.com/gin-contrib/sse",
		path:      "/interop/events",
		newServer: newGinServer,
		id:        sameID,
		want: []scenario.Event{
			interopEvent0("one", "1"), {Type: "update", Data: `two\r` + "\nlines", LastEventID: "2"},
			interopEvent0("three", "3"), interopEvent0("four", "4"), interopEvent0("five", "5"),
		},
		wantLastEventIDs: []string{"", "3"},
		replays:          true,
		quirks: []string{
			"it is only the encoder of Gin's c.SSEvent; the subscription and replay around it are the test's own",
			"it escapes a CR in data as the two characters \\r, so \"two\\r\\nlines\" arrives as \"two\\\\r\\nlines\"",
			"it writes no space after the colons (data:x), so data that starts with a space loses it",
		},
	},
}

func sameID(id string) string { return id }

// interopEvent0 is a message event.
func interopEvent0(data, id string) scenario.Event {
	return scenario.Event{Type: "message", Data: data, LastEventID: id}
}

// newGoSSEServer is a go-sse Server on a Joe with a FiniteReplayer, as the
// package documentation sets one up. The replayer is wrapped to signal each
// subscription: Joe replays to a subscriber and then adds it in one step of
// its loop, so an event published after the signal reaches it.
func newGoSSEServer(t *testing.T) interopServer {
	replayer, err := gosse.NewFiniteReplayer(16, false)
	if err != nil {
		t.Fatal(err)
	}
	subscribed := make(chan struct{}, 8)
	srv := &gosse.Server{Provider: &gosse.Joe{Replayer: signalingReplayer{replayer, subscribed}}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return interopServer{
		handler: srv,
		publish: func(e interopEvent) {
			m := &gosse.Message{ID: gosse.ID(e.ID), Retry: e.Retry}
			if e.Type != "" {
				m.Type = gosse.Type(e.Type)
			}
			m.AppendData(e.Data)
			if err := srv.Publish(m); err != nil {
				t.Errorf("go-sse: Publish: %v", err)
			}
		},
		subscribed: subscribed,
	}
}

// A signalingReplayer is a go-sse Replayer that signals each replay, which
// Joe does for every new subscription.
type signalingReplayer struct {
	gosse.Replayer
	subscribed chan<- struct{}
}

func (r signalingReplayer) Replay(sub gosse.Subscription) error {
	err := r.Replayer.Replay(sub)
	r.subscribed <- struct{}{}
	return err
}

// newR3labsServer returns a maker of r3labs/sse servers with one stream,
// "interop", with or without AutoReplay.
func newR3labsServer(autoReplay bool) func(t *testing.T) interopServer {
	return func(t *testing.T) interopServer {
		subscribed := make(chan struct{}, 8)
		srv := r3sse.New()
		srv.AutoReplay = autoReplay
		srv.OnSubscribe = func(string, *r3sse.Subscriber) { subscribed <- struct{}{} }
		srv.CreateStream("interop")
		t.Cleanup(srv.Close)
		return interopServer{
			handler: srv,
			publish: func(e interopEvent) {
				ev := &r3sse.Event{ID: []byte(e.ID), Data: []byte(e.Data), Event: []byte(e.Type)}
				if e.Retry > 0 {
					ev.Retry = []byte(strconv.FormatInt(e.Retry.Milliseconds(), 10))
				}
				srv.Publish("interop", ev)
			},
			subscribed: subscribed,
		}
	}
}

// newDonovanhideServer is a donovanhide/eventsource Server with one channel
// and a SliceRepository to replay from, as its example does. Its handler
// registers the subscription before it flushes the response head, so the
// first flush of a response signals it.
func newDonovanhideServer(t *testing.T) interopServer {
	srv := eventsource.NewServer()
	repo := eventsource.NewSliceRepository()
	srv.Register("interop", repo)
	t.Cleanup(srv.Close)
	return interopServer{
		handler: srv.Handler("interop"),
		publish: func(e interopEvent) {
			ev := donovanhideEvent{id: e.ID, event: e.Type, data: e.Data}
			repo.Add("interop", ev)
			srv.Publish([]string{"interop"}, ev)
		},
	}
}

// A donovanhideEvent is an eventsource.Event.
type donovanhideEvent struct{ id, event, data string }

func (e donovanhideEvent) Id() string    { return e.id }
func (e donovanhideEvent) Event() string { return e.event }
func (e donovanhideEvent) Data() string  { return e.data }

// newGinServer serves events encoded by gin-contrib/sse, the encoder of
// Gin's c.SSEvent, from a small broker of the test's own that replays what
// follows Last-Event-ID.
func newGinServer(t *testing.T) interopServer {
	b := &ginBroker{subs: map[chan ginsse.Event]struct{}{}, subscribed: make(chan struct{}, 8)}
	return interopServer{handler: b, publish: b.publish, subscribed: b.subscribed}
}

// A ginBroker keeps every event and the channels of its subscribers.
type ginBroker struct {
	mu         sync.Mutex
	log        []ginsse.Event
	subs       map[chan ginsse.Event]struct{}
	subscribed chan struct{}
}

func (b *ginBroker) publish(e interopEvent) {
	ev := ginsse.Event{Id: e.ID, Event: e.Type, Data: e.Data, Retry: uint(e.Retry.Milliseconds())}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log = append(b.log, ev)
	for ch := range b.subs {
		ch <- ev
	}
}

func (b *ginBroker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ch := make(chan ginsse.Event, len(interopScript))
	b.mu.Lock()
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		for i, ev := range b.log {
			if ev.Id == last {
				for _, missed := range b.log[i+1:] {
					ch <- missed
				}
				break
			}
		}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}()

	ginsse.Event{}.WriteContentType(w)
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w).Flush
	if err := flush(); err != nil {
		return
	}
	b.subscribed <- struct{}{}
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			if err := ginsse.Encode(w, ev); err != nil {
				return
			}
			if err := flush(); err != nil {
				return
			}
		}
	}
}
