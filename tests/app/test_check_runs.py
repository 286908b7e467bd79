"""Checks on the scaled layout wait in `check_runs` (SQLite and PostgreSQL): the embedded runner's limits counted in
the database so every replica agrees, one host per run, nothing kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.check_runs import STALE, CheckRuns
from app.checks import CheckBusy, ChecksFull
from app.database import Database, now
from app.tables import CheckRunRow


def test_a_run_goes_from_replica_to_one_host_and_back_and_is_gone(database: Database) -> None:
    runs = CheckRuns(database)
    run_id = runs.create(1, "192.0.2.1", "sequence-windows", "print(1)\n")
    assert runs.answer(run_id) is None
    assert runs.claim(run_id) == ("sequence-windows", "print(1)\n")
    assert runs.claim(run_id) is None  # a duplicate job (another host) does nothing
    runs.release(run_id)  # a stopping host gives it back...
    assert runs.claim(run_id) is not None  # ...for the next job to take
    runs.finish(run_id, {"status": "ok"})
    assert runs.answer(run_id) == {"status": "ok"}
    runs.drop(run_id)
    assert runs.answer(run_id) is None and runs.claim(run_id) is None


def test_one_check_per_learner_and_a_bounded_number_in_all(database: Database) -> None:
    runs = CheckRuns(database, capacity=4)
    first = runs.create(1, "192.0.2.1", "l", "x")
    with pytest.raises(CheckBusy):
        runs.create(1, "192.0.2.9", "l", "x")  # from another replica or network: still one at a time
    runs.create(2, "192.0.2.1", "l", "x")
    with pytest.raises(ChecksFull, match="your network"):
        runs.create(3, "192.0.2.1", "l", "x")  # half the places from one address
    runs.create(3, "192.0.2.2", "l", "x")
    runs.create(4, "192.0.2.3", "l", "x")
    with pytest.raises(ChecksFull, match="Many checks are waiting"):
        runs.create(5, "192.0.2.4", "l", "x")
    runs.finish(first, {"status": "ok"})  # answered: its place is free even before the replica drops it
    runs.create(5, "192.0.2.4", "l", "x")
    with pytest.raises(ChecksFull):  # learner 1 is no longer busy; the server is full again
        runs.create(1, "192.0.2.1", "l", "x")


def test_a_run_nobody_waits_for_is_purged_and_never_run(database: Database) -> None:
    runs = CheckRuns(database)
    old, fresh = runs.create(1, "a", "l", "x"), runs.create(2, "b", "l", "x")
    with database.session() as session:
        session.execute(update(CheckRunRow).where(CheckRunRow.id == old).values(
            created=now() - STALE - timedelta(seconds=1)))
    assert runs.claim(old) is None  # a replica that died long ago: no host spends CPU on it
    runs.create(1, "a", "l", "x")  # and it does not hold the learner's place
    assert runs.purge() == 1
    assert runs.claim(fresh) is not None
