"""The store: learners and their submissions in SQL (SQLite by default, PostgreSQL works). No web framework here."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    case,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class SubmissionStatus(enum.StrEnum):
    """Where a submission is in its life; the last four are graders' Status values."""

    queued = "queued"
    running = "running"
    passed = "passed"
    failed = "failed"
    not_gradable = "not_gradable"
    error = "error"


ACTIVE = (SubmissionStatus.queued.value, SubmissionStatus.running.value)


class _Base(DeclarativeBase):
    pass


class LearnerRow(_Base):
    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubmissionRow(_Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_status_id", "status", "id"),
        Index("ix_submissions_learner_lesson", "learner_id", "lesson", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    lesson: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


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

    @property
    def done(self) -> bool:
        return self.status.value not in ACTIVE

    @classmethod
    def from_row(cls, row: SubmissionRow) -> Submission:
        return cls(id=row.id, learner_id=row.learner_id, lesson=row.lesson, code=row.code,
                   status=SubmissionStatus(row.status), score=row.score, report=row.report,
                   created=_utc(row.created) or now(), started=_utc(row.started), finished=_utc(row.finished))


@dataclass(frozen=True)
class LessonProgress:
    """What one learner has done on one lesson, for the course page."""

    attempts: int
    best_score: float | None
    passed: bool

    @property
    def state(self) -> str:
        return "passed" if self.passed else "attempted" if self.attempts else "not started"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets page reads proceed while the grading thread writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    """Every read and write of learners and submissions. Thread-safe: one short session per call."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with self._session() as session:
            session.execute(select(1))

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

    def claim_next(self) -> Submission | None:
        """Oldest queued submission, now marked running. SKIP LOCKED keeps two claimers apart on PostgreSQL."""
        query = (select(SubmissionRow).where(SubmissionRow.status == SubmissionStatus.queued.value)
                 .order_by(SubmissionRow.id).limit(1).with_for_update(skip_locked=True))
        with self._session() as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            row.status = SubmissionStatus.running.value
            row.started = now()
            session.flush()
            return Submission.from_row(row)

    def finish(self, submission_id: int, status: SubmissionStatus, score: float, report: dict[str, Any]) -> Submission:
        with self._session() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None:
                raise KeyError(submission_id)
            row.status, row.score, row.report, row.finished = status.value, score, report, now()
            session.flush()
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
