// conformance.js runs the scenario catalogue of the reference server in this
// browser and fills the matrix of web/conformance.html as the traces come in.
//
// Each implementation runs in its own frame of harness.html?impl=NAME, where
// web/trace.js records its traces, as in the e2e tests: the frames keep the
// native EventSource and the polyfill apart. The page compares each trace
// with the events the scenario expects by the standard, from
// /sse/scenario/{name}/expect, and with how it must end.
//
// ?run=simple,crlf selects scenarios, ?impl=wasm an implementation, and
// ?autorun starts at once. When a run is over, document.documentElement.dataset.conformance is "done",
// and window.sseConformance.results holds every result.
(() => {
  "use strict";

  const IMPLS = ["native", "wasm"];
  const TIMEOUT_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const results = [];
  window.sseConformance = { results };

  let catalogue = [];
  let running = false;

  // el makes an element with attributes and children.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) node.append(c);
    return node;
  }

  function setStatus(text) { $("status").textContent = text; }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = false;
  }

  async function getJSON(url) {
    const res = await fetch(url, { cache: "no-store" });
    if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
    return res.json();
  }

  // frames holds one harness frame per implementation, made on first use.
  const frames = {};

  function harness(impl) {
    if (!frames[impl]) {
      frames[impl] = new Promise((resolve, reject) => {
        const frame = el("iframe", { src: `/harness.html?impl=${impl}`, title: `${impl} harness` });
        frame.addEventListener("load", () => {
          const trace = frame.contentWindow.sseTrace;
          if (!trace) {
            reject(new Error(`harness.html?impl=${impl} has no sseTrace`));
            return;
          }
          trace.loaded.then(() => resolve(trace), reject);
        }, { once: true });
        $("frames").append(frame);
      });
    }
    return frames[impl];
  }

  // The spec view of a trace, as e2e/cmd/sseconform has it: each message
  // event's type, data and lastEventId, then how the trace ended.
  function expectedView(expect, shorten) {
    const view = expect.events.map((e) => ({
      type: "message", event: e.type, ...shorten(e.data), lastEventId: e.lastEventId,
    }));
    const client = expect.client || {};
    // A scenario that stalls by design ends when the recorder gives up.
    if (client.timeoutMs > 0) view.push({ type: "timeout" });
    else if (client.closeAfter > 0) view.push({ type: "close-called" });
    else view.push({ type: "error", readyState: 2 });
    return view;
  }

  function actualView(result) {
    const view = [];
    for (const entry of result.trace) {
      if (entry.type !== "message") continue;
      const e = { ...entry };
      delete e.origin;
      delete e.readyState;
      view.push(e);
    }
    switch (result.endedBy) {
      case "close-after": view.push({ type: "close-called" }); break;
      case "closed": view.push({ type: "error", readyState: 2 }); break;
      default: view.push({ type: result.endedBy });
    }
    return view;
  }

  // apiProblems lists what any EventSource must look like (HTML §9.2.2).
  function apiProblems(impl, r) {
    const p = [];
    if (!r.allMessageEvents) p.push("a message event was not an instance of MessageEvent");
    if (!r.allTargetsSource) p.push("a message event had a target other than its EventSource");
    if (r.api.initialReadyState !== 0) p.push(`readyState after construction is ${r.api.initialReadyState}, want 0`);
    if (!r.api.urlResolved) p.push("url is not the URL resolved against the document");
    if (r.api.withCredentials) p.push("withCredentials is true by default");
    if (!r.api.isEventTarget) p.push("the source is not an EventTarget");
    if (r.api.constants.join() !== "0,1,2,0,1,2") p.push(`CONNECTING, OPEN, CLOSED are ${r.api.constants}, want 0,1,2`);
    if (impl === "wasm" && r.nativeConstructed > 0) p.push("the polyfill made a native EventSource");
    return p;
  }

  function session() {
    return Math.random().toString(36).slice(2) + Date.now().toString(36);
  }

  // check runs one scenario with one implementation.
  async function check(impl, sc) {
    const [trace, expect] = await Promise.all([harness(impl), getJSON(`/sse/scenario/${encodeURIComponent(sc.name)}/expect`)]);
    const result = await trace.run({
      impl,
      url: `/sse/scenario/${encodeURIComponent(sc.name)}?session=${session()}`,
      events: sc.client.events || [],
      closeAfter: sc.client.closeAfter || 0,
      maxErrors: 10,
      timeoutMs: sc.client.timeoutMs || TIMEOUT_MS,
    });
    const want = expectedView(expect, trace.shorten).map((e) => JSON.stringify(e));
    const got = actualView(result).map((e) => JSON.stringify(e));
    const problems = apiProblems(impl, result);
    const first = want.findIndex((w, i) => w !== got[i]);
    if (first >= 0 || got.length !== want.length) {
      const i = first >= 0 ? first : want.length;
      problems.unshift(`entry ${i}: want ${want[i] ?? "nothing"}, got ${got[i] ?? "nothing"}`);
    }
    return { scenario: sc.name, impl, pass: problems.length === 0, problems, want, got, trace: result.trace, endedBy: result.endedBy };
  }

  // The matrix.

  function cellOf(name, impl) {
    return document.querySelector(`td[data-scenario="${CSS.escape(name)}"][data-impl="${impl}"]`);
  }

  function drawRows(list, impls) {
    const rows = $("rows");
    rows.replaceChildren();
    for (const th of document.querySelectorAll("#matrix thead th[data-impl]")) {
      th.hidden = !impls.includes(th.dataset.impl);
    }
    for (const sc of list) {
      const tr = el("tr", { "data-scenario": sc.name },
        el("th", { scope: "row" }, el("span", { class: "name" }, sc.name), el("span", { class: "desc" }, sc.description)));
      for (const impl of IMPLS) {
        const td = el("td", { class: "cell", "data-scenario": sc.name, "data-impl": impl, "data-result": "pending" }, "·");
        td.hidden = !impls.includes(impl);
        tr.append(td);
      }
      rows.append(tr);
    }
  }

  function setCell(name, impl, state, text) {
    const td = cellOf(name, impl);
    if (!td) return td;
    td.dataset.result = state;
    td.replaceChildren(text);
    return td;
  }

  // showFailure puts a row under the scenario with the expected and the
  // actual trace side by side.
  function showFailure(r) {
    const row = document.querySelector(`tr[data-scenario="${CSS.escape(r.scenario)}"]`);
    const id = `detail-${r.scenario}-${r.impl}`;
    const table = el("table", { class: "diff" },
      el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "Expected (the standard)"), el("th", {}, `Actual (${r.impl})`))));
    const body = el("tbody");
    for (let i = 0; i < Math.max(r.want.length, r.got.length); i++) {
      const same = r.want[i] === r.got[i];
      body.append(el("tr", { class: same ? "same" : "differs" },
        el("td", { class: "n" }, String(i)), el("td", {}, r.want[i] ?? ""), el("td", {}, r.got[i] ?? "")));
    }
    table.append(body);
    const detail = el("tr", { class: "detail", id, "data-detail": `${r.scenario}/${r.impl}` },
      el("td", { colSpan: IMPLS.length + 1 },
        el("h3", {}, `${r.scenario} · ${r.impl}`),
        el("ul", { class: "problems" }, ...r.problems.map((p) => el("li", {}, p))),
        table,
        el("details", {}, el("summary", {}, `The whole trace (${r.trace.length} entries, ended by ${r.endedBy})`),
          el("pre", {}, r.trace.map((e) => JSON.stringify(e)).join("\n")))));
    let after = row;
    while (after.nextElementSibling && after.nextElementSibling.classList.contains("detail")) after = after.nextElementSibling;
    after.after(detail);
    const link = el("a", { href: `#${id}` }, "FAIL");
    setCell(r.scenario, r.impl, "fail", link);
  }

  function drawSummary(impls, total) {
    const parts = impls.map((impl) => {
      const mine = results.filter((r) => r.impl === impl);
      const passed = mine.filter((r) => r.pass).length;
      return el("div", { class: "card", "data-impl": impl },
        el("span", {}, impl),
        el("b", {}, `${passed}/${total} passed`),
        mine.length > passed ? el("em", {}, ` ${mine.length - passed} failed`) : "");
    });
    $("summary").replaceChildren(...parts);
  }

  // run checks the selected scenarios: each implementation goes through
  // them in order, the implementations side by side.
  async function run(event) {
    event?.preventDefault();
    if (running) return;
    running = true;
    $("run").disabled = true;
    document.documentElement.dataset.conformance = "running";
    results.length = 0;
    document.querySelectorAll("tr.detail").forEach((tr) => tr.remove());

    const names = $("filter").value.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((n) => !catalogue.some((sc) => sc.name === n));
    if (unknown.length) showError(`No such scenario: ${unknown.join(", ")}`);
    const list = names.length ? catalogue.filter((sc) => names.includes(sc.name)) : catalogue;
    const impls = IMPLS.filter((impl) => $(`impl-${impl}`).checked);
    drawRows(list, impls);
    drawSummary(impls, list.length);
    const started = performance.now();
    let done = 0;
    const total = list.length * impls.length;
    setStatus(`Running 0/${total}…`);

    await Promise.all(impls.map(async (impl) => {
      for (const sc of list) {
        setCell(sc.name, impl, "running", "…");
        let r;
        try {
          r = await check(impl, sc);
        } catch (err) {
          r = { scenario: sc.name, impl, pass: false, problems: [String(err)], want: [], got: [], trace: [], endedBy: "error" };
        }
        results.push(r);
        if (r.pass) setCell(sc.name, impl, "pass", "pass");
        else showFailure(r);
        done++;
        setStatus(`Running ${done}/${total}…`);
        drawSummary(impls, list.length);
      }
    }));

    const failed = results.filter((r) => !r.pass).length;
    setStatus(`Done: ${total - failed}/${total} passed in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    document.documentElement.dataset.conformance = "done";
    $("run").disabled = false;
    running = false;
  }

  async function init() {
    $("filter").value = params.get("run") || "";
    const only = params.get("impl");
    if (only) for (const impl of IMPLS) $(`impl-${impl}`).checked = only.split(",").includes(impl);
    $("controls").addEventListener("submit", run);
    try {
      catalogue = await getJSON("/sse/scenarios");
    } catch (err) {
      showError(`Cannot load the catalogue: ${err.message}. Is this page served by the reference server?`);
      setStatus("");
      return;
    }
    drawRows(catalogue, IMPLS.filter((impl) => $(`impl-${impl}`).checked));
    setStatus(`${catalogue.length} scenarios. Press Run.`);
    document.documentElement.dataset.conformance = "ready";
    if (params.has("autorun")) run();
  }

  init();
})();
