// Lesson page furniture: the resizable split between the panels, and hints revealed one at a time.
const MIN = 25, MAX = 75;

function store(key, value) {
  try { localStorage.setItem(key, String(value)); } catch { /* private mode: not remembered, still works */ }
}
function load(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

/** Drag (mouse, touch, pen) or arrow keys move the divider; the position is remembered. */
export function setupSplitter(root, splitter) {
  const key = "rnnlab:v1:split";
  const apply = (pct) => {
    const value = Math.min(MAX, Math.max(MIN, pct));
    root.style.setProperty("--left", `${value}%`);
    splitter.setAttribute("aria-valuenow", String(Math.round(value)));
    return value;
  };
  let current = apply(Number(load(key)) || 50);
  splitter.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    splitter.setPointerCapture(event.pointerId);
    root.classList.add("dragging");
    const box = root.getBoundingClientRect();
    const move = (e) => { current = apply(((e.clientX - box.left) / box.width) * 100); };
    const up = () => {
      splitter.removeEventListener("pointermove", move);
      root.classList.remove("dragging");
      store(key, current);
    };
    splitter.addEventListener("pointermove", move);
    splitter.addEventListener("pointerup", up, { once: true });
    splitter.addEventListener("pointercancel", up, { once: true });
  });
  splitter.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: -5, ArrowRight: 5, Home: MIN - current, End: MAX - current }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    current = apply(current + step);
    store(key, current);
  });
}

/** "Show hint k of n" reveals the next hint; how many were shown is remembered per lesson. */
export function setupHints(slug) {
  const section = document.getElementById("hints");
  if (!section) return;
  const items = [...section.querySelectorAll("#hint-list > li")];
  const button = document.getElementById("hint-next");
  const key = `rnnlab:v1:hints:${slug}`;
  let shown = 0;
  // The list is aria-live: a revealed hint is read out while focus stays on the button for the next one.
  const show = (count) => {
    shown = Math.min(items.length, count);
    items.forEach((li, i) => { li.hidden = i >= shown; });
    if (shown >= items.length) {
      // aria-disabled, not disabled: a disabled button drops keyboard focus to the page's top.
      button.setAttribute("aria-disabled", "true");
      button.textContent = "All hints shown";
    } else {
      button.textContent = `Show hint ${shown + 1} of ${items.length}`;
    }
  };
  show(Number(load(key)) || 0);
  button.addEventListener("click", () => {
    if (shown >= items.length) return;
    show(shown + 1);
    store(key, shown);
  });
}
