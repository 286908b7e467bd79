"""grade(): one submission through build (sandbox A, learner code), train + evaluate (sandbox B, no learner code)
and the trusted scorer."""

from __future__ import annotations

import logging
import time
from typing import Any

from graders.answers import CasesAnswer, EvaluateAnswer, TrainAnswer
from graders.batching import BatchDependence, BatchPlan, MalformedPredictions
from graders.heldout import HeldoutMode, HeldoutStore
from graders.look_inside import plots as look_inside_plots
from graders.pool import EventSink, PhaseOutcome, WorkerPool
from graders.protocol import CHECK_TITLES, JobKind, PhaseEvent, ReportEvent, Stage
from graders.report import Check, Failure, GradeReport, truncate_log
from graders.sandbox import SandboxUnavailable
from graders.spec import LessonGrading, Limits, SpecError
from graders.tasks import task_for
from graders.tasks.base import Evaluated, Task
from graders.tasks.model_checks import TamperedResult

log = logging.getLogger(__name__)

DEFAULT_MAX_CODE_BYTES = 64 * 1024
TAMPERED = ("Grading stopped: {detail}. Your code changed the grader's own code or wrote to its private channel; "
            "use print() for your own output.")


def _not_gradable(failure: Failure, message: str, check_id: str = "contract") -> GradeReport:
    title = CHECK_TITLES.get(check_id, CHECK_TITLES["contract"])
    return GradeReport.not_gradable(failure, message, checks=[Check(id=check_id, title=title, passed=False,
                                                                    message=message)])


def _from_phase(phase: PhaseOutcome) -> GradeReport:
    """The report of a phase that ended without an answer: the learner's outcome, or a fault of ours."""
    assert phase.failure is not None
    if phase.failure is Failure.system_error:
        return GradeReport.system_error(phase.message)
    return _not_gradable(phase.failure, phase.message, phase.check)


def _run(pool: WorkerPool, job: dict[str, Any], limits: Limits, emit: EventSink, timings: dict[str, float],
         name: str) -> PhaseOutcome:
    t0 = time.monotonic()
    worker = pool.acquire(JobKind(job["kind"]))
    timings[f"acquire_{name}"] = time.monotonic() - t0
    outcome = worker.run(job, limits, emit)
    timings[name] = outcome.seconds
    return outcome


def size_report(code: str, max_code_bytes: int) -> GradeReport | None:
    size = len(code.encode("utf-8", "surrogatepass"))
    if size <= max_code_bytes:
        return None
    shown = f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 1024:.0f} KiB"
    return _not_gradable(Failure.contract_error, f"Your submission is {shown}; the limit is "
                         f"{max_code_bytes // 1024} KiB. Submit only your code (no data or model weights pasted in).")


def syntax_report(code: str) -> GradeReport | None:
    """A syntax error found here, in the trusted parent, by compiling only (nothing runs): the learner hears about a typo
    in milliseconds instead of after a sandbox start. The messages match the in-sandbox check (graders/worker.py),
    which stays as the authority; input the parser cannot cope with (too deep) is left to it."""
    line: int | None = None
    if "\x00" in code:
        line = code.count("\n", 0, code.index("\x00")) + 1
        message = (f"Syntax error on line {line}: the file contains a NUL byte (\\x00); remove it (was the file saved "
                   "as text?)")
    else:
        try:
            code.encode("utf-8")
        except UnicodeEncodeError as exc:
            line = code.count("\n", 0, exc.start) + 1
            message = (f"Syntax error on line {line}: the file contains a character that is not valid Unicode text (a "
                       "lone surrogate); retype that line")
        else:
            try:
                # compile(), not only ast.parse: "'return' outside function" and its kind come from the compiler.
                # Nothing runs; the code object is dropped.
                compile(code, "submission.py", "exec", dont_inherit=True)
                return None
            except SyntaxError as exc:
                line = exc.lineno
                text = exc.text or ""
                pointer = f"\n    {text.rstrip()}\n    {' ' * max((exc.offset or 1) - 1, 0)}^" if text.strip() else ""
                message = f"Syntax error on line {exc.lineno}: {exc.msg}{pointer}"
            except (RecursionError, MemoryError, ValueError):
                return None  # the sandbox's own compile() decides
    report = _not_gradable(Failure.syntax_error, message)
    report.checks[0].line = line
    return report


def prepare(grading: LessonGrading, heldout: HeldoutStore | None = None) -> Any:
    """Load and split a lesson's data once (at catalog load): raises SpecError, a lesson error, when it is broken."""
    return task_for(grading.spec.task).prepare(grading, heldout)


