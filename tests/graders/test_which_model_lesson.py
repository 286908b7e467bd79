"""which-model-when through the real grader: `rnnlab lessons check` passes (the dilated-CNN reference passes, the linear
starter fails), a GRU reaches the bar but fails the lesson's "not recurrent" check, the starter fails the bar with the lesson's advice, a plain 1-D CNN and a Transformer block are scored (not
refused) with their calibrated outcomes, and every family's layers load under safe_mode=True in phase B; plus the data
and the scorer without a sandbox."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from graders import WorkerPool, baselines, grade, load_grading
from graders.answers import Architecture, TrainAnswer, TrainingReport
from graders.report import Epoch, GradeReport, Status
from graders.tasks import task_for
from graders.tasks.base import Evaluated

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "lessons" / "which-model-when"
STARTER = (LESSON / "starter.py").read_text()

HEAD = '''import keras

EPOCHS = {epochs}
BATCH_SIZE = {batch}


def build_model(timesteps, n_features, n_classes):
    layers = keras.layers
    inputs = keras.Input(shape=(timesteps, n_features))
'''
TAIL = '''    model = keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate={rate}), loss="sparse_categorical_crossentropy")
    return model
'''
PLAIN_CNN = '''    h = layers.Conv1D(16, 3, activation="relu")(inputs)
    h = layers.Conv1D(16, 3, activation="relu")(h)
    h = layers.GlobalMaxPooling1D()(h)
'''
DILATED_CNN = '''    h = layers.Conv1D(8, 3, activation="relu")(inputs)
    h = layers.Conv1D(8, 3, dilation_rate=2, activation="relu")(h)
    h = layers.Conv1D(8, 3, dilation_rate=4, activation="relu")(h)
    h = layers.GlobalAveragePooling1D()(h)
'''
# The lesson's Transformer block: a position signal from frozen built-in layers, a Conv1D token per step, one
# attention block with residual connections and layer normalisation.
TRANSFORMER = '''    ones = layers.Dense(1, kernel_initializer="zeros", bias_initializer="ones", trainable=False)(inputs)
    count = layers.Conv1D(1, timesteps, padding="causal", kernel_initializer="ones", use_bias=False,
                          trainable=False)(ones)
    position = layers.Rescaling(1.0 / timesteps)(count)
    h = layers.Conv1D(32, 5, padding="same")(layers.Concatenate()([inputs, position]))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=16)(h, h)
    h = layers.LayerNormalization()(layers.Add()([h, attended]))
    h = layers.LayerNormalization()(layers.Add()([h, layers.Dense(32, activation="relu")(h)]))
    h = layers.GlobalMaxPooling1D()(h)
'''
LINEAR = '''    h = layers.Flatten()(inputs)
'''
LSTM = '''    h = layers.LSTM(8)(inputs)
'''


def model(body: str, epochs: int, batch: int = 32, rate: float = 0.01) -> str:
    return HEAD.format(epochs=epochs, batch=batch) + body + TAIL.format(rate=rate)


def checks(report: GradeReport) -> dict[str, tuple[bool, str]]:
    return {c.id: (c.passed, c.message) for c in report.checks}


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_traces", LESSON / "data" / "make_traces.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the data and the scorer (no sandbox)


def test_the_public_file_is_what_the_seeded_generator_makes_and_the_heldout_draw_matches_it() -> None:
    make = generator()
    public = np.load(LESSON / "data" / "traces.npz")
    x, y = make.make_traces()
    assert np.array_equal(public["x"], x) and np.array_equal(public["y"], y)
    assert x.shape == (2400, 40, 2) and x.dtype == np.float32 and set(np.unique(y)) == {0, 1, 2, 3}
    hx, hy = make.make_heldout({"x": x, "y": y}, np.random.default_rng(5), 300)
    assert hx.shape == (300, 40, 2) and hy.dtype == y.dtype
    assert not np.array_equal(hx[:10], x[:10])
    # One press per trace, 10 to 30 steps from the wiggle's middle, on the label's side.
    presses = np.flatnonzero(hx[0, :, 1])
    assert len(presses) == 1 and abs(hx[0, presses[0], 1]) == 1.0
    # The wiggle has no mean and no slope: no weighted sum of the steps with a constant or linear ramp finds it.
    steps = np.arange(len(make.WIGGLE)) - len(make.WIGGLE) // 2
    assert make.WIGGLE.sum() == 0 and (steps * make.WIGGLE).sum() == 0


def test_a_linear_model_of_the_whole_trace_stays_far_below_the_bar() -> None:
    """Logistic regression on all 80 numbers is the starter's model fit to convergence: it must not get near 90 %."""
    grading = load_grading(LESSON)
    prepared = task_for("sequence_classification").prepare(grading, None)
    x_train, y_train = prepared.part("train")
    x_val, y_val = prepared.part("validation")
    probs = baselines.logistic_regression(baselines.flattened(x_train), y_train, baselines.flattened(x_val), 4)
    accuracy = float(np.mean(probs.argmax(axis=1) == y_val))
    assert accuracy < 0.45


def trained() -> TrainAnswer:
    reported = TrainingReport(constants={"EPOCHS": 5, "BATCH_SIZE": 32}, window=None, epochs=5, batch_size=32,
                              epochs_run=5, stopped_for_time=False, stopped_early=False,
                              history=[Epoch(epoch=1, loss=1.0, val_loss=1.0)])
    return TrainAnswer(diverged=False, reported=reported, model=np.zeros(0, dtype="uint8"))


def cnn_architecture(output: list[int | None]) -> Architecture:
    return Architecture.model_validate({
        "input_shape": [None, 40, 2], "output_shape": output, "params": 964,
        "layers": [{"class": "Conv1D", "name": "conv1d"}, {"class": "GlobalMaxPooling1D", "name": "pool"},
                   {"class": "Dense", "name": "dense"}]})


