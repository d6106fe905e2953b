// The console relay of the e2e tests in WebKit, whose WebDriver cannot read
// a page's console: ConsoleRelay serves it first in every page, it keeps
// each console call and uncaught error of the page in
// globalThis.__e2eConsole, and the tab takes them after each command.
(() => {
  "use strict";
  if (globalThis.__e2eConsole) return;
  const kept = [];
  Object.defineProperty(globalThis, "__e2eConsole", {
    value: {
      take: () => kept.splice(0, kept.length),
    },
  });
  const MAX = 10000;
  const RELAY_PATH = "/__e2e/console-relay.js";
  const text = (args) => args.map((a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return String(a);
    try { return JSON.stringify(a) ?? String(a); } catch { return String(a); }
  }).join(" ");
  const keep = (m) => { if (kept.length < MAX) kept.push(m); };
  const here = () => {
    // The first frame outside this script is the console method's caller.
    for (const frame of (new Error().stack || "").split("\n")) {
      const m = /(https?:\/\/[^\s)]+):(\d+):\d+\)?$/.exec(frame);
      if (m && !m[1].endsWith(RELAY_PATH)) return { url: m[1], line: Number(m[2]) };
    }
    return { url: "", line: 0 };
  };
  for (const [method, level] of [["log", "log"], ["debug", "debug"], ["info", "info"], ["warn", "warning"], ["error", "error"]]) {
    const original = console[method];
    console[method] = function (...args) {
      keep({ level, text: text(args), ...here(), exception: false });
      return original.apply(this, args);
    };
  }
  addEventListener("error", (e) => {
    const stack = e.error && e.error.stack ? String(e.error.stack).split("\n") : [];
    keep({ level: "error", text: e.message || String(e.error), url: e.filename || "", line: e.lineno || 0, exception: true, stack });
  });
  addEventListener("unhandledrejection", (e) => {
    const r = e.reason;
    const stack = r && r.stack ? String(r.stack).split("\n") : [];
    keep({ level: "error", text: "Unhandled Promise Rejection: " + (r instanceof Error ? String(r) : text([r])), url: "", line: 0, exception: true, stack });
  });
})();
