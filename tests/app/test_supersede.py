"""A learner who sends newer code for a lesson while older code still waits: only the newest is graded; the older
end not gradable with a reason, once, their followers hear a report, and on PostgreSQL their jobs are cancelled."""

from __future__ import annotations

from sqlalchemy import func, select, text

from app.database import Database
from app.events import Bell, EventLog
from app.jobs.queue import JobQueue
from app.queue import GradingQueue, supersede_older
from app.store import Store, SubmissionStatus
from app.tables import GradingRow
from tests.pg import PgCluster


def test_only_the_newest_waiting_submission_of_a_lesson_is_kept(database: Database) -> None:
    store = Store(database)
    learner, other = store.create_learner(), store.create_learner()
    running = store.add_submission(learner, "a", "running")
    assert store.claim_next() is not None  # `running` is being graded
    old1, old2 = store.add_submission(learner, "a", "old 1"), store.add_submission(learner, "a", "old 2")
    elsewhere = store.add_submission(learner, "b", "another lesson")
    theirs = store.add_submission(other, "a", "another learner")
    newest = store.add_submission(learner, "a", "newest")

    superseded = supersede_older(store, newest)

    assert [s.id for s in superseded] == [old1.id, old2.id]
    for sub in (old1, old2):
        done = store.get_submission(sub.id)
        assert done is not None and done.status is SubmissionStatus.not_gradable and done.score == 0.0
        assert done.report is not None and done.report["failure"] == "superseded"
        assert f"#{newest.id}" in done.report["summary"]
        assert [e.kind for e in EventLog(database, Bell()).after(sub.id, 0)] == ["report"]  # followers stop
    for sub in (running, elsewhere, theirs, newest):
        assert store.get_submission(sub.id).status in (SubmissionStatus.queued, SubmissionStatus.running)  # type: ignore[union-attr]
    assert supersede_older(store, newest) == []  # once
    with database.session() as session:
        assert session.scalar(select(func.count()).where(GradingRow.submission_id == old1.id)) == 1


def test_a_superseded_job_is_cancelled_on_postgres(pg_cluster: PgCluster, pg_migrated_template: str) -> None:
    with pg_cluster.database(template=pg_migrated_template) as url:
        database = Database(url)
        store = Store(database)
        queue = JobQueue(store)
        queue.start()
        try:
            learner = store.create_learner()
            first = queue.enqueue(learner, "a", "first")
            second = queue.enqueue(learner, "a", "second")
            with database.session() as session:
                jobs = dict(session.execute(text(
                    "SELECT (args->>'submission_id')::int, status::text FROM procrastinate_jobs")).all())
            assert jobs == {first.id: "cancelled", second.id: "todo"}
            assert store.get_submission(first.id).status is SubmissionStatus.not_gradable  # type: ignore[union-attr]
        finally:
            queue.join()
            database.close()


def test_a_syntax_error_is_answered_at_submit_and_supersedes_nothing(database: Database) -> None:
    store = Store(database)
    queue = GradingQueue(store, lambda slug: None, pool=None)  # type: ignore[arg-type] - never started: nothing grades
    learner = store.create_learner()
    good = queue.enqueue(learner, "a", "x = 1\n")
    typo = queue.enqueue(learner, "a", "def f(:\n    pass\n")
    assert typo.status is SubmissionStatus.not_gradable and typo.report is not None
    assert typo.report["failure"] == "syntax_error" and typo.report["checks"][0]["line"] == 1
    assert typo.report["submission"] == str(typo.id)
    assert [e.kind for e in EventLog(database, Bell()).after(typo.id, 0)] == ["report"]
    assert store.get_submission(good.id).status is SubmissionStatus.queued  # type: ignore[union-attr]
    assert store.count_active(learner) == 1
