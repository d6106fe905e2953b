// Command ssebench benchmarks WasmEventSource against the browser's native
// EventSource, a cost floor and the EventSource libraries of npm, in
// headless Chromium (and, with -browser, Firefox and WebKit, one after the
// other) against the reference server (server/refserver) running in the
// same process. It is what `make bench` runs.
//
// Usage, from the repository root, after `make build`:
//
//	go run ./e2e/cmd/ssebench [-reps 5] [-impl all] [-workload all] [-browser chromium] [-out bench-report] [-quick]
//
// In each engine of -browser, every workload runs against that engine's
// own native EventSource, peers and floors, and the report gives each
// engine's ratios. Chromium is driven over DevTools (chromedp), Firefox and
// WebKit through e2e/internal/browser. What an engine's pages cannot
// measure (the JS heap, outside Chromium) is reported as not measured,
// with the reason; see the README's "Benchmarks".
//
// For example, a quick look at one workload:
//
//	go run ./e2e/cmd/ssebench -impl wasm,floor -workload 100k -reps 3
//
// The implementations are native (the browser's EventSource), wasm
// (WasmEventSource from dist/), floor (fetch, a stream reader, a TextDecoder
// and a scan for "\n\n": the least work a JavaScript client can do),
// event-floor (the floor plus a real MessageEvent dispatched on an
// EventTarget for each event: the least work an EventSource that gives its
// listeners DOM events can do), go-floor (a Go program built as the module
// is: in the ready and returning workloads, what the Go runtime costs to
// start; in the EventSource API's throughput workloads, the least work a Go
// client that gives its listeners DOM events can do) and the npm peers,
// which ssebench installs into .cache/bench with npm and bundles with
// esbuild at bench time. Each implementation runs in
// the pages of web/bench through a small adapter (web/bench/adapters,
// web/bench/peers).
//
// The workloads are listed by -help. Each repetition of an implementation
// runs in a new tab, each measurement on a fresh page in it, cold page
// loads in a new browser context; the order of the implementations turns
// from one repetition to the next, to spread noise. The result is a
// markdown report on stdout, and ssebench.md, ssebench.json and a
// self-contained ssebench.html in the -out directory. The targets of the
// project show as PASS or MISS lines; they never fail the command.
//
// A peer that is more than -prune times slower than the fastest peer in a
// workload after the first repetition is not run again in it: its one run
// says enough, and the slowest peers would otherwise take most of the time.
// native, wasm and the floors always run every repetition.
//
// Chromium is $CHROMIUM, else /usr/bin/chromium or chromium,
// chromium-browser or google-chrome from PATH. SSEBENCH_CHROMIUM_FLAGS adds
// flags to it, space-separated, each name or name=value. Firefox and WebKit
// are found as the e2e tests find them ($FIREFOX, $WEBKIT_DRIVER,
// $MINIBROWSER).
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
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ssebench:", err)
		os.Exit(1)
	}
}

// config is what the flags of a run say.
type config struct {
	root      string // the repository root, with web/ and dist/
	cacheDir  string // where the npm peers are installed and bundled
	outDir    string // where the reports go
	reps      int
	quick     bool
	impls     []impl
	workloads []workload
	engines   []browser.Engine // in the order they run
	timeout   time.Duration    // of one measurement
	verbose   bool
	serverLog bool
	prune     float64 // see pruneSlowPeers
}

