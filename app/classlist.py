"""The class as the gradebook reads it from SQL: who the learners are and every attempt they made. No web framework."""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import Database, as_utc, now
from app.gradebook import Attempt
from app.tables import LearnerRow, SubmissionRow, UserRow

STAFF_ROLES = ("instructor", "admin")


@dataclass(frozen=True)
class ClassLearner:
    """One learner row of the class: an account's (with its email) or an anonymous browser's."""

    id: int
    email: str | None

    @property
    def name(self) -> str:
        return self.email or f"Anonymous learner #{self.id}"


AttemptsByLesson = dict[str, list[Attempt]]


class ClassList:
    """Class-wide reads for the instructor's dashboard. Staff accounts are not learners of the class."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _session(self) -> AbstractContextManager[Session]:
        return self.database.session()

    def learners(self) -> list[ClassLearner]:
        """Every learner with an account of role learner, and every anonymous learner who submitted something."""
        query = (select(LearnerRow.id, UserRow.email, UserRow.role)
                 .outerjoin(UserRow, UserRow.learner_id == LearnerRow.id).order_by(LearnerRow.id))
        with self._session() as session:
            submitted = set(session.scalars(select(SubmissionRow.learner_id).distinct()))
            return [ClassLearner(id=learner_id, email=email) for learner_id, email, role in session.execute(query)
                    if role not in STAFF_ROLES and (email is not None or learner_id in submitted)]

    def learner(self, learner_id: int) -> ClassLearner | None:
        return next((who for who in self.learners() if who.id == learner_id), None)

    def attempts(self, learner_id: int | None = None) -> dict[int, AttemptsByLesson]:
        """learner id -> lesson -> attempts (oldest first). Only the report's failure class and checks are read (in
        SQL), never the code, plots or log: a class of hundreds stays a small read."""
        failure, checks = SubmissionRow.report["failure"], SubmissionRow.report["checks"]
        query = select(SubmissionRow.learner_id, SubmissionRow.lesson, SubmissionRow.created, SubmissionRow.status,
                       SubmissionRow.score, failure, checks).order_by(SubmissionRow.id)
        if learner_id is not None:
            query = query.where(SubmissionRow.learner_id == learner_id)
        found: dict[int, AttemptsByLesson] = defaultdict(lambda: defaultdict(list))
        with self._session() as session:
            for who, lesson, created, status, score, failed_as, checked in session.execute(query):
                digest = {"failure": failed_as, "checks": checked if isinstance(checked, list) else []}
                found[who][lesson].append(Attempt.from_report(as_utc(created) or now(), status, score, digest))
        return {who: dict(lessons) for who, lessons in found.items()}
