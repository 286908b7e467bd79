"""many-to-many-tagging through the real grader: the return_sequences=True reference passes, the many-to-one starter
fails with the shape lesson, and a per-step Dense tagger without memory stays below the bar; plus the scorer's
baselines and shape checks without a sandbox."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graders import WorkerPool, grade, load_grading
from graders.answers import Architecture, TrainAnswer, TrainingReport
from graders.report import Epoch, GradeReport
from graders.tasks import task_for
from graders.tasks.base import Evaluated

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "many-to-many-tagging"
SOLUTION = (LESSON / "solution.py").read_text()
SHAPE_LESSON = ("Your model outputs (3,) per sequence but this task needs one prediction per step (24, 3): set "
                "return_sequences=True on the last recurrent layer.")


def checks(report: GradeReport) -> dict[str, tuple[bool, str]]:
    return {c.id: (c.passed, c.message) for c in report.checks}


def trained() -> TrainAnswer:
    reported = TrainingReport(constants={"EPOCHS": 5, "BATCH_SIZE": 32}, window=None, epochs=5, batch_size=32, epochs_run=5,
                              stopped_for_time=False, stopped_early=False,
                              history=[Epoch(epoch=1, loss=1.0, val_loss=1.0)])
    return TrainAnswer(diverged=False, reported=reported, model=np.zeros(0, dtype="uint8"))


def architecture(output: list[int | None], return_sequences: bool) -> Architecture:
    return Architecture.model_validate({
        "input_shape": [None, 24, 1], "output_shape": output, "params": 1000,
        "layers": [{"class": "GRU", "name": "gru", "return_sequences": return_sequences},
                   {"class": "Dense", "name": "dense"}]})


def test_the_scorer_counts_steps_and_sets_the_bar_at_the_no_memory_tagger() -> None:
    grading = load_grading(LESSON)
    task = task_for("sequence_tagging")
    prepared = task.prepare(grading, None)
    parts = {p: prepared.part(p)[1] for p in ("validation", "heldout")}
    # Right at every step but the first: the accuracy is per step, not per sequence.
    predictions = {p: np.eye(3)[y].astype("float32") for p, y in parts.items()}
    for probs in predictions.values():
        probs[:, 0] = np.roll(probs[:, 0], 1, axis=-1)
    report = task.score(grading, prepared, trained(), Evaluated(architecture=architecture([None, 24, 3], True),
                                                                predictions=predictions))
    assert report.metrics["heldout_accuracy"] == pytest.approx(23 / 24, abs=1e-4)
    assert report.metrics["heldout_steps"] == parts["heldout"].size
    assert {b.id for b in report.baselines} == {"majority", "no_memory"}
    bar = next(b for b in report.baselines if b.bar)
    assert bar.id == "no_memory" and bar.value is not None and 0.4 < bar.value < 0.6
    assert checks(report)["beats_baseline"][0] and checks(report)["return_sequences"][0]
    assert sum(sum(row) for row in report.plots["confusion"]["matrix"]) == parts["heldout"].size


def test_the_scorer_explains_a_many_to_one_output() -> None:
    grading = load_grading(LESSON)
    task = task_for("sequence_tagging")
    prepared = task.prepare(grading, None)
    report = task.score(grading, prepared, trained(), Evaluated(architecture=architecture([None, 3], False)))
    assert report.status.value == "failed"
    assert checks(report)["return_sequences"] == (False, SHAPE_LESSON)
    assert not checks(report)["output_shape"][0] and report.checks[-1].skipped


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_reference_returns_sequences_and_passes(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), SOLUTION, pool)
    assert report.status.value == "passed", report.summary
    assert report.metrics["heldout_accuracy"] >= 0.9 > 0.6 > report.metrics["baseline_accuracy"]


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_starter_is_many_to_one_and_is_told_to_return_sequences(pool: WorkerPool) -> None:
    report = grade(load_grading(LESSON), (LESSON / "starter.py").read_text(), pool)
    assert report.status.value == "failed"
    assert checks(report)["return_sequences"] == (False, SHAPE_LESSON)


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_per_step_dense_tagger_without_memory_stays_below_the_bar(pool: WorkerPool) -> None:
    """Dense layers on each step see one value: they cannot know whether it rose from 3 steps earlier."""
    code = SOLUTION.replace("keras.layers.GRU(24, return_sequences=True),",
                            "keras.layers.Dense(24, activation=\"relu\"),")
    assert code != SOLUTION
    report = grade(load_grading(LESSON), code, pool)
    assert report.status.value == "failed"
    assert not checks(report)["beats_baseline"][0]
    assert not checks(report)["return_sequences"][0]  # no recurrent layer at all
    assert report.metrics["heldout_accuracy"] < 0.6


def test_a_per_step_output_after_a_final_state_passes_the_wiring_check() -> None:
    """GRU(24) -> RepeatVector(24) -> Dense: the last recurrent layer returns its final state, yet the output has a
    row per step, so the shape is right and the held-out accuracy decides; a wrong tag count is an output error."""
    grading = load_grading(LESSON)
    task = task_for("sequence_tagging")
    prepared = task.prepare(grading, None)
    right = task.score(grading, prepared, trained(), Evaluated(architecture=architecture([None, 24, 3], False)))
    assert checks(right)["return_sequences"][0] and checks(right)["output_shape"][0]
    wrong = task.score(grading, prepared, trained(), Evaluated(architecture=architecture([None, 24, 5], True)))
    assert checks(wrong)["return_sequences"][0]
    passed, message = checks(wrong)["output_shape"]
    assert not passed and "Dense(3, activation='softmax')" in message
