// The instructor's lesson page: while a regrade runs, poll its progress and update the count and the bar.
const box = document.getElementById("regrade");
const POLL_MS = 2000;

async function poll() {
  const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const regrade = await response.json();
  document.getElementById("regrade-done").textContent = String(regrade.done);
  const bar = document.getElementById("regrade-progress");
  if (bar) bar.value = regrade.total ? regrade.done : 1;
  if (regrade.running) {
    setTimeout(poll, POLL_MS);
  } else {
    window.location.reload(); // the summaries and the regrade button reflect the new reports
  }
}

if (box && box.dataset.url && box.dataset.running === "true") setTimeout(poll, POLL_MS);
