"""The embedded grading queue: threads in the web process that claim queued submissions from the database and grade
them (app/submission_grader.py). The PostgreSQL backend's equivalent is app/jobs/. No web framework here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.catalog import Lesson
from app.events import Bell, EventLog
from app.history import History, Regrade, RegradeItem
from app.store import EveryoneFull, LearnerFull, Store, Submission, SubmissionStatus
from app.submission_grader import Abandoned, GradingObserver, SubmissionGrader
from graders import GradeReport, HeldoutStore, WorkerPool, grade
from graders.grading import syntax_report
from graders.report import Failure

log = logging.getLogger(__name__)

IDLE_POLL_S = 5.0  # also pick up rows another process queued (e.g. `rnnlab` tooling), not only our own
RETRY_AFTER_S = 15  # about one grading: when a learner at their limit may try again
# Learners are anonymous, so a per-learner limit alone can be dodged by dropping the cookie; this bounds the backlog.
MAX_QUEUED_TOTAL = 200


class QueueFull(Exception):
    """This learner already has as many submissions waiting as the settings allow (or the whole queue is full)."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_S) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SubmissionQueue(Protocol):
    """What the routes need of a backend: this module's GradingQueue (embedded) or app.jobs.queue.JobQueue (scaled)."""

    def start(self) -> list[int]: ...

    def stop(self) -> None: ...

    def join(self, timeout: float = 5.0) -> None: ...

    @property
    def running(self) -> bool: ...

    def enqueue(self, learner_id: int, lesson: str, code: str) -> Submission: ...

    def request_regrade(self, lesson: str, requested_by: str) -> Regrade: ...


