"""Cheat: read each row's answer out of the other rows of the predict batch, matched by content.

Lesson: lstm-sequence-prediction (input (WINDOW, 1), output (1,), RMSE).

Consecutive windows of a series overlap: row s = r + k (k steps later) holds r's target at position
WINDOW - k. The rows are shuffled, so a fixed neighbour (keras.ops.roll) reads noise, but content does not
move: for every shift k with at least MIN_OVERLAP overlapping steps this model computes, for every pair
of rows (r, s) of the batch, the mean squared difference between r[k:] and s[:WINDOW-k] (one matmul per
shift, on the batch axis), takes the best s (argmin) and, when the match is exact, reads s[WINDOW - k].
With WINDOW = 96 there are 48 rows that can give a row its answer, so in a batch of 256 shuffled rows
almost every row finds one. Rows without a match (and training batches, where few successors meet) fall
back to "repeat the last value" plus a zero-initialised LSTM read-out, which trains to almost nothing:
without the batch the model is the naive baseline, so it cannot pass honestly.

Everything is built-in: keras.ops on KerasTensors become operation nodes of the functional graph, which
save and load with safe_mode=True (no Lambda, no custom class).

Measured (RMSE in the series' units; the baseline is "repeat the last value"):
  grader at cc43cda (before the fix: one shuffled predict batch of 256, held-out = tail of series.csv), 3 runs:
    passed, score 1.0; held-out RMSE 0.0552 / 0.0646 / 0.0803 vs baseline 0.6331 (ratio 0.087 / 0.102 / 0.127),
    validation RMSE 0.0.
  grader now (rows whose spans overlap never share a batch, 16 rows predicted alone, private held-out tail),
  3 runs: failed, score 0.466 / 0.466 / 0.468; held-out RMSE 0.6179 / 0.6190 / 0.6171 vs baseline
    0.6294 / 0.6306 / 0.6290 (ratio 0.982 / 0.982 / 0.981): no row finds its successor, the model is its
    fallback. Not batch-dependent (it never finds a match, batched or alone).
  reference solution now, same private tail: passed, RMSE 0.3531 vs 0.6294 (ratio 0.561).
"""

import keras
from keras import ops

WINDOW = 96
EPOCHS = 1
BATCH_SIZE = 64
MIN_OVERLAP = 48  # steps two windows must share before one is trusted to be the other's successor
EXACT = 1e-9  # mean squared difference of an exact match (float64 round-off only)


def batch_lookup(x, window):
    """(batch, window) float64 -> (answer, found): answer[r] read from another row of the batch."""
    hits, answers = [], []
    for k in range(1, window - MIN_OVERLAP + 1):
        a = x[:, k:]  # row r from step k on ...
        b = x[:, : window - k]  # ... against the first window-k steps of every row s
        d = (ops.sum(a * a, axis=1, keepdims=True) + ops.transpose(ops.sum(b * b, axis=1, keepdims=True))
             - 2.0 * ops.matmul(a, ops.transpose(b))) / float(window - k)  # (batch, batch)
        best = ops.argmin(d, axis=1)
        hit = ops.cast(ops.less(ops.min(d, axis=1), EXACT), "float64")
        hits.append(hit)
        answers.append(hit * ops.take(x[:, window - k], best, axis=0))  # s[window - k] is r's target
    n = ops.sum(ops.stack(hits, axis=1), axis=1, keepdims=True)
    answer = ops.sum(ops.stack(answers, axis=1), axis=1, keepdims=True) / ops.maximum(n, 1.0)
    return answer, ops.minimum(n, 1.0)


def build_model(window, n_features):
    inp = keras.Input(shape=(window, n_features))
    readout = keras.layers.Dense(1, kernel_initializer="zeros")(keras.layers.LSTM(4)(inp))
    fallback = keras.layers.Add()([inp[:, -1, :], readout])  # naive forecast (+ ~0)
    answer, found = batch_lookup(ops.cast(inp[:, :, 0], "float64"), window)
    out = found * answer + (1.0 - found) * ops.cast(fallback, "float64")
    model = keras.Model(inp, ops.cast(out, "float32"))
    model.compile(optimizer="adam", loss="mse")
    return model
