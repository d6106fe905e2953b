# eventsource-wasm: build, demo and tests.
#
#   make demo    build, then serve the demo on http://127.0.0.1:8080/
#   make test    vet, unit tests, then end-to-end tests in Chromium, Firefox
#                and WebKit (BROWSERS=chromium make test: Chromium alone)
#   make fuzz    run the fuzzers for longer (FUZZTIME=1m each by default)
#   make soak    stream 1,000,000 events through the polyfill, memory sampled
#
# Browser tests need Chromium, Firefox ESR and WebKitGTK's WebKitWebDriver
# (with Xvfb for its MiniBrowser); `make deps` installs Debian's packages of
# those that are missing (set CHROMIUM, FIREFOX, WEBKIT_DRIVER or
# MINIBROWSER to use other builds).

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
DIST     := dist
ADDR     ?= 127.0.0.1:8080
FUZZTIME ?= 1m
# FUZZMINIMIZE bounds the work of minimizing each new input the fuzzers
# find (Go's default is 60s of it): from an empty cache, FuzzSource found
# new inputs so often that in 40 s it ran 43k inputs, 82 of them new, and
# with 100 runs a minimization 968k, 361 new.
FUZZMINIMIZE ?= 100x

WASM_SOURCES := $(shell find wasm -name '*.go' -not -name '*_test.go') go.mod go.sum
WASM_EXEC    := $(GOROOT)/lib/wasm/wasm_exec.js
# WASM_TEST_EXEC runs a js/wasm test binary under Node.
WASM_TEST_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec

.PHONY: all build brotli package demo test vet unit e2e deps fuzz clean

all: build

build: $(DIST)/eventsource-wasm.wasm $(DIST)/eventsource-wasm.js $(DIST)/eventsource-wasm.mjs \
	$(DIST)/eventsource-wasm.d.ts $(DIST)/eventsource-wasm.d.mts $(DIST)/eventsource-wasm-classic.d.ts \
	$(DIST)/LICENSE-Go.txt $(DIST)/eventsource-wasm.wasm.gz
	@# Brotli copies too when the brotli command is there (make deps installs it).
	@if command -v brotli >/dev/null; then $(MAKE) --no-print-directory brotli; fi

# Precompressed copies, which the reference server serves to browsers that
# accept them.
$(DIST)/%.gz: $(DIST)/%
	gzip -9 -n -c $< > $@.tmp && mv $@.tmp $@

$(DIST)/%.br: $(DIST)/%
	brotli -q 11 -n -f -o $@.tmp $< && chmod 644 $@.tmp && mv $@.tmp $@

brotli: $(DIST)/eventsource-wasm.wasm.br $(DIST)/eventsource-wasm.js.br $(DIST)/eventsource-wasm.mjs.br

# The module: stripped, and built without file system paths. The runtime is
# compiled without inlining: that took the brotli size from 608 KB to 577 KB
# (raw, it grows 5%), and the module's hot path, which decodes a whole chunk
# per call into Go, spends little time in the runtime.
WASM_GCFLAGS ?= runtime=-l

$(DIST)/eventsource-wasm.wasm: $(WASM_SOURCES)
	@mkdir -p $(DIST)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -gcflags='$(WASM_GCFLAGS)' -o $@ ./wasm

# The scripts: each entry point with js/core.js in place of its @@CORE@@
# line, Go's wasm_exec.js, from this Go installation, in place of the
# core's @@WASM_EXEC@@ line, and the module's version (the first 16 hex
# digits of its SHA-256, as the reference server computes it) in place of
# @@WASM_VERSION@@: the classic script asks for
# eventsource-wasm.wasm?v=VERSION, which a server may let browsers keep
# for good (server/refserver's static files; README, "Returning visitors").
BUNDLE = awk -v core=js/core.js -v exec="$(WASM_EXEC)" -v version="$$(sha256sum $(DIST)/eventsource-wasm.wasm | cut -c1-16)" ' \
	/@@CORE@@/ { while ((getline c < core) > 0) { \
		if (c ~ /@@WASM_EXEC@@/) { while ((getline e < exec) > 0) print e } else print c }; next } \
	{ gsub(/@@WASM_VERSION@@/, version); print }'

$(DIST)/eventsource-wasm.js $(DIST)/eventsource-wasm.mjs: $(DIST)/%: js/% js/core.js $(WASM_EXEC) $(DIST)/eventsource-wasm.wasm
	@mkdir -p $(DIST)
	$(BUNDLE) $< > $@.tmp
	@grep -q 'globalThis.Go = class' $@.tmp || { echo "build: wasm_exec.js was not inserted into $@"; rm -f $@.tmp; exit 1; }
	@! grep -q '@@WASM_VERSION@@' $@.tmp || { echo "build: the module's version was not written into $@"; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

# The declarations: package.json's exports give the ES module the .d.mts
# copy, which TypeScript takes for an ES module's types as the module is
# one (a .d.ts beside a package without "type": "module" would be taken for
# CommonJS); the .d.ts is for TypeScript's older "node10" resolution, which
# reads package.json's "types". The classic script has its own: it exports
# nothing and defines a global.
$(DIST)/eventsource-wasm.d.ts $(DIST)/eventsource-wasm.d.mts: js/eventsource-wasm.d.ts
	@mkdir -p $(DIST)
	cp $< $@

$(DIST)/eventsource-wasm-classic.d.ts: js/eventsource-wasm-classic.d.ts
	@mkdir -p $(DIST)
	cp $< $@

# wasm_exec.js comes with Go's license, which travels with it.
$(DIST)/LICENSE-Go.txt: $(GOROOT)/LICENSE
	@mkdir -p $(DIST)
	cp $< $@

# package writes the npm package, dist/eventsource-wasm-<version>.tgz, from
# dist/ with js/package.json, the README and the licenses.
package: build
	cp js/package.json README.md LICENSE $(DIST)/
	cd $(DIST) && npm pack --silent

demo: build
	$(GO) run ./server -addr $(ADDR) -root .

test: vet unit e2e

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./e2e/cmd/ssebench/gofloor

# Unit tests of everything that runs natively (the fuzz seed corpora run
# too), then the module's pure packages built as the module is, for
# js/wasm, under Node: sse has WebAssembly of its own (lineend_wasm.s).
unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /e2e)
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$(WASM_TEST_EXEC)" ./wasm/sse ./wasm/batch ./wasm/conn

