"""The store: learners and their submissions in SQL (SQLite by default, PostgreSQL works). No web framework here.

The tables live in app/tables.py and are created by the migrations (app/migrate.py), never here."""

from __future__ import annotations

import enum
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, case, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from app.database import Database, as_utc, now
from app.events import add_event
from app.tables import GradingRow, LearnerRow, SubmissionRow

UNKNOWN_VERSION = "unknown"


class LearnerFull(Exception):
    """The learner already has as many submissions waiting as allowed."""


class EveryoneFull(Exception):
    """The whole queue is as long as allowed."""


class SubmissionStatus(enum.StrEnum):
    """Where a submission is in its life; the last four are graders' Status values."""

    queued = "queued"
    running = "running"
    passed = "passed"
    failed = "failed"
    not_gradable = "not_gradable"
    error = "error"


ACTIVE = (SubmissionStatus.queued.value, SubmissionStatus.running.value)
GRADED = (SubmissionStatus.passed.value, SubmissionStatus.failed.value, SubmissionStatus.not_gradable.value)
ESTIMATE_HISTORY = 20


def _span_seconds(start: datetime, end: datetime) -> float:
    return (end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds()  # both UTC; SQLite drops the zone


@dataclass(frozen=True)
class WaitEstimate:
    """Seconds until a queued submission starts and until its report, from recent gradings (an estimate, rounded)."""

    until_start_s: int
    until_report_s: int
    grading_s: int


@dataclass(frozen=True)
class Submission:
    """One submission as the rest of the app sees it (a detached copy of the row)."""

    id: int
    learner_id: int
    lesson: str
    code: str
    status: SubmissionStatus
    score: float | None
    report: dict[str, Any] | None
    created: datetime
    started: datetime | None
    finished: datetime | None
    attempt: int = 0  # gradings started so far; the current one is the only one that may record a result
    job_id: int | None = None  # its procrastinate job (PostgreSQL backend)

    @property
    def done(self) -> bool:
        return self.status.value not in ACTIVE

    @classmethod
    def from_row(cls, row: SubmissionRow) -> Submission:
        return cls(id=row.id, learner_id=row.learner_id, lesson=row.lesson, code=row.code,
                   status=SubmissionStatus(row.status), score=row.score, report=row.report,
                   created=as_utc(row.created) or now(), started=as_utc(row.started), finished=as_utc(row.finished),
                   attempt=row.attempt or 0, job_id=row.job_id)


@dataclass(frozen=True)
class LessonProgress:
    """What one learner has done on one lesson, for the course page."""

    attempts: int
    best_score: float | None
    passed: bool

    @property
    def state(self) -> str:
        return "passed" if self.passed else "attempted" if self.attempts else "not started"


QueuedRow = TypeVar("QueuedRow", SubmissionRow, GradingRow)


def take_first_queued(session: Session, query: Select[QueuedRow], model: type[QueuedRow]) -> QueuedRow | None:
    """The first row of `query` moved from queued to running by compare-and-set: on SQLite the SELECT takes no lock,
    so another claimer may just have taken it, and then the next row is tried."""
    while (row := session.scalars(query).first()) is not None:
        taken = session.execute(update(model).where(model.id == row.id,
                                                    model.status == SubmissionStatus.queued.value)
                                .values(status=SubmissionStatus.running.value))
        if getattr(taken, "rowcount", 0):
            session.refresh(row)
            return row
    return None


class Store:
    """Every read and write of learners and submissions. Thread-safe: one short session per call."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _session(self) -> AbstractContextManager[Session]:
        return self.database.session()

    def close(self) -> None:
        self.database.close()

    def ping(self) -> None:
        self.database.ping()

    # -- learners
    def create_learner(self) -> int:
        with self._session() as session:
            row = LearnerRow(created=now())
            session.add(row)
            session.flush()
            return row.id

    def learner_exists(self, learner_id: int) -> bool:
        with self._session() as session:
            return session.get(LearnerRow, learner_id) is not None

    # -- submissions
    def add_submission(self, learner_id: int, lesson: str, code: str) -> Submission:
        with self._session() as session:
            row = SubmissionRow(learner_id=learner_id, lesson=lesson, code=code,
                                status=SubmissionStatus.queued.value, created=now())
            session.add(row)
            session.flush()
            return Submission.from_row(row)

    def add_submission_if_room(self, learner_id: int, lesson: str, code: str, *, max_active: int,
                               max_queued: int) -> Submission:
        """add_submission, unless the learner already has `max_active` queued or running (LearnerFull) or everyone
        has `max_queued` queued (QueueFull). On PostgreSQL the learner's row is locked first, so two web replicas
        taking the same learner's submissions at once count one after the other; SQLite has a single writer."""
        with self._session() as session:
            session.execute(select(LearnerRow.id).where(LearnerRow.id == learner_id).with_for_update())
            active = session.scalar(select(func.count()).where(SubmissionRow.learner_id == learner_id,
                                                               SubmissionRow.status.in_(ACTIVE)))
            if int(active or 0) >= max_active:
                raise LearnerFull(learner_id)
            queued = session.scalar(select(func.count()).where(SubmissionRow.status == SubmissionStatus.queued.value))
            if int(queued or 0) >= max_queued:
                raise EveryoneFull()
            row = SubmissionRow(learner_id=learner_id, lesson=lesson, code=code,
                                status=SubmissionStatus.queued.value, created=now())
            session.add(row)
            session.flush()
            return Submission.from_row(row)

    def get_submission(self, submission_id: int) -> Submission | None:
        with self._session() as session:
            row = session.get(SubmissionRow, submission_id)
            return Submission.from_row(row) if row else None

    def list_submissions(self, learner_id: int, lesson: str, limit: int = 50) -> list[Submission]:
        """Newest first."""
        query = (select(SubmissionRow).where(SubmissionRow.learner_id == learner_id, SubmissionRow.lesson == lesson)
                 .order_by(SubmissionRow.id.desc()).limit(limit))
        with self._session() as session:
            return [Submission.from_row(row) for row in session.scalars(query)]

    def count_active(self, learner_id: int) -> int:
        query = select(func.count()).where(SubmissionRow.learner_id == learner_id, SubmissionRow.status.in_(ACTIVE))
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def count_by_status(self) -> dict[str, int]:
        query = select(SubmissionRow.status, func.count()).where(SubmissionRow.status.in_(ACTIVE)).group_by(
            SubmissionRow.status)
        with self._session() as session:
            counts = {status: 0 for status in ACTIVE}
            counts.update({status: int(n) for status, n in session.execute(query)})
            return counts

    def queue_position(self, submission_id: int) -> int | None:
        """1 for the next to be graded; None once it is no longer queued."""
        with self._session() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None or row.status != SubmissionStatus.queued.value:
                return None
            ahead = session.scalar(select(func.count()).where(
                SubmissionRow.status == SubmissionStatus.queued.value, SubmissionRow.id < submission_id))
            return int(ahead or 0) + 1

    def wait_estimate(self, submission_id: int, slots: int | None) -> WaitEstimate | None:
        """How long until this queued submission's report, from how long recent gradings of the same lessons took
        (the median of each lesson's last ESTIMATE_HISTORY), the gradings running now and the queue ahead of it,
        shared by `slots` gradings at once (None: as many as run now). None when there is no history to go by."""
        with self._session() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None or row.status != SubmissionStatus.queued.value:
                return None
            ahead = session.execute(select(SubmissionRow.lesson, SubmissionRow.status, SubmissionRow.started).where(
                SubmissionRow.status.in_(ACTIVE), SubmissionRow.id < submission_id)).all()
            lessons = {row.lesson} | {lesson for lesson, _, _ in ahead}
            typical: dict[str, float] = {}
            for lesson in lessons:
                spans = session.execute(
                    select(SubmissionRow.started, SubmissionRow.finished)
                    .where(SubmissionRow.lesson == lesson, SubmissionRow.status.in_(GRADED),
                           SubmissionRow.started.is_not(None), SubmissionRow.finished.is_not(None))
                    .order_by(SubmissionRow.id.desc()).limit(ESTIMATE_HISTORY)).all()
                seconds = sorted(_span_seconds(start, end) for start, end in spans if start and end)
                if seconds:
                    typical[lesson] = seconds[len(seconds) // 2]
        if row.lesson not in typical:
            return None
        fallback = sorted(typical.values())[len(typical) // 2]
        clock = now()
        running = [max(0.0, typical.get(lesson, fallback) - (clock - started_at).total_seconds())
                   for lesson, status, started in ahead
                   if status == SubmissionStatus.running.value and (started_at := as_utc(started)) is not None]
        queued = [typical.get(lesson, fallback) for lesson, status, _ in ahead if status == SubmissionStatus.queued.value]
        width = max(1, slots if slots is not None else len(running))
        until_start = (sum(running) + sum(queued)) / width
        return WaitEstimate(until_start_s=round(until_start), until_report_s=round(until_start + typical[row.lesson]),
                            grading_s=round(typical[row.lesson]))

    def claim_next(self) -> Submission | None:
        """Oldest queued submission of a learner who has none running, now marked running under a new attempt. SKIP
        LOCKED keeps two claimers apart on PostgreSQL; the embedded queue also claims under one lock."""
        busy = aliased(SubmissionRow)
        learner_busy = exists().where(busy.learner_id == SubmissionRow.learner_id,
                                      busy.status == SubmissionStatus.running.value)
        # One worker per learner: a learner's next submission waits while their previous one is being graded, so
        # nobody can hold every grading thread (the scaled layout gets the same from procrastinate's job locks).
        query = (select(SubmissionRow).where(SubmissionRow.status == SubmissionStatus.queued.value, ~learner_busy)
                 .order_by(SubmissionRow.id).limit(1).with_for_update(skip_locked=True))
        with self._session() as session:
            row = take_first_queued(session, query, SubmissionRow)
            return None if row is None else self._start(session, row)

    def supersede_queued(self, newer: Submission, report: dict[str, Any]) -> list[Submission]:
        """The learner's older submissions of the same lesson that are still queued end ungraded (`report` says why):
        only the newest waiting code is worth a worker. One that a grader claims meanwhile is left to it (CAS)."""
        query = select(SubmissionRow.id).where(SubmissionRow.learner_id == newer.learner_id,
                                               SubmissionRow.lesson == newer.lesson, SubmissionRow.id < newer.id,
                                               SubmissionRow.status == SubmissionStatus.queued.value)
        with self._session() as session:
            older = list(session.scalars(query))
        done = (self.finish_unclaimed(submission_id, SubmissionStatus.not_gradable, 0.0, report)
                for submission_id in older)
        return [submission for submission in done if submission is not None]

    def finish_unclaimed(self, submission_id: int, status: SubmissionStatus, score: float,
                         report: dict[str, Any]) -> Submission | None:
        """Record a result for a submission no grader has claimed (a syntax error answered at once, a superseded one),
        with its history row and report event. None when a grader took it first (compare-and-set): it grades it."""
        with self._session() as session:
            moment = now()
            taken = session.execute(update(SubmissionRow).where(
                SubmissionRow.id == submission_id, SubmissionRow.status == SubmissionStatus.queued.value).values(
                status=status.value, score=score, report=report, finished=moment))
            if not getattr(taken, "rowcount", 0):
                return None
            row = session.get(SubmissionRow, submission_id)
            assert row is not None
            session.refresh(row)
            session.add(GradingRow(submission_id=row.id, status=status.value, score=score, report=report,
                                   grader_version=UNKNOWN_VERSION, lesson_version=UNKNOWN_VERSION, graded=moment))
            add_event(session, row.id, row.attempt or 0, {"event": "report", "id": row.id, "status": status.value,
                                                          "score": score})
            return Submission.from_row(row)

    def claim(self, submission_id: int) -> Submission | None:
        """Start a new attempt at one submission (a grading host's job): None when it is already graded or gone.
        A running one is claimed too: its job was re-queued because its host was presumed dead."""
        query = (select(SubmissionRow).where(SubmissionRow.id == submission_id, SubmissionRow.status.in_(ACTIVE))
                 .with_for_update())
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else self._start(session, row)

    @staticmethod
    def _start(session: Session, row: SubmissionRow) -> Submission:
        row.status = SubmissionStatus.running.value
        row.started = now()
        row.attempt = (row.attempt or 0) + 1
        session.flush()
        add_event(session, row.id, row.attempt, {"event": "started", "attempt": row.attempt})
        return Submission.from_row(row)

    def release(self, submission_id: int, attempt: int) -> bool:
        """A grading that stopped without a verdict because its host was stopping (not dying): back to 'queued', and
        the attempt given back, so planned restarts never count towards MAX_ATTEMPTS. Fenced; False if not current."""
        with self._session() as session:
            released = session.execute(update(SubmissionRow).where(
                SubmissionRow.id == submission_id, SubmissionRow.attempt == attempt,
                SubmissionRow.status == SubmissionStatus.running.value).values(
                status=SubmissionStatus.queued.value, started=None, attempt=attempt - 1))
            return bool(getattr(released, "rowcount", 0))

    def set_job(self, submission_id: int, job_id: int) -> None:
        with self._session() as session:
            session.execute(update(SubmissionRow).where(SubmissionRow.id == submission_id).values(job_id=job_id))

    def finish(self, submission_id: int, status: SubmissionStatus, score: float, report: dict[str, Any], *,
               grader_version: str = UNKNOWN_VERSION, lesson_version: str = UNKNOWN_VERSION) -> Submission:
        """Record a grading whatever attempt is current (tools and tests; graders use finish_attempt)."""
        finished = self.finish_attempt(submission_id, None, status, score, report, grader_version=grader_version,
                                       lesson_version=lesson_version)
        assert finished is not None  # unfenced: always written
        return finished

    def finish_attempt(self, submission_id: int, attempt: int | None, status: SubmissionStatus, score: float,
                       report: dict[str, Any], *, grader_version: str = UNKNOWN_VERSION,
                       lesson_version: str = UNKNOWN_VERSION) -> Submission | None:
        """Record a grading: the submission's latest result, a row of its history (app/history.py) with the versions
        of the grader and the lesson that made it, and the `report` live event, in one transaction.

        Fenced: it counts only while `attempt` is the current one and still running; otherwise nothing is written and
        None comes back (a host presumed dead finished late, or the result was already recorded)."""
        with self._session() as session:
            query = select(SubmissionRow).where(SubmissionRow.id == submission_id).with_for_update()
            row = session.scalars(query).first()
            if row is None:
                raise KeyError(submission_id)
            if attempt is not None and (row.attempt != attempt or row.status != SubmissionStatus.running.value):
                return None
            row.status, row.score, row.report, row.finished = status.value, score, report, now()
            session.add(GradingRow(submission_id=submission_id, status=status.value, score=score, report=report,
                                   grader_version=grader_version, lesson_version=lesson_version, graded=row.finished))
            session.flush()
            add_event(session, row.id, row.attempt, {"event": "report", "id": row.id, "status": status.value,
                                                     "score": score})
            return Submission.from_row(row)

    def requeue_unfinished(self) -> list[int]:
        """Submissions a stopped server left queued or running go back in the queue (in their original order)."""
        with self._session() as session:
            rows = session.scalars(select(SubmissionRow).where(SubmissionRow.status.in_(ACTIVE))
                                   .order_by(SubmissionRow.id)).all()
            for row in rows:
                row.status, row.started = SubmissionStatus.queued.value, None
            return [row.id for row in rows]

    def progress(self, learner_id: int) -> dict[str, LessonProgress]:
        """Per lesson: finished attempts, best score, passed or not."""
        passed = func.max(case((SubmissionRow.status == SubmissionStatus.passed.value, 1), else_=0))
        query = (select(SubmissionRow.lesson, func.count(), func.max(SubmissionRow.score), passed)
                 .where(SubmissionRow.learner_id == learner_id).group_by(SubmissionRow.lesson))
        with self._session() as session:
            return {lesson: LessonProgress(attempts=int(n), best_score=best, passed=bool(ok))
                    for lesson, n, best, ok in session.execute(query)}

    def all_submissions(self, learner_id: int) -> list[Submission]:
        """Every submission of one learner, oldest first (the account's download)."""
        query = select(SubmissionRow).where(SubmissionRow.learner_id == learner_id).order_by(SubmissionRow.id)
        with self._session() as session:
            return [Submission.from_row(row) for row in session.scalars(query)]

    def merge_learner(self, source: int, target: int) -> int:
        """Move every submission of learner `source` to `target` and drop `source`. Idempotent. Returns how many moved."""
        if source == target:
            return 0
        with self._session() as session:
            if session.get(LearnerRow, source) is None or session.get(LearnerRow, target) is None:
                return 0
            moved = session.execute(update(SubmissionRow).where(SubmissionRow.learner_id == source)
                                    .values(learner_id=target))
            session.execute(delete(LearnerRow).where(LearnerRow.id == source))
            return int(getattr(moved, "rowcount", 0) or 0)
