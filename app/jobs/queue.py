"""The web replica's side of the PostgreSQL backend: store a submission and defer its grading job; no grading here
(grading hosts run `rnnlab worker`). Same methods as the embedded app.queue.GradingQueue. No web framework here."""

from __future__ import annotations

import logging
import threading
from typing import Any

import procrastinate

from app.history import History, Regrade
from app.jobs.tasks import GRADE_REGRADE_ITEM, GRADE_SUBMISSION, PRIORITIES, RUN_CHECK, deferring_app, learner_lock
from app.queue import add_if_room, answer_syntax_error, supersede_older
from app.store import Store, Submission

log = logging.getLogger(__name__)


class JobQueue:
    """Defers one procrastinate job per submission (interactive priority, the learner's lock) and per regrade item
    (regrade priority). A row whose job could not be deferred (the database hiccuped between the two writes) is found
    and deferred by the grading hosts' reconciler (app/jobs/host.py), so nothing queued is lost."""

    def __init__(self, store: Store, *, max_queued_per_learner: int = 3, history: History | None = None,
                 app: procrastinate.App | None = None) -> None:
        self.store = store
        self.history = history or History(store.database)
        self.max_queued_per_learner = max_queued_per_learner
        self.app = app or deferring_app(store.database.url)
        self._enqueue_lock = threading.Lock()
        self._open = False

    def start(self) -> list[int]:
        self.app.open()
        self._open = True
        return []

    def stop(self) -> None:
        """Nothing to stop claiming: this process never grades."""

    def join(self, timeout: float = 5.0) -> None:
        if self._open:
            self._open = False
            self.app.close()

    @property
    def running(self) -> bool:
        return self._open

    def enqueue(self, learner_id: int, lesson: str, code: str) -> Submission:
        """Store a new submission and defer its job. Raises QueueFull when the learner is at their limit."""
        with self._enqueue_lock:  # the database serialises a learner's submits across replicas (add_if_room)
            submission = add_if_room(self.store, learner_id, lesson, code, self.max_queued_per_learner)
        if answered := answer_syntax_error(self.store, submission):  # no job, and it supersedes nothing
            return answered
        defer_submission(self.app, self.store, submission)
        for older in supersede_older(self.store, submission):
            if older.job_id is not None:  # its job would find the row finished and do nothing; cancel it anyway
                try:
                    self.app.job_manager.cancel_job_by_id(older.job_id)
                except Exception:  # noqa: BLE001 - a job already taken or gone: harmless
                    log.info("job %s of superseded submission %d was not cancellable", older.job_id, older.id)
        return submission

    def request_regrade(self, lesson: str, requested_by: str) -> Regrade:
        with self._enqueue_lock:
            regrade = self.history.request_regrade(lesson, requested_by)
        defer_regrade(self.app, self.history, regrade.id)
        return regrade


def defer_submission(app: procrastinate.App, store: Store, submission: Submission) -> int:
    job_id = app.configure_task(GRADE_SUBMISSION, lock=learner_lock(submission.learner_id),
                                priority=PRIORITIES["interactive"]).defer(submission_id=submission.id)
    store.set_job(submission.id, job_id)
    return job_id


def defer_regrade(app: procrastinate.App, history: History, regrade_id: int) -> list[int]:
    return defer_gradings(app, history.queued_gradings(regrade_id))


def defer_gradings(app: procrastinate.App, grading_ids: list[int]) -> list[int]:
    """One job per regrade item, no learner lock: a regrade must never hold back the learner's own submissions."""
    if not grading_ids:
        return []
    deferrer = app.configure_task(GRADE_REGRADE_ITEM, priority=PRIORITIES["regrade"])
    kwargs: list[dict[str, Any]] = [{"grading_id": grading_id} for grading_id in grading_ids]
    return list(deferrer.batch_defer(*kwargs))


def defer_check(app: procrastinate.App, run_id: int) -> int:
    """A Check at interactive priority (a learner waits for it), without the learner's lock: it must not wait
    behind the learner's own grading, and it is one at a time per learner anyway (app/check_runs.py)."""
    return app.configure_task(RUN_CHECK, priority=PRIORITIES["interactive"]).defer(run_id=run_id)
