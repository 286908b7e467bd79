"""Cheating models: built-in Keras layers and keras.ops only (safe_mode loads them), graded on real lessons.

Each submission in hostile/models/ scored 1.0 on the grader before phase B was batch-isolated (cc43cda: one
shuffled predict batch held a window's successors, so their content gave its target away) or would score 1.0
if the held-out part could be regenerated from the repository. Now none may pass, none may be our 'error',
and a model whose answer for a row depends on the other rows is not gradable (batch_dependent), with a
message in the learner's words. Measured figures are in each model file's docstring; `pytest -s` prints them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import Failure, GradeReport, HeldoutStore, LessonGrading, WorkerPool, grade, load_grading

REPO = Path(__file__).resolve().parents[2]
MODELS = Path(__file__).parent / "hostile" / "models"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

# What an exact-match batch cheat keeps once its successors are out of its batch: before the fix its held-out
# error was 0.01-0.22 x the baseline's (score 1.0); now it is its own fallback (0.98-0.99 x, 1.37 x for text).
NOTHING_GAINED = 0.9


def never_ours(report: GradeReport) -> None:
    """The invariant: nothing a learner submits turns into the grader's own 'error' status."""
    assert report.status.value != "error", f"{report.summary}\n{report.log[-2000:]}"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> HeldoutStore:
    """One server instance: a secret seed made in its private directory, as in production."""
    return HeldoutStore(tmp_path_factory.mktemp("private"))


def lesson(slug: str) -> LessonGrading:
    return load_grading(REPO / "lessons" / slug)


def graded(slug: str, model: str, pool: WorkerPool, heldout: HeldoutStore | None) -> GradeReport:
    code = (MODELS / model).read_text(encoding="utf-8")
    report = grade(lesson(slug), code, pool, heldout=heldout, seed=0)
    never_ours(report)
    print(f"\n{model} on {slug} [{report.heldout}]: {report.status.value}"
          f"{'/' + report.failure.value if report.failure else ''} score {report.score} {report.metrics}")
    return report


def assert_batch_dependent(report: GradeReport) -> None:
    """Not gradable, and told why in the learner's words: what changed, and what to build instead."""
    assert report.status.value == "not_gradable", report.summary
    assert report.failure is Failure.batch_dependent, report.summary
    assert report.score == 0.0
    assert "same batch" in report.summary and "alone" in report.summary
    assert "LSTM, GRU, Dense" in report.summary  # what to do instead
    check = next(c for c in report.checks if c.id == "batch_invariant")
    assert not check.passed and check.message == report.summary


def assert_gained_nothing_from_the_batch(report: GradeReport, error: str, baseline: str) -> None:
    """A cheat that only trusts exact matches finds none once its successors are kept out of its batch: it is
    graded as its fallback (the naive forecast), or, should any row still find one, not gradable."""
    assert report.status.value != "passed", report.metrics
    if report.failure is Failure.batch_dependent:
        assert_batch_dependent(report)
        return
    assert report.status.value == "failed" and report.failure is None, report.summary
    assert report.metrics[error] >= NOTHING_GAINED * report.metrics[baseline], report.metrics
    beats = next(c for c in report.checks if c.id == "beats_baseline")
    assert not beats.passed and beats.title in report.summary  # the summary names the bar it missed


@pytest.mark.parametrize(("slug", "model", "error", "baseline"), [
    ("lstm-sequence-prediction", "batch-successor-match.py", "heldout_rmse", "baseline_rmse"),
    ("rnns-in-practice", "batch-successor-match-horizon.py", "heldout_mae", "baseline_mae"),
    ("text-generation", "batch-successor-match-text.py", "heldout_bits_per_char", "baseline_bits_per_char"),
])
def test_reading_targets_from_successor_rows_finds_none(pool: WorkerPool, store: HeldoutStore, slug: str,
                                                        model: str, error: str, baseline: str) -> None:
    """Content-matching rows (one matmul per shift on the batch axis) read a row's target from a later window."""
    report = graded(slug, model, pool, store)
    # every lesson here draws its held-out part from a secret seed (text-generation's with data/make_corpus.py)
    assert report.heldout == "private"
    assert_gained_nothing_from_the_batch(report, error, baseline)


