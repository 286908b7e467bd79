"""The simple baselines the bars are set against: fit on training data only, and as strong as they claim to be."""

from __future__ import annotations

import numpy as np
import pytest

from graders import baselines
from graders.report import Baseline
from graders.tasks import bars


def ar2(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(2, n):
        x[t] = 1.2 * x[t - 1] - 0.5 * x[t - 2] + rng.normal(0, 1)
    return x


def test_linear_autoregression_is_the_best_linear_forecast_and_beats_the_last_value() -> None:
    series = ar2(3000)
    origins = np.arange(2500, 3000)
    found = baselines.series_forecasts(series, 2000, origins, window=8, horizon=1)
    truth = baselines.ahead(series, origins, 1)
    linear = np.sqrt(np.mean((found.linear - truth) ** 2))
    last = np.sqrt(np.mean((found.last_value - truth) ** 2))
    assert linear < 1.1 and linear < 0.85 * last  # the innovations have sd 1: nothing linear can do better


def test_baselines_never_see_a_target_after_the_training_part() -> None:
    """Changing every value after train_stop changes the forecasts only through their inputs, never the fit."""
    series = ar2(3000)
    changed = series.copy()
    changed[2000:] = changed[2000:] * 3 + 5
    origins = np.arange(2500, 3000)
    a = baselines.series_forecasts(series, 2000, origins, window=8, horizon=2, seasons=(7,))
    b = baselines.series_forecasts(changed, 2000, origins, window=8, horizon=2, seasons=(7,))
    lagged = baselines.lagged(series, origins, 8)
    weights = np.linalg.lstsq(np.hstack([lagged, np.ones((len(lagged), 1))]), a.linear, rcond=None)[0]
    refit = np.hstack([baselines.lagged(changed, origins, 8), np.ones((len(origins), 1))]) @ weights
    assert np.allclose(refit, b.linear, atol=1e-6)  # same weights, applied to the changed inputs
    assert np.array_equal(a.mean, b.mean)  # the mean is the training part's


def test_seasonal_naive_is_exact_on_a_periodic_series_and_never_looks_ahead() -> None:
    series = np.tile(np.arange(24.0), 20)
    origins = np.arange(300, 400)
    forecast = baselines.seasonal_naive(series, origins, horizon=30, period=24)
    assert np.array_equal(forecast, baselines.ahead(series, origins, 30))
    steps = np.arange(30)
    source = origins[:, None] + steps[None, :] - 24 * (1 + steps[None, :] // 24)
    assert (source < origins[:, None]).all()  # every value used is known at the forecast origin


def test_bag_of_steps_is_blind_to_order_and_flattened_is_not() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 12, 3))
    shuffled = x[:, rng.permutation(12), :]
    assert np.allclose(baselines.bag_of_steps(x), baselines.bag_of_steps(shuffled))
    assert not np.allclose(baselines.flattened(x), baselines.flattened(shuffled))


def test_order_blind_models_cannot_tell_a_sequence_from_its_reverse() -> None:
    """Rising vs falling ramps hold the same steps: the order-blind logistic model is at chance, as designed."""
    rng = np.random.default_rng(2)
    ramps = np.linspace(0, 1, 20)[None, :, None] + rng.normal(0, 0.01, (400, 20, 1))
    y = rng.integers(0, 2, 400)
    x = np.where(y[:, None, None] == 1, ramps[:, ::-1], ramps)
    probs = baselines.logistic_regression(baselines.bag_of_steps(x[:300]), y[:300], baselines.bag_of_steps(x[300:]), 2)
    assert abs(np.mean(probs.argmax(axis=1) == y[300:]) - 0.5) < 0.15
    flat = baselines.logistic_regression(baselines.flattened(x[:300]), y[:300], baselines.flattened(x[300:]), 2)
    assert np.mean(flat.argmax(axis=1) == y[300:]) > 0.95


def test_ngram_is_a_distribution_and_learns_what_follows() -> None:
    ids = np.array([0, 1, 2] * 200 + [0, 1, 3] * 100)
    model = baselines.NGram(ids, vocab=5, order=3)
    probs = model.predict(np.array([[0, 1], [1, 2], [4, 4]]))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert probs[0, 2] > 0.6 and probs[0, 3] > 0.25  # after "0 1": mostly 2, sometimes 3
    assert probs[1, 0] > 0.9  # after "1 2" always 0
    assert (probs > 0).all()  # never certain that something is impossible


def test_the_bar_is_the_named_baseline_or_the_strongest() -> None:
    table = [Baseline(id="mean", title="m", meaning="", value=1.0), Baseline(id="linear", title="l", meaning="",
                                                                               value=0.4)]
    assert bars.resolve("strongest", table, higher_is_better=False).id == "linear"
    assert [b.bar for b in table] == [False, True]
    assert bars.resolve("mean", table, higher_is_better=False).id == "mean"
    assert bars.resolve("strongest", table, higher_is_better=True).id == "mean"
    with pytest.raises(ValueError):
        bars.resolve("seasonal_24", table, higher_is_better=False)


@pytest.mark.parametrize(("fraction", "text"), [(0.003, "0.3 %"), (-0.061, "6.1 %"), (0.24, "24 %"), (0.0, "0.0 %")])
def test_one_way_to_write_a_percentage(fraction: float, text: str) -> None:
    assert bars.percent(fraction) == text
