"""graders.check on real lessons: a Check builds, shape-checks and briefly trains on a slice of the public data (or
runs a function lesson's public cases), is never a grade, and no held-out value ever reaches its sandboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import HeldoutStore, LessonGrading, Limits, WorkerPool, load_grading, prepare
from graders.answers import TrainAnswer, TrainingReport
from graders.batching import BatchPlan
from graders.check import EPOCHS, FRACTION, CheckStatus, PublicCases, check, limits_for, public_slice
from graders.pool import EventSink, PhaseOutcome
from graders.protocol import JobKind
from graders.report import Failure
from graders.tasks import task_for
from graders.tasks.splits import SequenceSplit
from tests.conftest import LESSONS

LSTM = LESSONS / "lstm-sequence-prediction"
CASES = LESSONS / "sequence-windows"
SOLUTION = (LSTM / "solution.py").read_text(encoding="utf-8")
SHAPE_MISTAKE = SOLUTION.replace("keras.layers.LSTM(", "keras.layers.LSTM(return_sequences=True, units=", 1)


class RecordingPool:
    """A real pool that keeps every job it is handed, to look for held-out values in them."""

    def __init__(self, pool: WorkerPool | None) -> None:
        self.pool = pool
        self.jobs: list[dict[str, Any]] = []
        self.closed = False

    def acquire(self, kind: JobKind = JobKind.train) -> RecordingPool:
        if self.pool is None:
            raise AssertionError("this check must not start a sandbox")
        self.worker = self.pool.acquire(kind)
        return self

    def run(self, job: dict[str, Any], limits: Limits, on_event: EventSink | None = None) -> PhaseOutcome:
        self.jobs.append(job)
        return self.worker.run(job, limits, on_event)


def arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays_in(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in arrays_in(v)]
    return []


def heldout_values_in(job: dict[str, Any], split: SequenceSplit) -> int:
    """How many of the series' held-out values appear anywhere in the job's float arrays (values that also occur
    in the public part, the data being rounded, are left out: they tell nothing)."""
    public = split.scaled[: split.heldout_start].astype("float32")
    heldout = split.scaled[split.heldout_start:].astype("float32")
    heldout = heldout[~np.isin(heldout, public)]
    assert len(heldout) > 100
    found = [a for a in arrays_in(job) if a.dtype.kind == "f"]
    return sum(int(np.isin(a.reshape(-1), heldout).sum()) for a in found)


@pytest.fixture(scope="module")
def lstm_private(tmp_path_factory: pytest.TempPathFactory) -> tuple[LessonGrading, SequenceSplit]:
    """The LSTM lesson with private held-out data (continued from a secret seed), as a server loads it."""
    grading = load_grading(LSTM)
    split = prepare(grading, HeldoutStore(tmp_path_factory.mktemp("private")))
    assert isinstance(split, SequenceSplit) and split.heldout_mode.value == "private"
    return grading, split


def test_the_slice_is_a_quarter_of_the_public_part_and_nothing_else(
        lstm_private: tuple[LessonGrading, SequenceSplit]) -> None:
    grading, split = lstm_private
    data = task_for("sequence_prediction").train_job(grading, split, "", 0)["data"]
    window = 24
    sliced, rows = public_slice(data, window)
    values = sliced["values"]
    # A contiguous stretch of the public part, ending inside it: its most recent training quarter, then validation.
    first = int(np.flatnonzero(np.isclose(split.scaled[: split.heldout_start], values[0]))[0])
    np.testing.assert_array_equal(values, split.scaled[first:first + len(values)].astype("float32"))
    assert first + len(values) <= split.heldout_start
    assert first + sliced["validation_start"] == split.validation_start
    train_windows = sliced["validation_start"] - window
    assert train_windows == pytest.approx(FRACTION * (split.validation_start - window), abs=2)
    assert len(rows) == 8 and rows.shape[1:] == (window, 1)
    assert heldout_values_in({"data": sliced, "rows": rows}, split) == 0


def test_the_detector_finds_heldout_values_in_a_grading_job(lstm_private: tuple[LessonGrading, SequenceSplit]) -> None:
    """The check below can fail: the grading's own phase B job (BatchPlan) does hold held-out inputs."""
    grading, split = lstm_private
    task = task_for("sequence_prediction")
    reported = TrainingReport(constants={"WINDOW": 24, "EPOCHS": 1, "BATCH_SIZE": 32}, window=24, epochs=1,
                              batch_size=32, epochs_run=0, stopped_for_time=False, stopped_early=False, history=[])
    trained = TrainAnswer(diverged=False, reported=reported, model=np.zeros(4, dtype=np.uint8))
    evaluation = task.evaluation(grading, split, trained)
    assert evaluation is not None
    job = BatchPlan.build(evaluation).job(trained.model, {})
    assert heldout_values_in(job, split) > 100


def test_limits_are_cut_down_never_raised() -> None:
    small = Limits(train_seconds=5, wall_seconds=30, cpu_seconds=40)
    assert limits_for(small) == small
    big = limits_for(Limits(train_seconds=60, wall_seconds=150, cpu_seconds=300))
    assert (big.train_seconds, big.wall_seconds, big.cpu_seconds) == (10, 60, 60)


def test_a_syntax_error_is_answered_without_a_sandbox(lstm_private: tuple[LessonGrading, SequenceSplit]) -> None:
    grading, split = lstm_private
    report = check(grading, "def build_model(:\n", RecordingPool(None), prepared=split)  # type: ignore[arg-type]
    assert report.status is CheckStatus.problem and report.failure is Failure.syntax_error
    assert report.checks[0].line == 1 and report.checks[0].max_points == 0
    assert report.graded is False and "score" not in report.model_dump()


