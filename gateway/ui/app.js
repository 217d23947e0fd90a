// Airlock's approver page. Plain JavaScript modules, no build step, no third-party code.
//
// Everything shown here came from an agent or a model, so it is untrusted: text reaches the
// page only through textContent and attributes set one by one (dom.js), never innerHTML.
// The approver token lives in sessionStorage (this tab only) and travels in the
// Authorization header; it is never put in a URL or a cookie.

import { api, refused, refusalText } from "./api.js";
import { onEvent, reconcilePending, refreshPending, showTab, tick } from "./queue.js";
import { follow } from "./stream.js";
import { setConn, ui } from "./view.js";

const TOKEN_KEY = "airlock.approverToken";
const NOT_ACCEPTED = "Your token is no longer accepted. Sign in again.";

// One object per sign-in; async work that outlives its session sees `closed` and stops.
let session = null;

function showSignin(message) {
  ui.queue.hidden = true;
  ui.signOut.hidden = true;
  ui.conn.hidden = true;
  ui.signin.hidden = false;
  ui.signinError.hidden = !message;
  ui.signinError.textContent = message || "";
  document.title = "Airlock approvals";
  ui.token.value = "";
  ui.token.focus();
}

function signOut(message) {
  if (session) {
    session.closed = true;
    if (session.stream) session.stream.abort();
    window.clearInterval(session.ticker);
  }
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.list.replaceChildren();
  showSignin(message);
}

async function signIn(token) {
  const s = {
    token, closed: false, tab: "pending", pending: new Map(), stream: null, ticker: 0,
    expel: (message) => { if (session === s) signOut(message); },
  };
  session = s;
  const since = performance.now();
  const first = await api(token, "GET", "/approvals?status=pending"); // throws when refused
  if (s !== session) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.signin.hidden = true;
  ui.queue.hidden = false;
  ui.signOut.hidden = false;
  ui.conn.hidden = false;
  setConn("down", "Connecting…");
  reconcilePending(s, first.data || [], since);
  selectTab(s, "pending", false);
  s.ticker = window.setInterval(() => tick(s), 1000);
  follow(s, {
    // Events may have been missed while disconnected (or before the first connect).
    onOpen: () => { setConn("live", "Live"); refreshPending(s); },
    onEvent: (event) => onEvent(s, event),
    onRefused: () => s.expel(NOT_ACCEPTED),
    onDown: (seconds) => setConn("down", `Reconnecting in ${seconds} s…`),
  });
  ui.panel.focus({ preventScroll: true });
}

ui.signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = ui.token.value.trim();
  if (!token) {
    ui.signinError.hidden = false;
    ui.signinError.textContent = "Paste an approver token first.";
    ui.token.focus();
    return;
  }
  ui.signinButton.disabled = true;
  ui.signinError.hidden = true;
  try {
    await signIn(token);
  } catch (err) {
    session = null;
    ui.signinError.hidden = false;
    ui.signinError.textContent = refused(err) ? refusalText(err) : err.message;
    ui.token.focus();
    ui.token.select();
  } finally {
    ui.signinButton.disabled = false;
  }
});

ui.signOut.addEventListener("click", () => signOut(""));

// ---- tabs and keys -------------------------------------------------------------------------

function selectTab(s, status, focus) {
  for (const tab of ui.tabs) {
    const selected = tab.dataset.status === status;
    tab.setAttribute("aria-selected", selected ? "true" : "false");
    tab.tabIndex = selected ? 0 : -1;
    if (selected) {
      ui.panel.setAttribute("aria-labelledby", tab.id);
      if (focus) tab.focus();
    }
  }
  showTab(s, status);
}

const TAB_KEYS = ["ArrowLeft", "ArrowRight", "Home", "End"];

for (const tab of ui.tabs) {
  tab.addEventListener("click", () => { if (session) selectTab(session, tab.dataset.status, true); });
  tab.addEventListener("keydown", (event) => {
    if (!session || !TAB_KEYS.includes(event.key)) return;
    event.preventDefault();
    const i = ui.tabs.indexOf(tab);
    const n = ui.tabs.length;
    const next = { ArrowLeft: (i + n - 1) % n, ArrowRight: (i + 1) % n, Home: 0, End: n - 1 };
    selectTab(session, ui.tabs[next[event.key]].dataset.status, true);
  });
}

// j / k walk the cards, r jumps to the reason field; never while typing.
document.addEventListener("keydown", (event) => {
  if (!session || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  const cards = Array.from(ui.list.children);
  if (!cards.length) return;
  const current = cards.findIndex((card) => card.contains(document.activeElement));
  if (event.key === "j" || event.key === "k") {
    event.preventDefault();
    const step = event.key === "j" ? 1 : -1;
    const next = current < 0 ? 0 : Math.min(cards.length - 1, Math.max(0, current + step));
    cards[next].focus();
    cards[next].scrollIntoView({ block: "nearest" });
  } else if (event.key === "r" && session.tab === "pending") {
    const field = cards[Math.max(0, current)].querySelector("textarea");
    if (field && !field.disabled) { event.preventDefault(); field.focus(); }
  }
});

// ---- start ---------------------------------------------------------------------------------

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  signIn(saved).catch((err) => {
    session = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showSignin(refused(err) ? NOT_ACCEPTED : err.message);
  });
} else {
  showSignin("");
}
