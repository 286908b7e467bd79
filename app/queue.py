"""The grading queue: worker threads that grade queued submissions and publish their progress. No web framework here."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.catalog import Lesson
from app.history import History, Regrade, RegradeItem
from app.store import Store, Submission, SubmissionStatus
from app.versions import grader_version, lesson_version
from graders import GradeReport, HeldoutStore, Status, WorkerPool, grade
from graders.protocol import Event, ReportEvent

log = logging.getLogger(__name__)

MAX_EPOCH_EVENTS = 1000  # learner code can print fake epoch lines; never keep or send an unbounded number
IDLE_POLL_S = 5.0  # also pick up rows another process queued (e.g. `rnnlab` tooling), not only our own
RETRY_AFTER_S = 15  # about one grading: when a learner at their limit may try again
# Learners are anonymous, so a per-learner limit alone can be dodged by dropping the cookie; this bounds the backlog.
MAX_QUEUED_TOTAL = 200


class QueueFull(Exception):
    """This learner already has as many submissions waiting as the settings allow (or the whole queue is full)."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_S) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Subscription:
    """Events of one submission for one listener on an asyncio loop; fed from grading threads."""

    def __init__(self, submission_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.submission_id = submission_id
        self._loop = loop
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def push(self, event: dict[str, Any]) -> None:
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)
        except RuntimeError:  # the listener's loop is gone (server stopping): nobody to tell
            pass

    async def get(self, timeout: float) -> dict[str, Any] | None:
        """The next event, or None after `timeout` seconds of silence."""
        try:
            return await asyncio.wait_for(self._events.get(), timeout)
        except TimeoutError:
            return None


@dataclass
class _Progress:
    """What a running submission has reported so far, replayed to late subscribers."""

    phase: dict[str, Any] | None = None
    epochs: list[dict[str, Any]] = field(default_factory=list)


