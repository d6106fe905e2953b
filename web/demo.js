// demo.js runs index.html: it connects to a stream of the reference server
// with WasmEventSource (from the classic script /dist/eventsource-wasm.js)
// or with the browser's own EventSource, and shows what happens.
//
// The page keeps its choices in its URL, ?stream=clock&impl=wasm, so a
// link opens the same demo. The stream keys are those of STREAMS below, or
// scenario:<name> for a scenario of the server's catalogue.

import { EventLog, describeError, el, randomID, showState } from "./ui.js";

/** The streams offered first, before the scenarios of the catalogue. */
const STREAMS = [
  {
    key: "clock",
    label: "Clock: an event every second",
    path: () => "/sse/clock",
    events: ["tick"],
    options: { heartbeatTimeout: 5000 },
    about: "A never-ending clock: an event every second whose id counts up, every fifth of type tick, and a " +
      "heartbeat comment in between. heartbeatTimeout makes WasmEventSource reconnect if even the " +
      "heartbeats stop; a reconnection resumes after Last-Event-ID.",
  },
  {
    key: "counter",
    label: "Counter: reconnects and resumes",
    path: () => "/sse/counter?total=30&per=10&gap=250&retry=1000",
    events: [],
    about: "Thirty numbered events. The server ends the body after every ten and the source reconnects, " +
      "sending Last-Event-ID, so the count goes on with no gap and no repeat. After thirty the server " +
      "answers 204 No Content, which closes the source for good.",
  },
  {
    key: "echo",
    label: "Echo: the request as the server saw it",
    path: (session) => `/sse/echo?session=${session}`,
    events: ["request"],
    about: "One event of type request that describes the request the server got: method, headers and " +
      "Last-Event-ID. Switch the implementation to compare what each one sends.",
  },
];

/** The scenarios of the catalogue offered in the first group. */
const FEATURED = [
  "named-events",
  "ids-reconnect",
  "retry",
  "unicode",
  "gzip",
  "reconnect-then-error",
  "status-500",
  "wrong-content-type",
];

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("controls"),
  stream: $("stream"),
  close: $("close"),
  clear: $("clear"),
  about: $("about"),
  state: $("state"),
  implTag: $("impl-tag"),
  url: $("url"),
  events: $("count-events"),
  opens: $("count-opens"),
  errors: $("count-errors"),
  lastId: $("last-id"),
  chars: $("count-chars"),
  elapsed: $("elapsed"),
  code: $("code"),
  loadError: $("load-error"),
  sessionItem: $("session-item"),
  sessionLink: $("session-link"),
};

const Wasm = globalThis.WasmEventSource;
const Native = Wasm?.native ?? globalThis.EventSource;

let source = null;
let counts = newCounts();
const streams = new Map(STREAMS.map((s) => [s.key, s]));

const log = new EventLog($("log"), { onDraw: drawStatus });

// newCounts returns the counters of a new source.
function newCounts() {
  return { events: 0, opens: 0, errors: 0, chars: 0, lastId: "", started: performance.now(), ended: 0 };
}

function drawStatus() {
  const state = showState(ui.state, source);
  if (state === "CLOSED" && !counts.ended) counts.ended = performance.now();
  const seconds = source ? Math.floor(((counts.ended || performance.now()) - counts.started) / 1000) : 0;
  ui.elapsed.textContent = !source ? "—" : seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, "0")} s`;
  ui.chars.textContent = counts.chars.toLocaleString();
  ui.events.textContent = counts.events.toLocaleString();
  ui.opens.textContent = counts.opens.toLocaleString();
  ui.errors.textContent = counts.errors.toLocaleString();
  ui.lastId.textContent = counts.lastId || "—";
  ui.lastId.title = counts.lastId;
}

function impl() {
  return ui.form.elements.impl.value;
}

// --- Connecting --------------------------------------------------------

function connect() {
  stop(false);
  const stream = streams.get(ui.stream.value) ?? STREAMS[0];
  const which = impl();
  const session = randomID("demo");
  const url = stream.path(session);
  const Impl = which === "native" ? Native : Wasm;
  const name = which === "native" ? "EventSource" : "WasmEventSource";
  const options = which === "wasm" ? stream.options : undefined;

  counts = newCounts();
  ui.implTag.textContent = name;
  ui.implTag.dataset.impl = which;
  ui.url.textContent = url;
  ui.about.textContent = stream.about;
  const logged = url.includes("session=");
  ui.sessionItem.hidden = !logged;
  ui.sessionLink.href = logged ? `/sse/session/${session}` : "#";
  showCode(name, url, options, stream.events, which);
  history.replaceState(null, "", `?stream=${encodeURIComponent(stream.key)}&impl=${which}`);

  if (!Impl) {
    log.add("error", { type: "setup", data: `${name} is not available on this page.` });
    return;
  }
  log.add("info", { type: "new", data: `new ${name}(${JSON.stringify(url)}${options ? ", " + JSON.stringify(options) : ""})` });
  let es;
  try {
    es = options ? new Impl(url, options) : new Impl(url);
  } catch (err) {
    log.add("error", { type: "throw", data: String(err) });
    return;
  }
  source = es;

  // Every listener first checks that its source is still the page's: a
  // closed one can still have a task queued.
  es.addEventListener("open", (e) => {
    if (es !== source) return;
    counts.opens++;
    if (typeof e.status === "number") {
      const type = e.headers.get("Content-Type") || "no Content-Type";
      log.add("open", { data: `${e.status} ${e.statusText}`.trim(), detail: `${type} · ${e.url}` });
    } else {
      log.add("open", { data: "connected" });
    }
  });
  const onMessage = (e) => {
    if (es !== source) return;
    counts.events++;
    counts.chars += e.data.length;
    counts.lastId = e.lastEventId;
    log.add("message", { type: e.type, data: e.data, id: e.lastEventId });
  };
  for (const type of new Set(["message", ...stream.events])) es.addEventListener(type, onMessage);
  es.addEventListener("error", (e) => {
    if (es !== source) return;
    counts.errors++;
    log.add("error", describeError(e, es));
  });
  log.redraw();
}

// stop closes the page's source; by the user's hand when byUser.
function stop(byUser) {
  if (!source) return;
  const es = source;
  if (byUser && es.readyState !== es.CLOSED) {
    es.close();
    log.add("info", { type: "close", data: "close(): the source is closed and will not reconnect." });
  }
  es.close();
  if (!byUser) source = null;
  log.redraw();
}

// --- The code panel ----------------------------------------------------

// showCode shows, highlighted, the code that would do what the page does.
function showCode(name, url, options, events, which) {
  const lines = [];
  if (which === "wasm") {
    lines.push(`<script src="/dist/eventsource-wasm.js"></script>`, "");
  }
  if (options) {
    const fields = Object.entries(options).map(([k, v]) => `  ${k}: ${JSON.stringify(v)},`);
    lines.push(`const source = new ${name}("${url}", {`, ...fields, "});");
  } else {
    lines.push(`const source = new ${name}("${url}");`);
  }
  lines.push(
    which === "wasm"
      ? `source.onopen = (e) => show(e.status, e.headers);`
      : `source.onopen = () => show("open");`,
    `source.onmessage = (e) => show(e.data, e.lastEventId);`,
  );
  for (const type of events) lines.push(`source.addEventListener("${type}", (e) => show(e.data));`);
  lines.push(
    which === "wasm"
      ? `source.onerror = (e) => show(e.reason, e.message, e.willReconnect);`
      : `source.onerror = () => show(source.readyState); // and nothing else`,
  );
  ui.code.replaceChildren(...highlight(lines.join("\n")));
}

