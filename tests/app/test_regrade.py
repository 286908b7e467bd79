"""Regrade: a lesson's finished submissions graded again behind learners' work, with progress, one at a time per
lesson, keeping every earlier report with the grader and lesson versions that made it; the migration's history and
the history's SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app import cli
from app import queue as queue_module
from app.accounts import Role
from app.classlist import ClassList
from app.config import Settings
from app.csrf import CSRF_HEADER
from app.database import Database, as_utc
from app.history import History, RegradeRunning
from app.main import create_app
from app.migrate import _config, upgrade
from app.store import Store, SubmissionStatus
from app.tables import GradingRow
from app.versions import grader_version, lesson_version
from graders import GradeReport
from tests.app.helpers import LSTM, FakeGrader, csrf_token, submit, wait_for
from tests.app.instructor_helpers import log_in_as, report, state_of


class ChangedGrader(FakeGrader):
    """The grader after a fix: what used to fail now passes (the code markers are read the other way round)."""

    def __call__(self, grading: Any, code: str, pool: Any, on_event: Any = None, **options: Any) -> GradeReport:
        return super().__call__(grading, code.replace("# FAIL", "# PASS"), pool, on_event, **options)


@pytest.fixture
def client(settings: Settings, fake_grader: FakeGrader) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers[CSRF_HEADER] = csrf_token(test_client)
        yield test_client
        if fake_grader.gate is not None:
            fake_grader.gate.set()


def as_instructor(client: TestClient) -> None:
    """A fresh browser signs in as the instructor (signing in on the learner's browser would claim its history)."""
    client.cookies.clear()
    client.headers[CSRF_HEADER] = csrf_token(client)
    log_in_as(client, Role.instructor)
    client.headers[CSRF_HEADER] = csrf_token(client)


def wait_regrade(client: TestClient, url: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(url).json()
        if not body["running"] or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def test_a_regrade_keeps_every_report_and_records_the_versions(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                               settings: Settings) -> None:
    first = submit(client, "# FAIL\n")
    second = submit(client, "# PASS\n")
    wait_for(client, first), wait_for(client, second)
    as_instructor(client)
    monkeypatch.setattr(queue_module, "grade", ChangedGrader())

    started = client.post(f"/api/instructor/lessons/{LSTM}/regrade")
    assert started.status_code == 202, started.text
    assert started.json()["total"] == 2 and started.json()["requested_by"] == "teacher@example.org"
    done = wait_regrade(client, started.json()["url"])
    assert done["done"] == 2 and done["running"] is False and done["finished"]

    detail = client.get(f"/api/instructor/submissions/{first}").json()
    assert [g["status"] for g in detail["gradings"]] == ["failed", "passed"]  # the old report is still there
    assert detail["gradings"][1]["regrade_id"] == started.json()["id"] and detail["gradings"][0]["regrade_id"] is None
    assert detail["status"] == "passed" and detail["report"]["status"] == "passed"  # the latest counts
    versions = {(g["grader_version"], g["lesson_version"]) for g in detail["gradings"]}
    assert versions == {(grader_version(), lesson_version(settings.lessons_dir / LSTM))}
    assert grader_version().startswith("0.1.0+")
    page = client.get(f"/instructor/submissions/{first}").text
    assert page.count("regrade #") == 1 and "s in the queue, graded in" in page
    summary = client.get(f"/api/instructor/lessons/{LSTM}").json()
    assert summary["regrade"]["done"] == 2 and summary["passed"] == 1


def test_learners_go_first_and_a_second_regrade_is_refused_while_one_runs(client: TestClient,
                                                                         fake_grader: FakeGrader) -> None:
    ids = [submit(client, f"# PASS\n# {n}\n") for n in range(2)]
    for sid in ids:
        wait_for(client, sid)
    as_instructor(client)
    fake_grader.codes.clear()
    fake_grader.training.clear()
    import threading
    fake_grader.gate = threading.Event()

    regrade = client.post(f"/api/instructor/lessons/{LSTM}/regrade").json()
    assert fake_grader.training.wait(10)  # the first item is being graded
    again = client.post(f"/api/instructor/lessons/{LSTM}/regrade")
    assert again.status_code == 409 and "already running" in again.json()["detail"]
    page = client.get(f"/instructor/lessons/{LSTM}").text
    assert 'id="regrade-done">0</span> of 2' in page and "Regrade all submissions" not in page
    assert client.get(regrade["url"]).json()["done"] == 0

    learner_code = "# PASS\n# learner\n"
    waiting = submit(client, learner_code)  # an instructor's own try is as interactive as a learner's
    fake_grader.gate.set()
    wait_for(client, waiting)
    assert wait_regrade(client, regrade["url"])["done"] == 2
    assert fake_grader.codes.index(learner_code) == 1  # right after the item in flight, before the other item
    assert client.post(f"/api/instructor/lessons/{LSTM}/regrade").status_code == 202  # finished: may run again


def test_the_html_form_starts_a_regrade_and_the_page_shows_progress(client: TestClient) -> None:
    wait_for(client, submit(client, "# PASS\n"))
    as_instructor(client)
    page = client.get(f"/instructor/lessons/{LSTM}").text
    response = client.post(f"/instructor/lessons/{LSTM}/regrade", follow_redirects=False,
                           data={"csrf_token": csrf_token(client, f"/instructor/lessons/{LSTM}")},
                           headers={CSRF_HEADER: ""})
    assert "Regrade all submissions" in page and response.status_code == 303
    assert response.headers["location"] == f"/instructor/lessons/{LSTM}"
    regrade = History(state_of(client).store.database).latest_regrades()[LSTM]
    wait_regrade(client, f"/api/instructor/regrades/{regrade.id}")
    html = client.get(f"/instructor/lessons/{LSTM}").text
    assert 'id="regrade-done">1</span> of 1 done, finished' in html and '<progress id="regrade-progress" max="1" value="1"' in html
    assert re.search(r'<script type="module" src="/static/js/regrade\.[0-9a-f]{12}\.js">', html)
    assert client.post(f"/instructor/lessons/{LSTM}/regrade", follow_redirects=False,
                       headers={CSRF_HEADER: ""}).status_code == 403  # no token


def test_a_regrade_left_running_by_a_stopped_server_resumes(settings: Settings, fake_grader: FakeGrader) -> None:
    with TestClient(create_app(settings)) as client:
        client.headers[CSRF_HEADER] = csrf_token(client)
        wait_for(client, submit(client, "# PASS\n"))
        state_of(client).queue.stop()  # type: ignore[union-attr]
        state_of(client).queue.join()  # type: ignore[union-attr]
        history = History(state_of(client).store.database)
        regrade = history.request_regrade(LSTM, "test")
        assert history.claim_regrade_item() is not None  # claimed, then the server "dies"
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 10
        while (found := History(state_of(client).store.database).regrade(regrade.id)) and found.running:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert found is not None and found.done == 1


def test_rnnlab_regrade_queues_for_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], settings: Settings) -> None:
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RNNLAB_LESSONS_DIR", str(settings.lessons_dir))
    assert cli.main(["regrade", LSTM]) == 0
    assert f"regrade #1 of {LSTM}: 0 submission(s) queued" in capsys.readouterr().out
    assert cli.main(["regrade", "no-such-lesson"]) == 2
    assert "no lesson called" in capsys.readouterr().err


