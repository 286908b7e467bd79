"""The training budget is computing time, not wall-clock time: a busy machine must not cost a learner epochs.

Phase B stops training when the model has used the lesson's CPU seconds (the learner's to fix: a smaller model
or fewer epochs), or when the wall-clock cap that keeps the phase inside its hard limit comes first. The second
means the machine was busy, which is never the learner's fault: the grader runs phase B again, and if load cuts
it short twice the report is a system error ("submit again"), not a failed grade. Measured in calibration: a
solution that trains 6 epochs in 60 s on an idle core was stopped after 1 epoch, and failed at 41 % accuracy,
while other jobs shared the machine's two cores.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from graders import grading
from graders.answers import Architecture, EvaluateAnswer, TrainingReport
from graders.pool import PhaseOutcome
from graders.report import SandboxInfo, Status
from graders.spec import Limits

GRADERS = Path(__file__).resolve().parents[2] / "graders"


@pytest.fixture(scope="module")
def worker() -> Any:
    sys.path.insert(0, str(GRADERS))  # the worker imports its siblings as top-level modules, as in the sandbox
    try:
        return importlib.import_module("worker")
    finally:
        sys.path.remove(str(GRADERS))


class Clock:
    """Wall and CPU clocks the test advances by hand."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def tick(self, wall: float, cpu: float) -> None:
        self.wall += wall
        self.cpu += cpu


def run_epochs(worker: Any, monkeypatch: pytest.MonkeyPatch, epochs: int, wall_per_epoch: float,
               cpu_per_epoch: float, budget: float = 60.0, wall_cap: float = 112.5) -> Any:
    clock = Clock()
    monkeypatch.setattr(worker.time, "monotonic", lambda: clock.wall)
    monkeypatch.setattr(worker.time, "process_time", lambda: clock.cpu)
    keras = SimpleNamespace(callbacks=SimpleNamespace(Callback=type("Callback", (), {"__init__": lambda self: None})))
    proto = SimpleNamespace(send=lambda **_: None)
    progress = worker.epoch_callback(keras, proto, epochs, budget, wall_cap)
    progress.model = SimpleNamespace(stop_training=False)
    for epoch in range(epochs):  # what model.fit does: batches, then the epoch's end, until stop_training
        for _ in range(10):
            clock.tick(wall_per_epoch / 10, cpu_per_epoch / 10)
            progress.on_train_batch_end(0)
            if progress.model.stop_training:
                return progress
        progress.on_epoch_end(epoch, {"loss": 1.0})
        if progress.model.stop_training:
            return progress
    return progress


def test_a_busy_machine_does_not_stop_a_model_within_its_cpu_budget(worker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # 6 epochs of 9 CPU seconds each (54 s, inside 60), but the machine is shared: each takes 18 s of wall time.
    progress = run_epochs(worker, monkeypatch, epochs=6, wall_per_epoch=18.0, cpu_per_epoch=9.0)
    assert progress.epochs_run == 6 and not progress.stopped_for_time and not progress.stopped_for_load


def test_a_model_over_its_cpu_budget_is_stopped_as_the_learners_to_fix(worker: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    progress = run_epochs(worker, monkeypatch, epochs=10, wall_per_epoch=25.0, cpu_per_epoch=25.0)
    assert progress.stopped_for_time and not progress.stopped_for_load
    assert progress.epochs_run == 2  # a third epoch of 25 s would end past 60 s: stopped after the second


def test_the_wall_cap_on_a_very_busy_machine_is_flagged_as_load(worker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    progress = run_epochs(worker, monkeypatch, epochs=6, wall_per_epoch=40.0, cpu_per_epoch=9.0)
    assert progress.stopped_for_load and not progress.stopped_for_time
    assert progress.epochs_run < 6


class StubPool:
    """Hands out a worker whose phase answers come from a list: enough for phase B's retry logic."""

    def __init__(self, outcomes: list[PhaseOutcome]) -> None:
        self.outcomes = outcomes
        self.runs = 0
        self.seen: list[tuple[float, float]] = []

    def acquire(self, kind: object = None) -> StubPool:
        return self

    def run(self, job: dict[str, Any], limits: Limits, emit: Any) -> PhaseOutcome:
        self.runs += 1
        self.seen.append((limits.wall_seconds, job["training"]["train_wall_seconds"]))
        return self.outcomes.pop(0)


JOB = {"kind": "evaluate", "training": {"train_seconds": 60.0, "train_wall_seconds": 112.5}}


def phase_b(stopped_for_load: bool, epochs_run: int) -> PhaseOutcome:
    training = TrainingReport(constants={"EPOCHS": 6}, window=None, epochs=6, batch_size=32, epochs_run=epochs_run,
                              stopped_for_time=False, stopped_for_load=stopped_for_load, stopped_early=False,
                              history=[])
    answer = EvaluateAnswer(architecture=Architecture(input_shape=[None, 4], output_shape=[None, 1], layers=[],
                                                      params=1),
                            training=training, diverged=False, batched=np.zeros((1, 1)), alone=np.zeros((1, 1)),
                            sample_ids=None)
    return PhaseOutcome(answer=answer, failure=None, message="", log="", seconds=1.0, sandbox=SandboxInfo())


def test_phase_b_cut_short_by_load_runs_again(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = StubPool([phase_b(True, 1), phase_b(False, 6)])
    answer = grading._phase_b(pool, JOB, Limits(), lambda _: None, {}, [])  # type: ignore[arg-type]
    assert isinstance(answer, EvaluateAnswer) and answer.training is not None
    assert answer.training.epochs_run == 6 and pool.runs == 2
    assert pool.seen == [(150.0, 112.5), (300.0, 225.0)]  # the second run is given twice the wall-clock time


def test_phase_b_cut_short_by_load_twice_is_our_error_not_a_failed_grade() -> None:
    pool = StubPool([phase_b(True, 1), phase_b(True, 2)])
    report = grading._phase_b(pool, JOB, Limits(), lambda _: None, {}, [])  # type: ignore[arg-type]
    assert not isinstance(report, EvaluateAnswer)
    assert report.status is Status.error and "not your fault" in report.summary and "2 of 6 epochs" in report.summary


def test_the_wall_cap_leaves_phase_b_time_to_predict() -> None:
    limits = Limits(train_seconds=60, wall_seconds=150, cpu_seconds=300)
    trained = SimpleNamespace(reported=SimpleNamespace(constants={"EPOCHS": 6}, window=None))
    job = grading.training_job({"constants": [["EPOCHS", 1, 10]], "train_seconds": 60, "data": {}}, trained, limits)  # type: ignore[arg-type]
    assert limits.train_seconds <= job["training"]["train_wall_seconds"] < limits.wall_seconds
