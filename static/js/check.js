// A Check's result (graders/check.py CheckReport): what to fix, and the loss of a short training on public data.
// Never a grade: no score, no points, no held-out figure.
import { h, fmt, richText } from "/static/js/dom.js";
import { lossChart } from "/static/js/charts.js";

const KIND = { ok: ["notice-info", "✓"], problem: ["notice-warn", "!"], error: ["notice-error", "!"] };

/** A message's first line as text; the rest (a code excerpt with a caret) keeps its layout. */
function message(text, cls, icon = null) {
  const [first, ...rest] = String(text || "").split("\n");
  const tail = rest.join("\n").replace(/\s+$/, "");
  const mark = icon ? h("span", { "aria-hidden": "true" }, `${icon} `) : null;
  return [h("p", { class: cls }, mark, richText(first)),
    tail ? h("pre", { class: "message-code", tabindex: "0" }, tail) : null];
}

function checkList(checks) {
  if (!checks.length) return null;
  return h("section", { class: "checks" }, h("h4", {}, "What was checked"),
    h("ul", {}, checks.map((c) => {
      const state = c.skipped ? "skipped" : c.passed ? "pass" : "fail";
      const label = c.skipped ? "not run" : c.passed ? "fine" : "to fix";
      return h("li", { class: `check check-${state}` },
        h("span", { class: "check-mark", "aria-hidden": "true" }, c.skipped ? "–" : c.passed ? "✓" : "✗"),
        h("div", { class: "check-body" },
          h("p", { class: "check-title" }, h("span", { class: "visually-hidden" }, `${label}: `), c.title),
          c.message ? message(c.message, "check-message") : null));
    })));
}

function trainingLine(training) {
  if (!training || !training.epochs_run) return null;
  const parts = [`${training.epochs_run} epoch${training.epochs_run === 1 ? "" : "s"} (a check stops at `
    + `${training.epochs}; grading trains all your EPOCHS)`,
    `on ${training.train_samples.toLocaleString()} public training samples (about a quarter)`,
    `validated on ${training.validation_samples.toLocaleString()} public validation samples`];
  const line = h("p", { class: "muted" }, `Trained ${parts.join(", ")}, by the grader.`);
  if (!training.stopped_for_time) return line;
  return [line, h("p", { class: "notice notice-warn" }, "The check's short training stopped at its small computing-time "
    + "budget. That says little about the real grading, which allows much more.")];
}

function casesLine(report) {
  if (typeof report.cases !== "number") return null;
  return h("p", { class: "muted" }, `${report.cases_passed} of ${report.cases} practice cases match the reference `
    + "(made from the lesson's public seed; grading uses other, hidden cases).");
}

/** Replaces `container`'s content with a check's report; returns what to destroy() before the next one. */
export function renderCheck(container, report) {
  const [cls, icon] = KIND[report.status] || KIND.error;
  const history = report.history || [];
  const parts = [
    h("div", { class: `notice ${cls}` }, message(report.summary, "", icon)),
    checkList(report.checks || []),
    trainingLine(report.training),
    casesLine(report),
    history.length ? h("figure", { class: "chart-figure" }, h("div", { class: "chart", id: "check-chart" }),
      h("figcaption", {}, `Loss per epoch on part of the public data (last: training ${fmt(history.at(-1).loss)}, `
        + `validation ${fmt(history.at(-1).val_loss)}). Not graded; held-out data was not used.`)) : null,
    report.log ? h("details", { class: "log" }, h("summary", {}, "Output of your code (log)"),
      h("pre", { tabindex: "0" }, report.log)) : null,
  ].flat().filter(Boolean);
  container.replaceChildren(...parts);
  if (!history.length) return { destroy() {} };
  const chart = lossChart(container.querySelector("#check-chart"));
  chart.set(history);
  return chart;
}
