"""Honest bars: a model that holds the lesson's recurrent layer in name only must not pass.

Each file in cheap/ meets every structural rule of its lesson (the required layer is there, the output shape
is right, the budget is kept) but does the work with a path no recurrent layer is needed for: least squares
on the window, or an order-blind network; the recurrent layer's output is multiplied by a frozen zero. So
only the bar can stop it, and it must: the bar is set against the strongest simple baseline, which already
is such a model. Graded on a private held-out part, as in production.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import GradeReport, HeldoutStore, grade, load_grading
from graders.pool import WorkerPool

REPO = Path(__file__).resolve().parents[2]
CHEAP = Path(__file__).parent / "cheap"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

STRUCTURE = ("contract", "input_shape", "layers", "layer_choice", "output_shape", "return_sequences", "max_params",
             "gradient_clipping")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> HeldoutStore:
    return HeldoutStore(tmp_path_factory.mktemp("private"))


def cheap_report(slug: str, pool: WorkerPool, store: HeldoutStore) -> GradeReport:
    code = (CHEAP / f"{slug}.py").read_text(encoding="utf-8")
    report = grade(load_grading(REPO / "lessons" / slug), code, pool, heldout=store, seed=0)
    print(f"\ncheap {slug}: {report.status.value} score {report.score} {report.metrics} "
          f"bar {[(b.id, b.value) for b in report.baselines if b.bar]}")
    return report


@pytest.mark.parametrize("slug", sorted(p.stem for p in CHEAP.glob("*.py")))
def test_a_recurrent_layer_in_name_only_does_not_pass(pool: WorkerPool, store: HeldoutStore, slug: str) -> None:
    report = cheap_report(slug, pool, store)
    assert report.status.value == "failed", f"{report.status.value}: {report.summary}"
    assert report.heldout == "private"
    structural = [c for c in report.checks if c.id in STRUCTURE]
    dead = any("does not change your model's prediction" in c.message for c in structural)
    # A token layer whose output is thrown away also loses its structure points (graded as absent); one that is
    # wired in but adds nothing passes them, and then the bar alone must stop it.
    assert structural and (dead or all(c.passed for c in structural)), [(c.id, c.message) for c in structural]
    beats = next(c for c in report.checks if c.id == "beats_baseline")
    assert not beats.passed, beats.message
    # The bar is the strongest simple baseline of this held-out draw (on vanishing-gradients the mean, least squares
    # and the order-blind model are within 1 % of each other, so which one it is changes from draw to draw).
    bar = next(b for b in report.baselines if b.bar)
    values = [b.value for b in report.baselines if b.value is not None]
    assert bar.value == (max(values) if report.metric == "accuracy" else min(values)), report.baselines
    assert "To improve:" in beats.message
