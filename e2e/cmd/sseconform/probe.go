package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

//go:embed probe.js
var probeJS string

// probeMaxBytes bounds the body that the probe keeps.
const probeMaxBytes = 256 << 10

// A ServerReport is the result of sseconform -server, as
// sseconform-server.json holds it.
type ServerReport struct {
	URL string `json:"url"`
	// PageOrigin is the origin of the page that opened the stream; the
	// stream is cross-origin to it unless it is on the local server.
	PageOrigin  string    `json:"pageOrigin"`
	CrossOrigin bool      `json:"crossOrigin"`
	Browser     string    `json:"browser"`
	Started     time.Time `json:"started"`
	Duration    string    `json:"duration"`
	MaxEvents   int       `json:"maxEvents"`

	Response Response `json:"response"`
	// Direct is what a request of sseconform's own, without compression,
	// got at the same time as the page's.
	Direct   *directRead    `json:"direct,omitempty"`
	Stream   streamReport   `json:"stream"`
	Resume   *Resume        `json:"resume,omitempty"`
	Traces   []ServerTrace  `json:"traces"`
	Findings []Finding      `json:"findings"`
	Counts   map[string]int `json:"counts"` // findings by severity
}

// Response is what the one fetch of the stream saw.
type Response struct {
	// Error is set when the fetch failed: no response, or one that the
	// page may not read (CORS).
	Error string `json:"error,omitempty"`
	// Blocked says why the browser blocked the response, from DevTools.
	Blocked    string `json:"blocked,omitempty"`
	Status     int    `json:"status"`
	StatusText string `json:"statusText,omitempty"`
	FinalURL   string `json:"finalUrl,omitempty"`
	Redirected bool   `json:"redirected,omitempty"`
	Protocol   string `json:"protocol,omitempty"`
	// Header has the response header fields by lower-case name, as the
	// browser received them (DevTools), or as sseconform's own request
	// got them when the browser gave none.
	Header map[string]string `json:"header"`
	// ReadBy says who read the body: "page", or "sseconform" when the
	// page, on another origin, could not, and "" when nobody could.
	ReadBy string `json:"readBy,omitempty"`
	// TimedOut is set when no response headers came in the window.
	TimedOut bool `json:"timedOut,omitempty"`
	// Events are the events of the body with the times they reached the
	// page.
	Events []timedEvent `json:"events,omitempty"`
	// The times are in milliseconds from the start of the request.
	HeadersMs  float64 `json:"headersMs"`
	FirstMs    float64 `json:"firstByteMs,omitempty"`
	EndMs      float64 `json:"endMs"`
	Chunks     []chunk `json:"chunks,omitempty"`
	BodyBytes  int     `json:"bodyBytes"`
	Ended      bool    `json:"ended"`
	StoppedBy  string  `json:"stoppedBy,omitempty"`
	BodySample string  `json:"bodySample,omitempty"`
	body       []byte
}

type chunk struct {
	Ms    float64 `json:"ms"`
	Bytes int     `json:"bytes"`
}

// probeResult is what probe.js returns.
type probeResult struct {
	OK           bool    `json:"ok"`
	Error        string  `json:"error"`
	Status       int     `json:"status"`
	StatusText   string  `json:"statusText"`
	URL          string  `json:"url"`
	Redirected   bool    `json:"redirected"`
	ResponseType string  `json:"responseType"`
	HeadersMs    float64 `json:"headersMs"`
	Chunks       []chunk `json:"chunks"`
	BodyBytes    int     `json:"bodyBytes"`
	Ended        bool    `json:"ended"`
	EndMs        float64 `json:"endMs"`
	StoppedBy    string  `json:"stoppedBy"`
	Body         string  `json:"body"`
	TimedOut     bool    `json:"timedOut"`
}

