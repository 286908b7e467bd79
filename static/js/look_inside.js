// Look inside the learner's trained model (the report's plots.look_inside, measured by the grader in phase B):
// gradient norm per time step, a heatmap of the first recurrent layer's state, text samples at two temperatures.
// Imported only when a report has these figures, so a lesson page's first visit does not pay for it.
import uPlot from "/static/vendor/uplot/uPlot.min.js";
import { h } from "/static/js/dom.js";

const DARK = window.matchMedia("(prefers-color-scheme: dark)");
const LOG_KEY = "rnnlab:v1:gradient-linear";
const HEIGHT = 220;

function palette() {
  return DARK.matches
    ? { line: "#79b0ff", axis: "#b6c2cf", grid: "#30363d", tick: "#48505a", low: [121, 176, 255], mid: [22, 27, 34], high: [255, 168, 112] }
    : { line: "#1f5fbf", axis: "#57606a", grid: "#eaeef2", tick: "#d0d7de", low: [31, 95, 191], mid: [255, 255, 255], high: [194, 65, 12] };
}

function widthOf(el) {
  return Math.max(240, Math.floor(el.getBoundingClientRect().width || el.parentElement.clientWidth || 320));
}

function watchWidth(el, onWidth) {
  const observer = new ResizeObserver(() => onWidth(widthOf(el)));
  observer.observe(el);
  return () => observer.disconnect();
}

function prefersLinear() {
  try { return localStorage.getItem(LOG_KEY) === "1"; } catch { return false; }
}

/** Gradient norm per time step; a log scale by default, since a vanishing gradient spans orders of magnitude. */
function gradientFigure(plot, handles) {
  const toggle = h("input", { type: "checkbox", id: "gradient-log", checked: !prefersLinear() });
  const box = h("div", { class: "chart", id: "gradient-chart", role: "img", "aria-label": plot.summary });
  const figure = h("figure", { class: "chart-figure look-gradient" },
    h("label", { class: "chart-toggle" }, toggle, " Log scale"), box,
    h("figcaption", {}, plot.guide));
  let chart = null, stop = () => {};
  const build = () => {
    const log = toggle.checked;
    const c = palette();
    const font = { stroke: c.axis, grid: { stroke: c.grid }, ticks: { stroke: c.tick } };
    const norms = plot.norms.map((v) => (typeof v === "number" && (!log || v > 0) ? v : null));
    stop();
    if (chart) chart.destroy();
    box.replaceChildren();
    chart = new uPlot({
      width: widthOf(box), height: HEIGHT, legend: { live: false },
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ ...font, label: "input time step (1 = earliest)" },
        { ...font, label: log ? "gradient norm (log scale)" : "gradient norm", size: 70 }],
      series: [{ label: "step" }, { label: `|d loss / d input| (${plot.layer})`, stroke: c.line, width: 2, points: { show: true, size: 4 } }],
    }, [plot.steps, norms], box);
    box.dataset.scale = log ? "log" : "linear";
    stop = watchWidth(box, (width) => { if (Math.abs(width - chart.width) > 2) chart.setSize({ width, height: HEIGHT }); });
  };
  toggle.addEventListener("change", () => {
    try { localStorage.setItem(LOG_KEY, toggle.checked ? "0" : "1"); } catch { /* not remembered */ }
    build();
  });
  handles.push({ destroy() { stop(); if (chart) chart.destroy(); } });
  return [h("h5", {}, "How far back the error signal reaches"), figure, h("p", { class: "look-summary" }, plot.summary), { draw: build }];
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

function colourOf(value, scale, c) {
  const t = scale ? Math.max(-1, Math.min(1, value / scale)) : 0;
  return `rgb(${(t < 0 ? mix(c.mid, c.low, -t) : mix(c.mid, c.high, t)).join(",")})`;
}

/** Units × time steps on a canvas (an image with a text summary), the numbers as a table on request. */
function hiddenFigure(plot, handles) {
  const states = plot.states;
  const units = states.length, steps = states[0].length;
  const scale = Math.max(...states.map((row) => Math.max(...row.map((v) => Math.abs(v))))) || 1;
  const canvas = h("canvas", { class: "heatmap", role: "img", "aria-label": plot.summary });
  const legend = h("p", { class: "heatmap-legend muted", "aria-hidden": "true" },
    h("span", { class: "swatch swatch-low" }), ` −${scale.toFixed(2)} `,
    h("span", { class: "swatch swatch-mid" }), " 0 ",
    h("span", { class: "swatch swatch-high" }), ` +${scale.toFixed(2)}`);
  const table = h("details", { class: "heatmap-table" }, h("summary", {}, "Show the values as a table"));
  table.addEventListener("toggle", () => {
    if (!table.open || table.querySelector("table")) return;
    const first = plot.first_step;
    table.append(h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Hidden state values" },
      h("table", {}, h("caption", { class: "visually-hidden" }, "Hidden state: one row per unit, one column per time step"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Unit"),
          states[0].map((_, j) => h("th", { scope: "col" }, String(first + j))))),
        h("tbody", {}, states.map((row, i) => h("tr", {}, h("th", { scope: "row" }, String(i + 1)),
          row.map((v) => h("td", {}, v.toFixed(2)))))))));
  });
  const figure = h("figure", { class: "chart-figure look-hidden" },
    h("div", { class: "heatmap-axes" }, h("span", { class: "muted" }, `unit ↓ (${units} shown) · time step → (${plot.first_step}–${plot.first_step + steps - 1})`)),
    canvas, legend, h("figcaption", {}, plot.guide));
  const draw = () => {
    const c = palette();
    const width = widthOf(figure);
    const cell = Math.max(3, Math.min(12, Math.floor(240 / units)));
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(width * ratio);
    canvas.height = Math.floor(units * cell * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${units * cell}px`;
    const ctx = canvas.getContext("2d");
    const w = canvas.width / steps, hgt = canvas.height / units;
    states.forEach((row, i) => row.forEach((v, j) => {
      ctx.fillStyle = colourOf(v, scale, c);
      ctx.fillRect(Math.floor(j * w), Math.floor(i * hgt), Math.ceil(w), Math.ceil(hgt));
    }));
  };
  let last = 0;
  handles.push({ destroy: watchWidth(figure, (width) => { if (Math.abs(width - last) > 2) { last = width; draw(); } }) });
  return [h("h5", {}, "What the first recurrent layer holds, step by step"), figure,
    h("p", { class: "look-summary" }, plot.summary), table, { draw }];
}

function samplesFigure(plot) {
  return [h("h5", {}, "Text at two temperatures"),
    plot.texts.map((t) => [h("p", { class: "sample-label" }, `Temperature ${t.temperature}`),
      h("pre", { class: "generated", tabindex: "0", "aria-label": `Sample at temperature ${t.temperature}` },
        h("span", { class: "seed" }, plot.seed || ""), t.text || "")]),
    h("p", { class: "look-guide" }, plot.guide)];
}

/** Fills `section` with the figures; returns handles whose destroy() stops their charts and observers. */
export function renderLookInside(section, look) {
  const handles = [];
  const parts = [
    look.gradient && look.gradient.norms ? gradientFigure(look.gradient, handles) : null,
    look.hidden && look.hidden.states && look.hidden.states.length ? hiddenFigure(look.hidden, handles) : null,
    look.samples && look.samples.texts ? samplesFigure(look.samples) : null,
  ].filter(Boolean).flat(Infinity);
  const draws = parts.filter((p) => p && typeof p.draw === "function");
  section.append(...parts.filter((p) => p instanceof Node || typeof p === "string"));
  draws.forEach((d) => d.draw());
  return handles;
}
