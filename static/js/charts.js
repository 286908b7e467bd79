// Charts over the vendored uPlot: the training loss curve and the predictions-vs-truth plot.
import uPlot from "/static/vendor/uplot/uPlot.min.js";

const COLORS = { loss: "#1f5fbf", val: "#c2410c", truth: "#57606a", prediction: "#1f5fbf" };
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
  return { stroke: "#57606a", grid: { stroke: "#eaeef2" }, ticks: { stroke: "#d0d7de" } };
}

/** A loss chart that grows one epoch at a time: returns {add(epoch, loss, valLoss), set(history), destroy()}. */
export function lossChart(el, { title } = {}) {
  el.replaceChildren();
  const data = [[], [], []];
  const chart = new uPlot({
    title, width: widthOf(el), height: HEIGHT, legend: { live: false },
    scales: { x: { time: false } },
    axes: [{ ...axisFont(), label: "epoch" }, { ...axisFont(), label: "loss", size: 60 }],
    series: [
      { label: "epoch" },
      { label: "training loss", stroke: COLORS.loss, width: 2, points: { show: true, size: 4 } },
      { label: "validation loss", stroke: COLORS.val, width: 2, dash: [6, 4], points: { show: true, size: 4 } },
    ],
  }, data, el);
  const stop = keepSized(chart, el);
  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    add(epoch, loss, valLoss) {
      data[0].push(epoch); data[1].push(num(loss)); data[2].push(num(valLoss));
      chart.setData(data);
    },
    set(history) {
      data[0] = history.map((h) => h.epoch);
      data[1] = history.map((h) => num(h.loss));
      data[2] = history.map((h) => num(h.val_loss));
      chart.setData(data);
    },
    destroy() { stop(); chart.destroy(); },
  };
}

/** Predictions against the true series on the validation stretch. */
export function predictionChart(el, truth, prediction, { title } = {}) {
  el.replaceChildren();
  const xs = truth.map((_, i) => i);
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