// highlight splits JavaScript into spans for strings, keywords and comments.
function highlight(text) {
  const nodes = [];
  const token = /("(?:[^"\\]|\\.)*"|\/\/[^\n]*|<\/?script[^>]*>|\b(?:const|new)\b|=>)/g;
  let last = 0;
  for (const m of text.matchAll(token)) {
    nodes.push(text.slice(last, m.index));
    const t = m[0];
    const cls = t.startsWith('"') ? "s" : t.startsWith("//") ? "c" : "k";
    nodes.push(el("span", cls, t));
    last = m.index + t.length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

// --- The stream menu ---------------------------------------------------

// loadScenarios adds the scenarios of the server's catalogue to the menu.
async function loadScenarios() {
  let catalogue;
  try {
    const resp = await fetch("/sse/scenarios");
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    catalogue = await resp.json();
  } catch (err) {
    log.add("info", { type: "note", data: `The scenario catalogue did not load (${err.message}); the other streams work.` });
    return;
  }
  const featured = el("optgroup");
  featured.label = "Scenarios";
  const more = el("optgroup");
  more.label = "All scenarios";
  const byName = new Map(catalogue.map((sc) => [sc.name, sc]));
  const add = (group, sc) => {
    const key = `scenario:${sc.name}`;
    streams.set(key, {
      key,
      label: sc.name,
      path: (session) => `/sse/scenario/${encodeURIComponent(sc.name)}?session=${session}`,
      events: sc.client.events ?? [],
      about: `Scenario ${sc.name}: ${sc.description}`,
    });
    const opt = el("option", "", sc.name);
    opt.value = key;
    group.append(opt);
  };
  for (const name of FEATURED) if (byName.has(name)) add(featured, byName.get(name));
  for (const sc of catalogue) if (!FEATURED.includes(sc.name)) add(more, sc);
  ui.stream.append(featured, more);
}

function addFixedStreams() {
  const group = el("optgroup");
  group.label = "Streams";
  for (const s of STREAMS) {
    const opt = el("option", "", s.label);
    opt.value = s.key;
    group.append(opt);
  }
  ui.stream.append(group);
}

// --- Start -------------------------------------------------------------

async function main() {
  if (!Wasm) {
    ui.loadError.textContent = "/dist/eventsource-wasm.js did not load, so only the native EventSource works here. " +
      "Build it with `make build`, then reload.";
    ui.loadError.hidden = false;
    ui.form.elements.impl.value = "native";
    ui.form.querySelector('input[value="wasm"]').disabled = true;
  } else {
    Wasm.ready.catch((err) => {
      ui.loadError.textContent = `WasmEventSource could not start: ${err.message}`;
      ui.loadError.hidden = false;
    });
  }

  const params = new URLSearchParams(location.search);
  if (Wasm && params.get("impl") === "native") ui.form.elements.impl.value = "native";
  addFixedStreams();
  await loadScenarios();
  const wanted = params.get("stream");
  ui.stream.value = wanted && streams.has(wanted) ? wanted : "clock";

  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    connect();
  });
  ui.stream.addEventListener("change", connect);
  for (const radio of ui.form.elements.impl) radio.addEventListener("change", connect);
  ui.close.addEventListener("click", () => stop(true));
  ui.clear.addEventListener("click", () => log.clear());
  document.addEventListener("visibilitychange", () => log.redraw());
  setInterval(() => log.redraw(), 1000); // for the elapsed time

  connect();
  document.documentElement.dataset.demo = "started";
}

// The page's source is a console away, as demo.source.
globalThis.demo = {
  get source() {
    return source;
  },
};

main();
