package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/trace"
)

// The traces of web/trace.js, as package trace reads and compares them:
// the same types as the e2e tests', so that golden files read and compare
// alike.
type (
	Entry        = trace.Entry
	Trace        = trace.Trace
	traceOptions = trace.Options
)

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
// interface"). It returns the problems of behaviour (values a page reads)
// apart from those of object fidelity (what the objects are: the class of
// the events, their target, EventTarget-ness, the resolved URL).
func apiProblems(im impl, tr Trace) (behaviour, fidelity []string) {
	if !tr.AllMessageEvents {
		fidelity = append(fidelity, "a message event was not an instance of MessageEvent")
	}
	if !tr.AllTargetsSource {
		fidelity = append(fidelity, "a message event had a target other than its EventSource")
	}
	api := tr.API
	if !api.URLResolved {
		fidelity = append(fidelity, "url is not the URL resolved against the document")
	}
	if !api.IsEventTarget {
		fidelity = append(fidelity, "the source is not an EventTarget")
	}
	if api.InitialReadyState != 0 {
		behaviour = append(behaviour, fmt.Sprintf("readyState after construction is %d, want 0 (CONNECTING)", api.InitialReadyState))
	}
	if api.WithCredentials {
		behaviour = append(behaviour, "withCredentials is true, want false by default")
	}
	if want := []int{0, 1, 2, 0, 1, 2}; fmt.Sprint(api.Constants) != fmt.Sprint(want) {
		behaviour = append(behaviour, fmt.Sprintf("CONNECTING, OPEN, CLOSED on the constructor and the instance are %v, want %v", api.Constants, want))
	}
	if im.Kind == "wasm" && tr.NativeConstructed > 0 {
		behaviour = append(behaviour, fmt.Sprintf("the page made %d native EventSource object(s): the polyfill must not use the browser's EventSource", tr.NativeConstructed))
	}
	return behaviour, fidelity
}

// checkImpls loads the harness page of each implementation but native
// once, before any scenario runs, so that a script that does not load, or
// that defines no constructor of the given name, fails the run once, at
// the start, with the reason, rather than inside every scenario.
func checkImpls(ctx context.Context, b *chromium, srv *local, impls []impl) error {
	for i, im := range impls {
		if im.Kind == "native" {
			continue
		}
		if err := checkImpl(ctx, b, srv.harnessURL(i, im), im); err != nil {
			return fmt.Errorf("-impl %s: %w", im.Name, err)
		}
	}
	return nil
}

func checkImpl(ctx context.Context, b *chromium, page string, im impl) error {
	t, err := b.newTab("check/" + im.Name)
	if err != nil {
		return err
	}
	defer t.close()
	loadCtx, cancel := context.WithTimeout(t.ctx, 20*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if err := chromedp.Do(loadCtx, chromedp.Navigate(page)); err != nil {
		return fmt.Errorf("open %s: %w", page, err)
	}
	const loaded = `window.sseTrace ? sseTrace.loaded.then(() => "", (err) => String(err && err.message || err)) : "/trace.js did not load"`
	why, err := chromedp.Run(loadCtx, chromedp.Evaluate[string](loaded, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	if problems := t.pageProblems(); len(problems) > 0 {
		why = strings.TrimPrefix(strings.Join(append(problems, why), "; "), "; ")
		why = strings.TrimSuffix(why, "; ")
	}
	if why != "" {
		return errors.New(why)
	}
	return nil
}
