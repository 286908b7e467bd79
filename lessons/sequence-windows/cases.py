"""Test cases for make_windows, fit_scaler and apply_scaler. NumPy only: this file runs inside the sandbox.

The grader calls the learner's function and solution.py's with the same args and compares the results
(shapes first, then values). Each check's cases are built so that one kind of mistake shows.
"""

from __future__ import annotations

import numpy as np


def _windows(check: str, title: str, hint: str, series: np.ndarray, window: int, horizon: int) -> dict:
    return {"check": check, "title": title, "function": "make_windows", "args": [series, window, horizon], "hint": hint}


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    title = "X is (samples, window, 1) and y is (samples, horizon)"
    hint = (
        "A series of L values gives n = L - window - horizon + 1 windows. X needs a features axis: "
        "np.array(windows)[:, :, None] turns (n, window) into (n, window, 1); y stays (n, horizon)."
    )
    for length, window, horizon in [(20, 4, 1), (50, 10, 3), (12, 5, 2)]:
        # A constant series: every correctly shaped answer has the right values, so only shapes are tested here.
        cases.append(_windows("shapes", title, hint, np.full(length, 2.5), window, horizon))

    title = "Windows hold consecutive values in time order"
    hint = (
        "X[i] is series[i : i + window] (the slice end is exclusive) and y[i] is the value right after "
        "it. Try a series like np.arange(10.0): X[0] should be [0, 1, 2] and y[0] [3] for window 3."
    )
    cases.append(_windows("values", title, hint, np.arange(10.0), 3, 1))
    cases.append(_windows("values", title, hint, rng.normal(size=30).round(2), 6, 1))

    title = "No window contains its own target (no look-ahead)"
    hint = (
        "Each window must end before its target: X[i] = series[i:i+window], "
        "y[i] = series[i+window:i+window+horizon]. A window that includes series[i+window] lets the "
        "model copy the answer."
    )
    for window in (5, 8):
        spiked = np.zeros(window + 6)
        spiked[window] = 100.0  # the first target: it must appear in y[0] and in no earlier window
        cases.append(_windows("no_lookahead", title, hint, spiked, window, 1))

    title = "Multi-step targets: y[i] holds the next horizon values"
    hint = (
        "With horizon h, y[i] = series[i + window : i + window + h], and the last window must leave room "
        "for all h targets: there are len(series) - window - h + 1 windows."
    )
    cases.append(_windows("horizon", title, hint, np.arange(15.0), 4, 3))
    cases.append(_windows("horizon", title, hint, np.arange(10.0), 6, 4))  # exactly one window fits

    title = "fit_scaler returns the training mean and standard deviation"
    hint = (
        "Return (np.mean(train), np.std(train)): the population std, np.std's default (ddof=0), "
        "not the sample std (ddof=1)."
    )
    for size, loc, scale in [(40, 5.0, 2.0), (7, -3.0, 0.5)]:
        cases.append(
            {
                "check": "scaler_stats",
                "title": title,
                "function": "fit_scaler",
                "args": [rng.normal(loc, scale, size)],
                "hint": hint,
            }
        )

    title = "Scaling uses the training statistics, even on later data"
    hint = (
        "apply_scaler must use the mean and std it is given, not recompute them from `values`. Test data "
        "scaled with its own statistics looks 'normal' even when the level has shifted: that hides the "
        "shift from the model and leaks information from the future."
    )
    train = rng.normal(10.0, 1.0, 50)
    test = rng.normal(25.0, 3.0, 20)  # a very different level: scaled correctly it sits far from 0
    mean, std = float(np.mean(train)), float(np.std(train))
    cases.append(
        {"check": "train_only", "title": title, "function": "apply_scaler", "args": [test, mean, std], "hint": hint}
    )
    cases.append(
        {"check": "train_only", "title": title, "function": "apply_scaler", "args": [train, mean, std], "hint": hint}
    )

    title = "A constant training part does not divide by zero"
    hint = (
        "If every training value is the same, np.std is 0 and (values - mean) / 0 gives inf or NaN. "
        "Return std = 1.0 in that case."
    )
    cases.append(
        {"check": "constant", "title": title, "function": "fit_scaler", "args": [np.full(12, 4.0)], "hint": hint}
    )
    return cases
