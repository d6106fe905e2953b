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

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

// serveAt makes a tab of Chromium see the harness (harness.html, trace.js, the
// polyfill and the scripts of the implementations) on origin, the origin of
// a stream under check, so that the stream is same-origin to the page, as
// it is to the pages of the site that serves it. DevTools' Fetch domain
// pauses the tab's requests for those few paths on origin, and sseconform
// answers them from its local server: they never reach origin. Every other
// request, the stream's among them, goes to the network as usual. Firefox
// and WebKit have streamProxy instead.
func (t *tab) serveAt(origin string, srv *local, impls []impl) error {
	ctx, ok := browser.ChromedpContext(t.t)
	if !ok {
		return fmt.Errorf("serveAt: %s has no DevTools", t.engine)
	}
	var patterns []*fetch.RequestPattern
	for _, p := range harnessPaths(impls) {
		switch p {
		case "/harness.html":
			p += "?*" // the page always has a query
		case "/dist/eventsource-wasm.wasm":
			// The classic loader asks for the module with its version
			// in the query (eventsource-wasm.wasm?v=…).
			patterns = append(patterns, &fetch.RequestPattern{URLPattern: origin + p + "?*", RequestStage: fetch.RequestStageRequest})
		}
		// A backslash escapes the wildcards of a pattern; a path has
		// none but the one after "?".
		patterns = append(patterns, &fetch.RequestPattern{URLPattern: origin + p, RequestStage: fetch.RequestStageRequest})
	}
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		return fmt.Errorf("Fetch.enable: %w", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if err := answer(ctx, srv, origin, ev); err != nil {
				t.addProblem("serving the harness on " + origin + ": " + err.Error())
				chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonFailed})
			}
		}
	}()
	return nil
}

// answer fulfils a paused request for origin+path with the local server's
// response to path.
func answer(tabCtx context.Context, srv *local, origin string, ev fetch.EventRequestPaused) error {
	u, err := url.Parse(ev.Request.URL)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(ev.Request.URL, origin+"/") {
		// Not ours after all: let it through.
		_, err := chromedp.Call(tabCtx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		return err
	}
	ctx, cancel := context.WithCancel(tabCtx)
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
	_, err = chromedp.Call(tabCtx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID:       ev.RequestID,
		ResponseCode:    int64(resp.StatusCode),
		ResponseHeaders: headers,
		Body:            body,
	})
	return err
}
