// The lesson page: editor with autosave, check, submit, live grading progress over SSE, the report, past submissions.
import { h, STATUS_LABELS, percent, ago } from "/static/js/dom.js";
import { renderReport } from "/static/js/report.js";
import { lossChart } from "/static/js/charts.js";
import { setupSplitter, setupHints } from "/static/js/layout.js";
import { lessonDrafts } from "/static/js/drafts.js";
import { lineDiff } from "/static/js/diff.js";
import { renderCheck } from "/static/js/check.js";
import { refreshComparison } from "/static/js/comparison.js";

const root = document.getElementById("lesson");
const slug = root.dataset.slug;
const maxBytes = Number(root.dataset.maxCodeBytes);
const listUrl = root.dataset.submissionsUrl;
const drafts = lessonDrafts(slug);
const $ = (id) => document.getElementById(id);
const ui = {
  submit: $("submit"), reset: $("reset"), notice: $("notice"), saveState: $("save-state"),
  progress: $("progress"), progressText: $("progress-text"), bar: $("epoch-bar"), epochCount: $("epoch-count"),
  liveChart: $("live-chart"), liveFigure: $("live-chart").closest("figure"), report: $("report"),
  list: $("submissions"), listEmpty: $("history-empty"),
  referenceBox: $("reference-box"), referenceButton: $("show-reference"), referenceCode: $("reference-code"),
  draftNotice: $("draft-notice"), draftText: $("draft-notice-text"), errorLine: $("error-line"),
  viewer: $("viewer"), viewerTitle: $("viewer-title"), viewerSummary: $("viewer-summary"), viewerDiff: $("viewer-diff"),
  restore: $("viewer-restore"), closeViewer: $("viewer-close"), nextLesson: $("next-lesson"),
  check: $("check"), checkBox: $("check-box"), checkStatus: $("check-status"), checkResult: $("check-result"),
};
// One entry per stage of graders/protocol.py's Stage (tests/app/test_stages.py keeps them equal).
const PHASE_TEXT = {
  reference: "Preparing the hidden test cases…",
  train: "Loading your code and training your model…", build: "Building your model…",
  evaluate: "Training done. Scoring your model on held-out data…", predict: "Predicting the held-out data…",
  score: "Scoring…",
};
let editor;
let starter = "";
let following = null; // {id, source, chart, epochs}
let shownId = null;
let sending = false; // a POST in flight: Ctrl+Enter is refused like the disabled button
let viewing = null; // the earlier submission shown read-only: {id, code}

// ---- notices and saving -------------------------------------------------------------------------------------
function notify(message, kind = "error") {
  ui.notice.hidden = !message;
  ui.notice.className = `notice notice-${kind}`;
  ui.notice.textContent = message || "";
}

let saveTimer = null;
function save(code) {
  ui.saveState.textContent = "Saving…";
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    try {
      drafts.save(code);
      ui.saveState.textContent = "Saved in this browser";
    } catch {
      ui.saveState.textContent = "Not saved: this browser blocks local storage";
    }
    if (viewing) renderDiff();
  }, 300);
}

// ---- another tab on the same lesson saved newer code: say so, and offer it (this tab's draft stays its own) ------
let newerDraft = null;
function offerNewer(draft) {
  newerDraft = draft;
  const time = new Date(draft.saved).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  ui.draftText.textContent = `Another tab has newer code for this lesson (saved at ${time}). This tab keeps its own until you load it.`;
  ui.draftNotice.hidden = false;
}

// ---- the editor (a plain textarea if CodeMirror cannot load) --------------------------------------------------
async function mountEditor() {
  const fallback = $("code-fallback");
  starter = fallback.defaultValue;
  const { code: initial, from } = drafts.initial(starter);
  try {
    const { createEditor } = await import("/static/js/editor.js");
    fallback.parentElement.replaceChildren();
    editor = createEditor($("editor"), initial, { onChange: save, onSubmit: submit, onCheck: runCheck,
      label: "Your code (Python)", describedBy: "editor-hint" });
  } catch (err) {
    console.error("CodeMirror failed to load; using a plain text area", err);
    fallback.value = initial;
    fallback.addEventListener("input", () => save(fallback.value));
    fallback.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); if (e.shiftKey) runCheck(); else submit(); }
    });
    editor = { getCode: () => fallback.value, setCode: (code) => { fallback.value = code; save(code); },
      focus: () => fallback.focus() };
  }
  ui.saveState.textContent = from === "tab" ? "Restored this tab's saved code"
    : from === "other" ? "Restored your latest saved code" : "";
  const newer = from === "tab" ? drafts.newerElsewhere() : null;
  if (newer) offerNewer(newer);
  drafts.onNewer(offerNewer);
}

