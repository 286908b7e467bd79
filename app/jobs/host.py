"""A grading host (`rnnlab worker`): a procrastinate worker whose jobs run through this host's warm WorkerPool, plus
the upkeep every host shares: re-queue the jobs of hosts that stopped heart-beating, and defer a job for any queued
submission that lacks one. Held-out data lives on grading hosts only. No web framework here.

Stopping (SIGTERM/SIGINT): stop fetching at once; jobs in flight have `drain_s` to finish; after that the pool is
closed, their gradings end without a verdict and are released (retried elsewhere), never recorded as the learner's.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from procrastinate.jobs import Status
from procrastinate.worker import Worker
from sqlalchemy import text

from app.catalog import Lesson
from app.check_runs import CheckRuns
from app.database import Database
from app.events import Bell, EventLog
from app.history import History
from app.jobs.queue import defer_gradings, defer_submission
from app.jobs.tasks import (
    GRADE_REGRADE_ITEM,
    GRADE_SUBMISSION,
    QUEUE,
    RUN_CHECK,
    Release,
    make_app,
    register_tasks,
)
from app.store import Store, SubmissionStatus
from app.submission_grader import Abandoned, GradeFunction, GradingObserver, SubmissionGrader
from graders import HeldoutStore, WorkerPool
from graders.check import CheckReport, CheckStatus, check

CheckFunction = Callable[..., CheckReport]  # graders.check.check, or a stand-in in the fault tests

log = logging.getLogger(__name__)

RECONCILE_LOCK = 0x524E4E4C  # one host at a time re-defers (pg advisory lock key, "RNNL")


@dataclass(frozen=True)
class HostOptions:
    """How one grading host behaves (from Settings, or a test's choice)."""

    jobs: int = 1  # gradings at once on this host (procrastinate concurrency)
    drain_s: float = 60.0  # on SIGTERM: how long jobs in flight may take before they are released
    heartbeat_s: float = 10.0  # procrastinate's worker heartbeat
    stalled_s: float = 30.0  # a host silent this long is presumed dead and its jobs are re-queued
    upkeep_s: float = 5.0  # how often stalled jobs and job-less rows are looked for
    reconcile_grace_s: float = 15.0  # a web replica defers right after inserting: younger job-less rows are left be
    name: str = ""


class GradingHost:
    """Runs grading jobs until stopped. `pool` must be started by the caller (or pass one that is)."""

    def __init__(self, database: Database, find_lesson: Callable[[str], Lesson | None], pool: WorkerPool,
                 grade_fn: GradeFunction, options: HostOptions, *, heldout: HeldoutStore | None = None,
                 max_code_bytes: int = 64 * 1024, observer: GradingObserver | None = None,
                 check_fn: CheckFunction = check) -> None:
        self.database, self.pool, self.options = database, pool, options
        self.store, self.history = Store(database), History(database)
        self.events = EventLog(database, Bell())
        self.observer = observer
        self._released = threading.Event()  # the drain time is over: gradings in flight are released
        self.grader = SubmissionGrader(self.store, self.history, self.events, find_lesson, pool, grade_fn,
                                       heldout=heldout, max_code_bytes=max_code_bytes, observer=observer,
                                       stopping=self._released.is_set)
        self.app = make_app(database.url, sync=False, jobs=options.jobs)
        register_tasks(self.app, self.grade_submission, self.grade_regrade_item, self.run_check)
        self.deferrer = make_app(database.url, sync=True)  # the reconciler defers from a thread
        register_tasks(self.deferrer, self.grade_submission, self.grade_regrade_item, self.run_check)
        self.check_runs, self.find_lesson, self.check_fn = CheckRuns(database), find_lesson, check_fn
        self.max_code_bytes = max_code_bytes
        self.worker: Worker | None = None
        self.stop_requested = False  # SIGTERM/SIGINT or stop(): an error from here on ends the host, never restarts it
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining: asyncio.Future[None] | None = None
        self.name = options.name or f"{socket.gethostname()}-{id(self):x}"

    # -- the jobs (run in procrastinate's threads)
    def grade_submission(self, submission_id: int) -> None:
        if self._released.is_set():
            raise Release(f"submission {submission_id}")
        submission = self.store.claim(submission_id)
        if submission is None:  # already graded (a late duplicate job) or deleted with its account
            return
        try:
            self.grader.run(submission)
        except Abandoned as exc:
            raise Release(str(exc)) from exc

    def grade_regrade_item(self, grading_id: int) -> None:
        if self._released.is_set():
            raise Release(f"regrade item {grading_id}")
        item = self.history.claim_grading(grading_id)
        if item is None:
            return
        try:
            self.grader.run_regrade(item)
        except Abandoned as exc:
            raise Release(str(exc)) from exc

    def run_check(self, run_id: int) -> None:
        """A learner's Check for a web replica without a pool: the report goes into the run's row, which the replica
        reads and deletes (app/check_runs.py). A run already taken, answered or abandoned is skipped."""
        if self._released.is_set():
            raise Release(f"check {run_id}")
        claimed = self.check_runs.claim(run_id)
        if claimed is None:
            return
        slug, code = claimed
        lesson = self.find_lesson(slug)
        if lesson is None:
            report = CheckReport(lesson=slug, status=CheckStatus.error,
                                 summary="This lesson is not on the grading host; try again in a moment.")
        else:
            report = self.check_fn(lesson.grading, code, self.pool, prepared=lesson.prepared,
                                   max_code_bytes=self.max_code_bytes)
        if self._released.is_set():  # the pool closed under it: no verdict; another host runs it again
            self.check_runs.release(run_id)
            raise Release(f"check {run_id}")
        self.check_runs.finish(run_id, report.model_dump(mode="json"))

    # -- life cycle
    async def run(self, ready: Callable[[], None] | None = None) -> None:
        """Serve jobs until stop() (or SIGTERM/SIGINT when run from the main thread)."""
        loop = asyncio.get_running_loop()
        async with self.app.open_async():
            self.deferrer.open()
            try:
                self.worker = Worker(self.app, queues=[QUEUE], name=self.name, concurrency=self.options.jobs,
                                     install_signal_handlers=False,
                                     update_heartbeat_interval=self.options.heartbeat_s,
                                     stalled_worker_timeout=self.options.stalled_s)
                if threading.current_thread() is threading.main_thread():
                    for sig in (signal.SIGTERM, signal.SIGINT):
                        loop.add_signal_handler(sig, self.stop)
                upkeep = asyncio.create_task(self._upkeep(), name="grading-host-upkeep")
                if ready is not None:
                    ready()
                self._loop = loop
                try:
                    await self.worker.run()
                finally:
                    upkeep.cancel()
                    if self._draining is not None:
                        self._draining.cancel()
            finally:
                self.deferrer.close()
        log.info("grading host %s stopped", self.name)

    def stop(self) -> None:
        """Stop fetching now; release what is still running after drain_s."""
        self.stop_requested = True
        if self.worker is None:
            return
        log.warning("grading host %s stopping: no new jobs; %.0f s for the ones in flight", self.name,
                    self.options.drain_s)
        self.worker.stop()
        if self._loop is not None and self._draining is None:
            # procrastinate stops its heartbeat as soon as it is asked to stop; while the jobs in flight finish, this
            # host must still look alive, or another would take them over and grade them a second time.
            self._loop.call_soon_threadsafe(self._start_draining_heartbeat)
        timer = threading.Timer(self.options.drain_s, self._release)
        timer.daemon = True
        timer.start()

    def _start_draining_heartbeat(self) -> None:
        self._draining = asyncio.ensure_future(self._heartbeat_while_draining())

    async def _heartbeat_while_draining(self) -> None:
        while self.worker is not None and self.worker.worker_id is not None:
            try:
                await self.app.job_manager.update_heartbeat(self.worker.worker_id)
            except Exception:  # noqa: BLE001 - PostgreSQL away: the next beat may get through
                log.warning("draining host %s could not send its heartbeat", self.name)
            await asyncio.sleep(self.options.heartbeat_s)

    def _release(self) -> None:
        self._released.set()
        self.pool.close()  # gradings in flight end at once, without a verdict: Release -> retried elsewhere

    # -- upkeep
    async def _upkeep(self) -> None:
        while True:
            await asyncio.sleep(self.options.upkeep_s)
            try:
                await self._retry_stalled()
                await asyncio.to_thread(self.reconcile)
                await asyncio.to_thread(self.check_runs.purge)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - PostgreSQL restarting: try again next round
                log.warning("grading host upkeep failed; retrying", exc_info=True)

    async def _retry_stalled(self) -> None:
        """Jobs whose host stopped heart-beating are ended as failed and deferred again as NEW jobs (same task, lock
        and priority). Not retried in place: the presumed-dead host, should it wake, would otherwise finish the very
        job another host is running and free the learner's lock early. Its result is fenced out by the attempt
        number; its late finish hits a dead job id. Of two hosts that notice the same job, only the one whose
        doing -> failed succeeds defers the new job."""
        stalled = await self.app.job_manager.get_stalled_jobs(queue=QUEUE,
                                                              seconds_since_heartbeat=self.options.stalled_s)
        for job in stalled:
            assert job.id is not None
            try:
                await self.app.job_manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
            except Exception:  # noqa: BLE001 - another host ended it first (or it just finished): nothing to do
                continue
            if job.task_name == RUN_CHECK:  # its run is 'running' for the dead host: the new job must be able to take it
                await asyncio.to_thread(self.check_runs.release, int(str(job.task_kwargs["run_id"])))
            await self.app.configure_task(job.task_name, lock=job.lock, priority=job.priority,
                                          queue=job.queue).defer_async(**job.task_kwargs)
            log.warning("job %s (%s) was on a host that stopped answering: deferred again", job.id, job.task_name)
            if self.observer is not None:
                self.observer.observe_lost()

    def reconcile(self) -> int:
        """Defer a job for every active submission or regrade item that has none waiting or running (its job could
        not be deferred, or failed). One host at a time. Returns how many were deferred."""
        deferred = 0
        with self.database.session() as session:
            if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RECONCILE_LOCK}):
                return 0
            orphans = session.execute(text(
                "SELECT s.id, s.learner_id FROM submissions s WHERE s.status IN ('queued', 'running') "
                "AND COALESCE(s.started, s.created) < now() - make_interval(secs => :grace) "
                "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = :task "
                "AND j.status IN ('todo', 'doing') AND (j.args->>'submission_id')::bigint = s.id) ORDER BY s.id"),
                {"grace": self.options.reconcile_grace_s, "task": GRADE_SUBMISSION}).all()
            gradings = session.scalars(text(
                "SELECT g.id FROM gradings g JOIN regrades r ON r.id = g.regrade_id "
                "WHERE g.status IN ('queued', 'running') AND r.created < now() - make_interval(secs => :grace) "
                "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j "
                "WHERE j.task_name = :task AND j.status IN ('todo', 'doing') "
                "AND (j.args->>'grading_id')::bigint = g.id) ORDER BY g.id"),
                {"grace": self.options.reconcile_grace_s, "task": GRADE_REGRADE_ITEM}).all()
            for submission_id, _learner in orphans:
                submission = self.store.get_submission(int(submission_id))
                if submission is not None and submission.status.value in (SubmissionStatus.queued.value,
                                                                          SubmissionStatus.running.value):
                    defer_submission(self.deferrer, self.store, submission)
                    deferred += 1
            deferred += len(defer_gradings(self.deferrer, [int(g) for g in gradings]))
        if deferred:
            log.warning("deferred %d grading job(s) that were missing", deferred)
        return deferred
