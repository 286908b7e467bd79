"""Reference solution: sliding windows without look-ahead, and a scaler fitted on the training part only."""

import numpy as np


def make_windows(series: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into inputs X (n, window, 1) and targets y (n, horizon).

    X[i] = series[i : i + window] and y[i] = series[i + window : i + window + horizon],
    for every i where the target still fits: n = len(series) - window - horizon + 1.
    """
    series = np.asarray(series, dtype="float64")
    n = len(series) - window - horizon + 1
    X = np.stack([series[i : i + window] for i in range(n)])[:, :, None]
    y = np.stack([series[i + window : i + window + horizon] for i in range(n)])
    return X, y


def fit_scaler(train: np.ndarray) -> tuple[float, float]:
    """Mean and (population) standard deviation of the training values; a constant part gets std 1.0."""
    mean = float(np.mean(train))
    std = float(np.std(train))
    return mean, (std if std > 0 else 1.0)


def apply_scaler(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Standardise values with statistics that were fitted elsewhere (on the training part)."""
    return (np.asarray(values, dtype="float64") - mean) / std
