// A tiny DOM builder. Strings always become text nodes, so learner output can never become markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const STATUS_LABELS = {
  queued: "Queued", running: "Grading", passed: "Passed", failed: "Not yet", not_gradable: "Could not grade",
  error: "Server error",
};

export function percent(score) {
  return typeof score === "number" ? `${Math.round(score * 100)}%` : "–";
}

export function fmt(value, digits = 4) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return Math.abs(value) >= 1000 ? value.toFixed(0) : Number(value.toPrecision(digits)).toString();
}

export function ago(iso) {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** Text where `backticked` parts become <code>: built from text nodes, so nothing in it is ever markup. */
export function richText(text) {
  return String(text ?? "").split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part)).filter((p) => p !== "");
}
