// probe.js is evaluated by sseconform -server in a page of its local server:
// it fetches the stream once, as EventSource would (HTML §9.2.2: Accept:
// text/event-stream, cache mode no-store), and reads the body for at most
// durationMs, until about maxEvents events have arrived, until maxBytes
// bytes, or until the body ends. It records when the headers and each chunk
// arrived, and returns the first maxBytes bytes in base64. The response
// headers come from DevTools, which sees them all; a cross-origin page sees
// only the CORS-safelisted ones.
async ({ url, durationMs, maxEvents, maxBytes }) => {
  const t0 = performance.now();
  const ms = () => Math.round((performance.now() - t0) * 10) / 10;
  const result = {
    ok: false, error: "", status: 0, statusText: "", url: "", redirected: false,
    responseType: "", headersMs: 0, chunks: [], bodyBytes: 0, ended: false,
    endMs: 0, stoppedBy: "", body: "", timedOut: false,
  };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, durationMs);
  try {
    const res = await fetch(url, {
      headers: { Accept: "text/event-stream" },
      cache: "no-store",
      signal: controller.signal,
    });
    result.ok = true;
    result.headersMs = ms();
    result.status = res.status;
    result.statusText = res.statusText;
    result.url = res.url;
    result.redirected = res.redirected;
    result.responseType = res.type;
    const kept = [];
    let keptBytes = 0;
    // A rough count of events, to stop early: blank lines after a data
    // line. sseconform parses the bytes properly afterwards.
    const decoder = new TextDecoder();
    let text = "", events = 0, sawData = false;
    const reader = res.body.getReader();
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (err) {
        result.stoppedBy = timedOut ? "duration" : "error: " + err;
        break;
      }
      if (step.done) {
        result.ended = true;
        result.stoppedBy = "end";
        break;
      }
      const chunk = step.value;
      if (result.chunks.length < 2000) result.chunks.push({ ms: ms(), bytes: chunk.length });
      result.bodyBytes += chunk.length;
      if (keptBytes < maxBytes) {
        const part = chunk.subarray(0, maxBytes - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      text += decoder.decode(chunk, { stream: true });
      const lines = text.split(/\r\n|\r|\n/);
      text = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (sawData) events++;
          sawData = false;
        } else if (line.startsWith("data")) {
          sawData = true;
        }
      }
      if (events >= maxEvents) { result.stoppedBy = "max-events"; break; }
      if (keptBytes >= maxBytes) { result.stoppedBy = "max-bytes"; break; }
    }
    result.endMs = ms();
    controller.abort();
    let binary = "";
    for (const part of kept) {
      for (let i = 0; i < part.length; i += 0x8000) {
        binary += String.fromCharCode.apply(null, part.subarray(i, i + 0x8000));
      }
    }
    result.body = btoa(binary);
  } catch (err) {
    result.error = timedOut ? `no response within ${durationMs} ms` : String(err);
    result.timedOut = timedOut;
    result.endMs = ms();
  } finally {
    clearTimeout(timer);
  }
  return result;
}
