// A line diff (longest common subsequence) between two versions of a learner's code, for the submission view.
const MAX_CELLS = 4_000_000; // beyond this (two ~2000-line files) show both sides whole instead

/** [{op: " " | "-" | "+", text}] turning `before` into `after`, line by line. */
export function lineDiff(before, after) {
  const a = before.split("\n"), b = after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const head = a.slice(0, start).map((text) => ({ op: " ", text }));
  const tail = a.slice(endA).map((text) => ({ op: " ", text }));
  const x = a.slice(start, endA), y = b.slice(start, endB);
  const n = x.length, m = y.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    return [...head, ...x.map((text) => ({ op: "-", text })), ...y.map((text) => ({ op: "+", text })), ...tail];
  }
  // lengths[i][j]: the LCS of x[i..] and y[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = x[i] === y[j] ? lengths[(i + 1) * width + j + 1] + 1
        : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }
  const middle = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { middle.push({ op: " ", text: x[i] }); i++; j++; }
    else if (i < n && (j >= m || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1])) {
      middle.push({ op: "-", text: x[i] }); i++;
    } else { middle.push({ op: "+", text: y[j] }); j++; }
  }
  return [...head, ...middle, ...tail];
}
