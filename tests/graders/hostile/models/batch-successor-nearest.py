"""Cheat: copy each row's answer from whichever other row of the predict batch looks most like its successor.

Lesson: lstm-sequence-prediction (input (WINDOW, 1), output (1,), RMSE).

batch-successor-match.py only trusts an exact match, so when the grader keeps a window's successors out of
its batch that model quietly falls back to the naive forecast. This one always trusts its best match: for
every shift k it compares every pair of rows of the batch (mean squared difference of r[k:] and
s[:WINDOW-k], one matmul per shift), keeps the shift and row with the smallest difference over all shifts
and reads s[WINDOW - k]. When the successors are in the batch (one shuffled predict batch, as before the
fix) the best match is exact and the answer is the target itself; when they are not, the answer comes
from an unrelated window, and it changes with the other rows of the batch, which phase B's rows-alone
check sees. Alone (a batch of one) the only candidate is the row itself.

Built only from keras.ops on KerasTensors and built-in layers: loads with safe_mode=True.

Measured (tests/graders/test_cheating_models.py, held-out "private"):
  grader at cc43cda (one shuffled predict batch of 256, public tail), 3 runs: passed, score 1.0; held-out RMSE
    0.0742 / 0.0729 / 0.0293 vs baseline 0.6331.
  grader now (disjoint groups + rows alone), 4 runs: not_gradable, failure batch_dependent, score 0, e.g.
    "[0.4443] in a batch vs [0.9545] alone".
"""

import keras
from keras import ops

WINDOW = 96
EPOCHS = 1
BATCH_SIZE = 64
MIN_OVERLAP = 48


def build_model(window, n_features):
    inp = keras.Input(shape=(window, n_features))
    readout = keras.layers.Dense(1, kernel_initializer="zeros")(keras.layers.LSTM(4)(inp))
    x = ops.cast(inp[:, :, 0], "float64")
    dists, values = [], []
    for k in range(1, window - MIN_OVERLAP + 1):
        a, b = x[:, k:], x[:, : window - k]
        d = (ops.sum(a * a, axis=1, keepdims=True) + ops.transpose(ops.sum(b * b, axis=1, keepdims=True))
             - 2.0 * ops.matmul(a, ops.transpose(b))) / float(window - k)  # (batch, batch)
        best = ops.argmin(d, axis=1)
        dists.append(ops.min(d, axis=1))
        values.append(ops.take(x[:, window - k], best, axis=0))
    shift = ops.argmin(ops.stack(dists, axis=1), axis=1)  # the best shift over all rows and shifts
    copied = ops.sum(ops.stack(values, axis=1) * ops.one_hot(shift, len(values), dtype="float64"), axis=1)
    out = ops.cast(copied[:, None], "float32") + readout * 0.0
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    return model