// A ServerTrace is the trace of one implementation on the stream.
type ServerTrace struct {
	Impl string `json:"impl"`
	// Page is the URL of the harness page that opened the stream.
	Page     string   `json:"page"`
	Error    string   `json:"error,omitempty"`
	EndedBy  string   `json:"endedBy,omitempty"`
	Opens    int      `json:"opens"`
	Messages int      `json:"messages"`
	Errors   int      `json:"errors"`
	Problems []string `json:"problems,omitempty"`
	Trace    []Entry  `json:"trace"`
}

// checkServer runs sseconform -server.
func checkServer(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	target, err := url.Parse(cfg.server)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return fmt.Errorf("-server %q: want an http or https URL", cfg.server)
	}
	srv, err := startLocal(cfg.impls, cfg.distDir)
	if err != nil {
		return err
	}
	defer srv.close()
	browser, stopBrowser, err := cfg.engine.start(ctx, stderr, cfg.verbose)
	if err != nil {
		return err
	}
	defer stopBrowser()
	if err := checkImpls(ctx, browser, srv, cfg.impls); err != nil {
		return err
	}

	// The page that opens the stream: on the stream's own origin by
	// default, as the site's own pages are, so that CORS does not come
	// into it; on the local server's with -page-origin local.
	pageOrigin := srv.URL
	if cfg.pageOrigin == "stream" {
		pageOrigin = origin(target.String())
	}
	rep := &ServerReport{
		URL:         target.String(),
		PageOrigin:  pageOrigin,
		CrossOrigin: origin(target.String()) != pageOrigin,
		Browser:     browser.version,
		Started:     time.Now(),
		Duration:    cfg.duration.String(),
		MaxEvents:   cfg.maxEvents,
	}
	fmt.Fprintf(stderr, "sseconform: fetching %s for at most %v or %d events, from a page and directly\n", rep.URL, cfg.duration, cfg.maxEvents)
	// The page's fetch, and at the same time a request of sseconform's
	// own without compression: when events reach it but not the page,
	// or reach the page much later, something holds them back.
	directDone := make(chan *directRead, 1)
	startDirect := sync.OnceFunc(func() {
		go func() {
			dctx, cancel := context.WithTimeout(ctx, cfg.duration)
			defer cancel()
			directDone <- readDirect(dctx, "uncompressed", rep.URL, "", func(r *directRead) bool { return len(r.Events) >= cfg.maxEvents })
		}()
	})
	rep.Response, err = probe(ctx, browser, srv, cfg, rep.URL, pageOrigin, startDirect)
	startDirect()
	rep.Direct = <-directDone
	if err != nil {
		return err
	}
	resp := &rep.Response
	if resp.ReadBy == "" && rep.Direct.Status != 0 {
		// The page could not read the body (CORS): the checks of the
		// bytes read sseconform's.
		resp.ReadBy = "sseconform"
		resp.body, resp.BodyBytes, resp.Ended = rep.Direct.body, rep.Direct.Bytes, rep.Direct.Ended
		if resp.Status == 0 {
			resp.Status = rep.Direct.Status
			for name, vs := range rep.Direct.header {
				resp.Header[strings.ToLower(name)] = strings.Join(vs, "\n")
			}
		}
	}
	if len(resp.body) > 0 {
		resp.BodySample = clip(strings.ToValidUTF8(string(resp.body[:min(len(resp.body), 2048)]), "\uFFFD"))
	}
	rep.Stream = parseStream(resp.body, resp.Ended)
	if rep.Direct.IDFields > 0 || rep.Stream.IDs > 0 {
		fmt.Fprintf(stderr, "sseconform: reconnecting with Last-Event-ID, against a client that stays connected\n")
		rep.Resume = checkResume(ctx, cfg, rep.URL)
	}

	// The traces listen for the event types that the fetch saw.
	fmt.Fprintf(stderr, "sseconform: opening it with %s\n", implNames(cfg.impls))
	rep.Traces = make([]ServerTrace, len(cfg.impls))
	var wg sync.WaitGroup
	for i, im := range cfg.impls {
		wg.Go(func() {
			rep.Traces[i] = traceServer(ctx, browser, srv, cfg, i, im, rep.URL, pageOrigin, rep.Stream.Types)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	rep.Findings = analyze(rep)
	sortFindings(rep.Findings)
	rep.Counts = map[string]int{}
	for _, f := range rep.Findings {
		rep.Counts[f.Severity]++
	}
	if err := writeReports(cfg.outDir, "sseconform-server", rep, renderServerHTML); err != nil {
		return err
	}
	printServerSummary(stdout, rep, cfg.outDir)
	if rep.Counts[sevError] > 0 {
		return errFailed
	}
	return nil
}

// probe fetches the stream once from a page of the local server, and reads
// all response headers from DevTools. When the page may not read the body,
// sseconform reads it itself, for the checks of the bytes.
// beforeFetch is called just before the page's fetch starts.
func probe(ctx context.Context, browser *chromium, srv *local, cfg *config, target, pageOrigin string, beforeFetch func()) (Response, error) {
	t, err := browser.newTab("probe")
	if err != nil {
		return Response{}, err
	}
	defer t.close()
	if pageOrigin != srv.URL {
		if err := t.serveAt(pageOrigin, srv, cfg.impls); err != nil {
			return Response{}, err
		}
	}
	if err := chromedp.Do(t.ctx, chromedp.Navigate(pageOrigin+"/harness.html?impl=native")); err != nil {
		return Response{}, fmt.Errorf("open the probe page: %w", err)
	}

	// Subscribe to the network events of the tab before the fetch.
	netCtx, stopNet := context.WithCancel(t.ctx)
	defer stopNet()
	var (
		mu       sync.Mutex
		ids      []network.RequestID
		extra    = map[network.RequestID]*network.EventResponseReceivedExtraInfo{}
		received = map[network.RequestID]*network.EventResponseReceived{}
		failed   = map[network.RequestID]*network.EventLoadingFailed{}
		wg       sync.WaitGroup
	)
	wg.Go(func() {
		for ev, err := range chromedp.Events(netCtx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			if ev.Type == network.ResourceTypeFetch && ev.RedirectResponse == nil {
				mu.Lock()
				ids = append(ids, ev.RequestID)
				mu.Unlock()
			}
		}
	})
	wg.Go(func() {
		for ev, err := range chromedp.Events(netCtx, network.ResponseReceivedExtraInfo) {
			if err != nil {
				return
			}
			mu.Lock()
			extra[ev.RequestID] = &ev // the last one, after any redirect
			mu.Unlock()
		}
	})
	wg.Go(func() {
		for ev, err := range chromedp.Events(netCtx, network.ResponseReceived) {
			if err != nil {
				return
			}
			mu.Lock()
			received[ev.RequestID] = &ev
			mu.Unlock()
		}
	})
	wg.Go(func() {
		for ev, err := range chromedp.Events(netCtx, network.LoadingFailed) {
			if err != nil {
				return
			}
			mu.Lock()
			failed[ev.RequestID] = &ev
			mu.Unlock()
		}
	})

	args, err := json.Marshal(map[string]any{
		"url": target, "durationMs": cfg.duration.Milliseconds(),
		"maxEvents": cfg.maxEvents, "maxBytes": probeMaxBytes,
	})
	if err != nil {
		return Response{}, err
	}
	runCtx, cancel := context.WithTimeout(t.ctx, cfg.duration+15*time.Second)
	defer cancel()
	beforeFetch()
	res, err := chromedp.Run(runCtx, chromedp.Evaluate[probeResult]("("+probeJS+")("+string(args)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		return Response{}, fmt.Errorf("the probe failed: %w", err)
	}

	// Wait for DevTools' word on the request (its response, or why it
	// failed), which can come a moment after the page's promise settles;
	// then stop listening.
	known := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) == 0 {
			return false
		}
		id := ids[0]
		return failed[id] != nil || (received[id] != nil && extra[id] != nil)
	}
	for deadline := time.Now().Add(time.Second); !known() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	stopNet()
	wg.Wait()

	resp := Response{
		Error: res.Error, Status: res.Status, StatusText: res.StatusText,
		FinalURL: res.URL, Redirected: res.Redirected,
		HeadersMs: res.HeadersMs, Chunks: res.Chunks, BodyBytes: res.BodyBytes,
		Ended: res.Ended, EndMs: res.EndMs, StoppedBy: res.StoppedBy,
		TimedOut: res.TimedOut, Header: map[string]string{},
	}
	if len(res.Chunks) > 0 {
		resp.FirstMs = res.Chunks[0].Ms
	}
	if res.OK {
		resp.ReadBy = "page"
		if resp.body, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
			return Response{}, fmt.Errorf("the probe's body: %w", err)
		}
		resp.Events = eventTimes(resp.body, resp.Chunks)
	}

	// What DevTools saw of the request.
	mu.Lock()
	defer mu.Unlock()
	if len(ids) > 0 {
		id := ids[0]
		if ev := received[id]; ev != nil && ev.Response != nil {
			resp.Protocol = ev.Response.Protocol
			if resp.Status == 0 {
				resp.Status = int(ev.Response.Status)
				resp.StatusText = ev.Response.StatusText
			}
			addHeaders(resp.Header, ev.Response.Headers)
		}
		if ev := extra[id]; ev != nil {
			// The raw headers, cookies and all, as they came.
			addHeaders(resp.Header, ev.Headers)
			if resp.Status == 0 {
				resp.Status = int(ev.StatusCode)
			}
		}
		if ev := failed[id]; ev != nil && !ev.Canceled {
			resp.Blocked = ev.ErrorText
			if ev.CorsErrorStatus != nil {
				resp.Blocked = fmt.Sprintf("CORS: %s", ev.CorsErrorStatus.CorsError)
				if p := ev.CorsErrorStatus.FailedParameter; p != "" {
					resp.Blocked += " (" + p + ")"
				}
			}
		}
	}

	if resp.StatusText == "" {
		resp.StatusText = http.StatusText(resp.Status)
	}
	return resp, nil
}

