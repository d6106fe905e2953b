// usage.ts uses every option, property and event field of the installed
// package's declarations, with the types a page would give them. It must
// compile without an error (see TestPackage in e2e/package_test.go):
//
//   tsc --noEmit --strict --target es2022 --module es2022 \
//       --moduleResolution bundler --lib es2022,dom usage.ts
import {
  WasmEventSource,
  ready,
  install,
  configure,
  type WasmEventSourceConfig,
  type WasmEventSourceErrorEvent,
  type WasmEventSourceErrorReason,
  type WasmEventSourceInit,
  type WasmEventSourceIterationError,
  type WasmEventSourceMessage,
  type WasmEventSourceOpenEvent,
  type WasmEventSourceRetry,
} from "eventsource-wasm";
import DefaultWasmEventSource from "eventsource-wasm";

// Where the module is: set before loading starts, as a string or a URL.
configure({ wasmURL: "/assets/eventsource-wasm.wasm" });
configure({ wasmURL: new URL("./eventsource-wasm.wasm", import.meta.url) });
configure({});
const config: WasmEventSourceConfig = { wasmURL: "https://cdn.example/eventsource-wasm.wasm" };
WasmEventSource.configure(config);
const configureIsStatic: boolean = WasmEventSource.configure === configure;

// The module's exports and the constructor's statics.
const loaded: Promise<void> = ready;
await loaded;
const sameReady: boolean = WasmEventSource.ready === ready;
const replaced: typeof EventSource | undefined = install();
const alsoReplaced: typeof EventSource | undefined = WasmEventSource.install();
const native: typeof EventSource | undefined = WasmEventSource.native;
const sameClass: typeof WasmEventSource = DefaultWasmEventSource;
// The classic script's global.
const global: typeof WasmEventSource = globalThis.WasmEventSource;
const constants: [0, 1, 2] = [WasmEventSource.CONNECTING, WasmEventSource.OPEN, WasmEventSource.CLOSED];

async function freshToken(): Promise<string> {
  const resp = await fetch("/sse/auth/token", { method: "POST" });
  const { token } = (await resp.json()) as { token: string; expiresIn: number };
  return token;
}

// Every option, with each form it accepts.
const retry: WasmEventSourceRetry = { delay: 1000, factor: 2, maxDelay: 30_000, jitter: 0.2, maxRetries: 5 };
const init: WasmEventSourceInit = {
  withCredentials: true,
  credentials: "include",
  headers: async () => ({ Authorization: `Bearer ${await freshToken()}` }),
  method: "POST",
  body: async () => JSON.stringify({ prompt: "hello" }),
  lastEventId: "41",
  retry,
  heartbeatTimeout: 45_000,
  maxEventSize: 1 << 20,
  maxLineSize: 64 << 10,
  fetch: (input, requestInit) => fetch(input, requestInit),
  signal: AbortSignal.timeout(60_000),
  lastEventIdQueryParameter: "lastEventId",
  pauseWhenHidden: 30_000,
};
const variants: WasmEventSourceInit[] = [
  {},
  { withCredentials: false },
  { credentials: "omit" },
  { credentials: "same-origin" },
  { headers: { "X-Client": "usage.ts" } },
  { headers: new Headers({ Accept: "text/event-stream" }) },
  { headers: [["X-One", "1"], ["X-Two", "2"]] },
  { headers: () => ({ "X-Sync": "yes" }) },
  { headers: async () => new Headers() },
  { method: "PUT", body: "plain text" },
  { method: "POST", body: new URLSearchParams({ q: "x" }) },
  { method: "POST", body: new Blob(["bytes"]) },
  { method: "POST", body: new FormData() },
  { method: "POST", body: new Uint8Array([1, 2, 3]) },
  { method: "POST", body: () => "from a function" },
  { retry: 250 },
  { retry: {} },
  { retry: { maxRetries: 0 } },
  { signal: new AbortController().signal },
  { signal: AbortSignal.any([AbortSignal.timeout(1000), new AbortController().signal]) },
  { signal: null },
  { pauseWhenHidden: 0 },
];

const es = new WasmEventSource(new URL("/sse/clock", location.href), init);
const plain = new WasmEventSource("/sse/clock");
const sources = variants.map((v) => new WasmEventSource("/sse/echo", v));

