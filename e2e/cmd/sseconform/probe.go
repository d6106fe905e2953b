package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

//go:embed probe.js
var probeJS string

// probeMaxBytes bounds the body that the probe keeps.
const probeMaxBytes = 256 << 10

// A ServerRun is the result of sseconform -server, as
// sseconform-server.json holds it: the checks of each engine chosen with
// -browser, and their findings together.
type ServerRun struct {
	URL string `json:"url"`
	// PageOrigin is what -page-origin asked for: "stream" or "local".
	PageOrigin string    `json:"pageOrigin"`
	Started    time.Time `json:"started"`
	Duration   string    `json:"duration"`
	MaxEvents  int       `json:"maxEvents"`
	// Resume is what a reconnection with Last-Event-ID got: sseconform's
	// own requests, the same for every engine.
	Resume  *Resume         `json:"resume,omitempty"`
	Engines []*ServerReport `json:"engines"`
	// Findings are those of every engine: a finding that is the same in
	// several engines is there once, with the engines listed.
	Findings []Finding      `json:"findings"`
	Counts   map[string]int `json:"counts"` // findings by severity
}

// A ServerReport is what sseconform -server saw of the stream from one
// engine.
type ServerReport struct {
	Engine browser.Engine `json:"engine"`
	URL    string         `json:"url"`
	// Via says how the page came to be on the stream's origin:
	// "devtools" (Chromium's Fetch domain), "proxy" (sseconform's proxy,
	// in Firefox and WebKit), or "" when it is not.
	Via string `json:"via,omitempty"`

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
	Direct *directRead  `json:"direct,omitempty"`
	Stream streamReport `json:"stream"`
	// Resume is ServerRun's, for analyze.
	Resume   *Resume       `json:"-"`
	Traces   []ServerTrace `json:"traces"`
	Findings []Finding     `json:"findings"` // this engine's
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
	// browser received them (DevTools, in Chromium), as the page's
	// fetch() saw them (in Firefox and WebKit), or as sseconform's own
	// request got them when the browser gave none; HeaderFrom says
	// which.
	Header     map[string]string `json:"header"`
	HeaderFrom string            `json:"headerFrom,omitempty"`
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
	// Headers are the response headers that the page may read.
	Headers map[string]string `json:"headers"`
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

// checkServer runs sseconform -server: the checks from a page in each
// engine, one engine after another, and the reconnection with
// Last-Event-ID once.
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
	run := &ServerRun{
		URL:        target.String(),
		PageOrigin: cfg.pageOrigin,
		Started:    time.Now(),
		Duration:   cfg.duration.String(),
		MaxEvents:  cfg.maxEvents,
	}
	ids := false
	for _, e := range cfg.engines {
		rep, err := checkServerIn(ctx, cfg, e, srv, target, stderr)
		if err != nil {
			return err
		}
		run.Engines = append(run.Engines, rep)
		ids = ids || rep.Direct.IDFields > 0 || rep.Stream.IDs > 0
	}
	if ids {
		fmt.Fprintf(stderr, "sseconform: reconnecting with Last-Event-ID, against a client that stays connected\n")
		run.Resume = checkResume(ctx, cfg, run.URL)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var perEngine [][]Finding
	for _, rep := range run.Engines {
		rep.Resume = run.Resume
		rep.Findings = analyze(rep)
		sortFindings(rep.Findings)
		perEngine = append(perEngine, rep.Findings)
	}
	run.Findings = mergeFindings(cfg.engines, perEngine)
	run.Counts = map[string]int{}
	for _, f := range run.Findings {
		run.Counts[f.Severity]++
	}
	if err := writeReports(cfg.outDir, "sseconform-server", run, renderServerHTML); err != nil {
		return err
	}
	printServerSummary(stdout, run, cfg.outDir)
	if run.Counts[sevError] > 0 {
		return errFailed
	}
	return nil
}

// checkServerIn fetches the stream from a page in engine e, and at the
// same time with a request of sseconform's own, and records a trace of
// each implementation on it.
func checkServerIn(ctx context.Context, cfg *config, e browser.Engine, srv *local, target *url.URL, stderr io.Writer) (*ServerReport, error) {
	rep := &ServerReport{
		Engine:    e,
		URL:       target.String(),
		Started:   time.Now(),
		Duration:  cfg.duration.String(),
		MaxEvents: cfg.maxEvents,
	}
	// The page that opens the stream: on the stream's own origin by
	// default, as the site's own pages are, so that CORS does not come
	// into it; on the local server's with -page-origin local.
	rep.PageOrigin = srv.URL
	var proxy *streamProxy
	if cfg.pageOrigin == "stream" {
		rep.PageOrigin, rep.Via = origin(rep.URL), "devtools"
		if e != browser.Chromium {
			var err error
			if proxy, err = startStreamProxy(origin(rep.URL), srv, cfg.impls); err != nil {
				return nil, err
			}
			defer proxy.close()
			rep.Via = "proxy"
		}
	}
	rep.CrossOrigin = origin(rep.URL) != rep.PageOrigin
	proxyAddr := ""
	if proxy != nil {
		proxyAddr = proxy.addr()
	}
	browser, err := startBrowser(ctx, e, max(cfg.parallel, len(cfg.impls)), proxyAddr, stderr, cfg.verbose)
	if err != nil {
		return nil, err
	}
	defer browser.close()
	rep.Browser = browser.version
	if err := checkImpls(ctx, browser, srv, cfg.impls); err != nil {
		return nil, err
	}

	fmt.Fprintf(stderr, "sseconform: %s: fetching %s for at most %v or %d events, from a page and directly\n", browser.version, rep.URL, cfg.duration, cfg.maxEvents)
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
	rep.Response, err = probe(ctx, browser, srv, cfg, rep.URL, rep.PageOrigin, startDirect)
	startDirect()
	rep.Direct = <-directDone
	if err != nil {
		return nil, err
	}
	resp := &rep.Response
	if resp.ReadBy == "" && rep.Direct.Status != 0 {
		// The page could not read the body (CORS): the checks of the
		// bytes read sseconform's.
		resp.ReadBy = "sseconform"
		resp.body, resp.BodyBytes, resp.Ended = rep.Direct.body, rep.Direct.Bytes, rep.Direct.Ended
	}
	if rep.Direct.Status != 0 && (resp.Status == 0 || (rep.CrossOrigin && resp.HeaderFrom == "page")) {
		// Headers that the browser did not give: a cross-origin page
		// of an engine without DevTools sees only the CORS-safelisted
		// ones.
		if resp.Status == 0 {
			resp.Status = rep.Direct.Status
		}
		added := false
		for name, vs := range rep.Direct.header {
			if _, ok := resp.Header[strings.ToLower(name)]; !ok {
				resp.Header[strings.ToLower(name)] = strings.Join(vs, "\n")
				added = true
			}
		}
		if added {
			resp.HeaderFrom = strings.TrimPrefix(resp.HeaderFrom+"+sseconform", "+")
		}
	}
	if len(resp.body) > 0 {
		resp.BodySample = clip(strings.ToValidUTF8(string(resp.body[:min(len(resp.body), 2048)]), "\uFFFD"))
	}
	rep.Stream = parseStream(resp.body, resp.Ended)

	// The traces listen for the event types that the fetch saw.
	fmt.Fprintf(stderr, "sseconform: %s: opening it with %s\n", browser.version, implNames(cfg.impls))
	rep.Traces = make([]ServerTrace, len(cfg.impls))
	var wg sync.WaitGroup
	for i, im := range cfg.impls {
		wg.Go(func() {
			rep.Traces[i] = traceServer(ctx, browser, srv, cfg, i, im, rep.URL, rep.PageOrigin, rep.Stream.Types)
		})
	}
	wg.Wait()
	return rep, ctx.Err()
}

// probe fetches the stream once from a page on pageOrigin. In Chromium,
// DevTools gives all response headers; in the other engines, the page's
// fetch() gives those it may read. When the page may not read the body,
// sseconform reads it itself, for the checks of the bytes. beforeFetch is
// called just before the page's fetch starts.
func probe(ctx context.Context, browser *engineBrowser, srv *local, cfg *config, target, pageOrigin string, beforeFetch func()) (Response, error) {
	t, err := browser.newTab(ctx, "probe")
	if err != nil {
		return Response{}, err
	}
	defer t.close()
	devtools, hasDevTools := chromedpContext(t)
	if pageOrigin != srv.URL && hasDevTools {
		if err := t.serveAt(pageOrigin, srv, cfg.impls); err != nil {
			return Response{}, err
		}
	}
	loadCtx, cancelLoad := context.WithTimeout(ctx, 20*time.Second)
	defer cancelLoad()
	if err := t.navigate(loadCtx, pageOrigin+"/harness.html?impl=native"); err != nil {
		return Response{}, fmt.Errorf("open the probe page: %w", err)
	}

	var net *devtoolsNetwork
	if hasDevTools {
		// Subscribe to the network events of the tab before the fetch.
		net = watchNetwork(devtools)
		defer net.stop()
	}

	args, err := json.Marshal(map[string]any{
		"url": target, "durationMs": cfg.duration.Milliseconds(),
		"maxEvents": cfg.maxEvents, "maxBytes": probeMaxBytes,
	})
	if err != nil {
		return Response{}, err
	}
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration+15*time.Second)
	defer cancel()
	beforeFetch()
	res, err := evaluate[probeResult](runCtx, t, "("+probeJS+")("+string(args)+")")
	if err != nil {
		return Response{}, fmt.Errorf("the probe failed: %w", err)
	}

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
	if net != nil {
		net.fill(&resp)
	} else if len(res.Headers) > 0 {
		maps.Copy(resp.Header, res.Headers)
		resp.HeaderFrom = "page"
	}
	if resp.StatusText == "" {
		resp.StatusText = http.StatusText(resp.Status)
	}
	return resp, nil
}

