"""History, regrades and the gradebook's read on PostgreSQL (SKIP LOCKED claims, JSON extraction in SQL)."""

from __future__ import annotations

from app.classlist import ClassList
from app.database import Database
from app.history import History
from app.migrate import upgrade
from app.store import Store, SubmissionStatus
from tests.app.instructor_helpers import report
from tests.app.test_migrate_postgres import postgres_url  # noqa: F401 - the throwaway cluster fixture


def test_regrade_and_gradebook_reads_on_postgres(postgres_url: str) -> None:  # noqa: F811
    database = Database(postgres_url)
    try:
        upgrade(database.engine)
        store, history = Store(database), History(database)
        learner = store.create_learner()
        submission = store.add_submission(learner, "lesson", "code")
        store.finish(submission.id, SubmissionStatus.failed, 0.4, report("failed", 0.4, ("beats_baseline",)),
                     grader_version="g1", lesson_version="l1")
        regrade = history.request_regrade("lesson", "teacher@example.org")
        item = history.claim_regrade_item()
        assert item is not None and item.submission.id == submission.id and history.claim_regrade_item() is None
        done = history.finish_regrade_item(item, SubmissionStatus.passed, 1.0, report("passed", 1.0),
                                           grader_version="g2", lesson_version="l2")
        assert done.id == regrade.id and done.done == 1 and not done.running
        assert [(g.status.value, g.grader_version) for g in history.gradings(submission.id)] == [
            ("failed", "g1"), ("passed", "g2")]
        attempts = ClassList(database).attempts()[learner]["lesson"]
        assert [a.status.value for a in attempts] == ["passed"] and attempts[0].failed_checks == ()
        store.finish(store.add_submission(learner, "lesson", "x").id, SubmissionStatus.failed, 0.2,
                     report("failed", 0.2, ("uses_lstm",)))
        assert ClassList(database).attempts()[learner]["lesson"][1].failed_checks == ("uses_lstm",)
    finally:
        database.close()
