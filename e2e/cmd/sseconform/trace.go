package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// Entry is one entry of a trace, as web/trace.js records it. The pointer
// fields are absent from some types of entry; a present empty string differs
// from an absent one. It is the Entry of the e2e tests, so that golden files
// read and compare alike.
type Entry struct {
	Type        string  `json:"type"`
	Event       *string `json:"event,omitempty"`
	Data        *string `json:"data,omitempty"`
	DataType    string  `json:"dataType,omitempty"`
	DataLength  *int    `json:"dataLength,omitempty"`
	DataHash    string  `json:"dataHash,omitempty"`
	LastEventID *string `json:"lastEventId,omitempty"`
	Origin      *string `json:"origin,omitempty"`
	ReadyState  *int    `json:"readyState,omitempty"`
}

// Line is the compact JSON of an entry, the unit that traces are compared
// and shown by. It leaves "<" and ">" as they are, for "<self>", and writes
// U+FFFD REPLACEMENT CHARACTER as \ufffd, so that a reader can tell it from
// any other character a terminal cannot show.
func (e Entry) Line() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(err) // Entry has only strings and numbers.
	}
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\uFFFD", `\ufffd`)
}

func lines(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Line()
	}
	return out
}

// Trace is the result of sseTrace.run in web/trace.js.
type Trace struct {
	Entries []Entry `json:"trace"`

	// EndedBy says what ended the trace: "closed" (an error event with
	// readyState CLOSED), "close-after", "max-errors" or "timeout".
	EndedBy string `json:"endedBy"`

	// AllMessageEvents and AllTargetsSource report whether every message
	// event was a MessageEvent whose target was the source.
	AllMessageEvents bool `json:"allMessageEvents"`
	AllTargetsSource bool `json:"allTargetsSource"`
	MessageEvents    int  `json:"messageEvents"`

	// API is what the source looked like right after its construction.
	API struct {
		InitialReadyState int   `json:"initialReadyState"`
		URLResolved       bool  `json:"urlResolved"`
		WithCredentials   bool  `json:"withCredentials"`
		IsEventTarget     bool  `json:"isEventTarget"`
		Constants         []int `json:"constants"`
	} `json:"api"`

	// PolyfillReady is the state of WasmEventSource.ready when the trace
	// ended, or "n/a".
	PolyfillReady string `json:"polyfillReady"`

	// NativeConstructed counts the native EventSource objects that were
	// made on a wasm or script page.
	NativeConstructed int `json:"nativeConstructed"`
}

// traceOptions are the options of sseTrace.run.
type traceOptions struct {
	Impl       string   `json:"impl"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	CloseAfter int      `json:"closeAfter"`
	MaxErrors  int      `json:"maxErrors"`
	TimeoutMs  int64    `json:"timeoutMs"`
}

// runTrace opens the harness page of an implementation in t and runs one
// trace in it. With ready, a wasm trace starts once WasmEventSource.ready
// has settled, so that the time the module takes to compile is not taken
// from the trace's timeout.
func runTrace(ctx context.Context, t *tab, harnessURL string, opts traceOptions, ready bool) (Trace, error) {
	if opts.Events == nil {
		opts.Events = []string{}
	}
	loadCtx, cancel := context.WithTimeout(t.ctx, 20*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if err := chromedp.Do(loadCtx, chromedp.Navigate(harnessURL)); err != nil {
		return Trace{}, fmt.Errorf("open %s: %w", harnessURL, err)
	}
	const loaded = `window.sseTrace ? sseTrace.loaded : Promise.reject(new Error("/trace.js did not load"))`
	if err := chromedp.Do(loadCtx, chromedp.Evaluate[chromedp.Void](loaded, chromedp.EvalAwaitPromise)); err != nil {
		return Trace{}, fmt.Errorf("the harness did not load: %w", err)
	}
	if ready && opts.Impl == "wasm" {
		// A rejection shows in the trace, as an error event.
		const settled = `WasmEventSource.ready.then(() => true, () => false)`
		if err := chromedp.Do(loadCtx, chromedp.Evaluate[chromedp.Void](settled, chromedp.EvalAwaitPromise)); err != nil {
			return Trace{}, fmt.Errorf("WasmEventSource.ready: %w", err)
		}
	}

	js, err := json.Marshal(opts)
	if err != nil {
		return Trace{}, err
	}
	// The page times out on its own; this deadline only catches a page
	// that hangs.
	runCtx, cancelRun := context.WithTimeout(t.ctx, time.Duration(opts.TimeoutMs)*time.Millisecond+10*time.Second)
	defer cancelRun()
	stopRun := context.AfterFunc(ctx, cancelRun)
	defer stopRun()
	tr, err := chromedp.Run(runCtx, chromedp.Evaluate[Trace]("sseTrace.run("+string(js)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		return Trace{}, fmt.Errorf("sseTrace.run: %w", err)
	}
	return tr, nil
}

// apiProblems lists what is wrong with a trace whatever the stream: what
// every EventSource must look like (HTML §9.2.2, "The EventSource
// interface").
func apiProblems(im impl, tr Trace) []string {
	var p []string
	if !tr.AllMessageEvents {
		p = append(p, "a message event was not an instance of MessageEvent")
	}
	if !tr.AllTargetsSource {
		p = append(p, "a message event had a target other than its EventSource")
	}
	api := tr.API
	if api.InitialReadyState != 0 {
		p = append(p, fmt.Sprintf("readyState after construction is %d, want 0 (CONNECTING)", api.InitialReadyState))
	}
	if !api.URLResolved {
		p = append(p, "url is not the URL resolved against the document")
	}
	if api.WithCredentials {
		p = append(p, "withCredentials is true, want false by default")
	}
	if !api.IsEventTarget {
		p = append(p, "the source is not an EventTarget")
	}
	if want := []int{0, 1, 2, 0, 1, 2}; fmt.Sprint(api.Constants) != fmt.Sprint(want) {
		p = append(p, fmt.Sprintf("CONNECTING, OPEN, CLOSED on the constructor and the instance are %v, want %v", api.Constants, want))
	}
	if im.Kind == "wasm" && tr.NativeConstructed > 0 {
		p = append(p, fmt.Sprintf("the page made %d native EventSource object(s): the polyfill must not use the browser's EventSource", tr.NativeConstructed))
	}
	return p
}
