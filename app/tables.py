"""The SQL tables (SQLAlchemy models): the one schema the Alembic migrations in app/migrations/ must produce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("learner", "instructor", "admin")


class Base(DeclarativeBase):
    pass


class LearnerRow(Base):
    """Whoever submits: an anonymous browser (signed cookie) or the learner row an account owns."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubmissionRow(Base):
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
    # Fencing: how many gradings were started; only the current one may record a result (app/store.py finish()).
    attempt: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # its procrastinate job (PostgreSQL backend)


class SubmissionEventRow(Base):
    """One live event of one grading attempt (started, phase, epoch, report), in order: what every web replica streams
    to browsers over SSE, resumable by id (Last-Event-ID)."""

    __tablename__ = "submission_events"
    __table_args__ = (Index("ix_submission_events_submission_id", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegradeRow(Base):
    """An instructor's request to grade a lesson's finished submissions again (after the lesson or grader changed).

    Its work items are grading rows with its id, made 'queued' when it is requested; progress is counted from them."""

    __tablename__ = "regrades"
    __table_args__ = (Index("ix_regrades_lesson", "lesson", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson: Mapped[str] = mapped_column(String(100))
    requested_by: Mapped[str] = mapped_column(String(254))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    total: Mapped[int] = mapped_column(Integer)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GradingRow(Base):
    """One grading of one submission, kept forever: the submission row holds the latest result, this table every
    one, each with the grader and lesson versions it was made with. A regrade's rows start 'queued' (no report yet)."""

    __tablename__ = "gradings"
    __table_args__ = (
        Index("ix_gradings_submission_id", "submission_id", "id"),
        Index("ix_gradings_regrade_id", "regrade_id", "status"),
        Index("ix_gradings_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    regrade_id: Mapped[int | None] = mapped_column(ForeignKey("regrades.id", ondelete="CASCADE"), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    grader_version: Mapped[str] = mapped_column(String(80))
    lesson_version: Mapped[str] = mapped_column(String(80))
    graded: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, server_default="0", default=0)  # fencing, as on submissions


class UserRow(Base):
    """A local account. It owns exactly one learner row, which holds its submissions."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email", name="uq_users_email"),
        UniqueConstraint("learner_id", name="uq_users_learner_id"),
        CheckConstraint("role IN ('learner', 'instructor', 'admin')", name="ck_users_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # normalised: trimmed, lower case
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuthSessionRow(Base):
    """A signed-in browser. The id is the SHA-256 of the cookie's token: a leaked table signs nobody in."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginFailureRow(Base):
    """One failed log-in, counted per email and per address (in the database, so every worker sees it)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckRunRow(Base):
    """A learner's Check on the scaled layout, only while it runs: a web replica writes the code, a grading host the
    report, the replica reads it and deletes the row. Never a submission (no history, no gradebook); rows a replica
    abandoned are purged after minutes."""

    __tablename__ = "check_runs"
    __table_args__ = (Index("ix_check_runs_created", "created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(Integer)  # not a foreign key: the row outlives nothing and blocks no deletion
    address: Mapped[str] = mapped_column(String(64))
    lesson: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


metadata = Base.metadata


def _schema() -> MetaData:
    """Every table the migrations make: ours, and LTI's (kept on their own MetaData beside their code)."""
    from app.lti.tables import metadata as lti_metadata

    schema = MetaData()
    for source in (metadata, lti_metadata):
        for table in source.tables.values():
            table.to_metadata(schema)
    return schema


SCHEMA = _schema()