class GradingQueue:
    """Grades queued submissions with `concurrent_jobs` threads; what a server left unfinished is graded on start."""

    def __init__(self, store: Store, find_lesson: Callable[[str], Lesson | None], pool: WorkerPool, *, concurrent_jobs: int = 1,
                 max_queued_per_learner: int = 3, heldout: HeldoutStore | None = None,
                 max_code_bytes: int = 64 * 1024, history: History | None = None) -> None:
        self.store = store
        self.history = history or History(store.database)
        self.find_lesson = find_lesson
        self.pool = pool
        self.concurrent_jobs = concurrent_jobs
        self.max_queued_per_learner = max_queued_per_learner
        self.heldout = heldout
        self.max_code_bytes = max_code_bytes
        self._lock = threading.Lock()  # guards subscribers and progress; held while publishing
        self._wake = threading.Condition()
        self._pending = False  # set under _wake by enqueue(): a wake-up that arrives before wait() is not lost
        self._claim_lock = threading.Lock()
        self._enqueue_lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._subscribers: dict[int, set[Subscription]] = {}
        self._progress: dict[int, _Progress] = {}

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
            if self.store.count_active(learner_id) >= self.max_queued_per_learner:
                raise QueueFull(f"You already have {self.max_queued_per_learner} submission(s) waiting to be "
                                f"graded; try again when one has finished (about {RETRY_AFTER_S} s).")
            if self.store.count_by_status()["queued"] >= MAX_QUEUED_TOTAL:
                raise QueueFull("The grader is very busy right now; please try again in a minute.", 60)
            submission = self.store.add_submission(learner_id, lesson, code)
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

    # -- subscribers
    def subscribe(self, submission_id: int, loop: asyncio.AbstractEventLoop) -> tuple[Subscription, list[dict[str, Any]]]:
        """A subscription plus the events that bring a late listener up to date (taken atomically)."""
        sub = Subscription(submission_id, loop)
        with self._lock:
            self._subscribers.setdefault(submission_id, set()).add(sub)
            return sub, self._snapshot(submission_id)

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subscribers.get(sub.submission_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[sub.submission_id]

    def _snapshot(self, submission_id: int) -> list[dict[str, Any]]:
        submission = self.store.get_submission(submission_id)
        if submission is None:
            return []
        if submission.status is SubmissionStatus.queued:
            return [{"event": "queued", "position": self.store.queue_position(submission_id)}]
        if submission.status is SubmissionStatus.running:
            progress = self._progress.get(submission_id, _Progress())
            events: list[dict[str, Any]] = [{"event": "started"}]
            events += [progress.phase] if progress.phase else []
            return events + list(progress.epochs)
        return [_report_event(submission)]

    def _publish(self, submission_id: int, event: dict[str, Any]) -> None:
        with self._lock:
            for sub in self._subscribers.get(submission_id, ()):
                sub.push(event)

    def _publish_positions(self) -> None:
        """Everyone still waiting moved up one place."""
        with self._lock:
            for submission_id, subs in self._subscribers.items():
                position = self.store.queue_position(submission_id)
                if position is not None:
                    for sub in subs:
                        sub.push({"event": "queued", "position": position})

    def progress_of(self, submission_id: int) -> list[dict[str, Any]]:
        """Epoch events received so far for a running submission (empty otherwise)."""
        with self._lock:
            progress = self._progress.get(submission_id)
            return list(progress.epochs) if progress else []

    # -- the grading threads
    def _work(self) -> None:
        while not self._stopping.is_set():
            item: RegradeItem | None = None
            try:
                with self._claim_lock:  # learners first: a regrade item is taken only when none is waiting
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
            try:
                self._grade(submission)
            except Exception:  # noqa: BLE001 - a bug of ours becomes status 'error' on this one submission
                log.exception("grading submission %d failed", submission.id)
                report = GradeReport.system_error("The server failed while grading (our bug, not yours); "
                                                  "it has been logged.", lesson=submission.lesson)
                self._record(submission, report)

    def _grade(self, submission: Submission) -> None:
        with self._lock:
            self._progress[submission.id] = _Progress()
        self._publish(submission.id, {"event": "started"})
        self._publish_positions()
        lesson = self.find_lesson(submission.lesson)
        if lesson is None:
            report = GradeReport.system_error(f"The lesson {submission.lesson!r} no longer exists on this server.",
                                              lesson=submission.lesson)
        else:
            report = grade(lesson.grading, submission.code, self.pool,
                           on_event=lambda event: self._on_grader_event(submission.id, event),
                           heldout=self.heldout, prepared=lesson.prepared, max_code_bytes=self.max_code_bytes)
        if self._stopping.is_set() and report.status not in (Status.passed, Status.failed):
            # The pool was closed under it: a killed worker says nothing about the learner's code.
            log.warning("server stopping: submission %d will be graded again at the next start", submission.id)
            return
        report.submission = str(submission.id)
        self._record(submission, report)

    def _regrade(self, item: RegradeItem) -> None:
        """Grade one regrade item with the lesson and grader as they are now; nobody watches it live."""
        submission = item.submission
        lesson = self.find_lesson(submission.lesson)
        try:
            if lesson is None:
                report = GradeReport.system_error(f"The lesson {submission.lesson!r} no longer exists on this server.",
                                                  lesson=submission.lesson)
            else:
                report = grade(lesson.grading, submission.code, self.pool, heldout=self.heldout,
                               prepared=lesson.prepared, max_code_bytes=self.max_code_bytes)
        except Exception:  # noqa: BLE001 - a bug of ours becomes status 'error' on this item, and the regrade goes on
            log.exception("regrading submission %d failed", submission.id)
            report = GradeReport.system_error("The server failed while grading (our bug, not yours); it has been "
                                              "logged.", lesson=submission.lesson)
        if self._stopping.is_set() and report.status not in (Status.passed, Status.failed):
            return  # left 'running': requeued and graded at the next start
        report.submission = str(submission.id)
        self.history.finish_regrade_item(item, SubmissionStatus(report.status.value), report.score,
                                         report.model_dump(mode="json"), grader_version=grader_version(),
                                         lesson_version=self._lesson_version(lesson))

    @staticmethod
    def _lesson_version(lesson: Lesson | None) -> str:
        folder = getattr(lesson, "folder", None)
        if folder is None:
            return "missing"
        try:
            return lesson_version(folder)
        except OSError:
            return "unreadable"

    def _record(self, submission: Submission, report: GradeReport) -> None:
        if report.status is Status.error:
            log.error("submission %d ended in a system error: %s", submission.id, report.summary)
        lesson = self.find_lesson(submission.lesson)
        finished = self.store.finish(submission.id, SubmissionStatus(report.status.value), report.score,
                                     report.model_dump(mode="json"), grader_version=grader_version(),
                                     lesson_version=self._lesson_version(lesson))
        with self._lock:
            self._progress.pop(submission.id, None)
        self._publish(submission.id, _report_event(finished))

    def _on_grader_event(self, submission_id: int, typed: Event) -> None:
        if isinstance(typed, ReportEvent):  # the queue publishes its own report event once the row is stored
            return
        event = typed.to_dict()
        with self._lock:
            progress = self._progress.get(submission_id)
            if progress is None:
                return
            if event["event"] == "phase":
                progress.phase = event
            elif len(progress.epochs) < MAX_EPOCH_EVENTS:
                progress.epochs.append(event)
            else:
                return
            for sub in self._subscribers.get(submission_id, ()):
                sub.push(event)


def _report_event(submission: Submission) -> dict[str, Any]:
    return {"event": "report", "id": submission.id, "status": submission.status.value, "score": submission.score}
