// The grading report: banner, score, checks, metrics against the baseline, loss curve, predictions, log.
import { h, STATUS_LABELS, percent, fmt, richText } from "/static/js/dom.js";
import { lossChart, predictionChart, scatterChart } from "/static/js/charts.js";

const ICONS = { passed: "✓", failed: "✗", not_gradable: "!", error: "!", superseded: "↻" };
const LOG_KEY = "rnnlab:v1:loss-log";
const METRIC_NAMES = { rmse: "RMSE", mae: "MAE", mse: "MSE" };
let charts = [];

/** A message's first line as text; what follows (a code excerpt with a caret) keeps its layout in <pre>. */
function message(text, cls) {
  const [first, ...rest] = String(text || "").split("\n");
  const tail = rest.join("\n").replace(/\s+$/, "");
  return [h("p", { class: cls }, richText(first)), tail ? h("pre", { class: "message-code", tabindex: "0" }, tail) : null];
}

function banner(submission, report) {
  // Superseded: newer code arrived while this one waited, so this one was simply not graded. Nothing went wrong.
  const status = report.failure === "superseded" ? "superseded" : submission.status;
  const heading = status === "superseded" ? "Not graded: you sent newer code"
    : status === "passed" ? "Passed — well done!"
    : status === "failed" ? "Not passed yet"
    : status === "not_gradable" ? "Your code could not be graded"
    : "Something went wrong on our side";
  return h("div", { class: `banner banner-${status}` },
    h("span", { class: "banner-icon", "aria-hidden": "true" }, ICONS[status] || "•"),
    h("div", { class: "banner-text" },
      h("h3", { id: "report-title" }, heading),
      message(report.summary, "")),
    h("div", { class: "score", "aria-label": `Score ${percent(submission.score)}` },
      h("span", { class: "score-value" }, percent(submission.score)), h("span", { class: "score-label" }, "score")));
}

function checkList(checks) {
  if (!checks.length) return null;
  return h("section", { class: "checks" }, h("h4", {}, "Checks"),
    h("ul", {}, checks.map((c) => {
      const state = c.skipped ? "skipped" : c.passed ? "pass" : "fail";
      const mark = c.skipped ? "–" : c.passed ? "✓" : "✗";
      const label = c.skipped ? "skipped" : c.passed ? "passed" : "failed";
      return h("li", { class: `check check-${state}` },
        h("span", { class: "check-mark", "aria-hidden": "true" }, mark),
        h("div", { class: "check-body" },
          h("p", { class: "check-title" }, h("span", { class: "visually-hidden" }, `${label}: `), c.title,
            h("span", { class: "check-points" }, ` ${fmt(c.points, 3)} / ${fmt(c.max_points, 3)} pt`)),
          c.message ? message(c.message, "check-message") : null));
    })));
}

const METRICS = {
  rmse: { label: "RMSE", lowerIsBetter: true }, mae: { label: "MAE", lowerIsBetter: true },
  mse: { label: "MSE", lowerIsBetter: true },
  bits_per_char: { label: "Bits per character", phrase: "bits per character", lowerIsBetter: true },
  accuracy: { label: "Accuracy", phrase: "accuracy", lowerIsBetter: false, percent: true },
};
const OTHER_LABELS = {
  heldout_samples: "Held-out samples", heldout_windows: "Held-out windows", cases: "Hidden test cases",
  cases_passed: "Cases passed", ratio_to_baseline: "Your error ÷ baseline error", heldout_accuracy: "Held-out accuracy",
};

// The grader writes -1 for a metric that was not finite (NaN predictions).
function metricValue(kind, value) {
  if (typeof value !== "number" || (METRICS[kind].lowerIsBetter && value < 0)) return "not a number";
  return METRICS[kind].percent ? `${(value * 100).toFixed(1)}%` : fmt(value);
}

