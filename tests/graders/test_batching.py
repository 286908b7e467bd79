"""Phase B's batches: overlapping rows never share a forward pass, and a row's answer must not depend on its batch."""

from __future__ import annotations

import numpy as np
import pytest

from graders.batching import (
    ALONE_LIMIT,
    ALONE_SAMPLE,
    BatchDependence,
    BatchPlan,
    EvalRows,
    MalformedPredictions,
    disjoint_groups,
    rows_overlap,
)
from graders.windowing import make_windows


def plan_for_series(window: int, horizon: int, n: int = 300) -> tuple[BatchPlan, np.ndarray]:
    series = np.arange(n, dtype="float64")
    x, _ = make_windows(series, window, horizon)
    first = np.arange(len(x))
    spans = np.stack([first, first + window + horizon], axis=1)
    half = len(x) // 2
    rows = EvalRows(parts={"validation": x[:half], "heldout": x[half:]},
                    spans={"validation": spans[:half], "heldout": spans[half:]})
    return BatchPlan.build(rows), x


@pytest.mark.parametrize(("window", "horizon"), [(4, 1), (24, 1), (24, 6), (96, 6), (1, 1)])
def test_no_forward_pass_holds_two_rows_that_share_a_value(window: int, horizon: int) -> None:
    """The invariant, for every task shape: rows in one group cover disjoint stretches of the series
    (targets included), so no row can read another row's answer."""
    plan, x = plan_for_series(window, horizon)
    bounds = np.cumsum([0, *plan.groups])
    for g in range(len(plan.groups)):
        group = plan.order[bounds[g]:bounds[g + 1]]
        starts = np.sort(group)
        assert np.all(np.diff(starts) >= window + horizon), "two overlapping rows share a forward pass"
    assert sorted(plan.order.tolist()) == list(range(len(x)))
    assert len(plan.groups) == window + horizon  # as few passes as the overlap allows (the deepest overlap)


def test_shuffle_is_secret_and_restore_puts_rows_back() -> None:
    plan, x = plan_for_series(24, 1)
    other, _ = plan_for_series(24, 1)
    assert not np.array_equal(plan.order, other.order)
    batched = plan.rows[:, -1, :1].astype("float64")  # a model that answers the last input of its own row
    alone = batched[plan.alone]
    restored = plan.restore(batched, alone, (1,))
    assert np.array_equal(np.concatenate([restored["validation"], restored["heldout"]]), x[:, -1, :1])


def test_an_answer_that_changes_with_the_batch_is_caught() -> None:
    plan, _ = plan_for_series(24, 1)
    batched = plan.rows[:, -1, :1].astype("float64")
    alone = batched[plan.alone] + 0.5  # alone, the row got a different answer: it had been reading its neighbours
    with pytest.raises(BatchDependence):
        plan.restore(batched, alone, (1,))


def test_tiny_float_noise_between_batch_sizes_is_tolerated() -> None:
    plan, _ = plan_for_series(24, 1)
    batched = plan.rows[:, -1, :1].astype("float64")
    plan.restore(batched, batched[plan.alone] * (1 + 1e-6), (1,))


@pytest.mark.parametrize("shape", [(5, 1), (0, 1)])
def test_wrong_row_counts_are_malformed(shape: tuple[int, ...]) -> None:
    plan, _ = plan_for_series(24, 1)
    with pytest.raises(MalformedPredictions):
        plan.restore(np.zeros(shape), np.zeros((len(plan.alone), 1)), (1,))


def test_every_heldout_row_is_predicted_alone_and_graded_from_that() -> None:
    plan, x = plan_for_series(24, 1)
    alone_rows = np.sort(plan.order[plan.alone])
    assert np.array_equal(alone_rows, np.arange(plan.sizes[0], len(x)))  # all held-out rows, no validation row
    batched = x[plan.order][:, -1, :1].astype("float64")
    # A nudge inside the tolerance (what flips an argmax) never reaches the graded answer: alone is used.
    alone = batched[plan.alone] + 5e-5
    restored = plan.restore(batched, alone, (1,))
    assert np.allclose(restored["heldout"], x[plan.sizes[0]:, -1, :1].astype("float64") + 5e-5, rtol=0, atol=1e-9)
    assert np.array_equal(restored["validation"], x[:plan.sizes[0], -1, :1])


def test_a_large_heldout_part_is_sampled_secretly() -> None:
    n = ALONE_LIMIT * 3
    rows = EvalRows(parts={"validation": np.zeros((10, 2)), "heldout": np.arange(n * 2.0).reshape(n, 2)})
    first, second = BatchPlan.build(rows), BatchPlan.build(rows)
    assert len(first.alone) == ALONE_SAMPLE and (first.order[first.alone] >= 10).all()
    assert set(first.order[first.alone]) != set(second.order[second.alone])


def test_disjoint_groups_is_interval_partitioning() -> None:
    spans = np.array([[0, 5], [1, 3], [3, 6], [5, 9], [6, 7]])
    groups = disjoint_groups(spans)
    assert len(groups) == 2  # the deepest overlap is 2 ([0,5] with [1,3], then with [3,6])
    for group in groups:
        ordered = sorted(spans[group].tolist())
        assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:], strict=False))


def test_rows_cut_from_one_series_are_detected() -> None:
    rng = np.random.default_rng(0)
    windows, _ = make_windows(rng.normal(size=500), 20)
    assert rows_overlap(windows)
    independent = rng.normal(size=(300, 20, 2)).astype("float32")
    assert not rows_overlap(independent)
    padded = np.zeros((50, 20, 1), dtype="float32")
    padded[:, 15:, 0] = rng.normal(size=(50, 5))
    assert not rows_overlap(padded)  # shared padding is not shared data