// ---- submitting and following ---------------------------------------------------------------------------------
// The server refuses a POST without the token of this browser's CSRF cookie; the page carries it in a meta tag.
function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

function setBusy(busy) {
  ui.submit.disabled = busy;
  ui.submit.firstChild.textContent = busy ? "Grading… " : "Submit ";
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && typeof body.detail === "string") return body.detail;
  } catch { /* not JSON */ }
  return `The server answered ${response.status} ${response.statusText}.`;
}

async function submit() {
  if (following || sending) return;
  const code = editor.getCode();
  const size = new TextEncoder().encode(code).length;
  if (size > maxBytes) {
    notify(`Your code is ${size.toLocaleString()} bytes; the limit is ${maxBytes.toLocaleString()} bytes.`);
    return;
  }
  notify("");
  setBusy(true);
  sending = true;
  editor.clearMark?.();
  let response;
  try {
    response = await fetch(`/api/lessons/${encodeURIComponent(slug)}/submissions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ code }),
    });
  } catch {
    sending = false;
    setBusy(false);
    notify("Could not reach the server. Check your connection and submit again; your code is saved.");
    return;
  }
  if (!response.ok) {
    sending = false;
    setBusy(false);
    notify(await errorMessage(response));
    return;
  }
  const created = await response.json();
  sending = false;
  closeViewer();
  follow(created.id, created.position, created.estimate);
  refreshList();
}

// ---- checking: the contract, shapes and a short training on public data; never a submission, never graded -------
let checking = false;
let checkChart = null;
async function runCheck() {
  if (checking) return;
  const code = editor.getCode();
  const size = new TextEncoder().encode(code).length;
  if (size > maxBytes) {
    notify(`Your code is ${size.toLocaleString()} bytes; the limit is ${maxBytes.toLocaleString()} bytes.`);
    return;
  }
  checking = true;
  // aria-disabled, not disabled: a keyboard user who pressed it keeps their focus on it while it runs.
  ui.check.setAttribute("aria-disabled", "true");
  ui.check.textContent = "Checking…";
  if (checkChart) { checkChart.destroy(); checkChart = null; }
  ui.checkResult.replaceChildren();
  ui.checkBox.hidden = false;
  ui.checkBox.scrollIntoView({ block: "nearest" }); // on a phone it is far below the button
  ui.checkStatus.textContent = "Checking: building your model, then a short training on part of the public data…";
  try {
    const response = await fetch(`/api/lessons/${encodeURIComponent(slug)}/checks`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ code }),
    });
    if (!response.ok) {
      ui.checkStatus.textContent = await errorMessage(response);
      return;
    }
    const report = await response.json();
    ui.checkStatus.textContent = report.status === "ok" ? "Check done: nothing to fix." : "Check done: see what to fix.";
    checkChart = renderCheck(ui.checkResult, report);
  } catch {
    ui.checkStatus.textContent = "Could not reach the server. Check again in a moment; your code is saved.";
  } finally {
    checking = false;
    ui.check.removeAttribute("aria-disabled");
    ui.check.textContent = "Check";
  }
}

function resetProgress(epochs) {
  following.epochs = epochs || null;
  ui.liveFigure.hidden = true; // shown with the first epoch: some lessons grade without training
  if (following.chart) following.chart.destroy();
  following.chart = lossChart(ui.liveChart);
  if (epochs) { ui.bar.max = epochs; ui.bar.value = 0; } else { ui.bar.removeAttribute("value"); }
  ui.epochCount.textContent = epochs ? `0 / ${epochs}` : "";
}

function follow(id, position, estimate) {
  stopFollowing();
  setBusy(true);
  following = { id, source: null, chart: null, epochs: null };
  ui.progress.hidden = false;
  ui.report.hidden = true;
  resetProgress(null);
  ui.progressText.textContent = position ? queuedText(position, estimate) : "Submitted…";
  const source = new EventSource(`/api/submissions/${id}/events`);
  following.source = source;
  const on = (name, handler) => source.addEventListener(name, (e) => {
    if (following && following.id === id) handler(JSON.parse(e.data));
  });
  on("queued", (e) => { ui.progressText.textContent = queuedText(e.position, e.estimate); });
  on("started", (e) => {
    resetProgress(null);
    // A later attempt: the grading host that had it stopped, and another one picked it up again from the start.
    ui.progressText.textContent = e.attempt > 1 ? `Grading again on another host (attempt ${e.attempt})…`
      : "Starting a sandbox for your code…";
  });
  on("phase", (e) => {
    if (e.phase === "train" && e.epochs) {
      resetProgress(e.epochs);
      ui.progressText.textContent = `Training: 0 of ${e.epochs} epochs…`;
    } else {
      ui.progressText.textContent = PHASE_TEXT[e.phase] || "Grading…";
      if (e.phase !== "train" && following.epochs) ui.bar.value = ui.bar.max;
    }
  });
  on("epoch", (e) => {
    const total = e.epochs || following.epochs;
    if (total && total !== following.epochs) { following.epochs = total; ui.bar.max = total; }
    ui.bar.value = Math.min(e.epoch, ui.bar.max);
    ui.epochCount.textContent = total ? `${e.epoch} / ${total}` : `${e.epoch}`;
    const loss = typeof e.loss === "number" ? ` — loss ${e.loss.toPrecision(3)}` : "";
    ui.progressText.textContent = `Training: epoch ${e.epoch}${total ? ` of ${total}` : ""}${loss}`;
    ui.liveFigure.hidden = false;
    following.chart.add(e.epoch, e.loss, e.val_loss);
  });
  on("report", (e) => finish(e.submission));
  source.onerror = () => {
    // CONNECTING: the browser retries by itself. CLOSED: the stream was refused; ask once instead.
    if (source.readyState === EventSource.CLOSED) pollOnce(id);
  };
}

/** The server's estimate is from how long recent gradings of these lessons took; say so, and round it. */
function queuedText(position, estimate) {
  const line = position === 1 ? "Queued: you are next." : `Queued: position ${position} in line.`;
  if (!estimate) return line;
  return `${line} Your report in about ${roughly(estimate.until_report_s)} (from recent gradings of this lesson).`;
}

function roughly(seconds) {
  if (seconds < 60) return `${Math.max(5, Math.ceil(seconds / 5) * 5)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

async function pollOnce(id) {
  const response = await fetch(`/api/submissions/${id}`).catch(() => null);
  if (!response || !response.ok) {
    stopFollowing();
    notify(response ? await errorMessage(response) : "Lost contact with the server; reload to see your result.");
    return;
  }
  const submission = await response.json();
  if (["queued", "running"].includes(submission.status)) setTimeout(() => following && follow(id), 2000);
  else finish(submission);
}

function stopFollowing() {
  if (following) {
    if (following.source) following.source.close();
    if (following.chart) following.chart.destroy();
  }
  following = null;
  setBusy(false);
}

function finish(submission) {
  stopFollowing();
  ui.progress.hidden = true;
  show(submission);
  ui.report.focus({ preventScroll: false });
  refreshList();
}

function show(submission) {
  shownId = submission.id;
  renderReport(ui.report, submission);
  if (submission.status === "passed") ui.referenceBox.hidden = false;
  ui.nextLesson.hidden = submission.status !== "passed";
  markSyntaxError(submission);
  markCurrent();
}

// ---- a syntax error marked at its line, while the editor holds the code it was found in -----------------------------
function markSyntaxError(submission) {
  const report = submission.report || {};
  ui.errorLine.hidden = true;
  if (report.failure !== "syntax_error" || typeof submission.code !== "string") return;
  if (submission.code !== editor.getCode() || !editor.markLine) return;
  // Check.line says where; older reports only say it in words ("Syntax error on line 3: ...").
  const checked = (report.checks || []).find((c) => Number.isInteger(c.line));
  const found = checked ? null : /\bline (\d+)/i.exec(String(report.summary || ""));
  if (!checked && !found) return;
  const number = checked ? checked.line : Number(found[1]);
  const first = String(report.summary || "").split("\n")[0];
  ui.errorLine.textContent = `Line ${number} is marked in the editor: ${first}`;
  ui.errorLine.hidden = !editor.markLine(number, first, "error-line");
}

// ---- the reference solution: the server opens it only after one of the learner's submissions passed -------------
async function toggleReference() {
  const open = ui.referenceButton.getAttribute("aria-expanded") === "true";
  if (!open && !ui.referenceCode.textContent) {
    const response = await fetch(`/api/lessons/${encodeURIComponent(slug)}/solution`).catch(() => null);
    if (!response || !response.ok) { notify(response ? await errorMessage(response) : "Could not reach the server."); return; }
    ui.referenceCode.firstElementChild.textContent = await response.text();
  }
  ui.referenceCode.hidden = open;
  ui.referenceButton.setAttribute("aria-expanded", String(!open));
  ui.referenceButton.textContent = open ? "Show the reference solution" : "Hide the reference solution";
}

// ---- the learner's submissions --------------------------------------------------------------------------------
function markCurrent() {
  for (const button of ui.list.querySelectorAll("button[data-id]")) {
    if (Number(button.dataset.id) === shownId) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

// Opening one shows its report and its code read-only, as a diff against the editor; only "Restore" changes the editor.
async function openSubmission(id) {
  const response = await fetch(`/api/submissions/${id}`).catch(() => null);
  if (!response || !response.ok) { notify(response ? await errorMessage(response) : "Could not reach the server."); return; }
  const submission = await response.json();
  notify("");
  viewing = { id, code: submission.code };
  ui.viewerTitle.textContent = `Submission #${id} (read only)`;
  renderDiff();
  ui.viewer.hidden = false;
  if (["queued", "running"].includes(submission.status)) follow(id, submission.position);
  else show(submission);
  ui.viewerTitle.focus();
}

function renderDiff() {
  const rows = lineDiff(editor.getCode(), viewing.code);
  const added = rows.filter((r) => r.op === "+").length, removed = rows.filter((r) => r.op === "-").length;
  ui.viewerSummary.textContent = added || removed
    ? `Against the code in your editor: ${added} line${added === 1 ? "" : "s"} only in #${viewing.id} (+), ${removed} only in your editor (−).`
    : `The same as the code in your editor.`;
  const marks = { " ": ["", "same"], "+": ["+", "added"], "-": ["−", "removed"] };
  ui.viewerDiff.replaceChildren(...rows.map((r) => h("span", { class: `diff-line diff-${marks[r.op][1]}` },
    h("span", { class: "diff-op", "aria-hidden": "true" }, marks[r.op][0] || " "),
    r.op === " " ? null : h("span", { class: "visually-hidden" }, r.op === "+" ? "only in the submission: " : "only in your editor: "),
    `${r.text}\n`)));
}

function closeViewer() {
  viewing = null;
  ui.viewer.hidden = true;
}

function restoreViewed() {
  if (!viewing) return;
  const id = viewing.id;
  editor.setCode(viewing.code); // one transaction: Ctrl+Z in the editor brings the previous code back
  closeViewer();
  notify(`Submission #${id}'s code is in the editor. Press Ctrl+Z in the editor to get your previous code back.`, "info");
  editor.focus();
}

function renderList(items) {
  ui.listEmpty.hidden = items.length > 0;
  if (items.some((s) => s.status === "passed")) ui.referenceBox.hidden = false;
  ui.list.replaceChildren(...items.map((s) => h("li", {},
    h("button", { type: "button", class: "submission", "data-id": s.id, onclick: () => openSubmission(s.id) },
    h("span", { class: "visually-hidden" }, "Open submission: "),
    h("span", { class: `badge badge-${s.status}` }, STATUS_LABELS[s.status] || s.status),
    h("span", { class: "submission-id" }, `#${s.id}`),
    h("span", { class: "submission-score" }, ["queued", "running"].includes(s.status) ? "" : percent(s.score)),
    h("span", { class: "submission-summary" }, s.summary),
    h("time", { datetime: s.created, class: "muted" }, ago(s.created))))));
  markCurrent();
}

async function refreshList() {
  const response = await fetch(listUrl).catch(() => null);
  if (!response || !response.ok) return [];
  const items = await response.json();
  renderList(items);
  if ($("comparison")) refreshComparison($("comparison"));
  return items;
}

// ---- start ----------------------------------------------------------------------------------------------------
async function start() {
  setupSplitter(root, $("splitter"));
  setupHints(slug);
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);
  $("shortcut").textContent = mac ? "⌘ Enter" : "Ctrl+Enter";
  await mountEditor();
  ui.submit.addEventListener("click", submit);
  ui.check.addEventListener("click", runCheck);
  ui.referenceButton.addEventListener("click", toggleReference);
  ui.restore.addEventListener("click", restoreViewed);
  ui.closeViewer.addEventListener("click", closeViewer);
  $("draft-load").addEventListener("click", () => {
    if (newerDraft) editor.setCode(newerDraft.code); // undoable like any other replacement
    ui.draftNotice.hidden = true;
    notify("The other tab's code is in the editor. Press Ctrl+Z in the editor to undo.", "info");
  });
  $("draft-dismiss").addEventListener("click", () => { ui.draftNotice.hidden = true; });
  openDiagrams();
  ui.reset.addEventListener("click", () => {
    editor.setCode(starter);
    notify("The starter code is back. Press Ctrl+Z in the editor to undo.", "info");
    editor.focus();
  });
  // A reload picks up where the learner was: a grading in flight, else the last report.
  const items = await refreshList();
  const latest = items[0];
  if (latest && ["queued", "running"].includes(latest.status)) follow(latest.id);
  else if (latest) {
    const response = await fetch(`/api/submissions/${latest.id}`).catch(() => null);
    if (response && response.ok) show(await response.json());
  }
}

// ---- diagrams: on a phone a tap opens the picture alone, full size, where it can be zoomed ----------------------------
function openDiagrams() {
  for (const img of root.querySelectorAll(".prose img")) {
    if (img.closest("a")) continue;
    const link = h("a", { class: "diagram-link", href: img.currentSrc || img.src, target: "_blank", rel: "noopener" });
    img.replaceWith(link);
    link.append(img, h("span", { class: "visually-hidden" }, " (opens the diagram full size)"));
  }
}

start();
