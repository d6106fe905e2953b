// Command sseconform checks EventSource implementations, and server-sent
// event servers, in a real browser.
//
// # Conformance of implementations
//
// By default sseconform runs the scenario catalogue of the reference server
// (server/scenario) in a headless Chromium, against each implementation it
// is given, and says which scenarios each one passes:
//
//	sseconform [-impl native,wasm] [-run REGEX] [-golden DIR] [-dist DIR] [-out DIR] [-parallel N] [-timeout 10s]
//
// It starts the reference server (server/refserver) in its own process, on
// 127.0.0.1, and one Chromium with a fresh profile. Each scenario runs in a
// fresh tab of web/harness.html, which web/trace.js drives: it records the
// open, message and error events with the ready state at each, and the calls
// of close(). The implementations are:
//
//	native             the browser's own EventSource
//	wasm               WasmEventSource from DIST/eventsource-wasm.js (make build)
//	FILE.js:NAME       a classic script that defines the global constructor
//	                   NAME, e.g. an npm polyfill bundled into one file
//
// The expected trace of a scenario is its golden file in the -golden
// directory (by default e2e/testdata when it exists): the trace of the
// native EventSource of Chromium, which the e2e tests keep. A scenario with
// no golden file is checked against the events its catalogue entry expects,
// which follow the standard (WHATWG HTML, "Server-sent events"), and against
// how it must end (close() after Client.CloseAfter events, or an error event
// with readyState CLOSED). Either way, sseconform says where native Chromium
// and the standard disagree. Every trace must also show what any
// EventSource shows: readyState CONNECTING after construction, the
// constants, MessageEvents whose target is the source.
//
// Each trace is compared at two levels: behaviour, with object fidelity
// (the class of the events, their origin and target, EventTarget-ness, the
// resolved URL) set aside, and fidelity, in full; the report gives both
// ("behaviour 68/80, fidelity 0/80") and every entry that differs, with the
// differing fields marked. Where the polyfill cannot do what native
// Chromium does, its own trace is checked in as NAME.wasm.golden beside
// the golden file, and e2e/internal/known gives the reason: a polyfill's
// trace equal to it is a known difference, reported with the reason, and
// fails nothing.
//
// Before any scenario, each implementation's page is loaded once, so that
// a script that does not load or defines no such global fails the run
// once, with the reason. A progress line is printed to stderr for each
// scenario, in the order of the catalogue:
//
//	[12/45] crlf: native ok, wasm ok
//
// A summary goes to stdout, and sseconform.json and a self-contained
// sseconform.html (a scenario × implementation × level matrix with a
// filter for what is not a pass, and for each failure the expected and the
// actual trace side by side) go to the -out folder, whose path the summary
// ends with. The exit status is 1 when any scenario fails for any
// implementation at either level, 0 otherwise (known differences too).
//
// Examples, from the root of the repository after make build:
//
//	go run ./e2e/cmd/sseconform
//	go run ./e2e/cmd/sseconform -run 'crlf|bom' -impl wasm
//	go run ./e2e/cmd/sseconform -impl native,node_modules/x/dist/polyfill.js:EventSourcePolyfill
//
// or anywhere, once installed:
//
//	go install github.com/eventsource-wasm/eventsource-wasm/e2e/cmd/sseconform@latest
//	sseconform -impl native,./polyfill.bundle.js:EventSourcePolyfill
//
// # Checking a server
//
// With -server URL, sseconform checks somebody's event stream instead:
//
//	sseconform -server https://example.com/events [-duration 5s] [-max-events 20] [-impl native,wasm] [-page-origin stream]
//
// A page fetches URL once and reads the response for at most -duration or
// until -max-events events have arrived, noting when each chunk came;
// DevTools gives every response header. At the same time sseconform makes
// a request of its own without compression (Accept-Encoding: identity),
// so that it knows when each event was sent: an event that reaches the
// page much later than that request, or not at all, is held back on the
// way (a compressor, a proxy). When the events have ids, sseconform
// measures resumption: it reads a few events, disconnects, stays away
// until a second client that stays connected has seen more events
// published, reconnects with Last-Event-ID, and compares the ids that come
// back with those the continuous client saw. Then each implementation
// opens URL with its EventSource and records a trace, as long and as far.
//
// By default (-page-origin stream) the page is on URL's own origin:
// sseconform answers the requests of that tab for the harness's few paths
// (/harness.html, /trace.js, /dist/eventsource-wasm.*) itself, through
// DevTools, so they never reach the server, and the stream is same-origin
// as it is to the site's own pages; CORS is not checked. -page-origin
// local runs the page on sseconform's local server instead, cross-origin,
// and checks CORS; when CORS keeps the body from the page, the checks of
// the bytes read sseconform's own request.
//
// Each finding has a stable id, a severity from one table (findings.go,
// and the README), its evidence (times, ids, bytes) and one sentence on
// the fix. Errors: no response, a status other than 200, a wrong
// Content-Type, no event in the window, events held back, a reconnection
// that repeats events the client had or loses events published while it
// was away. Warnings, for what may be deliberate: no CORS headers for a
// cross-origin page, no Cache-Control, late headers, field lines that
// EventSource ignores. A note for a stream without ids, which cannot
// resume. sseconform-server.json and sseconform-server.html go to -out,
// and the exit status is 1 when there is an error.
//
// # The conformance page in any browser
//
// With -serve ADDR, sseconform serves web/conformance.html (embedded in the
// command), the polyfill from -dist and the reference server at ADDR until
// it is interrupted:
//
//	sseconform -serve localhost:8080
//
// Open http://localhost:8080/conformance.html in any browser and press Run
// to watch the scenario × {native, wasm} matrix fill, with the expected and
// the actual events of each failure. ?run=simple,crlf selects scenarios,
// ?impl=native an implementation, ?autorun starts at once. The page checks
// against the standard only (the golden traces are of Chromium).
// In a checkout, `make demo` serves the same page at
// http://127.0.0.1:8080/conformance.html.
//
// # The browser
//
// -browser chromium is the only engine until the multi-engine browser
// layer lands; -browser firefox or webkit says so. The browser is $CHROMIUM, else /usr/bin/chromium, or chromium,
// chromium-browser or google-chrome from PATH; without one sseconform fails.
// It runs headless, without sandbox, GPU, QUIC or background networking.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errFailed) {
			fmt.Fprintln(os.Stderr, "sseconform:", err)
		}
		os.Exit(1)
	}
}

