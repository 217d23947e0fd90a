// The live approvals stream over fetch() and a reader: EventSource cannot send the
// Authorization header. Reconnects with backoff and gives up a connection that has been
// silent for longer than the gateway's keep-alive interval allows.

const IDLE_MS = 45000; // the gateway sends a keep-alive every 15 s
const BACKOFF_MAX_MS = 30000;

const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

// Runs until `session.closed`. `session.stream` holds the current AbortController, so that
// signing out can cut the connection. Handlers: onOpen() after each (re)connect, onEvent(e)
// per event, onRefused() on 401/403 (then it stops), onDown(seconds) before each retry.
export async function follow(session, { onOpen, onEvent, onRefused, onDown }) {
  let failures = 0;
  while (!session.closed) {
    const controller = new AbortController();
    session.stream = controller;
    let watchdog = 0;
    const alive = () => {
      window.clearTimeout(watchdog);
      watchdog = window.setTimeout(() => controller.abort(), IDLE_MS);
    };
    try {
      const res = await fetch("/approvals/stream", {
        headers: { Authorization: `Bearer ${session.token}`, Accept: "text/event-stream" },
        cache: "no-store", credentials: "omit", signal: controller.signal,
      });
      if (res.status === 401 || res.status === 403) {
        if (!session.closed) onRefused();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      failures = 0;
      alive();
      onOpen();
      await readEvents(res.body.getReader(), onEvent, alive);
    } catch (err) {
      // An abort (sign out, or a silent connection) and a network error both end up here.
    } finally {
      window.clearTimeout(watchdog);
    }
    if (session.closed) return;
    const delay = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** failures) * (0.5 + Math.random() / 2);
    failures += 1;
    onDown(Math.ceil(delay / 1000));
    await sleep(delay);
  }
}

// Server-sent events by the WHATWG rules that matter here: `data:` lines joined by "\n",
// dispatched on a blank line; comments (": keepalive") and other fields ignored.
export async function readEvents(reader, dispatch, onBytes) {
  const decoder = new TextDecoder();
  let buffer = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onBytes();
    buffer += decoder.decode(value, { stream: true });
    // A "\r" at the very end may be half of a "\r\n" still on its way: keep it for later.
    const end = buffer.endsWith("\r") ? buffer.length - 1 : buffer.length;
    const lines = buffer.slice(0, end).split(/\r\n|\r|\n/);
    buffer = lines.pop() + buffer.slice(end);
    for (const line of lines) {
      if (line === "") {
        if (data.length) {
          const text = data.join("\n");
          data = [];
          let event = null;
          try { event = JSON.parse(text); } catch (err) { event = null; }
          if (event) dispatch(event);
        }
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
    }
  }
}