def test_copying_from_the_closest_row_is_not_gradable(pool: WorkerPool, store: HeldoutStore) -> None:
    """Trusting the best match even when it is not exact: the answer now comes from whichever rows share the
    batch, so it changes when the row is predicted alone."""
    report = graded("lstm-sequence-prediction", "batch-successor-nearest.py", pool, store)
    assert report.heldout == "private"
    assert_batch_dependent(report)


def test_thresholds_from_batch_statistics_are_not_gradable(pool: WorkerPool, store: HeldoutStore) -> None:
    """Classification rows are independent, but z-scoring by the batch's mean and spread makes a row's class
    depend on its batch (alone, a four-way tie); accurate on a big batch, so it passed before."""
    report = graded("many-to-one-gestures", "batch-statistics-classifier.py", pool, store)
    assert report.heldout == "private"
    assert_batch_dependent(report)


def test_batch_dependent_decisions_inside_the_tolerance_gain_nothing(pool: WorkerPool, store: HeldoutStore) -> None:
    """The same batch-dependent classifier with its probabilities squeezed to 0.25 +- 5e-5: the rows-alone
    comparison (allclose in output units) sees the same numbers, but the argmax, which is all accuracy scores,
    is decided by the other rows. Every held-out row is graded from its answer alone, so the batch decides
    nothing: alone every row is a four-way tie (class 0), which is chance, not the 1.0 it scored before."""
    report = graded("many-to-one-gestures", "batch-statistics-within-tolerance.py", pool, store)
    assert report.heldout == "private"
    assert report.status.value != "passed", (
        f"a batch-dependent decision passed: accuracy {report.metrics.get('heldout_accuracy')} while every "
        "row alone is a four-way tie")
    if report.failure is Failure.batch_dependent:
        assert_batch_dependent(report)
        return
    assert report.status.value == "failed" and report.failure is None, report.summary
    assert report.metrics["heldout_accuracy"] <= 0.35, report.metrics  # a quarter of the classes: chance


def test_memorising_the_public_generator_fails_on_a_private_tail(pool: WorkerPool, store: HeldoutStore) -> None:
    """The lesson's generator and seed are public: regenerated past the public file and memorised window by
    window, they reproduce every public window, but not a tail drawn from the server's secret seed."""
    private = graded("lstm-sequence-prediction", "memorise-public-generator.py", pool, store)
    assert private.heldout == "private"
    assert private.status.value == "failed" and private.failure is None, private.summary
    assert private.metrics["validation_rmse"] < 0.01 * private.metrics["validation_baseline_rmse"]  # it memorised
    assert private.metrics["heldout_rmse"] >= NOTHING_GAINED * private.metrics["baseline_rmse"]  # nothing to recall
    assert not next(c for c in private.checks if c.id == "beats_baseline").passed


def test_the_same_memoriser_passes_a_public_tail_which_the_report_flags(pool: WorkerPool) -> None:
    """Contrast: with no store the held-out part is the tail of series.csv, which the memoriser holds. Practice
    only, and every such report says so (heldout == "public")."""
    public = graded("lstm-sequence-prediction", "memorise-public-generator.py", pool, None)
    assert public.heldout == "public"
    assert next(c for c in public.checks if c.id == "beats_baseline").passed  # the held-out score is perfect...
    assert public.metrics["heldout_rmse"] < 0.01 * public.metrics["baseline_rmse"]
    # ... though its LSTM, idle on every memorised row, is graded as absent ("a recurrent layer must matter").
    assert not next(c for c in public.checks if c.id == "layers").passed
