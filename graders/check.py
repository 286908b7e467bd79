"""check(): a practice run of a learner's code (contract and shape checks, a short training on a slice of the public
data, or the function lessons' public cases) that is never a grade and never sees held-out data."""

from __future__ import annotations

import enum
import hashlib
import logging
import math
import threading
import time
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from graders.answers import CallAnswer, CasesAnswer, EvaluateAnswer, TrainAnswer
from graders.grading import DEFAULT_MAX_CODE_BYTES, checked_constants, size_report, syntax_report
from graders.pool import EventSink, PhaseOutcome, WorkerPool
from graders.protocol import CHECK_TITLES, JobKind, PhaseEvent, Stage
from graders.report import Check, Epoch, Failure, GradeReport, Status, truncate_log
from graders.sandbox import SandboxUnavailable
from graders.spec import FunctionCasesSpec, LessonGrading, Limits, SpecError
from graders.tasks import function_cases, model_checks, task_for
from graders.tasks.function_cases import CaseSet
from graders.tasks.model_checks import TamperedResult
from graders.windowing import make_windows

log = logging.getLogger(__name__)

FRACTION = 0.25  # of the public training windows (and of the public validation windows) a check trains on
MIN_ROWS = 64  # ... but at least this many of each, where the lesson has them
EPOCHS = 2  # at most: the learner's EPOCHS when smaller
TRAIN_SECONDS = 10.0  # CPU seconds of training, at most (the lesson's budget when smaller)
WALL_SECONDS = 60.0  # one phase's wall-clock limit, at most
CPU_SECONDS = 60.0  # one phase's CPU limit, at most
PREDICT_ROWS = 8  # public validation rows phase B predicts (its job format always predicts some, one of them alone)


class CheckStatus(enum.StrEnum):
    """How a check ended. Deliberately not graders.report.Status: a check is never a grade."""

    ok = "ok"  # every check passed and the model trained (or every public case matched)
    problem = "problem"  # something to fix: syntax, contract, shapes, a failing case, a diverging loss
    error = "error"  # our fault: the sandbox could not start, a bug


class CheckTraining(BaseModel):
    """The short training run phase B did on the slice (measured by the grader, no learner code ran there)."""

    model_config = ConfigDict(extra="forbid")

    epochs_run: int = 0
    epochs: int = 0
    train_samples: int = 0
    validation_samples: int = 0
    fraction: float = FRACTION
    stopped_for_time: bool = False
    diverged: bool = False


class CheckReport(BaseModel):
    """What a Check tells the learner. No score and no held-out metric: `graded` and `heldout_used` are always false."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["check"] = "check"
    graded: Literal[False] = False
    heldout_used: Literal[False] = False
    lesson: str = ""
    status: CheckStatus
    summary: str = ""
    failure: Failure | None = None
    checks: list[Check] = Field(default_factory=list)
    history: list[Epoch] = Field(default_factory=list, description="Loss per epoch on the slice, and on public "
                                 "validation rows.")
    training: CheckTraining | None = None
    cases: int | None = Field(None, description="Function lessons: public cases run.")
    cases_passed: int | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    log: str = ""


def _ungraded(checks: list[Check]) -> list[Check]:
    """The same checks, worth nothing: a check's list must never read as points earned."""
    return [c.model_copy(update={"points": 0.0, "max_points": 0.0}) for c in checks]


def from_grade_report(report: GradeReport) -> CheckReport:
    """A report that stopped before anything was scored (syntax, size, a phase that ended without an answer)."""
    status = CheckStatus.error if report.status is Status.error else CheckStatus.problem
    return CheckReport(lesson=report.lesson, status=status, summary=report.summary, failure=report.failure,
                       checks=_ungraded(report.checks), log=report.log)


def limits_for(lesson: Limits) -> Limits:
    """The lesson's limits, cut down to a quick check (never more than the lesson allows)."""
    wall = min(lesson.wall_seconds, WALL_SECONDS)
    return lesson.model_copy(update={"train_seconds": min(lesson.train_seconds, TRAIN_SECONDS, wall),
                                     "wall_seconds": wall, "cpu_seconds": min(lesson.cpu_seconds, CPU_SECONDS)})