def test_lessons_check_reports_course_file_problems(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], settings: Settings) -> None:
    (settings.lessons_dir / "course.toml").write_text('[deadlines]\n"lstm-sequence-predictoin" = 2027-01-01\n',
                                                      encoding="utf-8")
    monkeypatch.setenv("RNNLAB_LESSONS_DIR", str(settings.lessons_dir))
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(settings.data_dir))

    def no_pool(*args: Any, **kwargs: Any) -> Any:
        from graders import SandboxUnavailable
        raise SandboxUnavailable("not in this test")

    monkeypatch.setattr(cli, "_start_pool", no_pool)
    assert cli.main(["lessons", "check"]) != 0
    assert "did you mean 'lstm-sequence-prediction'?" in capsys.readouterr().err


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each backend, for a test that migrates it step by step."""
    url = (f"sqlite:///{tmp_path / 'db.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    database = Database(url)
    yield database
    database.close()


def test_the_migration_makes_each_finished_submission_its_first_history_row(empty_database: Database) -> None:
    database = empty_database
    with database.engine.begin() as connection:
        command.upgrade(_config(connection), "0003")
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO learners (id, created) VALUES (1, :t)"), {"t": moment})
        for status in ("passed", "queued"):
            connection.execute(text("INSERT INTO submissions (learner_id, lesson, code, status, score, report, created,"
                                    " finished) VALUES (1, 'a', 'x', :s, 0.5, '{\"summary\": \"ok\"}', :t, :t)"),
                               {"s": status, "t": moment})
    upgrade(database.engine)
    with database.session() as session:
        rows = session.scalars(select(GradingRow)).all()
        assert [(r.submission_id, r.status, r.grader_version, r.report, as_utc(r.graded)) for r in rows] == [
            (1, "passed", "unknown", {"summary": "ok"}, moment)]


def test_history_regrades_and_the_gradebook_read_in_sql(database: Database) -> None:
    """The store-level half of a regrade (claims with SKIP LOCKED on PostgreSQL, JSON read back in SQL)."""
    store, history = Store(database), History(database)
    learner = store.create_learner()
    submission = store.add_submission(learner, "lesson", "code")
    store.add_submission(learner, "lesson", "still queued")  # unfinished: not part of a regrade
    store.finish(submission.id, SubmissionStatus.failed, 0.4, report("failed", 0.4, ("beats_baseline",)),
                 grader_version="g1", lesson_version="l1")
    regrade = history.request_regrade("lesson", "teacher@example.org")
    assert regrade.total == 1 and regrade.running and regrade.requested_by == "teacher@example.org"
    with pytest.raises(RegradeRunning):
        history.request_regrade("lesson", "someone else")
    item = history.claim_regrade_item()
    assert item is not None and item.submission.id == submission.id and history.claim_regrade_item() is None
    assert history.requeue_unfinished() == 1  # the server "died": the item goes back
    item = history.claim_regrade_item()
    assert item is not None and item.submission.id == submission.id
    done = history.finish_regrade_item(item, SubmissionStatus.passed, 1.0, report("passed", 1.0),
                                       grader_version="g2", lesson_version="l2")
    assert done is not None and done.id == regrade.id and done.done == 1 and not done.running
    assert history.latest_regrades()["lesson"].id == regrade.id
    assert [(g.status.value, g.grader_version, g.regrade_id) for g in history.gradings(submission.id)] == [
        ("failed", "g1", None), ("passed", "g2", regrade.id)]
    latest = store.get_submission(submission.id)
    assert latest is not None and latest.status is SubmissionStatus.passed and latest.score == 1.0
    attempts = ClassList(database).attempts()[learner]["lesson"]
    assert [a.status.value for a in attempts] == ["passed", "queued"] and attempts[0].failed_checks == ()
    store.finish(store.add_submission(learner, "lesson", "x").id, SubmissionStatus.failed, 0.2,
                 report("failed", 0.2, ("uses_lstm",)))
    assert ClassList(database).attempts()[learner]["lesson"][2].failed_checks == ("uses_lstm",)
    assert history.request_regrade("lesson", "teacher@example.org").total == 2  # the last one finished


def test_a_regrade_item_claimed_again_fences_out_the_late_attempt(database: Database) -> None:
    store, history = Store(database), History(database)
    submission = store.add_submission(store.create_learner(), "lesson", "code")
    store.finish(submission.id, SubmissionStatus.failed, 0.4, report("failed", 0.4, ("beats_baseline",)))
    regrade = history.request_regrade("lesson", "teacher@example.org")
    [grading_id] = history.queued_gradings(regrade.id)
    first = history.claim_grading(grading_id)
    assert first is not None and first.attempt == 1 and history.queued_gradings(regrade.id) == []
    second = history.claim_grading(grading_id)  # its host was presumed dead
    assert second is not None and second.attempt == 2 and second.submission.id == submission.id
    late = history.finish_regrade_item(first, SubmissionStatus.passed, 1.0, report("passed", 1.0),
                                       grader_version="late", lesson_version="l")
    assert late is None
    done = history.finish_regrade_item(second, SubmissionStatus.passed, 0.9, report("passed", 0.9),
                                       grader_version="g2", lesson_version="l2")
    assert done is not None and done.done == 1 and not done.running
    assert history.finish_regrade_item(second, SubmissionStatus.failed, 0.0, report("failed", 0.0),
                                       grader_version="twice", lesson_version="l") is None
    assert history.claim_grading(grading_id) is None  # done
    assert [(g.score, g.grader_version) for g in history.gradings(submission.id)] == [(0.4, "unknown"), (0.9, "g2")]
    latest = store.get_submission(submission.id)
    assert latest is not None and latest.status is SubmissionStatus.passed and latest.score == 0.9
