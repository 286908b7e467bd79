"""The procrastinate app and the two job kinds (grade a submission, grade a regrade item), declared once for the web
replicas that defer them and the grading hosts that run them. No web framework here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import procrastinate

from app.events import libpq_conninfo

QUEUE = "grading"
GRADE_SUBMISSION = "rnnlab.grade_submission"
GRADE_REGRADE_ITEM = "rnnlab.grade_regrade_item"
RUN_CHECK = "rnnlab.run_check"  # a learner's Check (app/check_runs.py): never stored, answered to the waiting replica
# Higher runs first (procrastinate's order): a learner waiting at the screen before an instructor's batch.
INTERACTIVE_PRIORITY = 10
REGRADE_PRIORITY = 0
PRIORITIES = {"interactive": INTERACTIVE_PRIORITY, "regrade": REGRADE_PRIORITY}


class Release(Exception):
    """The host is stopping without a verdict: procrastinate retries the job (on this or another host)."""


def learner_lock(learner_id: int) -> str:
    """procrastinate runs jobs with the same lock one at a time: one learner never holds more than one worker."""
    return f"learner-{learner_id}"


POOL_WAIT_S = 2.0


def make_app(database_url: str, *, sync: bool, jobs: int = 1) -> procrastinate.App:
    """An app on the database: `sync` for deferring from the web's threads, async for a grading host's worker
    running `jobs` jobs at a time."""
    conninfo = libpq_conninfo(database_url)
    # A grading host waits at most POOL_WAIT_S for any pooled connection (psycopg_pool's default is 30 s): with
    # PostgreSQL down, a host asked to stop unregisters itself on the way out, and must not sit out 30 s doing it.
    # So that the short wait is never met in normal running, the pool has a connection for each job beside the
    # LISTEN connection, the heartbeat and the upkeep (psycopg_pool's default is 4 in all).
    connector: Any = (procrastinate.SyncPsycopgConnector(conninfo=conninfo) if sync
                      else procrastinate.PsycopgConnector(conninfo=conninfo, timeout=POOL_WAIT_S,
                                                          min_size=1, max_size=max(4, jobs + 3)))
    return procrastinate.App(connector=connector)


def register_tasks(app: procrastinate.App, grade_submission: Callable[[int], None],
                   grade_regrade_item: Callable[[int], None], run_check: Callable[[int], None]) -> None:
    """Declare the tasks on `app`. A web replica only defers them, so it passes functions that never run."""
    # Release is retried at once and as often as needed: it is a host stopping, not the job failing. A host that
    # dies without releasing (SIGKILL, frozen) is found by its missed heartbeats instead (app/jobs/host.py).
    retry = procrastinate.RetryStrategy(max_attempts=1000, wait=1, retry_exceptions={Release})
    app.task(name=GRADE_SUBMISSION, queue=QUEUE, retry=retry, pass_context=False)(
        lambda submission_id: grade_submission(int(submission_id)))
    app.task(name=GRADE_REGRADE_ITEM, queue=QUEUE, retry=retry, pass_context=False)(
        lambda grading_id: grade_regrade_item(int(grading_id)))
    app.task(name=RUN_CHECK, queue=QUEUE, retry=retry, pass_context=False)(lambda run_id: run_check(int(run_id)))


def _never(_: int) -> None:
    raise RuntimeError("web replicas defer grading jobs; only `rnnlab worker` runs them")


def deferring_app(database_url: str) -> procrastinate.App:
    app = make_app(database_url, sync=True)
    register_tasks(app, _never, _never, _never)
    return app
