// drop-every-second.js is a broken EventSource for the tests of sseconform:
// DroppingEventSource wraps the browser's EventSource and passes on only
// every other message event (the first, the third, ...), so that a
// conformance run must fail. Everything else behaves as the native one does.
"use strict";

class DroppingEventSource extends EventTarget {
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
    this.#forward("open");
    this.#forward("error");
    this.#forward("message");
  }

  get CONNECTING() { return 0; }
  get OPEN() { return 1; }
  get CLOSED() { return 2; }
  get url() { return this.#inner.url; }
  get withCredentials() { return this.#inner.withCredentials; }
  get readyState() { return this.#inner.readyState; }
  close() { this.#inner.close(); }

  addEventListener(type, listener, options) {
    this.#forward(type);
    super.addEventListener(type, listener, options);
  }

  // forward re-dispatches the inner source's events of one type on this
  // object, dropping every second message event of any type.
  #forward(type) {
    if (this.#listening.has(type)) return;
    this.#listening.add(type);
    this.#inner.addEventListener(type, (ev) => {
      if (ev instanceof MessageEvent) {
        if (this.#messages++ % 2 === 1) return;
        this.dispatchEvent(new MessageEvent(ev.type, {
          data: ev.data, lastEventId: ev.lastEventId, origin: ev.origin,
        }));
      } else {
        this.dispatchEvent(new Event(ev.type));
      }
    });
  }

  #handler(type) { return this.#handlers[type]; }
  #setHandler(type, fn) {
    if (this.#handlers[type]) super.removeEventListener(type, this.#handlers[type]);
    this.#handlers[type] = typeof fn === "function" ? fn : null;
    if (this.#handlers[type]) super.addEventListener(type, this.#handlers[type]);
  }
  get onopen() { return this.#handler("open"); }
  set onopen(fn) { this.#setHandler("open", fn); }
  get onmessage() { return this.#handler("message"); }
  set onmessage(fn) { this.#setHandler("message", fn); }
  get onerror() { return this.#handler("error"); }
  set onerror(fn) { this.#setHandler("error", fn); }
}

window.DroppingEventSource = DroppingEventSource;
