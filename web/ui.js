// ui.js: what the demo pages (index.html, auth.html, chat.html) share: the
// ready-state badge, the live event log and a few formatters. It builds
// everything with DOM methods and sets no inline style, so the pages run
// under a Content-Security-Policy without 'unsafe-inline'.

/** The names of EventSource's ready states, by value (HTML §9.2.2). */
export const STATE_NAMES = ["CONNECTING", "OPEN", "CLOSED"];

/**
 * showState shows the ready state of source on a badge element, as its text
 * and its data-state attribute (which the stylesheet and the e2e tests
 * read). A null source shows IDLE.
 */
export function showState(badge, source) {
  const name = source ? STATE_NAMES[source.readyState] ?? "CLOSED" : "IDLE";
  if (badge.dataset.state !== name) {
    badge.dataset.state = name;
    badge.querySelector(".badge__label").textContent = name;
  }
  return name;
}

/** el makes an element with a class and text or children. */
export function el(tag, className, ...children) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) e.append(c);
  }
  return e;
}

/** clock formats a time of day as HH:MM:SS.mmm. */
export function clock(date = new Date()) {
  const two = (n) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

/** randomID returns a short random name for a session of the server. */
export function randomID(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return prefix + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const MAX_SHOWN_DATA = 400;

/**
 * An EventLog is a live list of what a source did, newest first. Rows are
 * added at once to a queue and drawn once per animation frame, so a burst
 * of thousands of events costs one layout, and only the newest max rows
 * are kept.
 */
export class EventLog {
  #list;
  #max;
  #pending = [];
  #scheduled = false;
  #onDraw;

  /**
   * @param {HTMLElement} list an <ol> for the rows
   * @param {{max?: number, onDraw?: () => void}} options onDraw runs after each drawing
   */
  constructor(list, { max = 250, onDraw } = {}) {
    this.#list = list;
    this.#max = max;
    this.#onDraw = onDraw;
  }

  /**
   * add queues a row. kind is "open", "message", "error" or "info"; type
   * is the event type shown on the chip; data, id and detail are text.
   */
  add(kind, { type = kind, data, id, detail } = {}) {
    this.#pending.push({ kind, type, data, id, detail, time: clock() });
    if (this.#pending.length > this.#max) this.#pending.splice(0, this.#pending.length - this.#max);
    this.#schedule();
  }

  /** clear removes every row. */
  clear() {
    this.#pending = [];
    this.#list.replaceChildren();
    this.#schedule();
  }

  /** redraw asks for a drawing even with no new row, e.g. for counters. */
  redraw() {
    this.#schedule();
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A hidden tab gets no animation frames; a timer still draws there,
    // throttled, so the log is up to date when the tab comes back.
    const draw = () => {
      if (!this.#scheduled) return;
      this.#scheduled = false;
      this.#draw();
    };
    requestAnimationFrame(draw);
    setTimeout(draw, 250);
  }

  #draw() {
    if (this.#pending.length > 0) {
      const rows = document.createDocumentFragment();
      for (let i = this.#pending.length - 1; i >= 0; i--) rows.append(this.#row(this.#pending[i]));
      this.#pending = [];
      this.#list.prepend(rows);
      while (this.#list.childElementCount > this.#max) this.#list.lastElementChild.remove();
    }
    this.#onDraw?.();
  }

  #row({ kind, type, data, id, detail, time }) {
    const row = el("li", `row row--${kind}`);
    row.dataset.kind = kind;
    row.dataset.type = type;
    row.append(el("time", "row__time", time), el("span", "chip", type));
    const body = el("div", "row__body");
    if (data !== undefined) {
      const shown = data.length > MAX_SHOWN_DATA ? data.slice(0, MAX_SHOWN_DATA) : data;
      const d = el("code", "row__data", shown);
      if (data === "") d.classList.add("row__data--empty");
      if (shown !== data) d.append(el("span", "row__more", ` … ${data.length.toLocaleString()} characters`));
      body.append(d);
    }
    if (detail) body.append(el("div", "row__detail", detail));
    row.append(body);
    const idCell = el("span", "row__id");
    if (id) {
      idCell.textContent = id;
      idCell.title = "lastEventId";
    }
    row.append(idCell);
    return row;
  }
}

/**
 * describeError turns an error event into a sentence and a detail line.
 * WasmEventSource's error events say why (reason, message, status, ...);
 * the native EventSource's say nothing, so then the ready state is all
 * there is to tell.
 */
export function describeError(event, source) {
  if (typeof event.reason === "string") {
    const parts = [`reason: ${event.reason}`];
    if (event.status) parts.push(`status ${event.status}${event.statusText ? " " + event.statusText : ""}`);
    if (event.contentType) parts.push(`Content-Type: ${event.contentType}`);
    parts.push(event.willReconnect
      ? `reconnecting in ${Math.round(event.retryDelay).toLocaleString()} ms · retry ${event.retries}`
      : "closed for good");
    return { data: event.message, detail: parts.join(" · ") };
  }
  const state = STATE_NAMES[source.readyState];
  return {
    data: "The native EventSource does not say why.",
    detail: state === "CONNECTING" ? "readyState CONNECTING: it will reconnect" : `readyState ${state}: closed for good`,
  };
}
