// The adapter of the Go floor (e2e/cmd/ssebench/gofloor), a Go program built
// like the polyfill's module (GOOS=js, safejs) that does the least a Go
// client of the bench stream can do. ssebench bundles this file after Go's
// wasm_exec.js into /bench/bundles/go-floor.js, one script as the
// polyfill's loader is, and serves the program beside it. The loader starts
// the module's download at once and compiles it while it arrives, as the
// polyfill's does, and asks for it by its version, as the polyfill's does:
// ssebench writes the module's version into the URL below when it bundles
// this file, and serves a request that names it as immutable, so that a
// returning visitor uses the cached module (and, in Chromium, its cached
// compiled code) without asking.
//
// In the ready and returning workloads only the program's start is timed.
// In the EventSource API's throughput workloads, open fetches the stream
// and copies each chunk into the program's memory, a piece at a time; the
// program finds the events in it, and open decodes the text they lie in
// with one TextDecoder call and dispatches a real MessageEvent for each on
// an EventTarget, as the event floor does: it takes the floors' request and
// the event floor's events from floor.js, which its page loads after it.
// See bench.js for the adapter interface.
(() => {
  "use strict";

  const HOST = "ssebenchGoFloor";
  const registered = new Promise((resolve) => {
    globalThis[HOST] = { register: resolve };
  });
  const go = new Go();
  go.argv = ["go-floor", HOST];
  let program = null; // the module's exports, once it runs
  const started = WebAssembly.instantiateStreaming(fetch("/bench/bundles/go-floor.wasm?v=@@WASM_VERSION@@"), go.importObject)
    .then(({ instance }) => {
      program = instance.exports;
      go.run(instance);
    });

  // The most bytes the program takes at once (gofloor's pieceSize).
  const PIECE = 256 << 10;

  // decode hands the program one chunk of the stream, a piece at a time,
  // and calls event(text, start, end) for each event the program finds.
  function decode(chunk, decoder, event) {
    for (let from = 0; from < chunk.byteLength; from += PIECE) {
      const piece = chunk.subarray(from, Math.min(from + PIECE, chunk.byteLength));
      // A call may grow the memory, which detaches the views made before
      // it: each view is made after the call that says where it lies.
      const address = program.gofloorPiece();
      new Uint8Array(program.mem.buffer, address, piece.byteLength).set(piece);
      const found = program.gofloorScan(piece.byteLength);
      const head = new Uint32Array(program.mem.buffer, found, 2);
      const textLength = head[0];
      const events = head[1];
      const bounds = new Uint32Array(program.mem.buffer, found + 8, 2 * events);
      // The bench stream is ASCII: a byte offset is a string index.
      const textAt = program.gofloorText();
      const text = decoder.decode(new Uint8Array(program.mem.buffer, textAt, textLength));
      for (let i = 0; i < events; i++) event(text, bounds[2 * i], bounds[2 * i + 1]);
    }
  }

  globalThis.ssebenchAdapter = {
    name: "go-floor",
    ready: Promise.all([started, registered]).then(() => {}),
    open(url, sink) {
      const floors = globalThis.ssebenchFloors;
      if (!floors) throw new Error("ssebench: /bench/adapters/floor.js did not load");
      const controller = new AbortController();
      (async () => {
        const response = await floors.fetchStream(url, controller.signal);
        const event = floors.dispatcher(response, sink);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          decode(value, decoder, event);
        }
        sink.error("the stream ended");
      })().catch((err) => {
        if (!controller.signal.aborted) sink.error(String(err));
      });
      return () => controller.abort();
    },
  };
})();
