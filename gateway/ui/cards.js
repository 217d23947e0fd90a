// The cards of the queue (pending, with the decision form) and of the history tabs.

import { clock, h, jsonNode } from "./dom.js";

function cardHead(approval, extra) {
  const who = [
    h("span", {}, "agent ", h("strong", { text: approval.agent || "?" })),
    approval.team ? h("span", {}, "team ", h("strong", { text: approval.team })) : null,
    approval.model ? h("span", { text: `model ${approval.model}` }) : null,
  ];
  return h("header", { class: "card-head" },
    h("div", { class: "card-title" },
      h("h2", { class: "tool", id: `t-${approval.id}` },
        h("span", { class: "visually-hidden", text: "Tool " }),
        h("code", { text: approval.tool_name || "(unnamed tool)" })),
      h("p", { class: "who" }, who)),
    extra);
}

function reasonsBlock(approval) {
  const reasons = Array.isArray(approval.reasons) ? approval.reasons : [];
  return h("section", { class: "block reasons" },
    h("h3", { text: "Why it was held" }),
    reasons.length
      ? h("ul", { class: "reason-list" }, reasons.map((r) => h("li", {},
          h("span", { class: "badge", text: r.category || "rule" }),
          h("span", { class: "reason-message", text: r.message || "" }),
          h("code", { class: "rule", text: r.rule || "" }))))
      : h("p", { class: "muted", text: "No rule reasons were recorded." }));
}

function callBlock(approval) {
  return h("section", { class: "block call" },
    h("h3", { text: "Tool call arguments" }),
    h("pre", { class: "json", tabindex: "0", "aria-label": "arguments as JSON" },
      h("code", {}, jsonNode(approval.arguments === undefined ? null : approval.arguments))));
}

