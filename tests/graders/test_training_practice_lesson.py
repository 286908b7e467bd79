"""training-practice through the real grader: the reference (L2 + dropout, a decaying schedule) passes every check;
the starter's recipe (big, unregularised, a constant high rate) fails the schedule and regularisation checks; and
a recipe that only claims them (L2 factor 0, dropout 0.0, a schedule whose boundaries lie past the run) earns
neither. Tiny epochs where the bar is not the point."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import GradeReport, WorkerPool, grade, load_grading

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "training-practice"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def checks(report: GradeReport) -> dict[str, tuple[bool, str]]:
    return {c.id: (c.passed, c.message) for c in report.checks}


def graded(code: str, pool: WorkerPool) -> GradeReport:
    report = grade(load_grading(LESSON), code, pool, seed=0)
    assert report.status.value != "error", f"{report.summary}\n{report.log[-2000:]}"
    return report


def test_the_reference_passes_with_a_schedule_and_regularisation(pool: WorkerPool) -> None:
    report = graded((LESSON / "solution.py").read_text(), pool)
    assert report.status.value == "passed", report.summary
    found = checks(report)
    assert found["schedule"][0] and "ExponentialDecay took the learning rate from 0.01" in found["schedule"][1]
    assert found["regularisation"][0] and "LSTM kernel L2 0.003" in found["regularisation"][1]
    assert "Dropout 0.5" in found["regularisation"][1]
    assert report.metrics["heldout_rmse"] < report.metrics["baseline_rmse"]


def test_the_starters_recipe_is_told_what_is_missing(pool: WorkerPool) -> None:
    code = (LESSON / "starter.py").read_text().replace("EPOCHS = 100", "EPOCHS = 3")
    report = graded(code, pool)
    assert report.status.value == "failed"
    found = checks(report)
    assert not found["schedule"][0] and "constant learning rate" in found["schedule"][1]
    assert not found["regularisation"][0] and "No L2 penalty or dropout acts" in found["regularisation"][1]
    assert report.training["optimizer"]["class"] == "Adam" and report.training["optimizer"]["schedule"] is None
    lstm = next(layer for layer in report.training["recipe"] if layer["class"] == "LSTM")
    assert lstm["kernel_initializer"] == "GlorotUniform" and lstm["recurrent_initializer"] == "Orthogonal"


def test_red_team_a_recipe_that_only_claims_the_concepts_earns_neither_check(pool: WorkerPool) -> None:
    code = '''
import keras
EPOCHS = 3
BATCH_SIZE = 32


def build_model(timesteps, n_features):
    late = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[100000], values=[0.01, 0.001])
    model = keras.Sequential([
        keras.Input(shape=(timesteps, n_features)),
        keras.layers.LSTM(16, kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.0), dropout=0.0,
                          recurrent_dropout=0.0, name="lstm_with_l2_and_dropout"),
        keras.layers.Dropout(0.0),
        keras.layers.Dense(1, bias_regularizer=keras.regularizers.L2(0.0)),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(late), loss="mse")
    return model
'''
    report = graded(code, pool)
    found = checks(report)
    assert not found["schedule"][0] and "PiecewiseConstantDecay kept the learning rate" in found["schedule"][1]
    assert not found["regularisation"][0]
    assert report.training["optimizer"]["class"] == "RMSprop" and report.training["regularisation"] == []
