"""Checks on the scaled layout: a web replica (no pool) writes the code to `check_runs` and defers a job; a grading
host runs the Check and writes its report into the row; the replica reads it, answers, and deletes the row.

The same limits as the embedded CheckRunner, but counted in the database so every replica agrees: one Check at a
time per learner, at most CAPACITY waiting or running in all, at most half of them from one client address. Rows a
replica gave up on (it timed out, it died) are purged after STALE. No web framework here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update

from app.checks import admit
from app.database import Database, now
from app.tables import CheckRunRow

CAPACITY = 32  # Checks waiting or running across the deployment; each is a few CPU seconds on a grading host
STALE = timedelta(minutes=10)  # far beyond a Check's own limits: nobody is waiting for such a row any more
QUEUED, RUNNING, DONE = "queued", "running", "done"


class CheckRuns:
    def __init__(self, database: Database, capacity: int = CAPACITY) -> None:
        self.database = database
        self.capacity = capacity

    def create(self, learner_id: int, address: str, lesson: str, code: str) -> int:
        """Store a Check for a grading host; raises CheckBusy (this learner has one) or ChecksFull."""
        with self.database.session() as session:
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # Replicas count and insert one at a time, so two cannot both take the last place.
                session.execute(text("LOCK TABLE check_runs IN SHARE ROW EXCLUSIVE MODE"))
            fresh = CheckRunRow.created > now() - STALE
            waiting = select(func.count()).select_from(CheckRunRow).where(fresh, CheckRunRow.state != DONE)
            admit(busy=bool(session.scalar(waiting.where(CheckRunRow.learner_id == learner_id))),
                  waiting=session.scalar(waiting) or 0, capacity=self.capacity,
                  from_address=session.scalar(waiting.where(CheckRunRow.address == address[:64])) or 0)
            row = CheckRunRow(learner_id=learner_id, address=address[:64], lesson=lesson, code=code, state=QUEUED,
                              created=now())
            session.add(row)
            session.flush()
            return row.id

    def claim(self, run_id: int) -> tuple[str, str] | None:
        """(lesson, code) for the host that takes the run; None when it is taken, answered, abandoned or stale."""
        with self.database.session() as session:
            taken = session.execute(update(CheckRunRow).where(
                CheckRunRow.id == run_id, CheckRunRow.state == QUEUED, CheckRunRow.created > now() - STALE)
                .values(state=RUNNING))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.get(CheckRunRow, run_id)
            return (row.lesson, row.code) if row is not None else None

    def release(self, run_id: int) -> None:
        """A stopping host gives the run back, for another host's job to take."""
        with self.database.session() as session:
            session.execute(update(CheckRunRow).where(CheckRunRow.id == run_id, CheckRunRow.state == RUNNING)
                            .values(state=QUEUED))

    def finish(self, run_id: int, report: dict[str, Any]) -> None:
        with self.database.session() as session:
            session.execute(update(CheckRunRow).where(CheckRunRow.id == run_id).values(state=DONE, report=report))

    def answer(self, run_id: int) -> dict[str, Any] | None:
        """The report once a host wrote it, else None (still waiting or running)."""
        with self.database.session() as session:
            row = session.get(CheckRunRow, run_id)
            return row.report if row is not None and row.state == DONE else None

    def drop(self, run_id: int) -> None:
        """The replica has its answer, or gave up waiting: the code and report are not kept."""
        with self.database.session() as session:
            session.execute(delete(CheckRunRow).where(CheckRunRow.id == run_id))

    def purge(self) -> int:
        """Delete rows nobody waits for any more (a replica that died while waiting)."""
        with self.database.session() as session:
            gone = session.execute(delete(CheckRunRow).where(CheckRunRow.created <= now() - STALE))
            return int(gone.rowcount)  # type: ignore[attr-defined]
