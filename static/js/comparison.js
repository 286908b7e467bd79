// The comparison table of a learner's submissions (lessons with `compare: true`): one row per graded submission,
// the best value of a column marked in words ("best"), not only in colour. It scrolls sideways on a phone.
import { h, STATUS_LABELS, percent, fmt, ago } from "/static/js/dom.js";

const METRIC_NAMES = { rmse: "RMSE", mae: "MAE", accuracy: "accuracy", bits_per_char: "bits per char" };

function list(items) {
  return items && items.length ? items.map((item, i) => [i ? h("br") : null, item]) : "none";
}

function columns(comparison) {
  const metric = METRIC_NAMES[comparison.metric] || comparison.metric || "metric";
  const better = comparison.higher_is_better ? "higher is better" : "lower is better";
  return [
    { key: "id", title: "Submission", cell: (r) => [`#${r.id}`, h("br"), h("time", { datetime: r.created, class: "muted" }, ago(r.created))] },
    { key: "status", title: "Status", cell: (r) => h("span", { class: `badge badge-${r.status}` }, STATUS_LABELS[r.status] || r.status) },
    { key: "score", title: "Score", cell: (r) => percent(r.score) },
    { key: "metric_value", title: `Held-out ${metric} (${better})`, cell: (r) => fmt(r.metric_value) },
    { key: "train_loss", title: "Training loss (last epoch)", cell: (r) => fmt(r.train_loss) },
    { key: "val_loss", title: "Validation loss (last epoch)", cell: (r) => fmt(r.val_loss) },
    { key: "gap", title: "Gap: validation − training (overfitting)", cell: (r) => fmt(r.gap, 3) },
    { key: "epochs", title: "Epochs", cell: (r) => (r.epochs ?? "–") },
    { key: "params", title: "Parameters", cell: (r) => (typeof r.params === "number" ? r.params.toLocaleString() : "–") },
    { key: "family", title: "Model family", cell: (r) => r.family || "–" },
    { key: "optimizer", title: "Optimizer", cell: (r) => r.optimizer || "–" },
    { key: "schedule", title: "Learning-rate schedule", cell: (r) => r.schedule || "constant" },
    { key: "initializers", title: "Initializers", cell: (r) => list(r.initializers) },
    { key: "l2", title: "L2", cell: (r) => list(r.l2) },
    { key: "dropout", title: "Dropout", cell: (r) => list(r.dropout) },
  ];
}

export function renderComparison(section, comparison) {
  const scroll = section.querySelector(".table-scroll");
  const empty = section.querySelector("#comparison-empty");
  const rows = comparison.rows || [];
  empty.hidden = rows.length >= 2;
  scroll.hidden = rows.length === 0;
  if (!rows.length) { scroll.replaceChildren(); return; }
  const cols = columns(comparison);
  const best = comparison.best || {};
  const table = h("table", { class: "comparison-table", id: "comparison-table" },
    h("caption", {}, "Your submissions side by side, newest first. ",
      h("span", { class: "muted" }, "The best value of the score, held-out metric, validation loss and gap (nearest 0) columns is marked “best”.")),
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, c.title)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-id": r.id }, cols.map((c, i) => {
      const isBest = (best[c.key] || []).includes(r.id);
      const content = isBest ? [h("strong", {}, c.cell(r)), " ", h("span", { class: "best-mark" }, "(best)")] : c.cell(r);
      return i === 0 ? h("th", { scope: "row", "data-label": c.title }, content)
        : h("td", { "data-label": c.title, class: isBest ? "best" : null }, content);
    })))));
  scroll.replaceChildren(table);
}

export async function refreshComparison(section) {
  const response = await fetch(section.dataset.url).catch(() => null);
  if (!response || !response.ok) return;
  renderComparison(section, await response.json());
}