def _keep(count: int) -> int:
    return min(count, max(MIN_ROWS, math.ceil(count * FRACTION)))


def public_slice(data: dict[str, Any], window: int | None) -> tuple[dict[str, Any], np.ndarray]:
    """A quarter of phase A's public training data (a series: its most recent quarter, next to validation) and of
    its public validation data, in the same job format, plus a few public validation inputs for phase B to predict.

    Built from phase A's `data` alone, which holds the public part only: the held-out part never reaches it."""
    if data["kind"] in ("arrays", "teacher_forcing"):  # teacher forcing: source rows, the worker shifts the targets
        kept = {"x_train": _keep(len(data["x_train"])), "x_val": _keep(len(data["x_val"]))}
        sliced = {**data, "x_train": data["x_train"][:kept["x_train"]],
                  "y_train": data["y_train"][:kept["x_train"]], "x_val": data["x_val"][:kept["x_val"]],
                  "y_val": data["y_val"][:kept["x_val"]]}
        return sliced, sliced["x_val"][:PREDICT_ROWS]
    assert window is not None
    values, start = data["values"], int(data["validation_start"])
    horizon, stride = int(data.get("horizon", 1)), int(data.get("stride", 1))
    # Windows are counted before the stride: a quarter of the windows is a quarter of the strided ones too.
    train_steps = _keep(start - window - horizon + 1) + window + horizon - 1
    val_steps = _keep(len(values) - start - horizon + 1) + horizon - 1
    first = max(0, start - train_steps)
    sliced = {**data, "values": values[first:start + val_steps], "validation_start": start - first}
    x_val, _ = make_windows(sliced["values"][sliced["validation_start"] - window:], window, horizon)
    rows = x_val[::stride][:PREDICT_ROWS]
    if data.get("squeeze_features"):
        rows = rows[..., 0]
    return sliced, rows


def _run(pool: WorkerPool, job: dict[str, Any], limits: Limits, emit: EventSink, timings: dict[str, float],
         name: str) -> PhaseOutcome:
    t0 = time.monotonic()
    worker = pool.acquire(JobKind(job["kind"]))
    timings[f"acquire_{name}"] = round(time.monotonic() - t0, 3)
    outcome = worker.run(job, limits, emit)
    timings[name] = round(outcome.seconds, 3)
    return outcome


def _from_phase(phase: PhaseOutcome) -> CheckReport:
    assert phase.failure is not None
    if phase.failure is Failure.system_error:
        return CheckReport(status=CheckStatus.error, failure=phase.failure, summary=phase.message, log=phase.log)
    title = CHECK_TITLES.get(phase.check, CHECK_TITLES["contract"])
    return CheckReport(status=CheckStatus.problem, failure=phase.failure, summary=phase.message, log=phase.log,
                       checks=[Check(id=phase.check, title=title, passed=False, max_points=0.0,
                                     message=phase.message)])


def _verdict(checks: list[Check], ok: str) -> tuple[CheckStatus, str]:
    failing = [c for c in checks if not c.passed and not c.skipped]
    if not failing:
        return CheckStatus.ok, ok
    return CheckStatus.problem, f"{len(failing)} check(s) to fix: " + ", ".join(c.title for c in failing) + "."


