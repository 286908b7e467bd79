"""Prepare a series for an RNN: sliding windows, then a scaler that never peeks at the future.

The grader calls each function on small series (some built to catch look-ahead) and compares the
results with a reference implementation.
"""

import numpy as np


def make_windows(series: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into inputs X and targets y.

    Args:
        series:  1-D array of values in time order.
        window:  how many past values each sample sees.
        horizon: how many future values each sample predicts.

    Returns:
        X with shape (n, window, 1): X[i] = series[i : i + window], with a features axis of size 1.
        y with shape (n, horizon):   y[i] = series[i + window : i + window + horizon].
        n = len(series) - window - horizon + 1: every window whose targets still fit in the series.
    """
    X, y = [], []
    # TODO 1: loop over every start index i (how many are there?)
    # TODO 2: append the window series[i : i + window] to X and the next `horizon` values to y
    # TODO 3: convert to arrays and add the features axis to X: shape (n, window, 1)
    raise NotImplementedError("build the windows")


def fit_scaler(train: np.ndarray) -> tuple[float, float]:
    """Return (mean, std) of the training values.

    Use the population standard deviation (np.std's default). If the training values are all equal,
    their std is 0: return 1.0 instead, so that scaling never divides by zero.
    """
    # TODO 4: compute and return the statistics of `train`
    raise NotImplementedError("fit the scaler")


def apply_scaler(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Standardise `values` with the given statistics: (values - mean) / std.

    The statistics come from fit_scaler(train); `values` may be validation or test data.
    """
    # TODO 5: scale with the statistics you are given, never with the statistics of `values`
    return values
