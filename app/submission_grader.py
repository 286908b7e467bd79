"""One grading attempt of a submission or regrade item: claim it, grade it through the warm pool, stream its events
into the live-event log and record the result, fenced by the attempt number. No web framework here.

The embedded queue's threads (app/queue.py) and the PostgreSQL grading hosts (app/jobs/tasks.py) both run attempts
through this class, so the two backends grade, stream and fence identically.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError

from app.catalog import Lesson
from app.events import EventLog
from app.history import History, RegradeItem
from app.store import Store, Submission, SubmissionStatus
from app.versions import grader_version, lesson_version
from graders import GradeReport, HeldoutStore, Status, WorkerPool
from graders.protocol import Event, ReportEvent

log = logging.getLogger(__name__)
T = TypeVar("T")

# A submission whose grading was started this many times without a result (its host died each time, or it kills the
# host) becomes a clear error for an operator instead of an endless loop.
MAX_ATTEMPTS = 3
LOST_MESSAGE = ("The grader lost this submission {n} times (its grading host stopped each time) and has given up "
                "on it. This is not a verdict on your code: an operator has been told; submit again later.")


class GradeFunction(Protocol):
    def __call__(self, grading: Any, code: str, pool: WorkerPool, *, on_event: Any = ..., heldout: Any = ...,
                 prepared: Any = ..., max_code_bytes: int = ...) -> GradeReport: ...


class GradingObserver(Protocol):
    """What metrics see of each attempt (app/metrics.py)."""

    def observe_grading(self, lesson: str, priority: str, status: str, seconds: float) -> None: ...

    def observe_lost(self) -> None: ...


RECORD_RETRIES_S = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # ~30 s: a database restart or a busy moment passes


def _retrying(write: Callable[[], T], what: str) -> T:
    """A result already computed is not thrown away because the database hiccuped (busy, restarting, I/O error):
    the write is fenced and idempotent, so it is tried again with backoff before giving up."""
    for pause in RECORD_RETRIES_S:
        try:
            return write()
        except DBAPIError as exc:
            log.warning("could not record %s (%s); trying again in %.1f s", what, exc.__class__.__name__, pause)
            time.sleep(pause)
    return write()


class Abandoned(Exception):
    """The host is stopping and the attempt ended without a verdict on the learner's code: it must be graded again."""