// errFailed is the error of a run that worked and found failures; it was
// reported already.
var errFailed = errors.New("sseconform: some checks failed")

// config is what the flags of a run say.
type config struct {
	impls     []impl
	run       *regexp.Regexp
	goldenDir string // "" when there are no golden files
	distDir   string
	outDir    string
	parallel  int
	timeout   time.Duration // of one trace

	serve     string // -serve: the address to serve the conformance page on
	server    string // -server: the URL of a stream to check
	duration  time.Duration
	maxEvents int
	// pageOrigin is where the traces of -server run: "stream" (a page on
	// the stream's own origin) or "local" (a page of the local server).
	pageOrigin string

	engine  engine // -browser
	verbose bool
}

// run parses args and runs the checks they ask for. The progress goes to
// stderr and a summary to stdout. It returns errFailed when a check failed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage went to stdout
	}
	if err != nil {
		return err
	}
	if cfg.serve != "" {
		return serve(ctx, cfg, stdout)
	}
	if cfg.server != "" {
		return checkServer(ctx, cfg, stdout, stderr)
	}
	return conform(ctx, cfg, stdout, stderr)
}

// usage is what -h prints before the flags.
const usage = `usage: sseconform [flags]                   run the scenario catalogue against EventSource implementations
       sseconform -server URL [flags]      check an event stream of your own
       sseconform -serve ADDR [-dist DIR]  serve the conformance page, for any browser

Run it from the root of a checkout after ` + "`make build`" + ` (the wasm implementation is dist/),
or pass -dist. The reports go to the -out folder, printed at the end.

Examples:
  sseconform                                             native and wasm, every scenario
  sseconform -run 'crlf|bom' -impl wasm                  a few scenarios, the polyfill only
  sseconform -impl native,./bundle.js:EventSourcePolyfill  another polyfill, bundled into one classic script
  sseconform -server http://localhost:3000/events        check a server: exit 1 on any ERROR finding
  sseconform -server https://api.example.com/sse -page-origin local   also check CORS for a page on another origin
  sseconform -serve localhost:8080                       then open http://localhost:8080/conformance.html

Flags:
`

