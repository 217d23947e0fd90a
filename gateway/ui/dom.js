// Building DOM from untrusted data: text goes in through textContent and attributes one by
// one, never through innerHTML, and invisible characters are made visible.

// Control and invisible characters are shown as <U+XXXX>: a bidi override or a zero-width
// space must not disguise what a command really does.
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

export function visible(text) {
  return String(text).replace(HIDDEN, (c) => `\u27e8U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}\u27e9`);
}

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = visible(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(visible(child)));
  }
  return el;
}

export function clock(unixSeconds) {
  if (typeof unixSeconds !== "number") return "";
  const d = new Date(unixSeconds * 1000);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

export function countdown(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`
    : `${m}:${String(s % 60).padStart(2, "0")}`;
}

// JSON pretty-printed into spans, so that it is coloured without any HTML parsing.

export function jsonNode(value, indent = "") {
  const frag = document.createDocumentFragment();
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (!value.length) { frag.append("[]"); return frag; }
    frag.append("[\n");
    value.forEach((item, i) => {
      frag.append(inner, jsonNode(item, inner), i < value.length - 1 ? ",\n" : "\n");
    });
    frag.append(indent + "]");
  } else if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) { frag.append("{}"); return frag; }
    frag.append("{\n");
    keys.forEach((key, i) => {
      frag.append(inner, h("span", { class: "j-key", text: JSON.stringify(key) }), ": ",
        jsonNode(value[key], inner), i < keys.length - 1 ? ",\n" : "\n");
    });
    frag.append(indent + "}");
  } else {
    const kind = value === null ? "null" : typeof value;
    frag.append(h("span", { class: `j-${kind}`, text: JSON.stringify(value) }));
  }
  return frag;
}