class SubmissionGrader:
    """Runs attempts. `stopping()` says the host is shutting down: a result that is not a verdict (the pool was closed
    under it) is then not recorded, and Abandoned is raised so the caller releases the job."""

    def __init__(self, store: Store, history: History, events: EventLog, find_lesson: Callable[[str], Lesson | None],
                 pool: WorkerPool, grade_fn: GradeFunction, *, heldout: HeldoutStore | None = None,
                 max_code_bytes: int = 64 * 1024, observer: GradingObserver | None = None,
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.store, self.history, self.events = store, history, events
        self.find_lesson, self.pool, self.grade_fn = find_lesson, pool, grade_fn
        self.heldout, self.max_code_bytes = heldout, max_code_bytes
        self.observer, self.stopping = observer, stopping

    # -- a learner's submission
    def run(self, submission: Submission) -> Submission | None:
        """Grade a claimed submission (its `attempt` is the current one). Returns the recorded submission, or None when
        a newer attempt had taken over (fenced out). Raises Abandoned when the host stops mid-way."""
        started = time.monotonic()
        if submission.attempt > MAX_ATTEMPTS:
            log.error("submission %d was lost %d times; recording an error", submission.id, submission.attempt - 1)
            report = GradeReport.system_error(LOST_MESSAGE.format(n=submission.attempt - 1), lesson=submission.lesson)
            return self._record(submission, report, started)
        report = self._grade(submission, lambda event: self._on_event(submission, event))
        if self.stopping() and report.status not in (Status.passed, Status.failed):
            # The pool was closed under it: a killed worker says nothing about the learner's code. Planned, so the
            # attempt is given back (released) rather than counted as lost.
            self.store.release(submission.id, submission.attempt)
            raise Abandoned(f"submission {submission.id}")
        report.submission = str(submission.id)
        return self._record(submission, report, started)

    def _record(self, submission: Submission, report: GradeReport, started: float) -> Submission | None:
        if report.status is Status.error:
            log.error("submission %d ended in a system error: %s", submission.id, report.summary)
        finished = _retrying(lambda: self.store.finish_attempt(
            submission.id, submission.attempt, SubmissionStatus(report.status.value), report.score,
            report.model_dump(mode="json"), grader_version=grader_version(),
            lesson_version=self._lesson_version(submission.lesson)), f"the result of submission {submission.id}")
        if finished is None:
            log.warning("submission %d attempt %d finished after a newer attempt took over: result discarded",
                        submission.id, submission.attempt)
            return None
        self.events.rung(submission.id)
        if self.observer is not None:
            self.observer.observe_grading(submission.lesson, "interactive", report.status.value,
                                          time.monotonic() - started)
        return finished

    def _on_event(self, submission: Submission, typed: Event) -> None:
        if isinstance(typed, ReportEvent):  # the report event is written with the result, in the same transaction
            return
        try:
            self.events.append(submission.id, submission.attempt, typed.to_dict())
        except Exception:  # noqa: BLE001 - a lost progress line must not fail the grading
            log.warning("could not store a live event of submission %d", submission.id, exc_info=True)

    # -- an instructor's regrade
    def run_regrade(self, item: RegradeItem) -> bool:
        """Grade one claimed regrade item with the lesson and grader as they are now; nobody watches it live. False
        when fenced out. Raises Abandoned when the host stops mid-way."""
        started = time.monotonic()
        submission = item.submission
        if item.attempt > MAX_ATTEMPTS:
            report = GradeReport.system_error(LOST_MESSAGE.format(n=item.attempt - 1), lesson=submission.lesson)
        else:
            report = self._grade(submission, None)  # nobody follows a regrade live
        if self.stopping() and report.status not in (Status.passed, Status.failed):
            self.history.release_grading(item)
            raise Abandoned(f"regrade item {item.grading_id}")
        report.submission = str(submission.id)
        done = _retrying(lambda: self.history.finish_regrade_item(
            item, SubmissionStatus(report.status.value), report.score, report.model_dump(mode="json"),
            grader_version=grader_version(), lesson_version=self._lesson_version(submission.lesson)),
            f"regrade item {item.grading_id}")
        if done is not None and self.observer is not None:
            self.observer.observe_grading(submission.lesson, "regrade", report.status.value,
                                          time.monotonic() - started)
        return done is not None

    def _grade(self, submission: Submission, on_event: Callable[[Event], None] | None) -> GradeReport:
        """The learner's code through the grader with the lesson as it is now; a bug of ours becomes status 'error'."""
        lesson = self.find_lesson(submission.lesson)
        if lesson is None:
            return GradeReport.system_error(f"The lesson {submission.lesson!r} no longer exists on this server.",
                                            lesson=submission.lesson)
        try:
            return self.grade_fn(lesson.grading, submission.code, self.pool, on_event=on_event, heldout=self.heldout,
                                 prepared=lesson.prepared, max_code_bytes=self.max_code_bytes)
        except Exception:  # noqa: BLE001 - one submission's 'error', and the queue or regrade goes on
            log.exception("grading submission %d failed", submission.id)
            return GradeReport.system_error("The server failed while grading (our bug, not yours); it has been "
                                            "logged.", lesson=submission.lesson)

    def _lesson_version(self, slug: str) -> str:
        folder = getattr(self.find_lesson(slug), "folder", None)
        if folder is None:
            return "missing"
        try:
            return lesson_version(folder)
        except OSError:
            return "unreadable"
