// early.js runs right after the polyfill's script tag and makes sources at
// once, before the Go module can be running, as a page that does not wait
// for WasmEventSource.ready does. The test names its session in the query:
// early.html?session=S.
//
//   early.readyWhenMade   a promise of the state of WasmEventSource.ready
//                         when the sources were made: "pending", or the
//                         test proves nothing
//   early.watched         recorder.watch of a source to /sse/counter that
//                         should get events 1 and 2, then CLOSED (204)
//   early.closedSession   the session of two sources to /sse/echo closed at
//                         once: a probe whose fetch option counts its
//                         calls, and a plain one
//   early.closedReadyStates  their readyStates after close()
//   early.probeFetches()  how often the probe's fetch has been called
//   early.closedLog       the events the closed sources dispatched
(() => {
  "use strict";
  const session = new URLSearchParams(location.search).get("session") || "early";

  // A reaction to ready runs before a microtask queued after it only if
  // ready had settled before this script ran: nothing can settle it while
  // the script runs.
  let readyState = "pending";
  WasmEventSource.ready.then(() => { readyState = "resolved"; }, () => { readyState = "rejected"; });
  const readyWhenMade = new Promise((resolve) => queueMicrotask(() => resolve(readyState)));

  const source = new WasmEventSource(`/sse/counter?session=${encodeURIComponent(session)}&total=2&per=2&retry=20`);
  const initialReadyState = source.readyState;
  const watched = recorder.watch(source, { timeoutMs: 10000 });

  const closedSession = `${session}-closed`;
  // /sse/echo holds its response open, so a request of these sources that
  // reaches the server shows there as aborted, or as still active.
  const closedURL = `/sse/echo?session=${encodeURIComponent(closedSession)}`;
  const closedLog = [];
  const logEvents = (source, who) => {
    for (const type of ["open", "message", "error"]) {
      source.addEventListener(type, (ev) => closedLog.push({ who, type: ev.type, readyState: source.readyState }));
    }
  };
  let probeFetches = 0;
  const probe = new WasmEventSource(closedURL, {
    fetch: (url, init) => {
      probeFetches++;
      return fetch(url, init);
    },
  });
  logEvents(probe, "probe");
  probe.close();
  const closed = new WasmEventSource(closedURL);
  logEvents(closed, "closed");
  closed.close();

  window.early = {
    readyWhenMade,
    initialReadyState,
    watched,
    closedSession,
    closedReadyStates: [probe.readyState, closed.readyState],
    probeFetches: () => probeFetches,
    closedLog,
  };
})();