/** One way to write a relative difference, the grader's too (graders/tasks/bars.py percent): 0.3 %, 6.1 %, 24 %. */
function relative(fraction) {
  const value = Math.abs(fraction) * 100;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} %`;
}

function verdict(kind, mine, base, barTitle) {
  const what = METRICS[kind].phrase || METRICS[kind].label;
  const against = barTitle ? `'${barTitle}'` : "the baseline";
  if (typeof mine !== "number" || typeof base !== "number" || (METRICS[kind].lowerIsBetter && mine < 0)) return null;
  if (METRICS[kind].lowerIsBetter) {
    if (!base) return null;
    const change = 1 - mine / base;
    return h("p", { class: `verdict ${change > 0 ? "good" : "bad"}` }, change > 0
      ? `Your model's held-out ${what} is ${relative(change)} lower than ${against}'s.`
      : change === 0 ? `Your model's held-out ${what} is the same as ${against}'s.`
      : `Your model's held-out ${what} is ${relative(change)} higher than ${against}'s: the simple model does better.`);
  }
  const points = Math.round((mine - base) * 1000) / 10;
  return h("p", { class: `verdict ${points > 0 ? "good" : "bad"}` }, points > 0
    ? `Your model's held-out ${what} is ${points} points above ${against}'s.`
    : `Your model's held-out ${what} is not above ${against}'s.`);
}

/** Every simple baseline beside the learner's model, the bar marked, each with what beating it means. */
function baselineTable(report) {
  const kind = report.metric;
  const rows = report.baselines || [];
  const mine = (report.metrics || {})[`heldout_${kind}`];
  if (!rows.length || !METRICS[kind]) return null;
  const better = (value) => typeof mine === "number" && typeof value === "number" && !(METRICS[kind].lowerIsBetter && mine < 0)
    && (METRICS[kind].lowerIsBetter ? mine < value : mine > value);
  return h("section", { class: "baselines" },
    h("h4", {}, "Your model against simple models (no recurrence)"),
    h("p", { class: "muted" }, "Each was fit on the training part only and scored on the same held-out data as your "
      + "model. The pass mark is set against the one marked 'bar'."),
    h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Your model against the simple models" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Model"), h("th", { scope: "col" }, `Held-out ${METRICS[kind].label}`),
        h("th", { scope: "col" }, "You beat it?"), h("th", { scope: "col" }, "Beating it means"))),
      h("tbody", {},
        h("tr", { class: "mine" }, h("th", { scope: "row" }, "Your model"), h("td", {}, metricValue(kind, mine)),
          h("td", {}, "–"), h("td", {}, "")),
        rows.map((b) => h("tr", { class: b.bar ? "bar" : null },
          h("th", { scope: "row" }, b.title, b.bar ? h("span", { class: "bar-tag" }, " (bar)") : null),
          h("td", {}, b.value === null ? "–" : metricValue(kind, b.value)),
          h("td", {}, b.value === null ? "–" : better(b.value) ? "yes" : "no"),
          h("td", {}, b.meaning)))))));
}

function metricTable(metrics, barTitle) {
  const kind = Object.keys(METRICS).find((m) => `heldout_${m}` in metrics && `baseline_${m}` in metrics);
  const used = new Set();
  let comparison = null;
  if (kind) {
    const rows = [["Held-out (never seen by your code)", `heldout_${kind}`, `baseline_${kind}`],
      ["Validation", `validation_${kind}`, `validation_baseline_${kind}`]].filter(([, mine]) => mine in metrics);
    rows.forEach(([, mine, base]) => { used.add(mine); used.add(base); });
    comparison = [
      h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Your model against the bar" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Data"), h("th", { scope: "col" }, "Your model"),
          h("th", { scope: "col" }, barTitle ? `Bar: ${barTitle}` : "Baseline"))),
        h("tbody", {}, rows.map(([label, mine, base]) => h("tr", {}, h("th", { scope: "row" }, label),
          h("td", {}, metricValue(kind, metrics[mine])),
          h("td", {}, base in metrics ? metricValue(kind, metrics[base]) : "–")))))),
      verdict(kind, metrics[`heldout_${kind}`], metrics[`baseline_${kind}`], barTitle),
    ];
  }
  const others = Object.entries(metrics).filter(([key]) => !used.has(key));
  if (!comparison && !others.length) return null;
  return h("section", { class: "metrics" },
    h("h4", {}, kind ? `${METRICS[kind].label}: your model against the bar` : "Figures"),
    comparison,
    others.length ? h("dl", { class: "figures" }, others.map(([key, value]) => [
      h("dt", {}, OTHER_LABELS[key] || key.replaceAll("_", " ")),
      h("dd", {}, key.endsWith("accuracy") && typeof value === "number" ? `${(value * 100).toFixed(1)}%` : fmt(value)),
    ])) : null);
}

function samplePlot(sample) {
  return h("section", { class: "sample" }, h("h4", {}, "Text your model generated"),
    h("p", { class: "muted" }, `From the seed below, sampling at temperature ${sample.temperature ?? "–"}.`),
    h("pre", { class: "generated", tabindex: "0" }, h("span", { class: "seed" }, sample.seed || ""), sample.text || ""));
}

function confusionPlot(confusion) {
  const labels = confusion.labels || [];
  return h("section", { class: "confusion" }, h("h4", {}, "Confusion matrix (held-out)"),
    h("p", { class: "muted" }, "Rows: the true class. Columns: what your model predicted. The diagonal is right."),
    h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Confusion matrix" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "True ↓ · predicted →"),
        labels.map((l) => h("th", { scope: "col" }, String(l))))),
      h("tbody", {}, (confusion.matrix || []).map((row, i) => h("tr", {}, h("th", { scope: "row" }, String(labels[i])),
        row.map((n, j) => h("td", { class: i === j ? "diagonal" : null }, String(n)))))))));
}

function trainingLine(training) {
  if (!training || !training.epochs_run) return null;
  const parts = [`${training.epochs_run} of ${training.epochs} epochs`];
  if (training.batch_size) parts.push(`batch size ${training.batch_size}`);
  if (training.window) parts.push(`window ${training.window}`);
  if (training.params) parts.push(`${training.params.toLocaleString()} parameters`);
  // The grader trained the saved model itself, in a sandbox where no learner code runs: measured facts.
  const line = h("p", { class: "muted" }, `Trained ${parts.join(", ")} by the grader (none of your code ran during training).`);
  if (training.stopped_for_time) {
    return [line, h("p", { class: "notice notice-warn" },
      "Training was stopped when it had used the lesson's computing-time budget. Fewer epochs or a smaller model would finish in time.")];
  }
  return line;
}

function heldoutLine(mode) {
  if (mode === "private") return h("p", { class: "muted" }, "Scored on held-out data kept private to this server.");
  if (mode === "public") {
    return h("p", { class: "notice notice-warn" }, "Practice grade: this lesson's held-out data is public on this "
      + "server (it could be derived from the course repository), so the score is not a verified result.");
  }
  return null;
}

function chartFigure(id, caption, controls = null) {
  return h("figure", { class: "chart-figure" }, controls, h("div", { class: "chart", id }), h("figcaption", {}, caption));
}

function remembered(key) {
  try { return localStorage.getItem(key) === "1"; } catch { return false; }
}

function logToggle() {
  return h("label", { class: "chart-toggle" },
    h("input", { type: "checkbox", id: "loss-log", checked: remembered(LOG_KEY) }), " Log scale");
}

/** Samples with no order between them (ready-made arrays) get a scatter; a series' validation stretch a line. */
function independentSamples(report) {
  const validation = (report.plots || {}).validation || {};
  if (typeof validation.independent === "boolean") return validation.independent;
  // Only ready-made arrays have these baselines (graders/tasks/sequence_prediction.py); a series has seasonal ones.
  return (report.baselines || []).some((b) => b.id === "order_blind" || b.id === "linear_flat");
}

/** The look-inside figures are drawn by a module fetched only for reports that have them. */
function lookInsideSection(look) {
  if (!look || !Object.keys(look).length) return null;
  return h("section", { class: "look-inside", id: "look-inside", "aria-labelledby": "look-inside-title" },
    h("h4", { id: "look-inside-title" }, "Look inside your model"),
    h("p", { class: "muted" }, "Measured by the grader on your trained model, with validation data your code also saw."));
}

function logBlock(log) {
  if (!log) return null;
  return h("details", { class: "log" }, h("summary", {}, "Output of your code (log)"), h("pre", { tabindex: "0" }, log));
}

/** Replaces the content of `container` with the report of a finished submission. */
export function renderReport(container, submission) {
  charts.forEach((c) => c.destroy());
  charts = [];
  const report = submission.report || { summary: "", checks: [], metrics: {}, history: [], plots: {} };
  const history = report.history || [];
  const validation = (report.plots || {}).validation;
  // replaceChildren() would print null as "null": keep only real nodes.
  const parts = [
    h("p", { class: "report-meta muted" }, `Submission #${submission.id} · ${STATUS_LABELS[submission.status] || submission.status}`),
    banner(submission, report),
    checkList(report.checks || []),
    metricTable(report.metrics || {}, ((report.baselines || []).find((b) => b.bar) || {}).title),
    baselineTable(report),
    trainingLine(report.training),
    heldoutLine(report.heldout),
    history.length ? chartFigure("loss-chart", "Training and validation loss per epoch, measured by the grader while it "
      + "trained your model. A log scale keeps later epochs readable after a large first one.", logToggle()) : null,
    validation && validation.truth ? chartFigure("prediction-chart", independentSamples(report)
      ? "Each validation sample's prediction against its true value: points on the dashed diagonal are exact."
      : "Your predictions against the true series on the validation part (in the data's units).") : null,
    report.plots && report.plots.sample ? samplePlot(report.plots.sample) : null,
    report.plots && report.plots.confusion ? confusionPlot(report.plots.confusion) : null,
    lookInsideSection((report.plots || {}).look_inside),
    logBlock(report.log),
  ].flat().filter(Boolean);
  container.replaceChildren(...parts);
  container.hidden = false;
  if (history.length) {
    const toggle = container.querySelector("#loss-log");
    const chart = lossChart(container.querySelector("#loss-chart"), { log: toggle.checked });
    chart.set(history);
    charts.push(chart);
    toggle.addEventListener("change", () => {
      chart.setLog(toggle.checked);
      try { localStorage.setItem(LOG_KEY, toggle.checked ? "1" : "0"); } catch { /* not remembered */ }
    });
  }
  if (validation && validation.truth) {
    const plot = independentSamples(report) ? scatterChart : predictionChart;
    charts.push(plot(container.querySelector("#prediction-chart"), validation.truth, validation.prediction || []));
  }
  const look = container.querySelector("#look-inside");
  if (look) {
    import("/static/js/look_inside.js").then(({ renderLookInside }) => {
      if (!look.isConnected) return; // another report replaced this one meanwhile
      charts.push(...renderLookInside(look, report.plots.look_inside));
    });
  }
}