// run parses args, runs the benchmark, writes the reports and prints the
// markdown report to stdout. Progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	rep, failed := benchmark(ctx, cfg, stderr)
	if rep == nil {
		return failed
	}
	rep.Meta.Duration = time.Since(start).Round(time.Second).String()

	if err := os.MkdirAll(cfg.outDir, 0o755); err != nil {
		return err
	}
	md := renderMarkdown(rep)
	html, err := renderHTML(rep)
	if err != nil {
		return err
	}
	js, err := renderJSON(rep)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"ssebench.md": []byte(md), "ssebench.html": html, "ssebench.json": js} {
		if err := os.WriteFile(filepath.Join(cfg.outDir, name), data, 0o644); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(stdout, md); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ssebench: done in %s; reports in %s/ssebench.{md,json,html}\n", rep.Meta.Duration, cfg.outDir)
	return failed
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	flags := flag.NewFlagSet("ssebench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	reps := flags.Int("reps", 5, "repetitions of each measurement (the report shows medians)")
	quick := flags.Bool("quick", false, "1 repetition and a tenth of the events, for a quick look (-reps still applies when given)")
	implList := flags.String("impl", "all", "comma-separated implementations: all, peers, or names from "+strings.Join(implNames(), ", "))
	workloadList := flags.String("workload", "all", "comma-separated workloads: all, or names from "+strings.Join(workloadNames(), ", "))
	out := flags.String("out", "bench-report", "directory for ssebench.md, ssebench.json and ssebench.html")
	root := flags.String("root", "", "repository root, with web/ and dist/ (default: found from the working directory)")
	cache := flags.String("cache", "", "directory for the npm peers (default: ROOT/.cache/bench)")
	timeout := flags.Duration("timeout", 2*time.Minute, "limit of one measurement")
	verbose := flags.Bool("v", false, "forward the console of the pages to stderr")
	serverLog := flags.Bool("serverlog", false, "log each request of the reference server to stderr")
	browsers := flags.String("browser", "chromium", "comma-separated browser engines to run the workloads in, one after the other: all, or names from chromium, firefox, webkit")
	prune := flags.Float64("prune", 2, "after the first repetition, stop repeating a peer more than this many times slower than the fastest peer in a workload (0: repeat them all)")
	flags.Usage = func() {
		fmt.Fprintf(stderr, "usage: ssebench [flags]\n\nWorkloads:\n")
		for _, w := range catalogue(false) {
			fmt.Fprintf(stderr, "  %-11s %s\n", w.Name, w.Title)
		}
		fmt.Fprintf(stderr, "\nFlags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", flags.Args())
	}
	cfg := &config{reps: *reps, quick: *quick, outDir: *out, timeout: *timeout, verbose: *verbose, serverLog: *serverLog, prune: *prune}
	if cfg.quick && !flagGiven(flags, "reps") {
		cfg.reps = 1
	}
	if cfg.reps < 1 {
		return nil, fmt.Errorf("-reps %d: want at least 1", cfg.reps)
	}
	var err error
	if cfg.impls, err = selectImpls(*implList); err != nil {
		return nil, err
	}
	if cfg.workloads, err = selectWorkloads(*workloadList, cfg.quick); err != nil {
		return nil, err
	}
	if cfg.engines, err = selectEngines(*browsers); err != nil {
		return nil, err
	}
	cfg.root = *root
	if cfg.root == "" {
		if cfg.root, err = findRoot(); err != nil {
			return nil, err
		}
	}
	if cfg.root, err = filepath.Abs(cfg.root); err != nil {
		return nil, err
	}
	cfg.cacheDir = *cache
	if cfg.cacheDir == "" {
		cfg.cacheDir = filepath.Join(cfg.root, ".cache", "bench")
	}
	if cfg.cacheDir, err = filepath.Abs(cfg.cacheDir); err != nil {
		return nil, err
	}
	return cfg, nil
}

func flagGiven(flags *flag.FlagSet, name string) bool {
	given := false
	flags.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// selectImpls returns the implementations that list names, in the order of
// the catalogue.
func selectImpls(list string) ([]impl, error) {
	want := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		switch name = strings.TrimSpace(name); name {
		case "":
		case "all":
			for _, im := range impls {
				want[im.Name] = true
			}
		case "peers":
			for _, im := range impls {
				if im.Package != "" {
					want[im.Name] = true
				}
			}
		default:
			if !slices.Contains(implNames(), name) {
				return nil, fmt.Errorf("-impl: unknown implementation %q (want all, peers or some of %s)", name, strings.Join(implNames(), ", "))
			}
			want[name] = true
		}
	}
	var out []impl
	for _, im := range impls {
		if want[im.Name] {
			out = append(out, im)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-impl: no implementation selected")
	}
	return out, nil
}

// selectWorkloads returns the workloads that list names, in the order of
// the catalogue.
func selectWorkloads(list string, quick bool) ([]workload, error) {
	want := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		switch name = strings.TrimSpace(name); name {
		case "":
		case "all":
			for _, w := range catalogue(quick) {
				want[w.Name] = true
			}
		default:
			if !slices.Contains(workloadNames(), name) {
				return nil, fmt.Errorf("-workload: unknown workload %q (want all or some of %s)", name, strings.Join(workloadNames(), ", "))
			}
			want[name] = true
		}
	}
	var out []workload
	for _, w := range catalogue(quick) {
		if want[w.Name] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-workload: no workload selected")
	}
	return out, nil
}

// selectEngines returns the engines that list names, separated by commas
// or spaces, in the order given.
func selectEngines(list string) ([]browser.Engine, error) {
	list = strings.Join(strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }), ",")
	if list == "" {
		return nil, errors.New("-browser: no browser selected")
	}
	engines, err := browser.ParseEngines(list)
	if err != nil {
		return nil, fmt.Errorf("-browser: %w", err)
	}
	return engines, nil
}

// findRoot returns the nearest directory at or above the working directory
// that holds web/bench and go.mod: the repository root.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) && isFile(filepath.Join(dir, "web", "bench", "bench.js")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (go.mod and web/bench/bench.js) from the working directory; run from the repository or give -root")
		}
		dir = parent
	}
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
