"""The sequence task's trusted side: chronological split, leakage-free scaling, scoring and partial credit."""

from pathlib import Path

import numpy as np
import pytest

from graders import LessonGrading
from graders.tasks import model_checks
from graders.tasks import sequence_prediction as task


def test_split_is_chronological_and_scaled_by_training_statistics(lstm_lesson: LessonGrading) -> None:
    split = task.split_series(lstm_lesson)
    n = len(split.raw)
    assert split.heldout_start == round(n * 0.8)
    assert 0 < split.validation_start < split.heldout_start < n
    train = split.raw[: split.validation_start]
    assert split.mean == pytest.approx(train.mean()) and split.std == pytest.approx(train.std())
    assert split.scaled[: split.validation_start].mean() == pytest.approx(0, abs=1e-9)


def test_train_job_never_contains_heldout_values(lstm_lesson: LessonGrading) -> None:
    split = task.split_series(lstm_lesson)
    job = task.train_job(lstm_lesson, split, "code")
    assert len(job["data"]["values"]) == split.heldout_start
    assert "model_b64" not in job and "inputs" not in job


def test_external_heldout_file_extends_the_series(lstm_lesson: LessonGrading, tmp_path: Path) -> None:
    (tmp_path / "lstm-sequence-prediction.csv").write_text("step,value\n" + "\n".join(f"{i},{i}" for i in range(100)))
    split = task.split_series(lstm_lesson, heldout_dir=tmp_path)
    assert split.heldout_start == 2000 and len(split.raw) == 2100
    assert split.raw[-1] == 99


def fake_results(lesson: LessonGrading, predictor) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    split = task.split_series(lesson)
    inputs = task.evaluate_inputs(lesson, split, 24)
    preds = {k: predictor(v) for k, v in inputs.items()}
    trained = {"outcome": "ok", "window": 24, "epochs": 5, "batch_size": 32, "epochs_run": 5,
               "constants": {"WINDOW": 24, "EPOCHS": 5, "BATCH_SIZE": 32},
               "history": [{"epoch": 1, "loss": 1.0, "val_loss": 1.0}]}
    evaluated = {"architecture": {"input_shape": [None, 24, 1], "output_shape": [None, 1],
                                  "layers": [{"class": "LSTM", "return_sequences": False}, {"class": "Dense"}]},
                 "predictions": {k: v.tolist() for k, v in preds.items()}}
    return trained, evaluated


def test_naive_predictions_earn_no_baseline_credit(lstm_lesson: LessonGrading) -> None:
    trained, evaluated = fake_results(lstm_lesson, lambda x: x[:, -1, :1])  # exactly the baseline
    report = task.score(lstm_lesson, task.split_series(lstm_lesson), trained, evaluated)
    check = next(c for c in report.checks if c.id == "beats_baseline")
    assert not check.passed and check.points == 0
    assert report.metrics["ratio_to_baseline"] == pytest.approx(1.0)
    assert report.status.value == "failed"


def test_flat_predictions_fail_the_not_flat_check(lstm_lesson: LessonGrading) -> None:
    trained, evaluated = fake_results(lstm_lesson, lambda x: np.zeros((len(x), 1)))
    report = task.score(lstm_lesson, task.split_series(lstm_lesson), trained, evaluated)
    assert not next(c for c in report.checks if c.id == "not_flat").passed


def test_partial_credit_between_baseline_and_margin(lstm_lesson: LessonGrading) -> None:
    split = task.split_series(lstm_lesson)
    _, y = task.make_windows(split.scaled[split.heldout_start - 24:], 24)

    def halfway(x: np.ndarray) -> np.ndarray:
        naive = x[:, -1, :1]
        if len(x) == len(y):  # held-out: 10 % better than naive when the margin is 20 %
            return naive + 0.1 * (y - naive) / 1.0
        return naive

    trained, evaluated = fake_results(lstm_lesson, halfway)
    report = task.score(lstm_lesson, split, trained, evaluated)
    check = next(c for c in report.checks if c.id == "beats_baseline")
    assert not check.passed and 0 < check.points < check.max_points
    assert 0 < report.score < 1


def test_return_sequences_on_last_layer_is_explained() -> None:
    checks = model_checks.output_checks(
        {"input_shape": [None, 24, 1], "output_shape": [None, 24, 1],
         "layers": [{"class": "LSTM", "return_sequences": True}, {"class": "Dense"}]}, [None, 1], "one value")
    by_id = {c.id: c for c in checks}
    assert not by_id["return_sequences"].passed and "return_sequences=True" in by_id["return_sequences"].message
    assert not by_id["output_shape"].passed