// chromedpContext returns the chromedp context of a tab of Chromium.
func chromedpContext(t *tab) (context.Context, bool) {
	return browser.ChromedpContext(t.t)
}

// devtoolsNetwork keeps what DevTools says of the fetches of a tab of
// Chromium: every response header, cookies and all, and why the browser
// blocked a response.
type devtoolsNetwork struct {
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	ids      []network.RequestID
	extra    map[network.RequestID]*network.EventResponseReceivedExtraInfo
	received map[network.RequestID]*network.EventResponseReceived
	failed   map[network.RequestID]*network.EventLoadingFailed
}

// watchNetwork starts listening to the network events of the tab whose
// chromedp context is tabCtx.
func watchNetwork(tabCtx context.Context) *devtoolsNetwork {
	ctx, cancel := context.WithCancel(tabCtx)
	n := &devtoolsNetwork{
		cancel:   cancel,
		extra:    map[network.RequestID]*network.EventResponseReceivedExtraInfo{},
		received: map[network.RequestID]*network.EventResponseReceived{},
		failed:   map[network.RequestID]*network.EventLoadingFailed{},
	}
	n.wg.Go(func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			if ev.Type == network.ResourceTypeFetch && ev.RedirectResponse == nil {
				n.mu.Lock()
				n.ids = append(n.ids, ev.RequestID)
				n.mu.Unlock()
			}
		}
	})
	n.wg.Go(func() {
		for ev, err := range chromedp.Events(ctx, network.ResponseReceivedExtraInfo) {
			if err != nil {
				return
			}
			n.mu.Lock()
			n.extra[ev.RequestID] = &ev // the last one, after any redirect
			n.mu.Unlock()
		}
	})
	n.wg.Go(func() {
		for ev, err := range chromedp.Events(ctx, network.ResponseReceived) {
			if err != nil {
				return
			}
			n.mu.Lock()
			n.received[ev.RequestID] = &ev
			n.mu.Unlock()
		}
	})
	n.wg.Go(func() {
		for ev, err := range chromedp.Events(ctx, network.LoadingFailed) {
			if err != nil {
				return
			}
			n.mu.Lock()
			n.failed[ev.RequestID] = &ev
			n.mu.Unlock()
		}
	})
	return n
}

