"""Red team, Checks on the scaled layout: a grading host that dies mid-Check. Its job is deferred anew when its
heartbeat lapses (like a grading's); the new job must be able to run the Check, which the dead host left 'running',
or the learner waits the replica's whole WAIT_S for a 503."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.check_runs import CheckRuns
from app.database import Database
from app.jobs.queue import defer_check
from tests.app.test_redteam_scaleout import fetch_job, host_on, pg_database, register_worker  # noqa: F401


def test_a_check_whose_host_died_is_run_by_the_job_deferred_anew(pg_database: Database) -> None:  # noqa: F811
    runs = CheckRuns(pg_database)
    run_id = runs.create(1, "192.0.2.1", "sequence-windows", "print(1)\n")
    host_b = host_on(pg_database, stalled_s=30)
    with host_b.deferrer.open():
        defer_check(host_b.deferrer, run_id)
    worker_a = register_worker(pg_database)
    job = fetch_job(pg_database, worker_a)
    assert job is not None and job[1] == {"run_id": run_id}
    assert runs.claim(run_id) is not None  # host A's run_check takes it...
    with pg_database.session() as session:  # ...and dies: no heartbeat for an hour
        session.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
                             "WHERE id = :w"), {"w": worker_a})

    async def retry_stalled() -> None:
        async with host_b.app.open_async():
            await host_b._retry_stalled()

    asyncio.run(retry_stalled())
    again = fetch_job(pg_database, register_worker(pg_database))
    assert again is not None and again[0] != job[0] and again[1] == {"run_id": run_id}
    assert runs.claim(run_id) == ("sequence-windows", "print(1)\n")  # the new job's run_check can run it
    assert runs.claim(run_id) is None  # and only one job at a time
