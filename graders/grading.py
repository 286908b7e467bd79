"""grade(): one submission through train (sandbox A), evaluate (sandbox B) and the trusted scorer."""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np

from graders import wire
from graders.pool import EventSink, PhaseOutcome, WorkerPool
from graders.report import Check, Epoch, Failure, GradeReport, truncate_log
from graders.sandbox import SandboxUnavailable
from graders.spec import LessonGrading, Limits, SpecError
from graders.tasks import task_for
from graders.tasks.model_checks import TamperedResult

log = logging.getLogger(__name__)

CHECK_TITLES = {
    "contract": "Module meets the contract",
    "input_shape": "Input shape is (window, features)",
    "return_sequences": "Recurrent layers pass sequences correctly",
    "output_shape": "Output shape matches the horizon",
    "safe_model": "Model loads safely (no Lambda or custom code)",
}
LEARNER_OUTCOMES = {
    "syntax_error": Failure.syntax_error,
    "import_error": Failure.import_error,
    "contract_error": Failure.contract_error,
    "out_of_memory": Failure.out_of_memory,
    "unsafe_model": Failure.unsafe_model,
}


def _not_gradable(failure: Failure, message: str, check_id: str = "contract") -> GradeReport:
    check = Check(id=check_id, title=CHECK_TITLES.get(check_id, check_id), passed=False, message=message)
    return GradeReport.not_gradable(failure, message, checks=[check])


def _from_phase(phase: PhaseOutcome, ran_learner_code: bool) -> GradeReport | None:
    """A report when the phase ended the grading (a limit hit, a contract broken, a bug of ours), else None."""
    if phase.failure is not None:
        return _not_gradable(phase.failure, phase.message)
    assert phase.result is not None
    outcome = phase.result.get("outcome")
    if outcome == "harness_error":
        log.error("grader failure inside the sandbox: %s", str(phase.result.get("message"))[:4000])
        if ran_learner_code:  # learner code can forge this answer, so it may not turn into our 'error' status
            return _not_gradable(Failure.killed, "Grading could not finish: the harness failed while your code was "
                                 "running (see the log). If your code looks right, tell your instructor.")
        return GradeReport.system_error("The grader itself failed (our bug, not yours); it has been logged.")
    if outcome in LEARNER_OUTCOMES:
        return _not_gradable(LEARNER_OUTCOMES[outcome], str(phase.result.get("message", "")),
                             str(phase.result.get("check", "contract")))
    return None


def shuffle_inputs(job: dict[str, Any]) -> dict[str, np.ndarray]:
    """Put the rows phase B predicts in a secret random order.

    Consecutive windows overlap (the last input of window i+1 is the target of window i), so a model that
    looks across the rows of its batch (e.g. with keras.ops.roll) could read the answers; shuffled, it reads noise.
    """
    rng = np.random.default_rng(secrets.randbits(64))
    orders = {}
    for name, rows in job.get("inputs", {}).items():  # tasks hand over arrays; they go on the wire from here
        orders[name] = rng.permutation(len(rows))
        job["inputs"][name] = wire.encode(rows[orders[name]])
    return orders


def unshuffle_predictions(evaluated: dict[str, Any], orders: dict[str, np.ndarray]) -> dict[str, Any]:
    predictions = evaluated.get("predictions")
    if not predictions:
        return evaluated
    restored = {}
    for name, rows in predictions.items():
        shuffled = np.asarray(rows, dtype="float64")
        original = np.empty_like(shuffled)
        original[orders[name]] = shuffled
        restored[name] = original
    return {**evaluated, "predictions": restored}


def _run(pool: WorkerPool, job: dict[str, Any], limits: Limits, emit: EventSink, timings: dict[str, float],
         name: str) -> PhaseOutcome:
    t0 = time.monotonic()
    worker = pool.acquire()
    timings[f"acquire_{name}"] = time.monotonic() - t0
    outcome = worker.run(job, limits, emit)
    timings[name] = outcome.seconds
    return outcome


def grade(grading: LessonGrading, code: str, pool: WorkerPool, on_event: EventSink | None = None,
          heldout_dir: Path | None = None, seed: int = 0) -> GradeReport:
    """Grade one submission. Never raises for anything the learner did; a system fault becomes status 'error'."""
    emit = on_event or (lambda event: None)
    started = time.monotonic()
    timings: dict[str, float] = {}
    logs: list[str] = []
    report: GradeReport | None = None
    sandbox = None
    task = task_for(grading.spec.task)
    limits = grading.spec.limits
    try:
        prepared = task.prepare(grading, heldout_dir)
        reference = task.reference_job(grading, prepared)
        if reference is not None:
            emit({"event": "phase", "phase": "reference"})
            ref = _run(pool, reference, limits, emit, timings, "reference")
            if ref.result is None or ref.result.get("outcome") != "ok":
                raise SpecError(f"{grading.folder}: the lesson's cases or solution failed: "
                                f"{ref.message or (ref.result or {}).get('message', '')}")
            task.use_reference(prepared, ref.result)
        emit({"event": "phase", "phase": "train"})
        train = _run(pool, task.train_job(grading, prepared, code, seed), limits, emit, timings, "train")
        sandbox = train.sandbox
        logs.append(train.log)
        report = _from_phase(train, ran_learner_code=True)
        if report is None:
            assert train.result is not None
            trained = train.result
            task.validate(grading, trained)
            evaluated: dict[str, Any] = {}
            job = task.evaluate_job(grading, prepared, trained)
            if job is not None:
                emit({"event": "phase", "phase": "evaluate"})
                orders = shuffle_inputs(job)
                phase_b = _run(pool, job, limits, emit, timings, "evaluate")
                logs.append(phase_b.log)
                report = _from_phase(phase_b, ran_learner_code=False)
                evaluated = unshuffle_predictions(phase_b.result or {}, orders)
            if report is None:
                emit({"event": "phase", "phase": "score"})
                report = task.score(grading, prepared, trained, evaluated)
            if not report.history and trained.get("history"):
                report.history = [Epoch.model_validate(h) for h in trained["history"]]
    except TamperedResult as exc:
        report = GradeReport.not_gradable(Failure.contract_error, f"Grading stopped: {exc}. Your code wrote to the "
                                          "grader's private channel; use print() for your own output.")
    except SandboxUnavailable as exc:
        log.error("sandbox unavailable: %s", exc)
        report = GradeReport.system_error(f"The sandbox could not start: {exc}")
    except SpecError as exc:
        log.error("lesson error: %s", exc)
        report = GradeReport.system_error(f"The lesson's grading data is broken: {exc}")
    except Exception as exc:  # noqa: BLE001 - a bug of ours must still produce a report, not kill a batch
        log.exception("grading failed")
        report = GradeReport.system_error(f"The grader failed unexpectedly ({type(exc).__name__}); it has been logged.")
    timings["total"] = time.monotonic() - started
    report.lesson = grading.slug
    report.timings = {k: round(v, 3) for k, v in timings.items()}
    if sandbox is not None:
        report.sandbox = sandbox
    report.log = truncate_log("\n".join(part for part in logs if part))
    emit({"event": "report", "status": report.status.value, "score": report.score})
    return report
