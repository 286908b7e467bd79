"""The embedded grading queue, on SQLite and on PostgreSQL: recording reports, abandoning work on shutdown, resuming at
start."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from app import queue as queue_module
from app.database import Database
from app.queue import GradingQueue, QueueFull
from app.store import Store, SubmissionStatus
from graders import Failure, GradeReport
from tests.app.helpers import FakeGrader


class FakeLesson:
    grading = None
    prepared = None


def make_queue(database: Database, **kwargs: Any) -> tuple[GradingQueue, Store]:
    store = Store(database)  # `database`: each test runs on SQLite and on PostgreSQL (tests/conftest.py)
    lessons = {"a": FakeLesson()}
    queue = GradingQueue(store, lessons.get, pool=None, **kwargs)  # type: ignore[arg-type]
    return queue, store


def wait_done(store: Store, submission_id: int, timeout: float = 5.0) -> SubmissionStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission = store.get_submission(submission_id)
        if submission is not None and submission.done:
            return submission.status
        time.sleep(0.01)
    raise AssertionError("not graded in time")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeGrader:
    grader = FakeGrader()
    monkeypatch.setattr(queue_module, "grade", grader)
    return grader


def test_queue_grades_and_records(database: Database, fake: FakeGrader) -> None:
    queue, store = make_queue(database)
    queue.start()
    learner = store.create_learner()
    try:
        passed = queue.enqueue(learner, "a", "# PASS")
        missing = queue.enqueue(learner, "gone", "# PASS")
        assert wait_done(store, passed.id) is SubmissionStatus.passed
        assert wait_done(store, missing.id) is SubmissionStatus.error
        report = store.get_submission(missing.id).report  # type: ignore[union-attr]
        assert report is not None and "no longer exists" in report["summary"]
    finally:
        queue.stop()
        queue.join()


def test_learner_limit(database: Database, fake: FakeGrader) -> None:
    queue, store = make_queue(database, max_queued_per_learner=1)  # not started: everything stays queued
    learner = store.create_learner()
    queue.enqueue(learner, "a", "x")
    with pytest.raises(QueueFull) as info:
        queue.enqueue(learner, "a", "x")
    assert info.value.retry_after > 0


def test_a_grading_cut_short_by_shutdown_is_not_recorded_and_resumes(database: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()
    release = threading.Event()

    def killed_by_shutdown(*args: Any, **kwargs: Any) -> GradeReport:
        started.set()
        release.wait(5)
        return GradeReport.not_gradable(Failure.killed, "killed by signal SIGKILL")

    monkeypatch.setattr(queue_module, "grade", killed_by_shutdown)
    queue, store = make_queue(database)
    queue.start()
    submission = queue.enqueue(store.create_learner(), "a", "# PASS")
    assert started.wait(5)
    queue.stop()
    release.set()  # what pool.close() does to a grading in flight
    queue.join()
    released = store.get_submission(submission.id)  # back in the queue, its attempt given back: a planned stop
    assert released is not None and released.status is SubmissionStatus.queued and released.attempt == 0
    assert released.report is None

    monkeypatch.setattr(queue_module, "grade", FakeGrader())
    again = GradingQueue(store, {"a": FakeLesson()}.get, pool=None)  # type: ignore[arg-type]
    assert again.start() == [submission.id]
    try:
        assert wait_done(store, submission.id) is SubmissionStatus.passed
    finally:
        again.stop()
        again.join()
