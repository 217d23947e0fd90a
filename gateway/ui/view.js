// The page's fixed elements, and the small things every part of the page does to them.

const $ = (id) => document.getElementById(id);

export const ui = {
  signin: $("signin"), signinForm: $("signin-form"), token: $("token"),
  signinError: $("signin-error"), signinButton: $("signin-button"),
  queue: $("queue"), signOut: $("sign-out"), conn: $("conn"), connText: $("conn-text"),
  count: $("pending-count"), panel: $("panel"), list: $("list"), empty: $("empty"),
  notice: $("notice"), announce: $("announce"),
  tabs: Array.from(document.querySelectorAll('[role="tab"]')),
};

// For screen readers; emptied first so that a repeated message is spoken again.
export function announce(text) {
  ui.announce.textContent = "";
  window.setTimeout(() => { ui.announce.textContent = text; }, 30);
}

let flashTimer = 0;

export function flash(text) {
  ui.notice.hidden = false;
  ui.notice.textContent = text;
  window.clearTimeout(flashTimer);
  flashTimer = window.setTimeout(() => { ui.notice.hidden = true; }, 5000);
}

export function setConn(state, text) {
  ui.conn.dataset.state = state;
  ui.connText.textContent = text;
}

// Newest first, the way the API lists them.
export function placeCard(el, created) {
  el.dataset.created = String(created || 0);
  const after = Array.from(ui.list.children).find(
    (other) => Number(other.dataset.created) < (created || 0),
  );
  ui.list.insertBefore(el, after || null);
  ui.empty.hidden = true;
}

export function showEmpty(tab) {
  const none = ui.list.children.length === 0;
  ui.empty.hidden = !none;
  if (none) {
    ui.empty.textContent = tab === "pending"
      ? "Nothing is waiting for a decision. New escalations appear here as they happen."
      : `No ${tab} approvals yet.`;
  }
}
