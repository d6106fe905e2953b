// Type declarations for eventsource-wasm: WasmEventSource, the EventSource
// API of WHATWG HTML §9.2 on fetch() in Go/WebAssembly, with options that
// native EventSource lacks.

/** The request headers: a Headers init value, or a function (sync or async) called before every connection. */
export type WasmEventSourceHeaders =
  | HeadersInit
  | (() => HeadersInit | Promise<HeadersInit>);

/** The request body: a value, or a function (sync or async) called before every connection. */
export type WasmEventSourceBody = BodyInit | (() => BodyInit | Promise<BodyInit>);

/** How long to wait before reconnecting, and when to give up. */
export interface WasmEventSourceRetry {
  /** The initial reconnection time in ms (default 3000); a server's `retry:` field replaces it. */
  delay?: number;
  /** Multiplies the delay after each consecutive failed attempt (default 1: constant). */
  factor?: number;
  /** Caps every delay, in ms, including one the server sets. */
  maxDelay?: number;
  /** Shortens each delay by a random fraction of up to this (0 to 1). */
  jitter?: number;
  /** Gives up, closing with a final error, after this many consecutive failed attempts (default: never). */
  maxRetries?: number;
}

export interface WasmEventSourceInit extends EventSourceInit {
  /** The fetch credentials mode; overrides withCredentials. */
  credentials?: RequestCredentials;
  headers?: WasmEventSourceHeaders;
  /** The request method (default "GET"). */
  method?: string;
  body?: WasmEventSourceBody;
  /** The Last-Event-ID sent with the first request. */
  lastEventId?: string;
  /** A number is the initial reconnection time in ms. */
  retry?: number | WasmEventSourceRetry;
  /** Reconnects when nothing at all (not even a comment) arrives for this many ms. */
  heartbeatTimeout?: number;
  /** The largest event data, in bytes, before the source fails (default 32 MiB). */
  maxEventSize?: number;
  /** The longest line, in bytes, before the source fails (default 32 MiB). */
  maxLineSize?: number;
  /** The fetch function to use (default: the scope's fetch). */
  fetch?: typeof fetch;
  /**
   * Aborting it is close(): readyState CLOSED, the request aborted, no error
   * event. An already-aborted signal gives a source that is CLOSED at once
   * and sends no request.
   */
  signal?: AbortSignal | null;
  /**
   * Sends the last event ID as this query parameter instead of the
   * Last-Event-ID header (on reconnections, and on the first request when
   * lastEventId is set), so that cross-origin reconnections need no CORS
   * preflight.
   */
  lastEventIdQueryParameter?: string;
  /**
   * Once the document has been hidden this many ms, disconnect (no error
   * event, readyState CONNECTING); reconnect at once when it is visible
   * again. Needs a document: a TypeError in a worker.
   */
  pauseWhenHidden?: number;
}

/** What a for await loop over a WasmEventSource yields for each event. */
export interface WasmEventSourceMessage {
  /** The event type: "message", or the stream's event: field. */
  type: string;
  data: string;
  lastEventId: string;
  /** The origin of the stream's final URL ("null" for fromReadableStream). */
  origin: string;
}

/** What a for await loop throws when its source fails for good. */
export interface WasmEventSourceIterationError extends Error {
  /** The reason, message and status of the error event that closed the source. */
  readonly reason: WasmEventSourceErrorReason;
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  readonly retries: number;
}

/** What configure() sets: where the Go module is. */
export interface WasmEventSourceConfig {
  /**
   * The URL of eventsource-wasm.wasm (default: beside the script or module).
   * A relative URL resolves as fetch() would resolve it where the script
   * runs: against the document's base URL, or the worker's location.
   */
  wasmURL?: string | URL;
}

/** Why an error event was fired. */
export type WasmEventSourceErrorReason =
  | "network"
  | "end-of-stream"
  | "http-status"
  | "content-type"
  | "heartbeat-timeout"
  | "too-large"
  | "request-setup"
  | "internal";

/** The open event: an Event that also carries the response. */
export interface WasmEventSourceOpenEvent extends Event {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The final URL, after redirects. */
  readonly url: string;
}

