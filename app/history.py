"""Grading history and regrades in SQL: every grading of a submission, and instructors' regrades of a lesson.

A regrade's work items are grading rows made 'queued' when it is requested, one per finished submission of the
lesson; the queue grades them only when no learner is waiting (app/queue.py), and each finished item also becomes
its submission's latest result. Nothing is ever overwritten: the earlier gradings stay. No web framework here."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.database import Database, as_utc, now
from app.store import ACTIVE, Submission, SubmissionStatus, take_first_queued
from app.tables import GradingRow, RegradeRow, SubmissionRow


class RegradeRunning(Exception):
    """The lesson already has a regrade in progress; the new request is refused (it would grade everything twice)."""

    def __init__(self, regrade: Regrade) -> None:
        super().__init__(f"A regrade of {regrade.lesson} is already running ({regrade.done} of {regrade.total} done).")
        self.regrade = regrade


@dataclass(frozen=True)
class Grading:
    """One grading of a submission: its result and what made it."""

    id: int
    submission_id: int
    regrade_id: int | None
    status: SubmissionStatus
    score: float | None
    report: dict[str, Any] | None
    grader_version: str
    lesson_version: str
    graded: datetime | None

    @classmethod
    def from_row(cls, row: GradingRow) -> Grading:
        return cls(id=row.id, submission_id=row.submission_id, regrade_id=row.regrade_id,
                   status=SubmissionStatus(row.status), score=row.score, report=row.report,
                   grader_version=row.grader_version, lesson_version=row.lesson_version, graded=as_utc(row.graded))


@dataclass(frozen=True)
class Regrade:
    """A regrade and how far it has got."""

    id: int
    lesson: str
    requested_by: str
    created: datetime
    total: int
    done: int
    finished: datetime | None

    @property
    def running(self) -> bool:
        return self.finished is None


@dataclass(frozen=True)
class RegradeItem:
    """One queued grading of a regrade, handed to a grading thread with the submission it re-grades."""

    grading_id: int
    regrade_id: int
    submission: Submission
    attempt: int = 0  # fencing: only the current attempt may record the result


class History:
    """Reads and writes of gradings and regrades. Thread-safe: one short session per call."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _session(self) -> AbstractContextManager[Session]:
        return self.database.session()

    def gradings(self, submission_id: int) -> list[Grading]:
        """Every finished grading of one submission, oldest first (the last is the one that counts)."""
        query = (select(GradingRow).where(GradingRow.submission_id == submission_id, GradingRow.status.not_in(ACTIVE))
                 .order_by(GradingRow.id))
        with self._session() as session:
            return [Grading.from_row(row) for row in session.scalars(query)]

    # -- regrades
    def request_regrade(self, lesson: str, requested_by: str) -> Regrade:
        """Queue a new grading of every finished submission of `lesson`. Raises RegradeRunning if one is under way."""
        with self._session() as session:
            running = session.scalars(select(RegradeRow).where(RegradeRow.lesson == lesson,
                                                               RegradeRow.finished.is_(None))).first()
            if running is not None:
                raise RegradeRunning(self._regrade(session, running))
            ids = list(session.scalars(select(SubmissionRow.id).where(
                SubmissionRow.lesson == lesson, SubmissionRow.status.not_in(ACTIVE)).order_by(SubmissionRow.id)))
            row = RegradeRow(lesson=lesson, requested_by=requested_by, created=now(), total=len(ids),
                             finished=None if ids else now())
            session.add(row)
            session.flush()
            session.add_all(GradingRow(submission_id=sid, regrade_id=row.id, status=SubmissionStatus.queued.value,
                                       grader_version="", lesson_version="") for sid in ids)
            session.flush()
            return self._regrade(session, row)

    def regrade(self, regrade_id: int) -> Regrade | None:
        with self._session() as session:
            row = session.get(RegradeRow, regrade_id)
            return self._regrade(session, row) if row else None

    def latest_regrades(self) -> dict[str, Regrade]:
        """Each lesson's most recent regrade."""
        latest = select(func.max(RegradeRow.id)).group_by(RegradeRow.lesson)
        with self._session() as session:
            rows = session.scalars(select(RegradeRow).where(RegradeRow.id.in_(latest)))
            return {row.lesson: self._regrade(session, row) for row in rows}

    @staticmethod
    def _regrade(session: Session, row: RegradeRow) -> Regrade:
        done = session.scalar(select(func.count()).where(GradingRow.regrade_id == row.id,
                                                         GradingRow.status.not_in(ACTIVE)))
        return Regrade(id=row.id, lesson=row.lesson, requested_by=row.requested_by,
                       created=as_utc(row.created) or now(), total=row.total, done=int(done or 0),
                       finished=as_utc(row.finished))

    def claim_regrade_item(self) -> RegradeItem | None:
        """The oldest queued regrade grading, now marked running (the queue asks only when no learner waits)."""
        query = (select(GradingRow).where(GradingRow.status == SubmissionStatus.queued.value)
                 .order_by(GradingRow.id).limit(1).with_for_update(skip_locked=True))
        with self._session() as session:
            row = take_first_queued(session, query, GradingRow)
            return None if row is None else self._start(session, row)

    def claim_grading(self, grading_id: int) -> RegradeItem | None:
        """Start a new attempt at one regrade grading (a grading host's job): None when it is done or gone. A running
        one is claimed too: its host was presumed dead."""
        query = (select(GradingRow).where(GradingRow.id == grading_id, GradingRow.status.in_(ACTIVE))
                 .with_for_update())
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else self._start(session, row)

    @staticmethod
    def _start(session: Session, row: GradingRow) -> RegradeItem | None:
        if row.regrade_id is None:
            return None
        submission = session.get(SubmissionRow, row.submission_id)
        if submission is None:  # deleted with its account (cascade makes this rare): nothing to grade
            return None
        row.status = SubmissionStatus.running.value
        row.attempt = (row.attempt or 0) + 1
        session.flush()
        return RegradeItem(grading_id=row.id, regrade_id=row.regrade_id, submission=Submission.from_row(submission),
                           attempt=row.attempt)

    def release_grading(self, item: RegradeItem) -> bool:
        """As Store.release, for a regrade item whose host was stopping."""
        with self._session() as session:
            released = session.execute(update(GradingRow).where(
                GradingRow.id == item.grading_id, GradingRow.attempt == item.attempt,
                GradingRow.status == SubmissionStatus.running.value).values(
                status=SubmissionStatus.queued.value, attempt=item.attempt - 1))
            return bool(getattr(released, "rowcount", 0))

    def queued_gradings(self, regrade_id: int) -> list[int]:
        """The regrade's gradings still waiting (each becomes a job on the PostgreSQL backend)."""
        with self._session() as session:
            return list(session.scalars(select(GradingRow.id).where(
                GradingRow.regrade_id == regrade_id, GradingRow.status == SubmissionStatus.queued.value)
                .order_by(GradingRow.id)))

    def finish_regrade_item(self, item: RegradeItem, status: SubmissionStatus, score: float, report: dict[str, Any],
                            *, grader_version: str, lesson_version: str) -> Regrade | None:
        """Record a regrade's grading: a new history row, and the submission's latest result. Ends the regrade when
        it was the last item. Fenced like Store.finish_attempt: None (nothing written) when `item.attempt` is no
        longer the current, running attempt."""
        with self._session() as session:
            grading = session.scalars(select(GradingRow).where(GradingRow.id == item.grading_id)
                                      .with_for_update()).first()
            if grading is None:
                raise KeyError(item.grading_id)
            if grading.attempt != item.attempt or grading.status != SubmissionStatus.running.value:
                return None
            moment = now()
            grading.status, grading.score, grading.report, grading.graded = status.value, score, report, moment
            grading.grader_version, grading.lesson_version = grader_version, lesson_version
            submission = session.get(SubmissionRow, item.submission.id)
            # An error is ours (or the item was lost): it goes in the history, never over the learner's last result.
            if submission is not None and status is not SubmissionStatus.error:
                submission.status, submission.score, submission.report = status.value, score, report
            # Locked: two hosts finishing the last two items at once would each count the other as still running,
            # and neither would end the regrade.
            regrade = session.scalars(select(RegradeRow).where(RegradeRow.id == item.regrade_id)
                                      .with_for_update()).first()
            if regrade is None:
                raise KeyError(item.regrade_id)
            session.flush()
            left = session.scalar(select(func.count()).where(GradingRow.regrade_id == regrade.id,
                                                             GradingRow.status.in_(ACTIVE)))
            if not left:
                regrade.finished = moment
            session.flush()
            return self._regrade(session, regrade)

    def requeue_unfinished(self) -> int:
        """Regrade items a stopped server left running go back in the queue."""
        with self._session() as session:
            rows = session.scalars(select(GradingRow).where(GradingRow.status == SubmissionStatus.running.value)).all()
            for row in rows:
                row.status = SubmissionStatus.queued.value
            return len(rows)
