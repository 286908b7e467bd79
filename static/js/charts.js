// Charts over the vendored uPlot: the training loss curve and the predictions-vs-truth plot.
import uPlot from "/static/vendor/uplot/uPlot.min.js";

const DARK = window.matchMedia("(prefers-color-scheme: dark)");
const colors = () => (DARK.matches
  ? { loss: "#79b0ff", val: "#ffa870", truth: "#9ba7b4", prediction: "#79b0ff", axis: "#b6c2cf", grid: "#30363d", tick: "#48505a" }
  : { loss: "#1f5fbf", val: "#c2410c", truth: "#57606a", prediction: "#1f5fbf", axis: "#57606a", grid: "#eaeef2", tick: "#d0d7de" });
const HEIGHT = 220;

function widthOf(el) {
  return Math.max(240, Math.floor(el.getBoundingClientRect().width || el.parentElement.clientWidth || 320));
}

// Charts follow their container's width (a resized split, a rotated phone).
function keepSized(chart, el) {
  const observer = new ResizeObserver(() => {
    const width = widthOf(el);
    if (Math.abs(width - chart.width) > 2) chart.setSize({ width, height: HEIGHT });
  });
  observer.observe(el);
  return () => observer.disconnect();
}

function axisFont() {
  const c = colors();
  return { stroke: c.axis, grid: { stroke: c.grid }, ticks: { stroke: c.tick } };
}

/** A loss chart that grows one epoch at a time: returns {add(epoch, loss, valLoss), set(history), setLog(on),
 * destroy()}. On a log scale the late epochs' differences stay readable after a large first epoch. */
export function lossChart(el, { title, log = false } = {}) {
  const data = [[], [], []];
  let chart = null, stop = () => {};
  // A log axis cannot show 0 or less: such points are left out there, kept in the data.
  const shown = () => (log ? [data[0], ...data.slice(1).map((s) => s.map((v) => (v !== null && v > 0 ? v : null)))] : data);
  const build = () => {
    stop();
    if (chart) chart.destroy();
    el.replaceChildren();
    const c = colors();
    chart = new uPlot({
      title, width: widthOf(el), height: HEIGHT, legend: { live: false },
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ ...axisFont(), label: "epoch" }, { ...axisFont(), label: log ? "loss (log scale)" : "loss", size: 60 }],
      series: [
        { label: "epoch" },
        { label: "training loss", stroke: c.loss, width: 2, points: { show: true, size: 4 } },
        { label: "validation loss", stroke: c.val, width: 2, dash: [6, 4], points: { show: true, size: 4 } },
      ],
    }, shown(), el);
    stop = keepSized(chart, el);
    el.dataset.scale = log ? "log" : "linear";
  };
  build();
  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    add(epoch, loss, valLoss) {
      data[0].push(epoch); data[1].push(num(loss)); data[2].push(num(valLoss));
      chart.setData(shown());
    },
    set(history) {
      data[0] = history.map((h) => h.epoch);
      data[1] = history.map((h) => num(h.loss));
      data[2] = history.map((h) => num(h.val_loss));
      chart.setData(shown());
    },
    setLog(on) { if (on !== log) { log = on; build(); } },
    destroy() { stop(); chart.destroy(); },
  };
}

/** Independent samples (no order between them): each prediction against its true value, one point per sample, and
 * the diagonal where a perfect prediction would sit. No line joins samples, since none follows another. */
export function scatterChart(el, truth, prediction, { title } = {}) {
  el.replaceChildren();
  const pairs = truth.map((t, i) => [t, prediction[i]])
    .filter(([t, p]) => typeof t === "number" && typeof p === "number").sort((a, b) => a[0] - b[0]);
  const c = colors();
  const chart = new uPlot({
    title, width: widthOf(el), height: HEIGHT, legend: { live: false },
    scales: { x: { time: false } },
    axes: [{ ...axisFont(), label: "true value" }, { ...axisFont(), label: "your prediction", size: 60 }],
    series: [
      { label: "true value" },
      { label: "perfect prediction", stroke: c.truth, width: 1, dash: [4, 4], points: { show: false } },
      { label: "your prediction (one point per sample)", stroke: c.prediction, width: 0, paths: () => null,
        points: { show: true, size: 5, fill: c.prediction } },
    ],
  }, [pairs.map((p) => p[0]), pairs.map((p) => p[0]), pairs.map((p) => p[1])], el);
  el.dataset.kind = "scatter";
  const stop = keepSized(chart, el);
  return { destroy() { stop(); chart.destroy(); } };
}

/** Predictions against the true series on the validation stretch. */
export function predictionChart(el, truth, prediction, { title } = {}) {
  el.replaceChildren();
  const xs = truth.map((_, i) => i);
  const COLORS = colors();
  el.dataset.kind = "series";
  const chart = new uPlot({
    title, width: widthOf(el), height: HEIGHT, legend: { live: false },
    scales: { x: { time: false } },
    axes: [{ ...axisFont(), label: "time step" }, { ...axisFont(), label: "value", size: 60 }],
    series: [
      { label: "step" },
      { label: "truth", stroke: COLORS.truth, width: 2 },
      { label: "your prediction", stroke: COLORS.prediction, width: 2, dash: [5, 3] },
    ],
  }, [xs, truth, prediction.slice(0, truth.length)], el);
  const stop = keepSized(chart, el);
  return { destroy() { stop(); chart.destroy(); } };
}
