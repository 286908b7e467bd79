"""Cheat: read all six answers of each row out of the other rows of the predict batch, matched by content.

Lesson: rnns-in-practice (input (WINDOW, 1), output (6,), MAE, horizon 6).

Row s = r + k (k steps later) holds r's target h steps ahead (h = 0..5) at position WINDOW - k + h whenever
k > h. For every shift k with at least MIN_OVERLAP overlapping steps the model compares every pair of rows
of the batch by content (mean squared difference of r[k:] and s[:WINDOW-k], one matmul per shift on the
batch axis), takes the best s (argmin) and, on an exact match, reads s[WINDOW-k+h] for each h < k. The six
outputs are filled independently from whichever shifts matched. Rows without a match, and training
batches, fall back to the naive "the next six hours all equal the current hour" plus a zero-initialised
GRU read-out that hardly trains: without the batch the model is the naive baseline.

Built only from keras.ops on KerasTensors (operation nodes of the functional graph): loads with
safe_mode=True.

Measured (MAE in rentals; the baseline is "the next six hours all equal the current hour"):
  grader at cc43cda (before the fix: one shuffled predict batch of 256, held-out = tail of rentals.csv), 3 runs:
    passed, score 1.0; held-out MAE 0.363 / 0.470 / 0.381 vs baseline 27.35 (ratio 0.013 / 0.017 / 0.014).
  grader now (disjoint groups + rows alone, private held-out tail), 4 runs: failed, score 0.384 each;
    held-out MAE 30.03 / 28.11 / 26.87 / 29.10 vs baseline 30.31 / 28.37 / 27.12 / 29.37 (ratio 0.991):
    the naive fallback. Not batch-dependent.
  reference solution now, private tail: passed, MAE 7.95 vs 30.31 (ratio 0.262).
  (All of the above on the earlier rentals data with "last value" as the bar. Since 77ba521 the data has rain
  and temperature and the bar is the strongest baseline: one run, MAE 43.07 vs bar 19.26, failed.)
"""

import keras
from keras import ops

WINDOW = 96
EPOCHS = 1
BATCH_SIZE = 64
HORIZON = 6
MIN_OVERLAP = 72  # steps two windows must share (shifts 1..24) before one is trusted to be the other's successor
EXACT = 1e-9  # mean squared difference of an exact match (float64 round-off only)


def batch_lookup(x, window):
    """(batch, window) float64 -> (answers, found), each (batch, HORIZON), read from other rows of the batch."""
    hits = [[] for _ in range(HORIZON)]
    answers = [[] for _ in range(HORIZON)]
    for k in range(1, window - MIN_OVERLAP + 1):
        a = x[:, k:]
        b = x[:, : window - k]
        d = (ops.sum(a * a, axis=1, keepdims=True) + ops.transpose(ops.sum(b * b, axis=1, keepdims=True))
             - 2.0 * ops.matmul(a, ops.transpose(b))) / float(window - k)  # (batch, batch)
        best = ops.argmin(d, axis=1)
        hit = ops.cast(ops.less(ops.min(d, axis=1), EXACT), "float64")
        for h in range(min(k, HORIZON)):  # s[window - k + h] is r's target h steps ahead
            hits[h].append(hit)
            answers[h].append(hit * ops.take(x[:, window - k + h], best, axis=0))
    n = ops.stack([ops.sum(ops.stack(hs, axis=1), axis=1) for hs in hits], axis=1)
    total = ops.stack([ops.sum(ops.stack(vs, axis=1), axis=1) for vs in answers], axis=1)
    return total / ops.maximum(n, 1.0), ops.minimum(n, 1.0)


def build_model(window, n_features):
    inp = keras.Input(shape=(window, n_features))
    readout = keras.layers.Dense(HORIZON, kernel_initializer="zeros")(keras.layers.GRU(4)(inp))
    naive = keras.layers.Concatenate()([inp[:, -1, :]] * HORIZON)  # "all six equal the current hour"
    fallback = keras.layers.Add()([naive, readout])
    answer, found = batch_lookup(ops.cast(inp[:, :, 0], "float64"), window)
    out = found * answer + (1.0 - found) * ops.cast(fallback, "float64")
    model = keras.Model(inp, ops.cast(out, "float32"))
    model.compile(optimizer="adam", loss="mse")
    return model