class GradingQueue:
    """Grades queued submissions with `concurrent_jobs` threads; what a server left unfinished is graded on start."""

    def __init__(self, store: Store, find_lesson: Callable[[str], Lesson | None], pool: WorkerPool, *, concurrent_jobs: int = 1,
                 max_queued_per_learner: int = 3, heldout: HeldoutStore | None = None,
                 max_code_bytes: int = 64 * 1024, history: History | None = None, events: EventLog | None = None,
                 observer: GradingObserver | None = None) -> None:
        self.store = store
        self.history = history or History(store.database)
        self.events = events or EventLog(store.database, Bell())
        self.concurrent_jobs = concurrent_jobs
        self.max_queued_per_learner = max_queued_per_learner
        self.grader = SubmissionGrader(store, self.history, self.events, find_lesson, pool, _grade,
                                       heldout=heldout, max_code_bytes=max_code_bytes, observer=observer,
                                       stopping=self._stopping_now)
        self._wake = threading.Condition()
        self._pending = False  # set under _wake by enqueue(): a wake-up that arrives before wait() is not lost
        self._claim_lock = threading.Lock()
        self._enqueue_lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- life cycle
    def start(self) -> list[int]:
        """Re-queue what a previous run left unfinished, then start grading. Returns the re-queued ids."""
        requeued = self.store.requeue_unfinished()
        if requeued:
            log.warning("re-queued %d submission(s) left unfinished by the last run: %s", len(requeued), requeued)
        if items := self.history.requeue_unfinished():
            log.warning("re-queued %d regrade item(s) left unfinished by the last run", items)
        for n in range(self.concurrent_jobs):
            thread = threading.Thread(target=self._work, name=f"grading-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return requeued

    def stop(self) -> None:
        """Stop taking work. A grading in flight is abandoned, not recorded: it stays 'running' and is redone next
        start. Close the worker pool next (that ends a grading in flight quickly), then join()."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads) and not self._stopping.is_set()

    # -- producers
    def enqueue(self, learner_id: int, lesson: str, code: str) -> Submission:
        """Store a new submission and wake a grader. Raises QueueFull when the learner is at their limit."""
        with self._enqueue_lock:  # the count and the insert must not interleave with a second request
            submission = add_if_room(self.store, learner_id, lesson, code, self.max_queued_per_learner)
        if answered := answer_syntax_error(self.store, submission):  # a typo never supersedes code that compiles
            self.events.rung(submission.id)
            return answered
        for older in supersede_older(self.store, submission):
            self.events.rung(older.id)
        self._wake_one()
        return submission

    def request_regrade(self, lesson: str, requested_by: str) -> Regrade:
        """Queue a regrade of every finished submission of `lesson`, graded only when no learner is waiting.
        Raises RegradeRunning while the lesson's previous regrade is under way."""
        with self._enqueue_lock:  # two instructors clicking at once must not start the same regrade twice
            regrade = self.history.request_regrade(lesson, requested_by)
        self._wake_one()
        return regrade

    def _wake_one(self) -> None:
        with self._wake:
            self._pending = True
            self._wake.notify()

    # -- the grading threads
    def _work(self) -> None:
        while not self._stopping.is_set():
            item: RegradeItem | None = None
            try:
                with self._claim_lock:  # learners first: a regrade item is taken only when none is waiting
                    if self._stopping.is_set():  # SIGTERM may have arrived since the loop's check
                        break
                    submission = self.store.claim_next()
                    if submission is None:
                        item = self.history.claim_regrade_item()
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the grading thread
                log.exception("could not take the next submission; retrying")
                self._stopping.wait(IDLE_POLL_S)
                continue
            if item is not None:
                self._regrade(item)
                continue
            if submission is None:
                with self._wake:
                    if not self._pending and not self._stopping.is_set():
                        self._wake.wait(IDLE_POLL_S)
                    self._pending = False
                continue
            self._grade(submission)

    def _stopping_now(self) -> bool:
        return self._stopping.is_set()

    def _grade(self, submission: Submission) -> None:
        try:
            self.grader.run(submission)
        except Abandoned:
            # Left 'running': re-queued and graded at the next start (a new attempt).
            log.warning("server stopping: submission %d will be graded again at the next start", submission.id)
        except Exception:  # noqa: BLE001 - e.g. the database went away while recording: it is redone at next start
            log.exception("could not record submission %d; it stays running and is graded again at the next start",
                          submission.id)

    def _regrade(self, item: RegradeItem) -> None:
        try:
            self.grader.run_regrade(item)
        except Abandoned:
            pass  # left 'running': requeued and graded at the next start
        except Exception:  # noqa: BLE001 - as above
            log.exception("could not record regrade item %d", item.grading_id)


def add_if_room(store: Store, learner_id: int, lesson: str, code: str, max_queued_per_learner: int) -> Submission:
    """Store a new queued submission, or raise QueueFull when the learner (or everyone) already has enough waiting.
    The count and the insert are one transaction that locks the learner's row (app/store.py), so two requests, even on
    two web replicas, cannot both slip under the limit."""
    try:
        return store.add_submission_if_room(learner_id, lesson, code, max_active=max_queued_per_learner,
                                            max_queued=MAX_QUEUED_TOTAL)
    except LearnerFull:
        raise QueueFull(f"You already have {max_queued_per_learner} submission(s) waiting to be graded; try again "
                        f"when one has finished (about {RETRY_AFTER_S} s).") from None
    except EveryoneFull:
        raise QueueFull("The grader is very busy right now; please try again in a minute.", 60) from None


def answer_syntax_error(store: Store, submission: Submission) -> Submission | None:
    """A syntax error is answered at once, by compiling in this trusted process (nothing runs), before any queue or
    sandbox: the learner sees it in milliseconds even behind a backlog. None when the code compiles."""
    report = syntax_report(submission.code)
    if report is None:
        return None
    report.submission = str(submission.id)
    report.lesson = submission.lesson
    return store.finish_unclaimed(submission.id, SubmissionStatus.not_gradable, report.score,
                                  report.model_dump(mode="json"))


def supersede_older(store: Store, newer: Submission) -> list[Submission]:
    """End the learner's still-queued older submissions of the lesson, ungraded: a worker grades the newest code."""
    report = GradeReport.not_gradable(
        Failure.superseded, f"Not graded: you sent newer code (submission #{newer.id}) while this one was still "
        "waiting, so only the newer one is graded. Nothing is wrong with this code because of it.",
        lesson=newer.lesson)
    return store.supersede_queued(newer, report.model_dump(mode="json"))


def _grade(grading: Any, code: str, pool: WorkerPool, **options: Any) -> GradeReport:
    # Looked up at call time, so tests can stand in for graders.grade by patching app.queue.grade.
    return grade(grading, code, pool, **options)
