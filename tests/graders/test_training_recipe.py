"""Training-recipe facts (schedule, initializers, L2, dropout): read by phase B from the objects Keras rebuilt from
the archive, typed in graders/answers.py, and the contract checks that credit them only when they act."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from graders import GradeReport, LessonGrading, WorkerPool, grade, load_grading
from graders.answers import Architecture, LayerFacts, ScheduleFacts
from graders.checklist import structure_checks as listed_checks
from graders.spec import ModelContract
from graders.tasks.model_checks import recipe_checks

REPO = Path(__file__).resolve().parents[2]
STRICT = ModelContract(requires_schedule=True, requires_regularisation=True)


def architecture(layers: list[dict[str, Any]], schedule: dict[str, Any] | None = None) -> Architecture:
    optimizer = {"class": "Adam", "learning_rate": 0.01, "schedule": schedule}
    return Architecture.model_validate({"input_shape": [None, 8, 1], "output_shape": [None, 1], "params": 10,
                                        "layers": [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)],
                                        "optimizer": optimizer})


def by_id(checks: list[Any]) -> dict[str, Any]:
    return {check.id: check for check in checks}


# ---------------------------------------------------------------- pure: what counts as acting


def test_a_decaying_schedule_acts_and_a_flat_one_does_not() -> None:
    decays = ScheduleFacts.model_validate({"class": "ExponentialDecay", "steps": 400, "initial_rate": 0.01,
                                           "final_rate": 0.0025, "lowest_rate": 0.0025, "highest_rate": 0.01})
    flat = decays.model_copy(update={"final_rate": 0.0099, "lowest_rate": 0.0099})
    unrun = decays.model_copy(update={"steps": 0})
    assert decays.acts() and not flat.acts() and not unrun.acts()


def test_only_l2_and_dropout_that_act_on_a_live_layer_count() -> None:
    arch = architecture([
        {"class": "LSTM", "kernel_l2": 0.0, "recurrent_l2": 1e-9, "dropout": 0.0, "recurrent_dropout": 0.0},
        {"class": "Dropout", "dropout": 0.0},
        {"class": "GRU", "dropout": 0.5, "kernel_l2": 0.01, "influential": False},  # its output never matters
        {"class": "Dense", "kernel_initializer": "HeNormal"},
    ])
    assert arch.regularisation() == []
    checks = by_id(recipe_checks(STRICT, arch))
    assert not checks["regularisation"].passed and checks["regularisation"].points == 0
    assert "rate of 0" in checks["regularisation"].message
    acting = architecture([{"class": "LSTM", "kernel_l2": 1e-3, "recurrent_dropout": 0.2, "influential": True},
                           {"class": "Dropout", "dropout": 0.25, "influential": True},
                           {"class": "Dropout", "dropout": 0.5}])  # not measured taking part: no credit
    assert acting.regularisation() == ["LSTM kernel L2 0.001", "LSTM recurrent dropout 0.2", "Dropout 0.25"]
    assert by_id(recipe_checks(STRICT, acting))["regularisation"].passed


def test_schedule_check_teaches_constant_rates_and_credits_a_decay() -> None:
    none = by_id(recipe_checks(STRICT, architecture([{"class": "Dense"}])))["schedule"]
    assert not none.passed and "constant learning rate" in none.message and "ExponentialDecay" in none.message
    flat = {"class": "PiecewiseConstantDecay", "steps": 300, "initial_rate": 0.01, "final_rate": 0.01,
            "lowest_rate": 0.01, "highest_rate": 0.01}
    check = by_id(recipe_checks(STRICT, architecture([{"class": "Dense"}], flat)))["schedule"]
    assert not check.passed and "constant rate" in check.message and "300" in check.message
    good = {**flat, "class": "CosineDecay", "final_rate": 0.0, "lowest_rate": 0.0}
    assert by_id(recipe_checks(STRICT, architecture([{"class": "Dense"}], good)))["schedule"].passed


def test_facts_are_bounded() -> None:
    with pytest.raises(ValueError):
        LayerFacts.model_validate({"class": "Dropout", "name": "d", "dropout": 3.0})
    with pytest.raises(ValueError):
        LayerFacts.model_validate({"class": "Dense", "name": "d", "kernel_initializer": "x" * 201})
    with pytest.raises(ValueError):
        ScheduleFacts.model_validate({"class": "ExponentialDecay", "steps": -1})


def test_the_checklist_lists_the_recipe_checks_in_report_order() -> None:
    ids = [c.id for c in listed_checks(STRICT)]
    assert ids[-3:] == ["schedule", "regularisation", "finite_predictions"]


# ---------------------------------------------------------------- sandboxed: phase B reads the loaded objects

MODEL = """
import keras
WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 64


