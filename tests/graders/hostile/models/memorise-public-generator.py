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

Measured (tests/graders/test_cheating_models.py) on the series with the demand-response switch (the bar is the
strongest baseline, least squares on the window):
  private held-out (secret seed), 2 runs: failed, score 0.294 / 0.294; held-out RMSE 1.4311 / 1.5729 vs
    0.7387 / 0.8500 for the bar (ratio 1.94 / 1.85: its fallback repeats the last value, about 1.5 on this
    series), while validation RMSE (public windows) is 0.000002 vs 0.7086: it memorised, and nothing it
    memorised is held out.
  public held-out (tail of series.csv, heldout "public" in the report): held-out RMSE 0.000002 vs 0.7100 (the
    regenerated series is series.csv exactly), but since 283fd08 graded failed, score 0.882: its LSTM is
    multiplied away on every memorised row, so the "a recurrent layer must matter" probe grades it as absent
    (the same at 283fd08 with the earlier, linear series: 0.000003 vs 0.6331, score 0.882).
  reference solution, private held-out: passed, RMSE 0.54-0.62 vs 0.79-0.84 for the bar (25-31 % lower).
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
    """make_series(SEED, steps), rounded like series.csv: level + daily + weekly cycle + AR(1) noise, minus 3 in
    every hour after one that ended above 12.2 (the demand-response switch, applied to the rounded values)."""
    rng = np.random.default_rng(SEED)
    t = np.arange(steps)
    shocks = rng.normal(0.0, 0.3, steps)
    base = 10.0 + 3.0 * np.sin(2 * np.pi * t / 24) + 1.5 * np.sin(2 * np.pi * t / (24 * 7))
    series = np.zeros(steps)
    noise = 0.0
    for i in range(steps):
        cut = 3.0 if i > 0 and series[i - 1] > 12.2 else 0.0
        noise = 0.8 * noise + (shocks[i] if i > 0 else 0.0)
        series[i] = round(float(base[i] + noise - cut), 4)
    return series


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
