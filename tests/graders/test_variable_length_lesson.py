"""variable-length-sentiment through the real grader: the masked reference passes, an unmasked model fails the padding
check (even when its held-out accuracy is perfect), and a bag of words stays below the bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import WorkerPool, grade, load_grading
from graders.report import GradeReport

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "variable-length-sentiment"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
SOLUTION = (LESSON / "solution.py").read_text()
MASKED = "keras.layers.Embedding(vocab_size, 16, mask_zero=True)"


def checks(report: GradeReport) -> dict[str, tuple[bool, str]]:
    return {c.id: (c.passed, c.message) for c in report.checks}


def test_the_reference_masks_the_padding_and_passes(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), SOLUTION, pool)
    assert report.status.value == "passed", report.summary
    assert checks(report)["padding_invariant"][0]
    assert report.metrics["heldout_accuracy"] >= 0.9 > 0.6 > report.metrics["baseline_accuracy"]


def test_the_starter_fails_the_padding_check_and_is_told_to_mask(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), (LESSON / "starter.py").read_text(), pool)
    assert report.status.value == "failed"
    passed, message = checks(report)["padding_invariant"]
    assert not passed and "mask_zero=True" in message and "other predictions" in message


def test_an_unmasked_gru_that_scores_well_still_fails_the_padding_check(pool: WorkerPool) -> None:
    """Held-out reviews are padded like the training ones, so accuracy cannot see the padding: the check does."""
    code = SOLUTION.replace(MASKED, "keras.layers.Embedding(vocab_size, 16)").replace("LSTM(24)", "GRU(24)")
    assert code != SOLUTION
    report = grade(load_grading(LESSON), code, pool)
    assert report.status.value == "failed"
    assert not checks(report)["padding_invariant"][0]


def test_a_bag_of_words_model_stays_below_the_bar(pool: WorkerPool) -> None:
    """Averaging the masked word vectors keeps which words occur, not their order: no better than the bag of words."""
    code = SOLUTION.replace("keras.layers.LSTM(24),", "keras.layers.GlobalAveragePooling1D(),")
    assert code != SOLUTION
    report = grade(load_grading(LESSON), code, pool)
    assert not checks(report)["beats_baseline"][0]
    assert {b.id for b in report.baselines} == {"majority", "bag_of_words"}
    assert report.metrics["heldout_accuracy"] < 0.7
    assert checks(report)["padding_invariant"][0]  # masked: the padding is not what it gets wrong