# The e2e package runs once per engine of BROWSERS, each in a go test
# process of its own (E2E_BROWSER); the commands and internal packages
# under e2e/ run with Chromium's (sseconform's tests drive Firefox and
# WebKit too, on a few scenarios, whatever BROWSERS says).
# BROWSERS=chromium make e2e (or any of the three) runs fewer.
BROWSERS ?= chromium firefox webkit

e2e: build $(DIST)/faultinject/eventsource-wasm.wasm deps
	@set -e; for b in $(BROWSERS); do \
	  case $$b in chromium|firefox|webkit) ;; *) echo "e2e: unknown browser $$b (BROWSERS: chromium firefox webkit)"; exit 1;; esac; \
	  if [ $$b = chromium ]; then pkgs=./e2e/...; else pkgs=./e2e; fi; \
	  echo "e2e: $$b"; \
	  if ! E2E_BROWSER=$$b $(GO) test -count=1 -timeout 20m $$pkgs; then \
	    [ $$b != chromium ] || exit 1; \
	    echo "e2e: $$b FAILED; its whole pass runs once more, to tell a failure that comes back from one that does not (README, Tests)"; \
	    E2E_BROWSER=$$b $(GO) test -count=1 -timeout 20m $$pkgs; \
	    echo "e2e: $$b passed the second time: the failure above did not come back; it is in this log"; \
	  fi; \
	done

# A module that can fail on purpose, for the fault tests (wasm/bridge/faultinject.go).
$(DIST)/faultinject/eventsource-wasm.wasm: $(WASM_SOURCES)
	@mkdir -p $(dir $@)
	GOOS=js GOARCH=wasm $(GO) build -tags faultinject -trimpath -ldflags='-s -w' -gcflags='$(WASM_GCFLAGS)' -o $@ ./wasm

# bench runs the benchmark harness, e2e/cmd/ssebench, in headless Chromium:
# WasmEventSource against the native EventSource, the npm peers (installed
# into .cache/bench at bench time) and a cost floor. It prints a markdown
# report and writes bench-report/ssebench.{md,json,html}. deps comes first
# so that brotli is there for the sizes (and for build's .br copies). For a
# quick look: make bench BENCHFLAGS='-impl wasm,floor -workload 100k -reps 3'
# BENCH_BROWSERS runs it in other engines too, one after the other, each
# against its own native EventSource:
# make bench BENCH_BROWSERS="chromium firefox webkit" (or -browser in
# BENCHFLAGS, which wins).
BENCHFLAGS     ?=
BENCH_BROWSERS ?= chromium

.PHONY: bench
bench: deps build
	$(GO) run ./e2e/cmd/ssebench -out bench-report -browser "$(BENCH_BROWSERS)" $(BENCHFLAGS)

# deps installs Debian's packages of the browsers the tests drive, and
# brotli for the precompressed module, when they are missing and we may.
DEB_PACKAGES := chromium:chromium firefox-esr:firefox-esr WebKitWebDriver:webkit2gtk-driver Xvfb:xvfb brotli:brotli

deps:
	@missing=""; \
	for pair in $(DEB_PACKAGES); do \
	  cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  case $$cmd in \
	    chromium) [ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || missing="$$missing $$pkg";; \
	    firefox-esr) [ -n "$$FIREFOX" ] || command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing="$$missing $$pkg";; \
	    *) command -v $$cmd >/dev/null || missing="$$missing $$pkg";; \
	  esac; \
	done; \
	if [ -z "$$missing" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "deps: installing$$missing (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "deps: missing$$missing. Install them (e.g. sudo apt-get install$$missing)"; exit 1; \
	fi

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecoder -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./wasm/sse
	$(GO) test -run '^$$' -fuzz 'FuzzSource$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./wasm/conn
	$(GO) test -run '^$$' -fuzz FuzzSourcePaused -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./wasm/conn

# bench-go runs the Go benchmarks of the decoder and the source
# (BenchmarkDecoder, BenchmarkChunk) built for js/wasm under Node, where
# they time the module's own code as V8 runs it, then natively.
.PHONY: bench-go
bench-go:
	GOOS=js GOARCH=wasm $(GO) test -run '^$$' -bench . -count 3 -exec "$(WASM_TEST_EXEC)" ./wasm/sse ./wasm/conn
	$(GO) test -run '^$$' -bench . -count 3 ./wasm/sse ./wasm/conn

# soak is the long form of e2e/faults_test.go's TestFaultSoak: 1,000,000
# events instead of 100,000, through native EventSource too.
.PHONY: soak
soak: build deps
	E2E_SOAK=1 $(GO) test -count=1 -timeout 30m -run '^TestFaultSoak$$' -v ./e2e

clean:
	rm -rf $(DIST)