func parseFlags(args []string, stdout io.Writer) (*config, error) {
	flags := flag.NewFlagSet("sseconform", flag.ContinueOnError)
	// Parse errors come back as errors, said once; -h prints the usage to
	// stdout.
	flags.SetOutput(io.Discard)
	implList := flags.String("impl", "native,wasm", "comma-separated implementations: native, wasm, or FILE.js:GLOBAL for a script that defines the constructor GLOBAL")
	runExpr := flags.String("run", "", "run only the scenarios whose name matches this regular expression")
	golden := flags.String("golden", "", "directory of golden traces, NAME.golden, and of the polyfill traces of known differences, NAME.wasm.golden (default e2e/testdata when it exists; \"none\" to check against the standard only)")
	dist := flags.String("dist", "dist", "directory of the built polyfill, eventsource-wasm.js and .wasm (for -impl wasm; make build writes it)")
	out := flags.String("out", "sseconform-report", "folder for the JSON and HTML reports")
	parallel := flags.Int("parallel", 4, "how many tabs run at once")
	timeout := flags.Duration("timeout", 10*time.Second, "how long a scenario may run before its trace ends with a timeout (a failure)")
	browserList := flags.String("browser", "chromium", "the browser engine to run in; only chromium for now")
	serve := flags.String("serve", "", "serve the conformance page and the reference server at this address (e.g. localhost:8080) until interrupted, for any browser")
	server := flags.String("server", "", "check the event stream at this URL instead of running the catalogue")
	duration := flags.Duration("duration", 5*time.Second, "with -server: how long to read the stream, each time")
	maxEvents := flags.Int("max-events", 20, "with -server: stop reading after this many events")
	pageOrigin := flags.String("page-origin", "stream", "with -server: open the stream from a page on the stream's own origin (stream), or on sseconform's server (local: cross-origin, and CORS is checked)")
	verbose := flags.Bool("v", false, "forward the console of the pages to stderr")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			flags.SetOutput(stdout)
			flags.PrintDefaults()
		}
		return nil, fmt.Errorf("%w (sseconform -h shows the flags)", err)
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", flags.Args())
	}
	cfg := &config{
		outDir:     *out,
		parallel:   *parallel,
		timeout:    *timeout,
		serve:      *serve,
		server:     *server,
		duration:   *duration,
		maxEvents:  *maxEvents,
		pageOrigin: *pageOrigin,
		verbose:    *verbose,
	}
	if cfg.parallel < 1 {
		return nil, fmt.Errorf("-parallel %d: want at least 1", cfg.parallel)
	}
	if cfg.timeout <= 0 {
		return nil, fmt.Errorf("-timeout %v: want more than 0", cfg.timeout)
	}
	if cfg.duration <= 0 {
		return nil, fmt.Errorf("-duration %v: want more than 0", cfg.duration)
	}
	if cfg.pageOrigin != "stream" && cfg.pageOrigin != "local" {
		return nil, fmt.Errorf("-page-origin %q: want stream or local", cfg.pageOrigin)
	}
	if cfg.maxEvents < 1 {
		return nil, fmt.Errorf("-max-events %d: want at least 1", cfg.maxEvents)
	}
	var err error
	if cfg.engine, err = parseBrowser(*browserList); err != nil {
		return nil, fmt.Errorf("-browser: %w", err)
	}
	if cfg.run, err = regexp.Compile(*runExpr); err != nil {
		return nil, fmt.Errorf("-run: %w", err)
	}
	if cfg.impls, err = parseImpls(*implList); err != nil {
		return nil, fmt.Errorf("-impl: %w", err)
	}
	for _, im := range cfg.impls {
		if im.Kind == "wasm" && cfg.serve == "" {
			if err := checkDist(*dist); err != nil {
				return nil, err
			}
		}
	}
	if cfg.distDir, err = filepath.Abs(*dist); err != nil {
		return nil, err
	}

	switch *golden {
	case "none":
	case "":
		if fi, err := os.Stat(filepath.Join("e2e", "testdata")); err == nil && fi.IsDir() {
			cfg.goldenDir = filepath.Join("e2e", "testdata")
		}
	default:
		if fi, err := os.Stat(*golden); err != nil {
			return nil, fmt.Errorf("-golden: %w", err)
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("-golden %s: not a directory", *golden)
		}
		cfg.goldenDir = *golden
	}
	return cfg, nil
}

// checkDist reports whether dir holds the built polyfill.
func checkDist(dir string) error {
	for _, name := range []string{"eventsource-wasm.js", "eventsource-wasm.wasm"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("-impl wasm needs %s: %w\n"+
				"\tbuild it with `make build` in the repository and pass -dist path/to/dist, or leave wasm out (-impl native)",
				filepath.Join(dir, name), err)
		}
	}
	return nil
}

// An impl is an EventSource implementation under test.
type impl struct {
	// Name is how reports call it: native, wasm, or FILE.js:GLOBAL with
	// the base name of the file.
	Name string `json:"name"`
	// Kind is the impl parameter of web/harness.html: native, wasm or
	// script.
	Kind string `json:"kind"`
	// Path and Global are the script file and the name of the
	// constructor it defines, for the kind script.
	Path   string `json:"path,omitempty"`
	Global string `json:"global,omitempty"`
}

// parseImpls parses the -impl list.
func parseImpls(list string) ([]impl, error) {
	var impls []impl
	seen := map[string]bool{}
	for spec := range strings.SplitSeq(list, ",") {
		spec = strings.TrimSpace(spec)
		var im impl
		switch spec {
		case "":
			continue
		case "native", "wasm":
			im = impl{Name: spec, Kind: spec}
		default:
			i := strings.LastIndex(spec, ":")
			if i < 0 {
				return nil, fmt.Errorf("unknown implementation %q: want native, wasm or FILE.js:GLOBAL", spec)
			}
			path, global := spec[:i], spec[i+1:]
			if !regexp.MustCompile(`^[A-Za-z_$][\w$]*$`).MatchString(global) {
				return nil, fmt.Errorf("%q: %q is not the name of a global", spec, global)
			}
			fi, err := os.Stat(path)
			if err != nil {
				return nil, err
			}
			if fi.IsDir() {
				return nil, fmt.Errorf("%s is a directory, not a script", path)
			}
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			f.Close()
			abs, err := filepath.Abs(path)
			if err != nil {
				return nil, err
			}
			im = impl{Name: filepath.Base(path) + ":" + global, Kind: "script", Path: abs, Global: global}
		}
		if seen[im.Name] {
			return nil, fmt.Errorf("%s is listed twice", im.Name)
		}
		seen[im.Name] = true
		impls = append(impls, im)
	}
	if len(impls) == 0 {
		return nil, errors.New("no implementation")
	}
	return impls, nil
}