/** The error event: an Event that also says why, and what happens next. */
export interface WasmEventSourceErrorEvent extends Event {
  readonly reason: WasmEventSourceErrorReason;
  /** A sentence for people, e.g. "eventsource: HTTP status 503 Service Unavailable (...)". */
  readonly message: string;
  /** The HTTP status for "http-status", else 0. */
  readonly status: number;
  readonly statusText: string;
  /** The response's Content-Type for "content-type", else "". */
  readonly contentType: string;
  /** True when the source will reconnect (readyState is CONNECTING); false when it closed. */
  readonly willReconnect: boolean;
  /** The wait before reconnecting, in ms. */
  readonly retryDelay: number;
  /** Which reconnection attempt, counted since the last successful connection, this error schedules (1 for the first); for a final error, the attempts made. */
  readonly retries: number;
}

export interface WasmEventSourceEventMap {
  open: WasmEventSourceOpenEvent;
  message: MessageEvent<string>;
  error: WasmEventSourceErrorEvent;
}

/**
 * The type of an event handler or listener. `this` is typed as the DOM's
 * EventSource, and the type is written as a method so that its parameter is
 * checked bivariantly, as the DOM's own listener parameters are: so a
 * WasmEventSource is still an EventSource to TypeScript (it can be passed
 * where one is expected), and a handler may still declare that it takes a
 * WasmEventSourceErrorEvent.
 */
export type WasmEventSourceHandler<E> = {
  handle(this: EventSource, ev: E): any;
}["handle"];

export declare class WasmEventSource extends EventTarget {
  constructor(url: string | URL, init?: WasmEventSourceInit);

  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;

  /**
   * Settles once the Go module runs; rejects if it cannot load. Sources made
   * earlier work anyway. Its then() (and so await) starts loading the module,
   * as making the first source does.
   */
  static readonly ready: Promise<void>;
  /**
   * Sets where the Go module is. Call it before the first source is made and
   * before ready is awaited; later it throws. Throws a TypeError for an
   * unknown option or a wasmURL that is not a valid URL.
   */
  static configure(config: WasmEventSourceConfig): void;
  /** Makes WasmEventSource the page's EventSource; returns the one it replaced. */
  static install(): typeof EventSource | undefined;
  /** The browser's own EventSource, if it has one. */
  static readonly native: typeof EventSource | undefined;

  /**
   * A source that reads events from a stream of bytes instead of a request
   * (proposed in whatwg/html#12272): url "about:event-stream", origin "null",
   * no reconnection. Throws a TypeError if the stream is locked.
   */
  static fromReadableStream(stream: ReadableStream<Uint8Array>): WasmEventSource;

  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: 0 | 1 | 2;
  /** The last event ID string (as proposed in whatwg/html#12272). */
  readonly lastEventId: string;
  /** The reconnection time in ms (as proposed in whatwg/html#12272). */
  readonly reconnectionTime: number;

  // The handler properties accept what the DOM's EventSource handlers take,
  // so that a WasmEventSource can be passed where an EventSource is
  // expected: the extra fields of open and error events are typed as
  // optional unless the handler declares its parameter's type (e.g.
  // (e: WasmEventSourceErrorEvent) => ...). addEventListener("error", ...)
  // types them in full.
  onopen: WasmEventSourceHandler<Event & Partial<WasmEventSourceOpenEvent>> | null;
  onmessage: WasmEventSourceHandler<MessageEvent<string>> | null;
  onerror: WasmEventSourceHandler<Event & Partial<WasmEventSourceErrorEvent>> | null;

  addEventListener<K extends keyof WasmEventSourceEventMap>(
    type: K,
    listener: WasmEventSourceHandler<WasmEventSourceEventMap[K]>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: WasmEventSourceHandler<MessageEvent<string>>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof WasmEventSourceEventMap>(
    type: K,
    listener: WasmEventSourceHandler<WasmEventSourceEventMap[K]>,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: WasmEventSourceHandler<MessageEvent<string>>,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;

  /** Aborts the request and stops reconnecting. */
  close(): void;

  /**
   * for await (const message of source): every event of the stream, in
   * arrival order, across reconnections. break or return() closes the
   * source; close() ends the loop; a fatal error makes it throw a
   * WasmEventSourceIterationError.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<WasmEventSourceMessage>;
}

/** WasmEventSource.ready */
export declare const ready: Promise<void>;
/** WasmEventSource.install */
export declare function install(): typeof EventSource | undefined;
/** WasmEventSource.configure */
export declare function configure(config: WasmEventSourceConfig): void;
export default WasmEventSource;

declare global {
  /** Defined by the classic script, eventsource-wasm.js. */
  var WasmEventSource: typeof import("./eventsource-wasm.mjs").WasmEventSource;
}