const FACTS = [
  ["commands", "Commands", (c) => c.raw || (Array.isArray(c.argv) ? c.argv.join(" ") : c.program)],
  ["urls", "URLs", (u) => `${u.method || ""} ${u.scheme ? `${u.scheme}://` : ""}${u.host || ""}${u.path || ""}${u.query ? `?${u.query}` : ""}`.trim()],
  ["paths", "Paths", (p) => `${p.op || "?"} ${p.path || ""}`],
  ["secrets", "Secrets", (x) => `${x.type || "secret"}${x.at ? ` in ${x.at}` : ""}`],
  ["obfuscation", "Obfuscation", (o) => String(o)],
];

function factsBlock(approval) {
  const facts = approval.facts && typeof approval.facts === "object" ? approval.facts : {};
  const rows = [];
  for (const [key, label, show] of FACTS) {
    const items = Array.isArray(facts[key]) ? facts[key] : [];
    if (!items.length) continue;
    rows.push(h("dt", { text: label }),
      h("dd", {}, h("ul", { class: `fact-list fact-${key}` },
        items.map((item) => h("li", {}, h("code", { text: show(item || {}) }))))));
  }
  if (facts.code && typeof facts.code === "object") {
    const c = facts.code;
    const parts = [c.language || "code"];
    if (Array.isArray(c.imports) && c.imports.length) parts.push(`imports ${c.imports.join(", ")}`);
    if (Array.isArray(c.calls) && c.calls.length) parts.push(`calls ${c.calls.join(", ")}`);
    rows.push(h("dt", { text: "Code" }), h("dd", {}, h("code", { text: parts.join(" · ") })));
  }
  const known = new Set([...FACTS.map((f) => f[0]), "code"]);
  for (const [key, value] of Object.entries(facts)) {
    if (known.has(key) || value === null || (Array.isArray(value) && !value.length)) continue;
    rows.push(h("dt", { text: key }),
      h("dd", {}, h("code", { text: typeof value === "string" ? value : JSON.stringify(value) })));
  }
  return h("section", { class: "block facts" },
    h("h3", { text: "What it would do" }),
    rows.length ? h("dl", {}, rows) : h("p", { class: "muted", text: "No facts were extracted." }));
}

function excerptBlock(approval) {
  const messages = Array.isArray(approval.excerpt) ? approval.excerpt : [];
  if (!messages.length) return null;
  return h("details", { class: "block excerpt" },
    h("summary", { text: `Conversation excerpt (${messages.length} message${messages.length === 1 ? "" : "s"})` }),
    h("ol", { class: "messages" }, messages.map((m) => h("li", { class: "message", "data-role": m.role || "" },
      h("span", { class: "role", text: m.role || "?" }),
      h("p", { class: "content", text: m.content || "" })))));
}

function idLine(approval) {
  return h("p", { class: "ids muted" },
    h("span", { text: `approval ${approval.id}` }),
    approval.request_id ? h("span", { text: `request ${approval.request_id}` }) : null,
    approval.created ? h("span", { text: `held at ${clock(approval.created)}` }) : null);
}

// `onDecide(action)` is called with "approve" or "deny" when a button is pressed.
export function pendingCard(approval, onDecide) {
  const timer = h("p", { class: "timer" },
    h("span", { class: "timer-value" }), h("span", { class: "timer-label", text: "left" }));
  const reasonId = `r-${approval.id}`;
  const messageId = `m-${approval.id}`;
  const reason = h("textarea", {
    id: reasonId, class: "reason", rows: "2", maxlength: "2000",
    placeholder: "Why? The agent's team reads this. Required to deny.",
    "aria-describedby": messageId,
  });
  const approve = h("button", { type: "button", class: "approve", text: "Approve" });
  const deny = h("button", { type: "button", class: "deny", text: "Deny" });
  const form = h("div", { class: "decide" },
    h("label", { for: reasonId, text: "Reason" }),
    reason,
    h("p", { class: "form-message", id: messageId, role: "alert", hidden: true }),
    h("div", { class: "actions" }, approve, deny));
  const card = h("li", { class: "card pending", tabindex: "-1", "aria-labelledby": `t-${approval.id}`, "data-id": approval.id },
    cardHead(approval, timer),
    reasonsBlock(approval),
    h("div", { class: "columns" }, callBlock(approval), factsBlock(approval)),
    excerptBlock(approval),
    idLine(approval),
    form);
  approve.addEventListener("click", () => onDecide("approve"));
  deny.addEventListener("click", () => onDecide("deny"));
  return card;
}

export function setFormMessage(card, text, level) {
  const message = card.querySelector(".form-message");
  message.hidden = !text;
  message.textContent = text || "";
  message.dataset.level = level || "error";
}

export function historyCard(approval) {
  const status = approval.status || "?";
  const badge = h("p", { class: `status status-${status}` },
    h("span", { text: status }),
    status === "approved" ? h("span", { class: "used", text: approval.used ? "delivered" : "not yet delivered" }) : null);
  const steps = Array.isArray(approval.history) ? approval.history : [];
  const timeline = h("ol", { class: "timeline" }, steps.map((t) => h("li", { "data-status": t.status || "" },
    h("span", { class: "t-status", text: t.status || "?" }),
    h("span", { class: "t-by", text: t.by ? `by ${t.by}` : "" }),
    h("time", { class: "t-at", text: clock(t.at) }),
    t.reason ? h("q", { class: "t-reason", text: t.reason }) : null)));
  return h("li", { class: `card past status-${status}`, tabindex: "-1", "aria-labelledby": `t-${approval.id}`, "data-id": approval.id },
    cardHead(approval, badge),
    h("section", { class: "block" }, h("h3", { text: "History" }), timeline),
    h("details", { class: "block more" },
      h("summary", { text: "The call, its facts and why it was held" }),
      h("div", { class: "more-body" },
        reasonsBlock(approval),
        h("div", { class: "columns" }, callBlock(approval), factsBlock(approval)),
        excerptBlock(approval),
        idLine(approval))));
}
