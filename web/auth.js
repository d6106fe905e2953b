// auth.js runs auth.html: a WasmEventSource whose headers option is an
// async function, called before every connection, that fetches a fresh
// bearer token from the reference server (POST /sse/auth/token). The
// server ends the stream of /sse/auth when its token expires, so each
// reconnection shows a new token in the table of connections.
//
// Query parameters, for links and the e2e tests: ttl (a token's lifetime,
// e.g. 5s or 1500ms), interval (ms between the stream's events) and
// refresh=0 (reuse the first token, to see the server refuse it).

import { EventLog, describeError, el, randomID, showState } from "./ui.js";

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("controls"),
  ttl: $("ttl"),
  refresh: $("refresh"),
  close: $("close"),
  clear: $("clear"),
  state: $("state"),
  conns: $("conns"),
  about: $("about"),
  sessionLink: $("session-link"),
  loadError: $("load-error"),
};

const params = new URLSearchParams(location.search);
const interval = /^\d+$/.test(params.get("interval") ?? "") ? params.get("interval") : "1000";

let WasmEventSource; // from /dist/eventsource-wasm.mjs, once main imports it
let source = null;
let connections = []; // one per call of the headers function, oldest first

const log = new EventLog($("log"), { onDraw: () => showState(ui.state, source) });

// A Connection is one row of the table: the token a connection sent and
// what became of it.
class Connection {
  constructor(n, token, reused) {
    this.token = token;
    this.events = 0;
    this.row = el("tr");
    this.row.dataset.serial = token.serial;
    this.row.dataset.token = token.token;
    const shown = el("code", "token", `#${token.serial} ${token.token.slice(0, token.token.indexOf("-") + 5)}…`);
    shown.title = token.token;
    this.meter = el("meter");
    this.meter.min = 0;
    this.meter.max = token.expiresIn;
    this.meter.low = token.expiresIn * 0.25;
    this.meter.optimum = token.expiresIn;
    this.left = el("span", "small muted");
    this.count = el("td", "num", "0");
    this.outcome = el("span", "outcome");
    this.row.append(
      el("td", "num", String(n)),
      el("td", "", shown, reused ? el("span", "small muted", " reused") : null),
      el("td", "life", this.meter, " ", this.left),
      this.count,
      el("td", "", this.outcome),
    );
    this.set("connecting", "connecting…");
    this.tick();
  }

  set(outcome, text) {
    this.outcome.dataset.outcome = outcome;
    this.outcome.textContent = text;
    this.row.dataset.outcome = outcome;
  }

  // tick shows how long the token has left.
  tick() {
    const left = Math.max(0, this.token.expiresAt - Date.now());
    this.meter.value = left;
    this.left.textContent = left > 0 ? `${(left / 1000).toFixed(1)} s` : "expired";
  }

  event() {
    this.events++;
    this.count.textContent = String(this.events);
  }
}

// fetchToken gets a token from the server; it is called by the headers
// function, so a failure here fails the connection with reason
// "request-setup".
async function fetchToken(ttl) {
  const resp = await fetch(`/sse/auth/token?ttl=${encodeURIComponent(ttl)}`, { method: "POST" });
  if (!resp.ok) throw new Error(`POST /sse/auth/token: HTTP ${resp.status}`);
  const token = await resp.json();
  token.expiresAt = Date.now() + token.expiresIn;
  return token;
}

function connect() {
  if (source) source.close();
  connections = [];
  ui.conns.replaceChildren();
  const ttl = ui.ttl.value;
  const refresh = ui.refresh.checked;
  const session = randomID("auth");
  document.body.dataset.session = session;
  ui.sessionLink.href = `/sse/session/${session}`;
  const url = `/sse/auth?session=${session}&interval=${interval}`;
  ui.about.textContent = refresh
    ? `Each connection gets its own token, valid for ${ttl}.`
    : `Every connection sends the first token, valid for ${ttl}: the first reconnection after it expires is refused.`;
  history.replaceState(null, "", `?ttl=${encodeURIComponent(ttl)}${refresh ? "" : "&refresh=0"}${interval !== "1000" ? "&interval=" + interval : ""}`);

  let first = null;
  const es = new WasmEventSource(url, {
    // WasmEventSource calls this before every connection, and waits for
    // its promise.
    headers: async () => {
      const reused = !refresh && first !== null;
      const token = reused ? first : await fetchToken(ttl);
      first ??= token;
      if (es !== source) return {};
      const conn = new Connection(connections.length + 1, token, reused);
      connections.push(conn);
      ui.conns.prepend(conn.row);
      log.add("info", { type: "headers", data: `headers() → Authorization: Bearer ${token.token}`, detail: reused ? "the first token, again" : `a fresh token, #${token.serial}` });
      return { Authorization: `Bearer ${token.token}` };
    },
  });
  source = es;
  log.add("info", { type: "new", data: `new WasmEventSource(${JSON.stringify(url)}, { headers })` });
  const current = () => connections[connections.length - 1];

  es.addEventListener("open", (e) => {
    if (es !== source) return;
    current()?.set("open", `open · ${e.status}`);
    log.add("open", { data: `${e.status} ${e.statusText}`.trim(), detail: e.headers.get("Content-Type") ?? "" });
  });
  const onEvent = (e) => {
    if (es !== source) return;
    const conn = current();
    conn?.event();
    const data = JSON.parse(e.data);
    if (e.type === "welcome" && conn && data.token !== conn.token.serial) {
      conn.set("failed", `the server saw token #${data.token}`);
    }
    if (e.type === "expired") conn?.set("ended", "token expired");
    log.add("message", { type: e.type, data: e.data, id: e.lastEventId });
  };
  for (const type of ["message", "welcome", "expired"]) es.addEventListener(type, onEvent);
  es.addEventListener("error", (e) => {
    if (es !== source) return;
    const conn = current();
    if (conn) {
      if (e.willReconnect) {
        if (conn.row.dataset.outcome !== "ended") conn.set("ended", e.reason);
      } else if (e.status === 401) {
        conn.set("refused", `refused · 401`);
      } else {
        conn.set("failed", `${e.reason} · closed`);
      }
    }
    log.add("error", describeError(e, es));
  });
  log.redraw();
}

async function main() {
  const ttl = params.get("ttl");
  if (ttl && /^\d+(\.\d+)?(ms|s|m)?$/.test(ttl)) {
    if (![...ui.ttl.options].some((o) => o.value === ttl)) ui.ttl.append(new Option(ttl, ttl));
    ui.ttl.value = ttl;
  }
  if (params.get("refresh") === "0") ui.refresh.checked = false;

  try {
    ({ WasmEventSource } = await import("/dist/eventsource-wasm.mjs"));
    await WasmEventSource.ready;
  } catch (err) {
    ui.loadError.textContent = `WasmEventSource could not start: ${err.message}. Run \`make build\`, then reload.`;
    ui.loadError.hidden = false;
    if (!WasmEventSource) return;
  }
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    connect();
  });
  ui.ttl.addEventListener("change", connect);
  ui.refresh.addEventListener("change", connect);
  ui.close.addEventListener("click", () => {
    if (!source || source.readyState === source.CLOSED) return;
    source.close();
    const conn = connections[connections.length - 1];
    if (conn && ["open", "connecting"].includes(conn.row.dataset.outcome)) conn.set("ended", "closed by you");
    log.add("info", { type: "close", data: "close(): no more connections, no more tokens." });
  });
  ui.clear.addEventListener("click", () => log.clear());
  setInterval(() => {
    for (const conn of connections) conn.tick();
  }, 100);

  connect();
  document.documentElement.dataset.demo = "started";
}

main();
