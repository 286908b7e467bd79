"""make_windows: shapes, values and no look-ahead."""

import numpy as np
import pytest

from graders.windowing import make_windows


def test_windows_have_samples_timesteps_features_shape() -> None:
    x, y = make_windows(np.arange(10.0), window=4)
    assert x.shape == (6, 4, 1) and y.shape == (6, 1)
    assert x[0, :, 0].tolist() == [0, 1, 2, 3] and y[0, 0] == 4
    assert x[-1, :, 0].tolist() == [5, 6, 7, 8] and y[-1, 0] == 9


def test_targets_never_appear_in_their_own_window() -> None:
    series = np.arange(50.0)
    x, y = make_windows(series, window=7, horizon=3)
    assert x.shape == (41, 7, 1) and y.shape == (41, 3)
    assert np.all(x[:, -1, 0] < y[:, 0])  # every input precedes every target


def test_multivariate_series_keeps_features_and_targets_first_column() -> None:
    series = np.stack([np.arange(8.0), -np.arange(8.0)], axis=1)
    x, y = make_windows(series, window=3)
    assert x.shape == (5, 3, 2) and y[:, 0].tolist() == [3, 4, 5, 6, 7]


def test_too_short_series_is_refused_with_the_numbers() -> None:
    with pytest.raises(ValueError, match="too short for window=5"):
        make_windows(np.arange(4.0), window=5)
