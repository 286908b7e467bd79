"""Cheat: regenerate the lesson's series from its public seed, past the end of the public file, and look windows up.

Lesson: lstm-sequence-prediction (input (WINDOW, 1), output (1,), RMSE).

The repository holds the generator of series.csv (lessons/lstm-sequence-prediction/data/make_series.py) and
its seed. A submission cannot import lesson files, so build_model() re-implements the generator's arithmetic
inline and runs it for EXTRA steps beyond the 2,000 public ones with the public SEED. Every window of that
longer series becomes a row of a frozen Dense kernel, stored standardised (its own mean and spread removed),
and an Embedding holds each window's next value in the same units. At predict time the input window is
standardised the same way (so the grader's scaling does not matter), the kernel gives its correlation with
every memorised window, and on a near-perfect correlation the model returns the memorised next value,
rescaled to the input's units. Otherwise it falls back to "repeat the last value" plus a zero-initialised
LSTM read-out: without a memorised window it is the naive baseline. No row depends on any other row.

When the held-out part is the tail of series.csv (held-out mode "public") every held-out window is memorised
and the score is perfect. With a private held-out tail (a continuation drawn from the server's secret seed)
the memorised continuation from the public seed is just another possible future: nothing matches past the
first held-out window and the model is the naive baseline, so it fails.

Measured (tests/graders/test_cheating_models.py):
  private held-out (secret seed), 4 runs: failed, score 0.414 / 0.414 / 0.412 / 0.412; held-out RMSE
    0.6290 / 0.6358 / 0.6307 / 0.6293 vs baseline 0.6294 / 0.6362 / 0.6306 / 0.6290 (ratio 0.999-1.000),
    while validation RMSE (public windows) is 0.000003 vs 0.627: it memorised, and nothing it memorised
    is held out. One held-out row matches (the first, whose window is all public).
  public held-out (tail of series.csv, heldout "public" in the report), 3 runs: passed, score 1.0, held-out
    RMSE 0.000003 vs 0.6331.
  reference solution, private held-out: passed, RMSE 0.3531 vs 0.6294.
"""

import keras
import numpy as np
from keras import ops

WINDOW = 24
EPOCHS = 1
BATCH_SIZE = 64
SEED = 20261121  # make_series.py's public seed
PUBLIC_STEPS = 2000  # rows of series.csv
EXTRA = 500  # steps regenerated past the public file (the grader's private tail is 20 % of the whole)
MATCH = 1.0 - 1e-5  # correlation of a memorised window with itself, up to float32 and the CSV's rounding


def regenerate(steps):
    """make_series(SEED, steps), rounded like series.csv: level + daily + weekly cycle + AR(1) noise."""
    rng = np.random.default_rng(SEED)
    t = np.arange(steps)
    shocks = rng.normal(0.0, 0.3, steps)
    noise = np.zeros(steps)
    for i in range(1, steps):
        noise[i] = 0.8 * noise[i - 1] + shocks[i]
    series = 10.0 + 3.0 * np.sin(2 * np.pi * t / 24) + 1.5 * np.sin(2 * np.pi * t / (24 * 7)) + noise
    return np.round(series, 4)


def memory(window):
    """Standardised windows (n, window) and each one's next value in the same standardised units (n, 1)."""
    series = regenerate(PUBLIC_STEPS + EXTRA)
    index = np.arange(window)[None, :] + np.arange(len(series) - window)[:, None]
    windows = series[index]
    mean, spread = windows.mean(axis=1, keepdims=True), windows.std(axis=1, keepdims=True)
    following = series[window:, None]
    return ((windows - mean) / spread).astype("float32"), ((following - mean) / spread).astype("float32")


def build_model(window, n_features):
    windows, following = memory(window)
    inp = keras.Input(shape=(window, n_features))
    x = inp[:, :, 0]
    mean = ops.mean(x, axis=1, keepdims=True)
    spread = ops.std(x, axis=1, keepdims=True) + 1e-6
    # The tables travel as initializers: phase B rebuilds every weight from the config, so set_weights() here
    # would be lost; an array-valued Constant is rebuilt as it is.
    correlate = keras.layers.Dense(len(windows), use_bias=False, trainable=False, name="memorised_windows",
                                   kernel_initializer=keras.initializers.Constant(windows.T))
    corr = correlate((x - mean) / spread) / float(window)  # (batch, n): 1.0 for a memorised window
    best = ops.argmax(corr, axis=1)
    found = ops.cast(ops.greater(ops.max(corr, axis=1, keepdims=True), MATCH), "float32")
    recall = keras.layers.Embedding(len(windows), 1, trainable=False, name="memorised_next",
                                    embeddings_initializer=keras.initializers.Constant(following))
    remembered = recall(best)  # (batch, 1)
    answer = remembered * spread + mean
    fallback = keras.layers.Add()([inp[:, -1, :], keras.layers.Dense(1, kernel_initializer="zeros")(
        keras.layers.LSTM(4)(inp))])
    out = found * answer + (1.0 - found) * fallback
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    return model
