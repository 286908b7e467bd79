"""Each task type end to end on a tiny fixture lesson (tests/graders/lessons/): right answers pass, typical mistakes teach."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import WorkerPool, grade, load_grading

LESSONS = Path(__file__).parent / "lessons"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def failing(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.id: c.message for c in report.checks if not c.passed and not c.skipped}


def test_function_cases_pass_with_the_reference(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "scale-function")
    report = grade(lesson, (lesson.folder / "solution.py").read_text(), pool)
    assert report.status.value == "passed", report.summary
    assert {c.id for c in report.checks} == {"values", "shapes"} and report.score == 1.0


@pytest.mark.parametrize(
    ("name", "check", "words"),
    [
        ("leaky.py", "values", "training part only"),
        ("flattens.py", "shapes", "returned shape (6,), expected (2, 3)"),
        ("raises.py", "values", "NotImplementedError"),
    ],
)
def test_function_case_mistakes_name_the_check_and_teach(pool: WorkerPool, name: str, check: str, words: str) -> None:
    lesson = load_grading(LESSONS / "scale-function")
    report = grade(lesson, (lesson.folder / name).read_text(), pool)
    assert report.status.value == "failed"
    assert check in failing(report) and words in failing(report)[check]
    assert 0 <= report.score < 1


def test_shape_checks_ignore_value_bugs(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "scale-function")
    report = grade(lesson, (lesson.folder / "leaky.py").read_text(), pool)
    assert "values" in failing(report) and "shapes" not in failing(report)


def test_missing_function_is_not_gradable(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "scale-function")
    report = grade(lesson, "def something_else():\n    pass\n", pool)
    assert report.status.value == "not_gradable" and "standardise" in report.summary


def test_classification_passes_and_reports_accuracy(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "trend-classes")
    report = grade(lesson, (lesson.folder / "solution.py").read_text(), pool)
    assert report.status.value == "passed", f"{report.summary} {report.metrics}"
    assert report.metrics["heldout_accuracy"] >= 0.9 > report.metrics["baseline_accuracy"]
    assert sum(map(sum, report.plots["confusion"]["matrix"])) == report.metrics["heldout_samples"]


def test_classification_over_budget_with_wrong_layer_fails_both_checks(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "trend-classes")
    code = (lesson.folder / "solution.py").read_text().replace("keras.layers.GRU(8)", "keras.layers.LSTM(64)")
    report = grade(lesson, code, pool)
    assert report.status.value == "failed"
    assert {"layers", "max_params"} <= set(failing(report))


def test_next_token_beats_unigram_and_shows_a_sample(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "abc-text")
    report = grade(lesson, (lesson.folder / "solution.py").read_text(), pool)
    assert report.status.value == "passed", f"{report.summary} {report.metrics}"
    assert report.metrics["heldout_bits_per_char"] < report.metrics["baseline_bits_per_char"]
    sample = report.plots["sample"]["text"]
    assert len(sample) == 40 and set(sample) <= set("abcdegho tr")


def test_next_token_wrong_output_size_is_explained(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "abc-text")
    code = (lesson.folder / "solution.py").read_text().replace("keras.layers.Dense(vocab_size", "keras.layers.Dense(5")
    report = grade(lesson, code, pool)
    assert report.status.value == "not_gradable"
    assert "output_shape" in failing(report) and "activation='softmax'" in report.summary


def test_opt_in_early_stopping_ends_training_and_says_so(pool: WorkerPool) -> None:
    lesson = load_grading(LESSONS / "trend-classes")
    contract = lesson.spec.contract.model_copy(update={"early_stopping_patience": 2})
    lesson = lesson.model_copy(update={"spec": lesson.spec.model_copy(update={"contract": contract})})
    code = (lesson.folder / "solution.py").read_text().replace("EPOCHS = 8", "EPOCHS = 150")
    report = grade(lesson, code, pool)
    assert report.training["stopped_early"] is True, (report.training, [h.val_loss for h in report.history][-5:])
    assert report.training["epochs_run"] < 150 == report.training["epochs"]
    assert "Early stopping ended training" in report.summary
    assert report.status.value == "passed", report.summary