def build_model(window, n_features):
{body}
    return model
"""


def recipe_lesson() -> LessonGrading:
    lesson = load_grading(REPO / "lessons" / "lstm-sequence-prediction")
    contract = lesson.spec.contract.model_copy(update={"requires_schedule": True, "requires_regularisation": True})
    return lesson.model_copy(update={"spec": lesson.spec.model_copy(update={"contract": contract})})


def graded(body: str, pool: WorkerPool) -> GradeReport:
    report = grade(recipe_lesson(), MODEL.format(body=textwrap.indent(textwrap.dedent(body), "    ")), pool, seed=0)
    assert report.status.value != "error", f"{report.summary}\n{report.log[-2000:]}"
    assert report.training, report.summary
    return report


@pytest.mark.sandbox
@pytest.mark.slow
def test_phase_b_reports_the_recipe_that_acts(pool: WorkerPool) -> None:
    report = graded("""
        schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.5)
        model = keras.Sequential([
            keras.Input(shape=(window, n_features)),
            keras.layers.LSTM(8, kernel_initializer="he_normal", recurrent_regularizer=keras.regularizers.L2(1e-3),
                              recurrent_dropout=0.1),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L1L2(l1=0.0, l2=0.01))])
        model.compile(optimizer=keras.optimizers.RMSprop(schedule), loss="mse")
    """, pool)
    training = report.training
    schedule = training["optimizer"]["schedule"]
    assert training["optimizer"]["class"] == "RMSprop"
    assert schedule["class"] == "ExponentialDecay" and schedule["steps"] > 5
    assert schedule["initial_rate"] == pytest.approx(0.01) and schedule["final_rate"] < 0.005
    lstm = next(layer for layer in training["recipe"] if layer["class"] == "LSTM")
    assert lstm["kernel_initializer"] == "HeNormal" and lstm["recurrent_initializer"] == "Orthogonal"
    assert lstm["recurrent_l2"] == pytest.approx(1e-3) and lstm["recurrent_dropout"] == pytest.approx(0.1)
    assert training["regularisation"] == ["LSTM recurrent L2 0.001", "LSTM recurrent dropout 0.1", "Dropout 0.2",
                                          "Dense kernel L2 0.01"]
    checks = by_id(report.checks)
    assert checks["schedule"].passed and checks["regularisation"].passed


@pytest.mark.sandbox
@pytest.mark.slow
def test_red_team_recipe_claims_that_do_not_act_earn_nothing(pool: WorkerPool) -> None:
    """Every knob is present in the archive and named in its JSON text, none acts: an L2 factor of 0, dropout
    rates of 0.0, a schedule whose decay never moves the rate within the run (decay_rate=1), a GRU with dropout
    whose output is multiplied by 0, and layer names that spell the credited words."""
    report = graded("""
        flat = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=1.0)
        inputs = keras.Input(shape=(window, n_features))
        lstm = keras.layers.LSTM(8, kernel_regularizer=keras.regularizers.L2(0.0), dropout=0.0, recurrent_dropout=0.0,
                                 name="l2_0.01_dropout_0.5_ExponentialDecay")(inputs)
        unused = keras.layers.GRU(4, dropout=0.5, recurrent_regularizer=keras.regularizers.L2(0.1))(inputs)
        zero = keras.layers.Dense(4, kernel_initializer="zeros", bias_initializer="zeros", trainable=False)
        gated = keras.layers.Multiply()([unused, zero(unused)])
        merged = keras.layers.Concatenate()([keras.layers.Dropout(0.0, name="Dropout_0_5")(lstm), gated])
        model = keras.Model(inputs, keras.layers.Dense(1)(merged))
        model.compile(optimizer=keras.optimizers.Adam(flat), loss="mse")
    """, pool)
    training = report.training
    assert training["optimizer"]["schedule"]["class"] == "ExponentialDecay"
    assert training["regularisation"] == [], training["recipe"]
    checks = by_id(report.checks)
    assert not checks["schedule"].passed and checks["schedule"].points == 0
    assert "constant rate" in checks["schedule"].message
    assert not checks["regularisation"].passed and checks["regularisation"].points == 0
