// plain-events.js holds two imperfect EventSources for the tests of
// sseconform's levels.
//
// PlainEventSource wraps the browser's EventSource and passes on every
// event, but as a plain Event with data and lastEventId copied onto it: not
// a MessageEvent, and with no origin. Its behaviour (the events, their
// order, data, ids and the ready states) is native's; only its fidelity
// differs.
//
// DroppingPlainEventSource is the same, and also drops the second message
// event, so that its behaviour differs too.
"use strict";

class PlainEventSource extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;

  #inner;
  #messages = 0;
  #listening = new Set();
  #handlers = { open: null, message: null, error: null };

  constructor(url, init) {
    super();
    this.#inner = new EventSource(url, init);
    for (const type of ["open", "error", "message"]) this.#forward(type);
  }

  get CONNECTING() { return 0; }
  get OPEN() { return 1; }
  get CLOSED() { return 2; }
  get url() { return this.#inner.url; }
  get withCredentials() { return this.#inner.withCredentials; }
  get readyState() { return this.#inner.readyState; }
  close() { this.#inner.close(); }

  // drops says whether to drop the n-th message event (from 0).
  drops(n) { return false; }

  addEventListener(type, listener, options) {
    this.#forward(type);
    super.addEventListener(type, listener, options);
  }

  #forward(type) {
    if (this.#listening.has(type)) return;
    this.#listening.add(type);
    this.#inner.addEventListener(type, (ev) => {
      const plain = new Event(ev.type);
      if (ev instanceof MessageEvent) {
        if (this.drops(this.#messages++)) return;
        plain.data = ev.data;
        plain.lastEventId = ev.lastEventId;
      }
      this.dispatchEvent(plain);
    });
  }

  #setHandler(type, fn) {
    if (this.#handlers[type]) super.removeEventListener(type, this.#handlers[type]);
    this.#handlers[type] = typeof fn === "function" ? fn : null;
    if (this.#handlers[type]) super.addEventListener(type, this.#handlers[type]);
  }
  get onopen() { return this.#handlers.open; }
  set onopen(fn) { this.#setHandler("open", fn); }
  get onmessage() { return this.#handlers.message; }
  set onmessage(fn) { this.#setHandler("message", fn); }
  get onerror() { return this.#handlers.error; }
  set onerror(fn) { this.#setHandler("error", fn); }
}

class DroppingPlainEventSource extends PlainEventSource {
  drops(n) { return n === 1; }
}

window.PlainEventSource = PlainEventSource;
window.DroppingPlainEventSource = DroppingPlainEventSource;
