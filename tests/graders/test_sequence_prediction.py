"""The sequence task's trusted side: chronological split, leakage-free scaling, scoring and partial credit."""

from pathlib import Path

import numpy as np
import pytest

from graders import HeldoutStore, LessonGrading
from graders.answers import Architecture, TrainAnswer, TrainingReport
from graders.baselines import linear_regression
from graders.heldout import HeldoutMode
from graders.report import Epoch
from graders.tasks import model_checks
from graders.tasks.base import Evaluated
from graders.tasks.sequence_prediction import SequencePrediction, score
from graders.windowing import make_windows

TASK = SequencePrediction()


def test_split_is_chronological_and_scaled_by_training_statistics(lstm_lesson: LessonGrading) -> None:
    split = TASK.prepare(lstm_lesson, None)
    n = len(split.raw)
    assert split.heldout_start == round(n * 0.8) and split.heldout_mode is HeldoutMode.public
    assert 0 < split.validation_start < split.heldout_start < n
    train = split.raw[: split.validation_start]
    assert split.mean == pytest.approx(train.mean()) and split.std == pytest.approx(train.std())
    assert split.scaled[: split.validation_start].mean() == pytest.approx(0, abs=1e-9)


def test_train_job_never_contains_heldout_values(lstm_lesson: LessonGrading) -> None:
    split = TASK.prepare(lstm_lesson, None)
    job = TASK.train_job(lstm_lesson, split, "code")
    assert len(job["data"]["values"]) == split.heldout_start
    assert "model" not in job and "rows" not in job


def test_supplied_heldout_file_extends_the_series(lstm_lesson: LessonGrading, tmp_path: Path) -> None:
    supplied = tmp_path / "supplied"
    supplied.mkdir()
    (supplied / "lstm-sequence-prediction.csv").write_text("step,value\n" + "\n".join(f"{i},{i}" for i in range(100)))
    split = TASK.prepare(lstm_lesson, HeldoutStore(tmp_path / "private", supplied))
    assert split.heldout_start == 2000 and len(split.raw) == 2100 and split.heldout_mode is HeldoutMode.private
    assert split.raw[-1] == 99


def trained_answer(window: int = 24) -> TrainAnswer:
    reported = TrainingReport(constants={"WINDOW": window, "EPOCHS": 5, "BATCH_SIZE": 32}, window=window, epochs=5,
                              batch_size=32, epochs_run=5, stopped_for_time=False, stopped_early=False,
                              history=[Epoch(epoch=1, loss=1.0, val_loss=1.0)])
    return TrainAnswer(diverged=False, reported=reported, model=np.zeros(0, dtype="uint8"))


ARCHITECTURE = Architecture.model_validate({
    "input_shape": [None, 24, 1], "output_shape": [None, 1], "params": 100,
    "layers": [{"class": "LSTM", "name": "lstm", "return_sequences": False}, {"class": "Dense", "name": "dense"}]})


def fake_results(lesson: LessonGrading, predictor) -> tuple[TrainAnswer, Evaluated]:  # type: ignore[no-untyped-def]
    split = TASK.prepare(lesson, None)
    trained = trained_answer()
    rows = TASK.evaluation(lesson, split, trained)
    preds = {k: np.asarray(predictor(v), dtype="float64") for k, v in rows.parts.items()}
    return trained, Evaluated(architecture=ARCHITECTURE, predictions=preds)


def the_bar(split) -> object:  # type: ignore[no-untyped-def]
    """The lesson's bar, least squares on the learner's window fit on the training part, as a predictor."""
    x_fit, y_fit = make_windows(split.scaled[:split.validation_start], 24)
    return lambda x: linear_regression(x_fit[..., 0], y_fit[:, :1], x[..., 0])


def test_the_bars_own_forecast_earns_no_baseline_credit(lstm_lesson: LessonGrading) -> None:
    split = TASK.prepare(lstm_lesson, None)
    trained, evaluated = fake_results(lstm_lesson, the_bar(split))  # exactly the bar
    report = score(lstm_lesson, split, trained, evaluated)
    check = next(c for c in report.checks if c.id == "beats_baseline")
    assert not check.passed and check.points == 0
    assert report.metrics["ratio_to_baseline"] == pytest.approx(1.0, rel=1e-3)
    assert report.status.value == "failed"


def test_naive_predictions_earn_no_baseline_credit(lstm_lesson: LessonGrading) -> None:
    trained, evaluated = fake_results(lstm_lesson, lambda x: x[:, -1, :1])  # "tomorrow equals today"
    report = score(lstm_lesson, TASK.prepare(lstm_lesson, None), trained, evaluated)
    check = next(c for c in report.checks if c.id == "beats_baseline")
    assert not check.passed and check.points == 0
    assert report.metrics["ratio_to_baseline"] > 1.0  # worse than least squares, the bar of this lesson
    assert report.status.value == "failed"


def test_flat_predictions_fail_the_not_flat_check(lstm_lesson: LessonGrading) -> None:
    trained, evaluated = fake_results(lstm_lesson, lambda x: np.zeros((len(x), 1)))
    report = score(lstm_lesson, TASK.prepare(lstm_lesson, None), trained, evaluated)
    assert not next(c for c in report.checks if c.id == "not_flat").passed


def test_nan_predictions_fail_with_a_teaching_message(lstm_lesson: LessonGrading) -> None:
    trained, evaluated = fake_results(lstm_lesson, lambda x: np.full((len(x), 1), np.nan))
    report = score(lstm_lesson, TASK.prepare(lstm_lesson, None), trained, evaluated)
    finite = next(c for c in report.checks if c.id == "finite_predictions")
    assert not finite.passed and "diverged" in finite.message and report.status.value == "failed"
    assert report.failure is not None and report.failure.value == "diverged"


def test_partial_credit_between_baseline_and_margin(lstm_lesson: LessonGrading) -> None:
    split = TASK.prepare(lstm_lesson, None)
    _, y = make_windows(split.scaled[split.heldout_start - 24:], 24)

    bar = the_bar(split)

    def halfway(x: np.ndarray) -> np.ndarray:
        forecast = bar(x)  # type: ignore[operator]
        if len(x) == len(y):  # held-out: 10 % of the way from the bar to the truth when the margin is 20 %
            return forecast + 0.1 * (y - forecast)
        return forecast

    trained, evaluated = fake_results(lstm_lesson, halfway)
    report = score(lstm_lesson, split, trained, evaluated)
    check = next(c for c in report.checks if c.id == "beats_baseline")
    assert not check.passed and 0 < check.points < check.max_points
    assert 0 < report.score < 1


def test_a_forged_window_outside_the_contract_is_tampering(lstm_lesson: LessonGrading) -> None:
    with pytest.raises(model_checks.TamperedResult):
        TASK.evaluation(lstm_lesson, TASK.prepare(lstm_lesson, None), trained_answer(window=10**9))


def test_return_sequences_on_last_layer_is_explained() -> None:
    architecture = Architecture.model_validate({
        "input_shape": [None, 24, 1], "output_shape": [None, 24, 1], "params": 10,
        "layers": [{"class": "LSTM", "name": "a", "return_sequences": True}, {"class": "Dense", "name": "b"}]})
    checks = model_checks.output_checks(architecture, [None, 1], "one value")
    by_id = {c.id: c for c in checks}
    assert not by_id["return_sequences"].passed and "return_sequences=True" in by_id["return_sequences"].message
    assert not by_id["output_shape"].passed