def test_a_model_without_a_recurrent_layer_is_not_failed_for_it_in_this_lesson_only() -> None:
    grading = load_grading(LESSON)
    task = task_for("sequence_classification")
    prepared = task.prepare(grading, None)
    parts = {p: prepared.part(p)[1] for p in ("validation", "heldout")}
    right = {p: np.eye(4)[y].astype("float32") for p, y in parts.items()}
    report = task.score(grading, prepared, trained(), Evaluated(architecture=cnn_architecture([None, 4]),
                                                                predictions=right))
    assert report.status is Status.passed, report.summary
    assert "return_sequences" not in checks(report)  # nothing to wire: no check that could not fail
    assert checks(report)["layer_choice"] == (True, "Uses Conv1D.")
    wrong = task.score(grading, prepared, trained(), Evaluated(architecture=cnn_architecture([None, 40, 4])))
    passed, message = checks(wrong)["output_shape"]
    assert not passed and "Dense(4)" in message and "return_sequences" not in checks(wrong)
    # A lesson about recurrence still fails the same CNN's wiring check.
    gestures = load_grading(REPO / "lessons" / "many-to-one-gestures")
    other = task.prepare(gestures, None)
    plain = {p: np.eye(4)[other.part(p)[1]].astype("float32") for p in ("validation", "heldout")}
    recurrent_lesson = task.score(gestures, other, trained(),
                                  Evaluated(architecture=cnn_architecture([None, 4]), predictions=plain))
    assert recurrent_lesson.status is Status.failed and not checks(recurrent_lesson)["return_sequences"][0]


# ---------------------------------------------------------------- the real grader


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_linear_starter_fails_the_bar_with_the_lessons_advice(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), STARTER, pool)
    assert report.status is Status.failed
    passed, message = checks(report)["beats_baseline"]
    assert not passed and "Flatten + Dense" in message and "position signal" in message
    assert report.metrics["heldout_accuracy"] < 0.45
    # The bar, and the family: a linear model is not one of the two the grade asks for.
    assert [c.id for c in report.checks if not c.passed] == ["layer_choice", "beats_baseline"]


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_plain_cnn_is_scored_and_finds_the_shape_but_not_the_order(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), model(PLAIN_CNN, epochs=10), pool)
    assert report.status is Status.failed and "beats_baseline" in checks(report)
    assert 0.42 < report.metrics["heldout_accuracy"] < 0.75  # the shape (half the label), not before/after
    # Its mistakes are before <-> after within one shape: classes 0/1 and 2/3, rarely across.
    matrix = np.array(report.plots["confusion"]["matrix"])
    across = matrix[:2, 2:].sum() + matrix[2:, :2].sum()
    assert across < 0.1 * matrix.sum()


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_transformer_block_with_a_built_in_position_signal_passes(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), model(TRANSFORMER, epochs=6, rate=0.003), pool)
    assert report.status is Status.passed, report.summary
    assert {"MultiHeadAttention", "LayerNormalization", "Add", "Rescaling"} <= set(report.training["layers"])


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_gru_is_scored_and_compared_but_the_grade_asks_for_a_non_recurrent_model(pool: WorkerPool) -> None:
    """The comparison needs the GRU's row: it is trained and scored like any family; only the family check fails."""
    report = grade(load_grading(LESSON), model('''    h = layers.GRU(24)(inputs)
''', epochs=14, batch=64), pool)
    assert report.status is Status.failed and report.metrics["heldout_accuracy"] > 0.9
    failing = {c.id: c.message for c in report.checks if not c.passed}
    assert list(failing) == ["layer_choice"] and "Conv1D, MultiHeadAttention" in failing["layer_choice"]
    assert "GRU" in report.training["layers"]


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize(("body", "layers"), [
    (LINEAR, {"Flatten"}),
    (LSTM, {"LSTM"}),
    (DILATED_CNN, {"Conv1D", "GlobalAveragePooling1D"}),
], ids=["linear", "lstm", "dilated-cnn"])
def test_every_family_loads_safely_and_is_scored(pool: WorkerPool, body: str, layers: set[str]) -> None:
    """One epoch each: phase B loads the archive with safe_mode=True and scores it, whatever the accuracy."""
    report = grade(load_grading(LESSON), model(body, epochs=1, batch=128), pool)
    assert report.status in (Status.passed, Status.failed), report.summary
    assert "heldout_accuracy" in report.metrics and not checks(report)["beats_baseline"][1].startswith("Not run")
    assert layers <= set(report.training["layers"])


@pytest.mark.sandbox
@pytest.mark.slow
def test_rnnlab_lessons_check_passes_the_dilated_cnn_reference_and_fails_the_linear_starter(tmp_path: Path) -> None:
    """The reference is graded here only (it is the file's slowest training): passed with full marks, far above the
    bar, on a fresh held-out draw; the starter runs and fails."""
    run = subprocess.run([sys.executable, "-m", "app.cli", "lessons", "check", "which-model-when"],
                         capture_output=True, text=True, cwd=REPO, timeout=600,
                         env={**os.environ, "RNNLAB_DATA_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 lesson(s) checked, 0 problem(s)" in run.stdout
    row = re.search(r"^which-model-when\s+passed\s+1\.00\s+failed\s+[0-9.]+\s+private\s+yes\s+"
                    r"([0-9.]+)% vs ([0-9.]+)%", run.stdout, re.MULTILINE)
    assert row is not None, run.stdout
    reference, bar = float(row.group(1)), float(row.group(2))
    assert reference >= 93.0 and bar < 35.0