def checked_constants(train_job: dict[str, Any], trained: TrainAnswer) -> dict[str, int]:
    """The constants phase A read from the learner's module, held to the contract here: phase B trains with them."""
    constants = trained.reported.constants
    for name, low, high in train_job["constants"]:
        value = constants.get(name)
        if type(value) is not int or not low <= value <= high:
            raise TamperedResult(f"the build step reported {name} outside the lesson's contract")
    # The held-out rows are cut with the reported window and phase B trains with WINDOW: they must be one number,
    # or a model could be scored on other windows than it trained on (and against a weaker least-squares bar).
    if trained.reported.window != constants.get("WINDOW"):
        raise TamperedResult("the build step reported a window other than WINDOW")
    return {name: constants[name] for name, _, _ in train_job["constants"]}


BUSY_RETRIES = 1  # phase B runs again once when machine load, not the model, cut its training short...
BUSY_PATIENCE = 2  # ...with this many times the wall-clock time
TRAIN_WALL_SHARE = 0.75  # of phase B's wall limit, for training; the rest loads the model, predicts and probes


def training_job(train_job: dict[str, Any], trained: TrainAnswer, limits: Limits) -> dict[str, Any]:
    """What phase B needs to train the saved model itself: public data, the budget (CPU seconds, and the wall-clock
    cap that keeps the phase inside its hard limit on a busy machine), the learner's constants."""
    training: dict[str, Any] = {key: train_job[key] for key in ("data", "train_seconds", "early_stopping_patience",
                                                                "seed") if key in train_job}
    training["train_wall_seconds"] = max(limits.train_seconds, TRAIN_WALL_SHARE * limits.wall_seconds)
    return {"training": training, "constants": checked_constants(train_job, trained)}


def _phase_b(pool: WorkerPool, job: dict[str, Any], limits: Limits, emit: EventSink, timings: dict[str, float],
             logs: list[str]) -> EvaluateAnswer | GradeReport:
    """Run phase B; once more when machine load (not the model) cut its training short, which is never the
    learner's fault and must not cost them the epochs."""
    cut = ""
    for attempt in range(BUSY_RETRIES + 1):
        phase_b = _run(pool, job, limits, emit, timings, "evaluate")
        logs.append(phase_b.log)
        if phase_b.answer is None:
            return _from_phase(phase_b)
        answer = phase_b.answer
        assert isinstance(answer, EvaluateAnswer)
        training = answer.training
        if training is None or not training.stopped_for_load:
            return answer
        cut = f"after {training.epochs_run} of {training.epochs} epochs"
        log.warning("phase B's training was cut short by machine load %s (attempt %d)", cut, attempt + 1)
        # Again, with more patience: phase B runs no learner code, so a longer wall-clock limit risks nothing that
        # its CPU limit does not already bound.
        limits = limits.model_copy(update={"wall_seconds": limits.wall_seconds * BUSY_PATIENCE})
        job = {**job, "training": {**job["training"],
                                   "train_wall_seconds": job["training"]["train_wall_seconds"] * BUSY_PATIENCE}}
    return GradeReport.system_error(
        f"The grading machine was too busy: training your model was cut short {cut} although it had not used its "
        f"{limits.train_seconds:.0f} s of computing time, twice. This is not your fault and this attempt is not "
        "graded: submit again later.")


def _evaluate(task: Task[Any], grading: LessonGrading, prepared: Any, trained: TrainAnswer, train_job: dict[str, Any],
              pool: WorkerPool, emit: EventSink, timings: dict[str, float],
              logs: list[str], look_inside: bool = True) -> Evaluated | GradeReport | None:
    """Phase B: train the saved model (no learner code), predict in isolated batches, then the trusted checks on
    its answer (shapes, batch invariance). The training facts of the report come from here."""
    evaluation = task.evaluation(grading, prepared, trained)
    if evaluation is None:
        return None
    plan = BatchPlan.build(evaluation)
    want = task.output_shape(grading, prepared)
    emit(PhaseEvent(Stage.evaluate))
    # Phase B skips training and predicting when the output shape is wrong: the structure checks explain it.
    limits = grading.spec.limits
    job = plan.job(trained.model, {**evaluation.extra, **training_job(train_job, trained, limits), "output_shape": want,
                                   "look_inside": look_inside})
    answer = _phase_b(pool, job, limits, emit, timings, logs)
    if isinstance(answer, GradeReport):
        return answer
    if answer.training is not None:  # measured by the grader: replaces phase A's empty run
        trained.reported, trained.diverged = answer.training, answer.diverged
    if answer.architecture.output_shape != [None, *want]:
        return Evaluated(architecture=answer.architecture)  # the structure checks explain the output shape
    try:
        predictions = plan.restore(answer.batched, answer.alone, want)
    except MalformedPredictions as exc:
        return _not_gradable(Failure.contract_error, f"Your model did not return one prediction per input row ({exc}).",
                             "output_shape")
    except BatchDependence as exc:
        return _not_gradable(
            Failure.batch_dependent,
            "Your model's prediction for a window changed when other windows were in the same batch "
            f"({exc}). A model must compute each window's output from that window alone: operations across the "
            "batch axis (summing, sorting or comparing rows with each other, e.g. keras.ops on axis 0) let it read "
            "other rows, so it cannot be graded. Build the model only from layers that treat each sample "
            "separately (LSTM, GRU, Dense, ...).", "batch_invariant")
    if answer.look_inside is not None and answer.look_inside.seconds is not None:
        timings["look_inside"] = answer.look_inside.seconds  # inside phase B's time
    return Evaluated(architecture=answer.architecture, predictions=predictions, sample_ids=answer.sample_ids,
                     look_inside=answer.look_inside)


