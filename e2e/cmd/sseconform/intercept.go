package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// serveAt makes the tab see the harness (harness.html, trace.js, the
// polyfill and the scripts of the implementations) on origin, the origin of
// a stream under check, so that the stream is same-origin to the page, as
// it is to the pages of the site that serves it. DevTools' Fetch domain
// pauses the tab's requests for those few paths on origin, and sseconform
// answers them from its local server: they never reach origin. Every other
// request, the stream's among them, goes to the network as usual.
func (t *tab) serveAt(origin string, srv *local, impls []impl) error {
	// The classic loader asks for the module with its version in the
	// query (eventsource-wasm.wasm?v=…).
	paths := []string{"/harness.html?*", "/trace.js", "/dist/eventsource-wasm.js", "/dist/eventsource-wasm.wasm", "/dist/eventsource-wasm.wasm?*"}
	for i, im := range impls {
		if im.Kind == "script" {
			paths = append(paths, scriptPath(i, im))
		}
	}
	var patterns []*fetch.RequestPattern
	for _, p := range paths {
		// A backslash escapes the wildcards of a pattern; a path has
		// none but the one after "?".
		patterns = append(patterns, &fetch.RequestPattern{URLPattern: origin + p, RequestStage: fetch.RequestStageRequest})
	}
	paused := chromedp.Events(t.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(t.ctx, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		return fmt.Errorf("Fetch.enable: %w", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if err := t.answer(srv, origin, ev); err != nil {
				t.mu.Lock()
				t.problems = append(t.problems, "serving the harness on "+origin+": "+err.Error())
				t.mu.Unlock()
				chromedp.Call(t.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonFailed})
			}
		}
	}()
	return nil
}

// answer fulfils a paused request for origin+path with the local server's
// response to path.
func (t *tab) answer(srv *local, origin string, ev fetch.EventRequestPaused) error {
	u, err := url.Parse(ev.Request.URL)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(ev.Request.URL, origin+"/") {
		// Not ours after all: let it through.
		_, err := chromedp.Call(t.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		return err
	}
	ctx, cancel := context.WithCancel(t.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+u.RequestURI(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var headers []*fetch.HeaderEntry
	for _, name := range []string{"Content-Type", "Cache-Control"} {
		if v := resp.Header.Get(name); v != "" {
			headers = append(headers, &fetch.HeaderEntry{Name: name, Value: v})
		}
	}
	_, err = chromedp.Call(t.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID:       ev.RequestID,
		ResponseCode:    int64(resp.StatusCode),
		ResponseHeaders: headers,
		Body:            body,
	})
	return err
}