def _check_model(grading: LessonGrading, code: str, pool: WorkerPool, emit: EventSink, prepared: Any, seed: int,
                 timings: dict[str, float], logs: list[str]) -> CheckReport:
    task = task_for(grading.spec.task)
    if prepared is None:
        prepared = task.prepare(grading, None)
    limits = limits_for(grading.spec.limits)
    train_job = task.train_job(grading, prepared, code, seed)  # public data only
    emit(PhaseEvent(Stage.build))
    built = _run(pool, train_job, limits, emit, timings, "build")
    logs.append(built.log)
    if built.answer is None:
        return _from_phase(built)
    trained = built.answer
    assert isinstance(trained, TrainAnswer)
    constants = checked_constants(train_job, trained)  # raises TamperedResult
    constants["EPOCHS"] = min(constants["EPOCHS"], EPOCHS)
    data, rows = public_slice(train_job["data"], constants.get("WINDOW"))
    want = list(task.output_shape(grading, prepared))
    # Phase B's job is made here and only here, from phase A's public data: never through the task's evaluation
    # (BatchPlan), which is where held-out rows come from.
    job = {"kind": JobKind.evaluate.value, "model": trained.model, "rows": rows, "groups": [len(rows)], "alone": [0],
           "constants": constants, "output_shape": want,
           **({"greedy": {"start": data["start"], "steps": want[0]}} if data["kind"] == "teacher_forcing" else {}),
           "training": {"data": data, "train_seconds": limits.train_seconds, "seed": seed,
                        "train_wall_seconds": max(limits.train_seconds, 0.75 * limits.wall_seconds)}}
    phase_b = _run(pool, job, limits, emit, timings, "train")
    logs.append(phase_b.log)
    if phase_b.answer is None:
        return _from_phase(phase_b)
    answer = phase_b.answer
    assert isinstance(answer, EvaluateAnswer)
    meets_contract = model_checks.contract_check(trained)  # the learner's own constants (EPOCHS before the cut)
    if answer.training is not None:
        trained.reported, trained.diverged = answer.training, answer.diverged
    contract = grading.spec.contract  # type: ignore[union-attr]
    architecture = answer.architecture
    predictions = {"validation": answer.batched} if len(answer.batched) else {}
    checks = [meets_contract,
              Check(id="input_shape", title=CHECK_TITLES["input_shape"], passed=True,
                    message=f"Input {architecture.input_shape}.")]
    checks += model_checks.layer_checks(contract, architecture)
    checks += model_checks.output_checks(architecture, [None, *want], str(train_job.get("output_meaning", "")),
                                         require_recurrent=contract.require_recurrent)
    checks += model_checks.budget_checks(contract, architecture)
    checks.append(model_checks.finite_check(trained, predictions))
    history = list(trained.reported.history)
    status, summary = _verdict(checks, "Your model builds, has the right shapes and trains on a slice of the public "
                                       "data" + (f": loss {_fmt(history[0].loss)} → {_fmt(history[-1].loss)}."
                                                 if history else "."))
    x_train = data["x_train"] if data["kind"] in ("arrays", "teacher_forcing") else None
    return CheckReport(status=status, summary=summary, checks=_ungraded(checks), history=history,
                       failure=Failure.diverged if trained.diverged else None,
                       training=CheckTraining(epochs_run=trained.reported.epochs_run, epochs=trained.reported.epochs,
                                              train_samples=_count_train(data, constants, x_train),
                                              validation_samples=_count_val(data, constants),
                                              stopped_for_time=trained.reported.stopped_for_time,
                                              diverged=trained.diverged))


def _count_train(data: dict[str, Any], constants: dict[str, int], x_train: Any) -> int:
    if x_train is not None:
        return len(x_train)
    window, horizon = constants["WINDOW"], int(data.get("horizon", 1))
    return math.ceil((int(data["validation_start"]) - window - horizon + 1) / int(data.get("stride", 1)))


def _count_val(data: dict[str, Any], constants: dict[str, int]) -> int:
    if data["kind"] in ("arrays", "teacher_forcing"):
        return len(data["x_val"])
    horizon = int(data.get("horizon", 1))
    return math.ceil((len(data["values"]) - int(data["validation_start"]) - horizon + 1) / int(data.get("stride", 1)))


def _fmt(value: float | None) -> str:
    return "NaN" if value is None or not math.isfinite(value) else f"{value:.4g}"