def grade(grading: LessonGrading, code: str, pool: WorkerPool, on_event: EventSink | None = None,
          heldout: HeldoutStore | None = None, seed: int = 0, prepared: Any = None,
          max_code_bytes: int = DEFAULT_MAX_CODE_BYTES, look_inside: bool = True) -> GradeReport:
    """Grade one submission. Never raises, and nothing a learner submits becomes status 'error' (our fault).
    look_inside: phase B also measures the report's look-inside figures (gradient norms per step, hidden states,
    text samples) on public validation rows, after its predictions."""
    emit = on_event or (lambda event: None)
    started = time.monotonic()
    timings: dict[str, float] = {}
    logs: list[str] = []
    sandbox = None
    task = task_for(grading.spec.task)
    limits = grading.spec.limits
    mode: HeldoutMode | None = None
    report = size_report(code, max_code_bytes) or syntax_report(code)
    if report is not None:
        timings["syntax_check"] = time.monotonic() - started
    try:
        if report is None:
            if prepared is None:
                prepared = task.prepare(grading, heldout)
            mode = task.heldout_mode(prepared)
            if heldout is not None and heldout.require_private and mode is HeldoutMode.public:
                raise SpecError(f"the held-out data of {grading.slug!r} is public (derivable from the repository) and "
                                "this server requires private held-out data: supply RNNLAB_HELDOUT_DIR/"
                                f"{grading.slug}.* (see docs/authoring.md)")
            reference = task.reference_job(grading, prepared)
            if reference is not None:
                emit(PhaseEvent(Stage.reference))
                ref = _run(pool, reference, limits, emit, timings, "reference")
                if not isinstance(ref.answer, CasesAnswer):
                    raise SpecError(f"{grading.folder}: the lesson's cases or solution failed: {ref.message}")
                task.use_reference(prepared, ref.answer)
            emit(PhaseEvent(Stage.build))
            train_job = task.train_job(grading, prepared, code, seed)
            train = _run(pool, train_job, limits, emit, timings, "build")
            sandbox = train.sandbox
            logs.append(train.log)
            if train.answer is None:
                report = _from_phase(train)
            else:
                evaluated = None
                if isinstance(train.answer, TrainAnswer):
                    outcome = _evaluate(task, grading, prepared, train.answer, train_job, pool, emit, timings, logs,
                                        look_inside)
                    if isinstance(outcome, GradeReport):
                        report = outcome
                    else:
                        evaluated = outcome
                if report is None:
                    emit(PhaseEvent(Stage.score))
                    report = task.score(grading, prepared, train.answer, evaluated)
                    if evaluated is not None and evaluated.look_inside is not None:
                        shown_seed = str(report.plots.get("sample", {}).get("seed", ""))  # text lessons' public seed
                        figures = look_inside_plots(evaluated.look_inside, prepared, shown_seed)
                        if figures:
                            report.plots["look_inside"] = figures
    except TamperedResult as exc:
        report = _not_gradable(Failure.contract_error, TAMPERED.format(detail=exc))
    except SandboxUnavailable as exc:
        # A stop closes the pool under a grading (between phases): the caller drops the report and grades it again.
        log.log(logging.INFO if pool.closed else logging.ERROR, "sandbox unavailable: %s", exc)
        report = GradeReport.system_error(f"The sandbox could not start: {exc}")
    except SpecError as exc:
        log.log(logging.INFO if pool.closed else logging.ERROR, "lesson error: %s", exc)  # a killed reference run
        report = GradeReport.system_error(f"The lesson's grading data is broken: {exc}")
    except Exception as exc:  # noqa: BLE001 - a bug of ours must still produce a report, not kill a batch
        log.exception("grading failed")
        report = GradeReport.system_error(f"The grader failed unexpectedly ({type(exc).__name__}); it has been logged.")
    assert report is not None
    timings["total"] = time.monotonic() - started
    report.lesson = grading.slug
    report.heldout = mode.value if mode is not None else ""
    report.timings = {k: round(v, 3) for k, v in timings.items()}
    if sandbox is not None:
        report.sandbox = sandbox
    report.log = truncate_log("\n".join(part for part in logs if part))
    emit(ReportEvent(status=report.status.value, score=report.score))
    return report
