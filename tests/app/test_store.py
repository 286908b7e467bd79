"""The store on SQLite and PostgreSQL: learners as real foreign keys, the queue order, claims that never collide,
fenced attempts, re-queueing after a stop, per-lesson progress."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from app.database import Database
from app.events import Bell, EventLog
from app.history import History
from app.store import Store, SubmissionStatus
from tests.app.helpers import migrated_store


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)


def test_an_sqlite_database_folder_is_created(tmp_path: Path) -> None:
    store = migrated_store(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite3'}")
    try:
        assert store.learner_exists(store.create_learner())
        assert (tmp_path / "nested" / "db.sqlite3").is_file()
    finally:
        store.close()


def test_learner_is_a_real_foreign_key(store: Store) -> None:
    learner = store.create_learner()
    assert store.learner_exists(learner) and not store.learner_exists(learner + 1)
    with pytest.raises(IntegrityError):
        store.add_submission(learner + 1, "lesson", "x = 1")


def test_claim_takes_the_oldest_queued_and_positions_follow(store: Store) -> None:
    learner = store.create_learner()
    ids = [store.add_submission(learner, "lesson", f"# {n}").id for n in range(3)]
    assert [store.queue_position(i) for i in ids] == [1, 2, 3]
    claimed = store.claim_next()
    assert claimed is not None and claimed.id == ids[0] and claimed.status is SubmissionStatus.running
    assert claimed.started is not None and claimed.started.tzinfo is not None
    assert [store.queue_position(i) for i in ids] == [None, 1, 2]
    assert store.count_active(learner) == 3
    assert store.count_by_status() == {"queued": 2, "running": 1}


def test_finish_records_status_score_and_report(store: Store) -> None:
    learner = store.create_learner()
    submission = store.add_submission(learner, "lesson", "x")
    store.claim_next()
    done = store.finish(submission.id, SubmissionStatus.failed, 0.4, {"summary": "close", "checks": []})
    assert done.done and done.score == 0.4 and done.report == {"summary": "close", "checks": []}
    assert done.finished is not None and store.claim_next() is None


def test_requeue_unfinished_puts_running_and_queued_back_in_order(store: Store) -> None:
    learner = store.create_learner()
    first, second = (store.add_submission(learner, "lesson", code).id for code in ("a", "b"))
    store.claim_next()
    assert store.requeue_unfinished() == [first, second]
    again = store.get_submission(first)
    assert again is not None and again.status is SubmissionStatus.queued and again.started is None
    assert store.queue_position(first) == 1


def test_progress_counts_attempts_best_score_and_passed(store: Store) -> None:
    learner, other = store.create_learner(), store.create_learner()
    for score, status in ((0.2, SubmissionStatus.failed), (1.0, SubmissionStatus.passed), (0.6, SubmissionStatus.failed)):
        submission = store.add_submission(learner, "a", "x")
        store.claim_next()
        store.finish(submission.id, status, score, {})
    store.add_submission(learner, "b", "x")
    progress = store.progress(learner)
    assert progress["a"].attempts == 3 and progress["a"].best_score == 1.0 and progress["a"].state == "passed"
    assert progress["b"].state == "attempted" and progress["b"].best_score is None
    assert store.progress(other) == {}


def test_list_is_newest_first_per_learner_and_lesson(store: Store) -> None:
    learner, other = store.create_learner(), store.create_learner()
    ids = [store.add_submission(learner, "a", str(n)).id for n in range(3)]
    store.add_submission(other, "a", "theirs")
    store.add_submission(learner, "b", "elsewhere")
    assert [s.id for s in store.list_submissions(learner, "a")] == ids[::-1]
    assert [s.id for s in store.list_submissions(learner, "a", limit=2)] == ids[:0:-1]


def test_two_claimers_at_once_take_disjoint_submissions_and_together_all(store: Store) -> None:
    # 50 learners: claim_next gives each learner one worker at a time (tested below), so one learner's 50 would not do
    ids = {store.add_submission(store.create_learner(), "lesson", f"# {n}").id for n in range(50)}
    claimed: list[list[int]] = [[], []]
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def claim_all(mine: list[int]) -> None:
        try:
            start.wait()
            while (submission := store.claim_next()) is not None:
                assert submission.status is SubmissionStatus.running
                mine.append(submission.id)
        except BaseException as exc:  # noqa: BLE001 - a thread's failure must reach the test
            failures.append(exc)

    threads = [threading.Thread(target=claim_all, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    first, second = claimed
    assert not set(first) & set(second), "a submission was claimed twice"
    assert len(first) + len(second) == 50 and set(first) | set(second) == ids
    assert store.count_by_status() == {"queued": 0, "running": 50}


def test_a_late_attempt_is_fenced_out_and_a_result_is_written_once(store: Store) -> None:
    events = EventLog(store.database, Bell())
    learner = store.create_learner()
    submission = store.add_submission(learner, "lesson", "x")
    first = store.claim_next()
    assert first is not None and first.attempt == 1
    second = store.claim(submission.id)  # its host was presumed dead: the job runs again
    assert second is not None and second.attempt == 2 and second.status is SubmissionStatus.running
    late = store.finish_attempt(submission.id, first.attempt, SubmissionStatus.passed, 1.0, {"late": True})
    assert late is None  # the presumed-dead host finished after all: nothing written
    done = store.finish_attempt(submission.id, second.attempt, SubmissionStatus.failed, 0.4, {"summary": "close"})
    assert done is not None and done.status is SubmissionStatus.failed and done.report == {"summary": "close"}
    assert store.finish_attempt(submission.id, second.attempt, SubmissionStatus.passed, 1.0, {}) is None  # twice
    assert store.claim(submission.id) is None and store.claim(submission.id + 1) is None  # graded; missing
    again = store.get_submission(submission.id)
    assert again is not None and again.score == 0.4 and again.attempt == 2
    assert [g.score for g in History(store.database).gradings(submission.id)] == [0.4]
    assert [(e.attempt, e.kind) for e in events.after(submission.id, 0)] == [
        (1, "started"), (2, "started"), (2, "report")]
    with pytest.raises(KeyError):
        store.finish_attempt(submission.id + 1, 1, SubmissionStatus.passed, 1.0, {})


def test_a_learner_with_a_submission_running_gets_no_second_worker(store: Store) -> None:
    ada, bob = store.create_learner(), store.create_learner()
    first, second = store.add_submission(ada, "a", "1"), store.add_submission(ada, "b", "2")
    theirs = store.add_submission(bob, "a", "3")
    assert store.claim_next().id == first.id  # type: ignore[union-attr]
    assert store.claim_next().id == theirs.id  # type: ignore[union-attr]  # ada's second waits; bob goes first
    assert store.claim_next() is None
    store.finish(first.id, SubmissionStatus.passed, 1.0, {})
    assert store.claim_next().id == second.id  # type: ignore[union-attr]


def test_wait_estimate_comes_from_recent_gradings_of_the_lessons_ahead(store: Store) -> None:
    """Queued behind one running grading and one queued of another lesson, with 2 slots: (remaining + queued) / 2
    until the start, plus this lesson's typical grading. No history for the lesson: no estimate, never a guess."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.database import now
    from app.tables import SubmissionRow

    learner = store.create_learner()

    def graded(lesson: str, seconds: float) -> None:
        done = store.add_submission(learner, lesson, "x")
        store.claim(done.id)
        store.finish(done.id, SubmissionStatus.passed, 1.0, {"checks": []})
        with store.database.engine.begin() as connection:
            start = now() - timedelta(hours=1)
            connection.execute(update(SubmissionRow).where(SubmissionRow.id == done.id)
                               .values(started=start, finished=start + timedelta(seconds=seconds)))

    waiting = store.add_submission(learner, "fast", "x")
    assert store.wait_estimate(waiting.id, 1) is None  # nothing graded yet: no basis
    for seconds in (10, 12, 40):  # median 12 (an outlier does not move it)
        graded("fast", seconds)
    for seconds in (30, 30):
        graded("slow", seconds)
    other = store.create_learner()
    running = store.add_submission(other, "slow", "x")
    queued = store.add_submission(other, "fast", "x")
    mine = store.add_submission(store.create_learner(), "fast", "x")
    store.claim(running.id)
    with store.database.engine.begin() as connection:  # started 10 s ago: ~20 s left of a typical 30 s
        connection.execute(update(SubmissionRow).where(SubmissionRow.id == running.id)
                           .values(started=now() - timedelta(seconds=10)))
    estimate = store.wait_estimate(mine.id, 2)
    assert estimate is not None
    # ahead: the running one (~20 s left), two queued of "fast" (12 s each): (20 + 12 + 12) / 2 = 22
    assert (estimate.until_start_s, estimate.until_report_s, estimate.grading_s) == (22, 34, 12)
    alone = store.wait_estimate(mine.id, 1)
    assert alone is not None and alone.until_start_s == 44
    assert store.wait_estimate(running.id, 1) is None and store.wait_estimate(queued.id, 1) is not None