class PublicCases:
    """The function lessons' cases made from the lesson's public seed (grading.toml [cases].seed), never the
    instance's secret one, with the reference answers; made in a sandbox once per lesson version, then kept."""

    def __init__(self) -> None:
        self._made: dict[str, CaseSet] = {}
        self._lock = threading.Lock()

    def get(self, grading: LessonGrading, pool: WorkerPool, limits: Limits, emit: EventSink,
            timings: dict[str, float]) -> CaseSet:
        spec = grading.spec
        assert isinstance(spec, FunctionCasesSpec)
        fresh = function_cases.FunctionCases().prepare(grading, None)  # no store: the public seed
        assert fresh.seed == spec.cases.seed
        key = hashlib.sha256("\0".join([str(grading.folder), str(fresh.seed), fresh.cases_code, fresh.solution_code,
                                        ",".join(spec.cases.functions)]).encode()).hexdigest()
        with self._lock:
            known = self._made.get(key)
        if known is not None:
            return known
        emit(PhaseEvent(Stage.reference))
        task = function_cases.FunctionCases()
        job = task.reference_job(grading, fresh)
        assert job is not None
        ref = _run(pool, job, limits, emit, timings, "reference")
        if not isinstance(ref.answer, CasesAnswer):
            raise SpecError(f"{grading.folder}: the lesson's cases or solution failed: {ref.message}")
        task.use_reference(fresh, ref.answer)
        with self._lock:
            self._made[key] = fresh
        return fresh


PUBLIC_CASES = PublicCases()


def _check_cases(grading: LessonGrading, code: str, pool: WorkerPool, emit: EventSink, cases: PublicCases,
                 timings: dict[str, float], logs: list[str]) -> CheckReport:
    limits = limits_for(grading.spec.limits)
    public = cases.get(grading, pool, limits, emit, timings)
    task = function_cases.FunctionCases()
    emit(PhaseEvent(Stage.build))
    called = _run(pool, task.train_job(grading, public, code), limits, emit, timings, "call")
    logs.append(called.log)
    if called.answer is None:
        return _from_phase(called)
    assert isinstance(called.answer, CallAnswer)
    scored = function_cases.score(grading, public, called.answer)  # raises TamperedResult
    checks = [c.model_copy(update={"message": c.message.replace("hidden case", "practice case")})
              for c in scored.checks]
    total, passed = int(scored.metrics.get("cases", 0)), int(scored.metrics.get("cases_passed", 0))
    status, summary = _verdict(checks, f"All {total} practice cases match the reference.")
    return CheckReport(status=status, summary=summary, checks=_ungraded(checks), cases=total, cases_passed=passed)


def check(grading: LessonGrading, code: str, pool: WorkerPool, on_event: EventSink | None = None,
          prepared: Any = None, seed: int = 0, max_code_bytes: int = DEFAULT_MAX_CODE_BYTES,
          cases: PublicCases = PUBLIC_CASES) -> CheckReport:
    """Check one piece of code without grading it. Never raises. `prepared` is the lesson's data as the catalog
    loaded it: only its public part is read (a function lesson ignores it and uses its public seed)."""
    emit = on_event or (lambda event: None)
    started = time.monotonic()
    timings: dict[str, float] = {}
    logs: list[str] = []
    early = size_report(code, max_code_bytes) or syntax_report(code)
    try:
        if early is not None:
            report = from_grade_report(early)
        elif grading.spec.task == "function_cases":
            report = _check_cases(grading, code, pool, emit, cases, timings, logs)
        else:
            report = _check_model(grading, code, pool, emit, prepared, seed, timings, logs)
    except TamperedResult as exc:
        report = CheckReport(status=CheckStatus.problem, failure=Failure.contract_error,
                             summary=f"Check stopped: {exc}. Use print() for your own output.")
    except SandboxUnavailable as exc:
        log.log(logging.INFO if pool.closed else logging.ERROR, "check: sandbox unavailable: %s", exc)
        report = CheckReport(status=CheckStatus.error, failure=Failure.system_error,
                             summary=f"The sandbox could not start: {exc}")
    except SpecError as exc:
        log.error("check: lesson error: %s", exc)
        report = CheckReport(status=CheckStatus.error, failure=Failure.system_error,
                             summary=f"The lesson's grading data is broken: {exc}")
    except Exception as exc:  # noqa: BLE001 - a bug of ours is still an answer, never a 500 with a traceback
        log.exception("check failed")
        report = CheckReport(status=CheckStatus.error, failure=Failure.system_error,
                             summary=f"The check failed unexpectedly ({type(exc).__name__}); it has been logged.")
    timings["total"] = round(time.monotonic() - started, 3)
    report.lesson = grading.slug
    report.timings = timings
    if not report.log:
        report.log = truncate_log("\n".join(part for part in logs if part))
    return report