@pytest.mark.sandbox
def test_the_solution_trains_on_the_slice_and_no_heldout_value_is_sent(
        lstm_private: tuple[LessonGrading, SequenceSplit], pool: WorkerPool) -> None:
    grading, split = lstm_private
    recording = RecordingPool(pool)
    events: list[Any] = []
    report = check(grading, SOLUTION, recording, events.append, prepared=split)  # type: ignore[arg-type]
    assert report.status is CheckStatus.ok, report.model_dump_json(indent=1)
    assert report.graded is False and report.heldout_used is False
    assert 1 <= len(report.history) <= EPOCHS
    assert all(e.loss is not None and np.isfinite(e.loss) and e.val_loss is not None for e in report.history)
    assert report.training is not None and report.training.epochs == EPOCHS
    assert report.training.train_samples < 0.3 * (split.validation_start - 24)
    assert {c.id for c in report.checks} >= {"contract", "layers", "output_shape", "finite_predictions"}
    assert "EPOCHS=20" in report.checks[0].message  # the learner's constants, as written (training was cut to 2)
    assert all(c.points == 0 and c.max_points == 0 for c in report.checks)
    assert [job["kind"] for job in recording.jobs] == ["train", "evaluate"]
    phase_b = recording.jobs[1]
    assert heldout_values_in(phase_b, split) == 0
    assert heldout_values_in(recording.jobs[0], split) == 0
    assert len(phase_b["rows"]) == 8 and phase_b["alone"] == [0] and phase_b["constants"]["EPOCHS"] == EPOCHS
    assert any(getattr(e, "epoch", None) == 1 for e in events)  # the epochs streamed like a grading's


@pytest.mark.sandbox
def test_the_starter_trains_but_is_told_what_is_missing(lstm_private: tuple[LessonGrading, SequenceSplit],
                                                        pool: WorkerPool) -> None:
    grading, split = lstm_private
    report = check(grading, (LSTM / "starter.py").read_text(encoding="utf-8"), pool, prepared=split)
    assert report.status is CheckStatus.problem, report.summary
    layers = next(c for c in report.checks if c.id == "layers")
    assert not layers.passed and "LSTM" in layers.message
    assert report.history  # it still trained: the learner sees the loss of what they have


@pytest.mark.sandbox
def test_a_shape_mistake_gets_the_same_teaching_message(lstm_private: tuple[LessonGrading, SequenceSplit],
                                                        pool: WorkerPool) -> None:
    grading, split = lstm_private
    assert SHAPE_MISTAKE != SOLUTION
    recording = RecordingPool(pool)
    report = check(grading, SHAPE_MISTAKE, recording, prepared=split)  # type: ignore[arg-type]
    assert report.status is CheckStatus.problem
    assert report.checks[0].id == "return_sequences" and "return_sequences=True" in report.checks[0].message
    assert report.history == [] and [job["kind"] for job in recording.jobs] == ["train"]  # no phase B


@pytest.mark.sandbox
def test_a_function_lesson_runs_its_public_cases(tmp_path: Path, pool: WorkerPool) -> None:
    grading = load_grading(CASES)
    secret = prepare(grading, HeldoutStore(tmp_path / "private"))  # what a server's catalog holds
    public_seed = grading.spec.cases.seed  # type: ignore[union-attr]
    assert secret.seed != public_seed
    recording = RecordingPool(pool)
    cases = PublicCases()
    solution = (CASES / "solution.py").read_text(encoding="utf-8")
    report = check(grading, solution, recording, prepared=secret, cases=cases)  # type: ignore[arg-type]
    assert report.status is CheckStatus.ok, report.model_dump_json(indent=1)
    assert report.cases and report.cases == report.cases_passed
    assert [job["kind"] for job in recording.jobs] == ["cases", "call"]
    assert recording.jobs[0]["seed"] == public_seed  # never the instance's secret seed

    starter = check(grading, (CASES / "starter.py").read_text(encoding="utf-8"), recording, cases=cases)  # type: ignore[arg-type]
    assert starter.status is CheckStatus.problem
    assert starter.cases_passed is not None and starter.cases_passed < (starter.cases or 0)
    assert any("practice case" in c.message for c in starter.checks if not c.passed)
    assert [job["kind"] for job in recording.jobs] == ["cases", "call", "call"]  # the public cases were kept


@pytest.mark.parametrize("slug", ["text-generation", "many-to-one-gestures"])
def test_the_slice_of_text_and_of_ready_made_arrays(slug: str, tmp_path: Path) -> None:
    """Token ids (strided, squeezed) and ready-made arrays: a quarter of each public part, rows phase B can predict."""
    grading = load_grading(LESSONS / slug)
    prepared = prepare(grading, HeldoutStore(tmp_path / "private"))
    data = task_for(grading.spec.task).train_job(grading, prepared, "", 0)["data"]
    window = 40 if data["kind"] == "series" else None
    sliced, rows = public_slice(data, window)
    assert len(rows) == 8
    if data["kind"] == "arrays":
        assert len(sliced["x_train"]) == max(64, -(-len(data["x_train"]) // 4))
        np.testing.assert_array_equal(rows, data["x_val"][:8])
        return
    assert rows.shape == (8, window) and rows.dtype.kind == "i"  # ids for an Embedding, no features axis
    values, start = data["values"], data["validation_start"]
    first = start - sliced["validation_start"]
    np.testing.assert_array_equal(sliced["values"], values[first:first + len(sliced["values"])])
    assert first + len(sliced["values"]) <= len(values)  # inside the public part
    assert sliced["validation_start"] - window == pytest.approx(FRACTION * (start - window), abs=2)
