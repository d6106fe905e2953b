// chat.js runs chat.html: each prompt is the JSON body of a POST that
// WasmEventSource sends to /sse/chat, and the reply streams back one word
// per message. The event "done" ends a reply, and the page closes the
// source then, or it would reconnect.
//
// Query parameters, for links and the e2e tests: delay (ms between words).

import { EventLog, describeError, el, randomID, showState } from "./ui.js";

const $ = (id) => document.getElementById(id);
const ui = {
  composer: $("composer"),
  prompt: $("prompt"),
  send: $("send"),
  stop: $("stop"),
  delay: $("delay"),
  clear: $("clear"),
  state: $("state"),
  transcript: $("transcript"),
  sessionLink: $("session-link"),
  loadError: $("load-error"),
};

let WasmEventSource; // from /dist/eventsource-wasm.mjs, once main imports it
let source = null;
let reply = null; // the bubble of the reply being streamed
const session = randomID("chat");

const log = new EventLog($("log"), { onDraw: () => showState(ui.state, source) });

// bubble adds a message to the transcript and returns it.
function bubble(who, text) {
  const msg = el("li", `msg msg--${who === "you" ? "user" : "bot"}`);
  const body = el("span", "msg__text", text);
  if (who !== "you") msg.append(el("span", "msg__who", who));
  msg.append(body);
  ui.transcript.append(msg);
  scrollDown();
  return { msg, body, meta: null, words: 0, started: performance.now() };
}

function scrollDown() {
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

// finish ends the reply bubble in state with a note under it.
function finish(state, note) {
  if (!reply) return;
  reply.msg.dataset.state = state;
  reply.msg.append(el("span", "msg__meta", note));
  reply = null;
  ui.stop.disabled = true;
  scrollDown();
}

function send(prompt, bot) {
  if (source && source.readyState !== source.CLOSED) {
    source.close();
    finish("stopped", "stopped: a new prompt came");
  }
  bubble("you", prompt);
  reply = bubble(`${bot} bot`, "");
  reply.msg.dataset.state = "streaming";
  ui.stop.disabled = false;

  const url = `/sse/chat?session=${session}&delay=${ui.delay.value}`;
  const body = JSON.stringify({ prompt, bot });
  const es = new WasmEventSource(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  source = es;
  const mine = reply;
  log.add("info", { type: "new", data: `new WasmEventSource(${JSON.stringify(url)}, { method: "POST", headers, body })`, detail: `body: ${body}` });

  es.addEventListener("open", (e) => {
    log.add("open", { data: `${e.status} ${e.statusText}`.trim(), detail: e.headers.get("Content-Type") ?? "" });
  });
  es.addEventListener("message", (e) => {
    if (reply !== mine) return;
    const word = el("span", "word", (mine.words > 0 ? " " : "") + e.data);
    mine.body.append(word);
    mine.words++;
    scrollDown();
    log.add("message", { data: e.data, id: e.lastEventId });
  });
  es.addEventListener("done", (e) => {
    es.close();
    log.add("message", { type: "done", data: e.data, id: e.lastEventId });
    log.add("info", { type: "close", data: "close(): the reply is complete." });
    if (reply !== mine) return;
    const seconds = ((performance.now() - mine.started) / 1000).toFixed(1);
    finish("done", `${mine.words} ${mine.words === 1 ? "word" : "words"} in ${seconds} s`);
  });
  es.addEventListener("error", (e) => {
    log.add("error", describeError(e, es));
    if (reply !== mine) return;
    if (e.willReconnect) {
      mine.msg.dataset.state = "streaming";
    } else {
      finish("error", e.message);
    }
  });
  log.redraw();
}

async function main() {
  document.body.dataset.session = session;
  ui.sessionLink.href = `/sse/session/${session}`;
  const delay = new URLSearchParams(location.search).get("delay");
  if (delay && /^\d+$/.test(delay)) {
    if (![...ui.delay.options].some((o) => o.value === delay)) ui.delay.append(new Option(`${delay} ms`, delay));
    ui.delay.value = delay;
  }

  try {
    ({ WasmEventSource } = await import("/dist/eventsource-wasm.mjs"));
    await WasmEventSource.ready;
  } catch (err) {
    ui.loadError.textContent = `WasmEventSource could not start: ${err.message}. Run \`make build\`, then reload.`;
    ui.loadError.hidden = false;
    if (!WasmEventSource) {
      ui.send.disabled = true;
      return;
    }
  }

  ui.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    const prompt = ui.prompt.value.trim();
    if (!prompt) return;
    send(prompt, document.querySelector('input[name="bot"]:checked').value);
    ui.prompt.value = "";
    ui.prompt.focus();
  });
  ui.prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.stop.addEventListener("click", () => {
    if (!source || source.readyState === source.CLOSED) return;
    source.close();
    log.add("info", { type: "close", data: "close(): stopped by you." });
    finish("stopped", "stopped");
  });
  ui.clear.addEventListener("click", () => log.clear());
  document.documentElement.dataset.demo = "started";
}

main();
