"""Prepare a series for an RNN: sliding windows, then a scaler that never peeks at the future.

The grader calls each function on small series (some built to catch look-ahead) and compares the
results with a reference implementation.

As written, all three functions run and return results of the right shapes, but each has one of the
classic data-preparation bugs from the lesson. Submit once and read which checks fail, then fix the TODOs.
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
    series = np.asarray(series, dtype="float64")
    n = len(series) - window - horizon + 1
    X, y = [], []
    for i in range(n):
        X.append(series[i : i + window])
        # TODO 1: off by one. This target starts at the window's *last* value, so the first target is
        #         already inside the input: the model can copy it (look-ahead). Where must the target start
        #         so that it comes strictly after the window?
        y.append(series[i + window - 1 : i + window - 1 + horizon])
    return np.array(X)[:, :, None], np.array(y)


def fit_scaler(train: np.ndarray) -> tuple[float, float]:
    """Return (mean, std) of the training values.

    Use the population standard deviation (np.std's default). If the training values are all equal,
    their std is 0: return 1.0 instead, so that scaling never divides by zero.
    """
    # TODO 2: a constant training part has std 0, and dividing by it later gives inf or NaN.
    #         Guard against that case as the docstring says.
    return float(np.mean(train)), float(np.std(train))


def apply_scaler(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Standardise `values` with the given statistics: (values - mean) / std.

    The statistics come from fit_scaler(train); `values` may be validation or test data.
    """
    values = np.asarray(values, dtype="float64")
    # TODO 3: this re-fits the scaler on `values` and ignores the `mean` and `std` it was given. On test data
    #         that hides a change of level from the model and uses statistics of the future. Use the arguments.
    return (values - values.mean()) / values.std()
