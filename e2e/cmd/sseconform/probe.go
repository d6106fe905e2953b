package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
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

	Response Response       `json:"response"`
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
	// page could not, and "" when nobody could.
	ReadBy string `json:"readBy,omitempty"`
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

// A Finding is one problem or remark about the stream.
type Finding struct {
	// Severity is "error" (EventSource fails, or cannot be used),
	// "warning" (it works, but something is likely to go wrong, e.g.
	// behind a proxy) or "info".
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
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
	browser, stopBrowser, err := startChromium(ctx, stderr, cfg.verbose)
	if err != nil {
		return err
	}
	defer stopBrowser()

	rep := &ServerReport{
		URL:         target.String(),
		PageOrigin:  srv.URL,
		CrossOrigin: target.Scheme+"://"+target.Host != srv.URL,
		Browser:     browser.version,
		Started:     time.Now(),
		Duration:    cfg.duration.String(),
		MaxEvents:   cfg.maxEvents,
	}
	fmt.Fprintf(stderr, "sseconform: fetching %s for at most %v or %d events\n", rep.URL, cfg.duration, cfg.maxEvents)
	rep.Response, err = probe(ctx, browser, srv, cfg, rep.URL)
	if err != nil {
		return err
	}
	rep.Stream = parseStream(rep.Response.body, rep.Response.Ended)
	rep.Resume = checkResume(ctx, cfg, rep.URL, rep.Stream)

	// The traces listen for the event types that the fetch saw.
	fmt.Fprintf(stderr, "sseconform: opening it with %s\n", implNames(cfg.impls))
	rep.Traces = make([]ServerTrace, len(cfg.impls))
	var wg sync.WaitGroup
	for i, im := range cfg.impls {
		wg.Go(func() {
			rep.Traces[i] = traceServer(ctx, browser, srv, cfg, i, im, rep.URL, rep.Stream.Types)
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
	if rep.Counts["error"] > 0 {
		return errFailed
	}
	return nil
}

// probe fetches the stream once from a page of the local server, and reads
// all response headers from DevTools. When the page may not read the body,
// sseconform reads it itself, for the checks of the bytes.
func probe(ctx context.Context, browser *chromium, srv *local, cfg *config, target string) (Response, error) {
	t, err := browser.newTab("probe")
	if err != nil {
		return Response{}, err
	}
	defer t.close()
	if err := chromedp.Do(t.ctx, chromedp.Navigate(srv.URL+"/harness.html")); err != nil {
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
		Header: map[string]string{},
	}
	if len(res.Chunks) > 0 {
		resp.FirstMs = res.Chunks[0].Ms
	}
	if res.OK {
		resp.ReadBy = "page"
		if resp.body, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
			return Response{}, fmt.Errorf("the probe's body: %w", err)
		}
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

	if !res.OK {
		// The page got nothing it may read: read the body here, for
		// the checks of the bytes.
		if err := fetchDirect(ctx, cfg, target, &resp); err != nil && resp.Error == "" {
			resp.Error = err.Error()
		}
	}
	if resp.StatusText == "" {
		resp.StatusText = http.StatusText(resp.Status)
	}
	if len(resp.body) > 0 {
		resp.BodySample = clip(strings.ToValidUTF8(string(resp.body[:min(len(resp.body), 2048)]), "\uFFFD"))
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

// fetchDirect reads the stream with Go's HTTP client, as the browser would
// have, when the page could not: the body for the checks of its bytes, and
// the headers when DevTools had none.
func fetchDirect(ctx context.Context, cfg *config, target string, resp *Response) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	start := time.Now()
	ms := func() float64 { return float64(time.Since(start).Microseconds()) / 1000 }
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	// The times of the chunks below are this request's, and so must be
	// the time of its headers.
	resp.HeadersMs = ms()
	if resp.Status == 0 {
		resp.Status = res.StatusCode
		resp.Protocol = res.Proto
		for name, vs := range res.Header {
			resp.Header[strings.ToLower(name)] = strings.Join(vs, "\n")
		}
		if res.Uncompressed {
			resp.Header["content-encoding"] = "gzip"
		}
	}
	resp.ReadBy = "sseconform"
	resp.Chunks = nil
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			if len(resp.Chunks) < 2000 {
				resp.Chunks = append(resp.Chunks, chunk{Ms: ms(), Bytes: n})
			}
			resp.BodyBytes += n
			if len(resp.body) < probeMaxBytes {
				resp.body = append(resp.body, buf[:min(n, probeMaxBytes-len(resp.body))]...)
			}
		}
		if errors.Is(err, io.EOF) {
			resp.Ended, resp.StoppedBy = true, "end"
			break
		}
		if err != nil {
			resp.StoppedBy = "duration"
			break
		}
		if len(resp.body) >= probeMaxBytes {
			resp.StoppedBy = "max-bytes"
			break
		}
		if parseStream(resp.body, false).Dispatched >= cfg.maxEvents {
			resp.StoppedBy = "max-events"
			break
		}
	}
	resp.EndMs = ms()
	if len(resp.Chunks) > 0 {
		resp.FirstMs = resp.Chunks[0].Ms
	}
	return nil
}

// traceServer records the trace of one implementation on the stream.
func traceServer(ctx context.Context, browser *chromium, srv *local, cfg *config, i int, im impl, target string, types []string) ServerTrace {
	st := ServerTrace{Impl: im.Name}
	t, err := browser.newTab("trace/" + im.Name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	defer t.close()
	page := srv.harnessURL(i, im)
	if cfg.pageOrigin == "stream" {
		o := origin(target)
		if err := t.serveAt(o, srv, cfg.impls); err != nil {
			st.Error = err.Error()
			return st
		}
		page = harnessURL(o, i, im)
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
	st.Problems = append(st.Problems, apiProblems(im, tr)...)
	return st
}
