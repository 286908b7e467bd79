"""Sliding windows over a series: the (samples, timesteps, features) shape every RNN lesson uses. NumPy only."""

from __future__ import annotations

import numpy as np


def make_windows(series: np.ndarray, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """X[i] = series[i : i+window], y[i] = first feature of series[i+window : i+window+horizon].

    A 1-D series gets a features axis, so X is always (samples, window, features).
    """
    values = np.asarray(series)
    if not np.issubdtype(values.dtype, np.integer):  # token ids stay integers; everything else is float32
        values = values.astype("float32")
    if values.ndim == 1:
        values = values[:, None]
    count = len(values) - window - horizon + 1
    if window < 1 or horizon < 1:
        raise ValueError("window and horizon must be at least 1")
    if count < 1:
        raise ValueError(f"a series of {len(values)} steps is too short for window={window}, horizon={horizon}")
    index = np.arange(window)[None, :] + np.arange(count)[:, None]
    targets = np.arange(horizon)[None, :] + np.arange(window, window + count)[:, None]
    return values[index], values[targets, 0]