func (n *devtoolsNetwork) stop() {
	n.cancel()
	n.wg.Wait()
}

// fill adds to resp what DevTools said of the first fetch. It waits for
// DevTools' word on the request (its response, or why it failed), which
// can come a moment after the page's promise settles.
func (n *devtoolsNetwork) fill(resp *Response) {
	known := func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		if len(n.ids) == 0 {
			return false
		}
		id := n.ids[0]
		return n.failed[id] != nil || (n.received[id] != nil && n.extra[id] != nil)
	}
	for deadline := time.Now().Add(time.Second); !known() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	n.stop()

	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.ids) == 0 {
		return
	}
	id := n.ids[0]
	resp.HeaderFrom = "devtools"
	if ev := n.received[id]; ev != nil && ev.Response != nil {
		resp.Protocol = ev.Response.Protocol
		if resp.Status == 0 {
			resp.Status = int(ev.Response.Status)
			resp.StatusText = ev.Response.StatusText
		}
		addHeaders(resp.Header, ev.Response.Headers)
	}
	if ev := n.extra[id]; ev != nil {
		// The raw headers, cookies and all, as they came.
		addHeaders(resp.Header, ev.Headers)
		if resp.Status == 0 {
			resp.Status = int(ev.StatusCode)
		}
	}
	if ev := n.failed[id]; ev != nil && !ev.Canceled {
		resp.Blocked = ev.ErrorText
		if ev.CorsErrorStatus != nil {
			resp.Blocked = fmt.Sprintf("CORS: %s", ev.CorsErrorStatus.CorsError)
			if p := ev.CorsErrorStatus.FailedParameter; p != "" {
				resp.Blocked += " (" + p + ")"
			}
		}
	}
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
func traceServer(ctx context.Context, browser *engineBrowser, srv *local, cfg *config, i int, im impl, target, pageOrigin string, types []string) ServerTrace {
	st := ServerTrace{Impl: im.Name}
	t, err := browser.newTab(ctx, "trace/"+im.Name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	defer t.close()
	page := srv.harnessURL(i, im)
	if _, devtools := chromedpContext(t); pageOrigin != srv.URL && devtools {
		if err := t.serveAt(pageOrigin, srv, cfg.impls); err != nil {
			st.Error = err.Error()
			return st
		}
	}
	if pageOrigin != srv.URL {
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
