"""Cheat: read each window's next character out of the other windows of the predict batch, matched by content.

Lesson: text-generation (input (WINDOW,) character ids, output a probability for each of the 30 characters).

Phase B cuts the held-out text into windows every few characters, so window s = r + k (k characters later)
holds r's next character at position WINDOW - k. For every shift k with at least MIN_OVERLAP shared
characters the model compares every pair of rows of the batch by content (sum of squared id differences of
r[k:] and s[:WINDOW-k], one matmul per shift on the batch axis), takes the best s (argmin) and, on an exact
match, reads s[WINDOW - k] as r's next character and puts almost all probability on it. Rows without a
match (and most training rows) fall back to a tiny LSTM whose softmax barely trains in one epoch: without
the batch the model is about the unigram baseline.

Built only from keras.ops on KerasTensors and built-in layers: loads with safe_mode=True.

Measured (tests/graders/test_cheating_models.py) on the lesson's earlier corpus (the course's own prose, 85
characters, held-out "public": the tail of corpus.txt), and with its held-out generator now (below):
  grader at cc43cda (one shuffled predict batch of 256), 3 runs: passed, score 1.0; held-out 1.018 / 0.977 /
    1.002 bits/char vs 4.583 for the unigram baseline (accuracy 0.864 / 0.870 / 0.866).
  grader now (disjoint groups + rows alone), 4 runs: failed, score 0.375; 6.259 bits/char vs 4.583 (accuracy
    0.160) every run: no matches, so the one-epoch LSTM(4) fallback, worse than letter frequencies.
  reference solution now: passed, 3.103 bits/char vs 4.583.
  with the held-out generator (a synthetic primer, 30 characters, held-out "private"), 1 run: not gradable
    (batch-dependent): its lines recur whole, so exact matches exist, and the answers change when rows are
    predicted alone. Reference: passed, 0.407-0.418 bits/char vs 0.70-0.73 for the smoothed 5-gram (the bar).
"""

import keras
from keras import ops

WINDOW = 64
EPOCHS = 1
BATCH_SIZE = 256
MIN_OVERLAP = 32  # characters two windows must share before one is trusted to be the other's successor
SURE = 0.98  # probability put on the character read from the successor


def batch_lookup(ids, window, vocab_size):
    """(batch, window) float32 ids -> (distribution, found): the next character read from another row."""
    hits, votes = [], []
    for k in range(1, window - MIN_OVERLAP + 1):
        a = ids[:, k:]
        b = ids[:, : window - k]
        d = (ops.sum(a * a, axis=1, keepdims=True) + ops.transpose(ops.sum(b * b, axis=1, keepdims=True))
             - 2.0 * ops.matmul(a, ops.transpose(b)))  # (batch, batch); ids < 128, so exact in float32
        best = ops.argmin(d, axis=1)
        hit = ops.cast(ops.less(ops.min(d, axis=1), 0.5), "float32")[:, None]
        nxt = ops.cast(ops.take(ids[:, window - k], best, axis=0), "int32")  # s[window - k] is r's next char
        hits.append(hit)
        votes.append(hit * ops.one_hot(nxt, vocab_size))
    n = ops.sum(ops.stack(hits, axis=1), axis=1)  # (batch, 1)
    dist = ops.sum(ops.stack(votes, axis=1), axis=1) / ops.maximum(n, 1.0)
    return dist, ops.minimum(n, 1.0)


def build_model(window, vocab_size):
    inp = keras.Input(shape=(window,), dtype="int32")
    hidden = keras.layers.LSTM(4)(keras.layers.Embedding(vocab_size, 4)(inp))
    fallback = keras.layers.Dense(vocab_size, activation="softmax")(hidden)
    dist, found = batch_lookup(ops.cast(inp, "float32"), window, vocab_size)
    looked_up = SURE * dist + (1.0 - SURE) / vocab_size
    out = found * looked_up + (1.0 - found) * fallback
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