// addHeaders adds the header fields of h to dst by lower-case name.
func addHeaders(dst map[string]string, h network.Headers) {
	for name, v := range h {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		dst[strings.ToLower(name)] = s
	}
}

// traceServer records the trace of one implementation on the stream.
func traceServer(ctx context.Context, browser *chromium, srv *local, cfg *config, i int, im impl, target, pageOrigin string, types []string) ServerTrace {
	st := ServerTrace{Impl: im.Name}
	t, err := browser.newTab("trace/" + im.Name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	defer t.close()
	page := srv.harnessURL(i, im)
	if pageOrigin != srv.URL {
		if err := t.serveAt(pageOrigin, srv, cfg.impls); err != nil {
			st.Error = err.Error()
			return st
		}
		page = harnessURL(pageOrigin, i, im)
	}
	st.Page = page
	tr, err := runTrace(ctx, t, page, traceOptions{
		Impl:       im.Kind,
		URL:        target,
		Events:     slices.Clone(types),
		CloseAfter: cfg.maxEvents,
		MaxErrors:  5,
		TimeoutMs:  cfg.duration.Milliseconds(),
	}, true)
	st.Problems = t.pageProblems()
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Trace, st.EndedBy = tr.Entries, tr.EndedBy
	for _, e := range tr.Entries {
		switch e.Type {
		case "open":
			st.Opens++
		case "message":
			st.Messages++
		case "error":
			st.Errors++
		}
	}
	behaviour, fidelity := apiProblems(im, tr)
	st.Problems = append(append(st.Problems, behaviour...), fidelity...)
	return st
}
