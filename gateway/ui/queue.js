// The queue of one signed-in session: pending cards kept in step with the API and the live
// stream, their countdowns, the decisions, and the history tabs.
//
// A session is { token, closed, tab, pending: Map(id -> item), expel(message) }; `expel`
// signs out when the gateway stops accepting the token.

import { api, refused } from "./api.js";
import { historyCard, pendingCard, setFormMessage } from "./cards.js";
import { countdown } from "./dom.js";
import { announce, flash, placeCard, showEmpty, ui } from "./view.js";

const STATUSES = ["pending", "approved", "denied", "expired"];
const EXPIRED_LINGER_MS = 8000; // how long a timed-out card stays visible before it goes
const NOT_ACCEPTED = "Your token is no longer accepted. Sign in again.";

export function onEvent(s, event) {
  const approval = event && event.approval;
  if (s.closed || !approval || typeof approval.id !== "string") return;
  if (event.kind === "created") {
    if (approval.status === "pending" && !s.pending.has(approval.id)) {
      addPending(s, approval, true);
      announce(`New approval: ${approval.tool_name} from ${approval.agent}.`);
    }
  } else if (STATUSES.includes(event.kind)) {
    const had = s.pending.get(approval.id);
    removePending(s, approval.id);
    if (had && !had.decidedHere) {
      announce(`${approval.tool_name} from ${approval.agent} was ${event.kind}.`);
    }
    if (s.tab === event.kind && !ui.list.querySelector(`[data-id="${CSS.escape(approval.id)}"]`)) {
      placeCard(historyCard(approval), approval.created);
    }
  }
  updateCount(s);
}

export async function refreshPending(s) {
  const since = performance.now();
  try {
    const body = await api(s.token, "GET", "/approvals?status=pending");
    if (!s.closed) reconcilePending(s, body.data || [], since);
  } catch (err) {
    if (refused(err) && !s.closed) s.expel(NOT_ACCEPTED);
  }
}

// Adds what is new and drops what is gone, leaving every other card (and any reason being
// typed into it) untouched. A card the stream added after the list was asked for stays.
export function reconcilePending(s, approvals, since) {
  const live = new Set();
  for (const approval of approvals) {
    if (approval.status !== "pending") continue;
    live.add(approval.id);
    if (!s.pending.has(approval.id)) addPending(s, approval, false);
  }
  for (const [id, item] of Array.from(s.pending)) {
    if (!live.has(id) && !item.expiredAt && item.addedAt < since) removePending(s, id);
  }
  updateCount(s);
}

function addPending(s, approval, fresh) {
  const left = typeof approval.seconds_left === "number"
    ? approval.seconds_left
    : (approval.expires || 0) - Date.now() / 1000;
  const item = {
    approval,
    // Counted on this machine's monotonic clock, so a skewed wall clock does not matter.
    deadline: performance.now() + left * 1000,
    el: pendingCard(approval, (action) => decide(s, approval.id, action)),
    addedAt: performance.now(),
    expiredAt: 0,
    decidedHere: false,
  };
  s.pending.set(approval.id, item);
  if (fresh) item.el.classList.add("fresh");
  updateTimer(item);
  if (s.tab === "pending") placeCard(item.el, approval.created);
}

function removePending(s, id) {
  const item = s.pending.get(id);
  if (!item) return;
  s.pending.delete(id);
  const hadFocus = item.el.contains(document.activeElement);
  const next = item.el.nextElementSibling || item.el.previousElementSibling;
  item.el.remove();
  if (hadFocus) (next || ui.panel).focus();
  if (s.tab === "pending") showEmpty(s.tab);
}

export function updateCount(s) {
  const n = Array.from(s.pending.values()).filter((item) => !item.expiredAt).length;
  ui.count.textContent = String(n);
  ui.count.dataset.zero = n === 0 ? "true" : "false";
  document.title = n ? `(${n}) Airlock approvals` : "Airlock approvals";
}

// Once a second: the countdowns, and timed-out cards leaving after a while.
export function tick(s) {
  if (s.closed) return;
  const now = performance.now();
  for (const item of Array.from(s.pending.values())) {
    updateTimer(item);
    if (item.expiredAt && now - item.expiredAt > EXPIRED_LINGER_MS) {
      removePending(s, item.approval.id);
    }
  }
  updateCount(s);
}

function updateTimer(item) {
  const left = (item.deadline - performance.now()) / 1000;
  const timer = item.el.querySelector(".timer");
  if (left > 0) {
    timer.querySelector(".timer-value").textContent = countdown(left);
    timer.dataset.level = left < 60 ? "urgent" : left < 180 ? "soon" : "ok";
    return;
  }
  if (item.expiredAt) return;
  item.expiredAt = performance.now();
  timer.dataset.level = "expired";
  timer.querySelector(".timer-value").textContent = "expired";
  item.el.classList.add("is-expired");
  for (const control of item.el.querySelectorAll("button, textarea")) control.disabled = true;
  setFormMessage(item.el, "Time ran out: the call was denied as “approval timed out”.", "info");
}

async function decide(s, id, action) {
  const item = s.pending.get(id);
  if (!item || item.expiredAt) return;
  const card = item.el;
  const reasonField = card.querySelector("textarea");
  const reason = reasonField.value.trim();
  if (action === "deny" && !reason) {
    reasonField.setAttribute("aria-invalid", "true");
    setFormMessage(card, "A denial needs a reason: say why, the agent's team will read it.");
    reasonField.focus();
    return;
  }
  reasonField.removeAttribute("aria-invalid");
  const buttons = card.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  setFormMessage(card, action === "approve" ? "Approving…" : "Denying…", "info");
  try {
    const path = `/approvals/${encodeURIComponent(id)}/${action}`;
    const updated = await api(s.token, "POST", path, { reason });
    item.decidedHere = true;
    removePending(s, id);
    updateCount(s);
    const verb = action === "approve" ? "Approved" : "Denied";
    flash(`${verb} ${updated.tool_name || "the call"} from ${updated.agent || "the agent"}.`);
  } catch (err) {
    if (s.closed) return;
    if (refused(err)) { s.expel(NOT_ACCEPTED); return; }
    if (err.status === 409 || err.status === 404) {
      setFormMessage(card, err.status === 409
        ? `Already decided or expired: ${err.message}`
        : "This approval no longer exists.", "info");
      window.setTimeout(() => { removePending(s, id); updateCount(s); }, 2500);
      return;
    }
    for (const b of buttons) b.disabled = false;
    setFormMessage(card, `Not recorded: ${err.message} Try again.`);
  }
}

// Fills the list for a tab: the pending cards already held, or a history list from the API.
export function showTab(s, status) {
  s.tab = status;
  ui.list.replaceChildren();
  if (status === "pending") {
    const items = Array.from(s.pending.values())
      .sort((a, b) => (b.approval.created || 0) - (a.approval.created || 0));
    for (const item of items) placeCard(item.el, item.approval.created);
    showEmpty(status);
  } else {
    loadHistory(s, status);
  }
}

async function loadHistory(s, status) {
  ui.empty.hidden = false;
  ui.empty.textContent = "Loading…";
  try {
    const body = await api(s.token, "GET", `/approvals?status=${encodeURIComponent(status)}`);
    if (s.closed || s.tab !== status) return;
    for (const approval of body.data || []) placeCard(historyCard(approval), approval.created);
    showEmpty(status);
  } catch (err) {
    if (s.closed) return;
    if (refused(err)) { s.expel(NOT_ACCEPTED); return; }
    ui.empty.textContent = `Could not load: ${err.message}`;
  }
}