// Properties.
const url: string = es.url;
const withCredentials: boolean = es.withCredentials;
const state: 0 | 1 | 2 = es.readyState;
if (es.readyState === es.OPEN || es.readyState === WasmEventSource.CONNECTING) {
  console.log("not closed", url, withCredentials, state);
}

// The open event carries the response.
es.onopen = (e: WasmEventSourceOpenEvent) => {
  const status: number = e.status;
  const statusText: string = e.statusText;
  const headers: Headers = e.headers;
  const finalURL: string = e.url;
  const target: EventTarget | null = e.target;
  console.log(status, statusText, headers.get("Content-Type"), finalURL, target);
};

// Messages are MessageEvents of strings.
es.onmessage = function (e) {
  const data: string = e.data;
  const lastEventId: string = e.lastEventId;
  const origin: string = e.origin;
  const self: EventSource = this;
  console.log(data.toUpperCase(), lastEventId, origin, self.readyState);
};

// A WasmEventSource is an EventSource to TypeScript too: code typed for the
// DOM's EventSource takes it unchanged.
function closeNative(source: EventSource): void {
  source.close();
}
closeNative(es);
es.onerror = (e) => {
  const reason: WasmEventSourceErrorReason | undefined = e.reason;
  console.log(reason ?? "a plain error event");
};

// The error event says why, and what comes next.
function describe(reason: WasmEventSourceErrorReason): string {
  switch (reason) {
    case "network":
    case "end-of-stream":
    case "http-status":
    case "content-type":
    case "heartbeat-timeout":
    case "too-large":
    case "request-setup":
    case "internal":
      return reason;
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}
es.onerror = (e: WasmEventSourceErrorEvent) => {
  const message: string = e.message;
  const status: number = e.status;
  const statusText: string = e.statusText;
  const contentType: string = e.contentType;
  const willReconnect: boolean = e.willReconnect;
  const retryDelay: number = e.retryDelay;
  const retries: number = e.retries;
  console.log(describe(e.reason), message, status, statusText, contentType, willReconnect, retryDelay, retries);
  if (!e.willReconnect) es.close();
};

// addEventListener knows the types of open, message and error; any other
// type is a MessageEvent of a string.
const onOpen = (e: WasmEventSourceOpenEvent) => console.log(e.status);
es.addEventListener("open", onOpen);
es.addEventListener("error", (e) => console.log(e.reason, e.retryDelay));
es.addEventListener("message", (e) => console.log(e.data.length));
es.addEventListener("tick", (e) => console.log(e.data, e.lastEventId), { once: true });
es.addEventListener("done", { handleEvent: (e: Event) => console.log(e.type) });
es.removeEventListener("open", onOpen);

// A WasmEventSource is an EventTarget, and fits code that reads the state
// of an EventSource. (The declarations type the listeners' this and the
// error event more precisely than lib.dom's EventSource does, so it is not
// assignable to EventSource itself, nor to its handler members.)
function watch(source: Pick<EventSource, "readyState" | "url" | "withCredentials" | "close">) {
  if (source.readyState === EventSource.CLOSED) console.log(source.url, source.withCredentials);
  source.close();
}
watch(es);
const target: EventTarget = plain;

// for await yields plain messages; a fatal error throws with its reason.
async function consume(source: WasmEventSource): Promise<string[]> {
  const seen: string[] = [];
  try {
    for await (const message of source) {
      const m: WasmEventSourceMessage = message;
      const { type, data, lastEventId, origin }: { type: string; data: string; lastEventId: string; origin: string } = m;
      seen.push(`${type} ${data} ${lastEventId} ${origin}`);
      if (data === "done") break;
    }
  } catch (err) {
    const e = err as WasmEventSourceIterationError;
    const reason: WasmEventSourceErrorReason = e.reason;
    const status: number = e.status;
    console.log(reason, status, e.message);
  }
  const it = source[Symbol.asyncIterator]();
  const next: IteratorResult<WasmEventSourceMessage, undefined> = await it.next();
  if (!next.done) seen.push(next.value.data);
  await it.return?.();
  return seen;
}
void consume(WasmEventSource.fromReadableStream(new Blob(["data: done\n\n"]).stream()));

es.close();
plain.close();
for (const s of sources) s.close();

export { configureIsStatic, sameReady, replaced, alsoReplaced, native, sameClass, global, constants, target };
