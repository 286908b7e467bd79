"""POST /api/lessons/{slug}/checks: answers a CheckReport, stores nothing (no submission, no history, no attempt),
refuses bad input like a submission does, one check at a time per learner, 503 where it cannot run."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.checks import CheckRunner, ChecksFull
from app.routes.checks import UNAVAILABLE
from app.routes.deps import AppState
from app.store import Store
from app.tables import GradingRow, SubmissionEventRow, SubmissionRow
from graders.check import CheckReport, CheckStatus
from tests.app.helpers import LSTM, FakeGrader, submit, wait_for

URL = f"/api/lessons/{LSTM}/checks"


def state_of(client: TestClient) -> AppState:
    state: AppState = client.app.state.rnnlab  # type: ignore[attr-defined]
    return state


def submission_rows(store: Store) -> int:
    """Rows of every table a submission writes to: submissions, their gradings (history) and live events."""
    with store.database.engine.connect() as connection:
        return sum(int(connection.execute(select(func.count()).select_from(table)).scalar() or 0)
                   for table in (SubmissionRow, GradingRow, SubmissionEventRow))


def test_a_check_answers_its_report_and_stores_nothing(client: TestClient, fake_grader: FakeGrader) -> None:
    response = client.post(URL, json={"code": "# PASS\n"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "check" and body["graded"] is False and body["heldout_used"] is False
    assert body["status"] == "ok" and [e["epoch"] for e in body["history"]] == [1, 2]
    assert "score" not in body
    assert response.headers["cache-control"] == "no-store"
    assert fake_grader.checked == ["# PASS\n"] and fake_grader.codes == []  # checked, not graded

    # Nothing a submission leaves behind: no row, no history, no progress, no attempt.
    state = state_of(client)
    assert submission_rows(state.store) == 0
    assert client.get(f"/api/lessons/{LSTM}/submissions").json() == []
    problem = client.post(URL, json={"code": "x = 1\n"})
    assert problem.status_code == 200 and problem.json()["status"] == "problem"
    learner = client.get("/").cookies.get("rnnlab_learner") or client.cookies.get("rnnlab_learner")
    assert learner  # the check made the browser a learner (it is keyed by one), and that is all
    assert submission_rows(state.store) == 0

    # A submission afterwards is the learner's first: checks took no attempt and no queue place.
    first = submit(client)
    assert wait_for(client, first)["status"] == "passed"
    assert [s["id"] for s in client.get(f"/api/lessons/{LSTM}/submissions").json()] == [first]
    assert submission_rows(state.store) > 1  # the submission, its grading row and its events: the count works


@pytest.mark.parametrize(("send", "status", "says"), [
    ({"content": "code = 1", "headers": {"Content-Type": "text/plain"}}, 415, "JSON"),
    ({"content": "{not json", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
    ({"json": {}}, 422, "'code' is missing"),
    ({"json": {"code": "   \n"}}, 422, "empty"),
    ({"json": {"code": 7}}, 422, "must be a string"),
    ({"json": {"code": "x" * 5000}}, 413, "limit"),
])
def test_bad_input_is_refused_like_a_submission(client: TestClient, fake_grader: FakeGrader, send: dict[str, Any],
                                                status: int, says: str) -> None:
    response = client.post(URL, **send)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert fake_grader.checked == []


def test_unknown_lesson_and_missing_token(client: TestClient, fake_grader: FakeGrader) -> None:
    assert client.post("/api/lessons/no-such-lesson/checks", json={"code": "# PASS\n"}).status_code == 404
    client.post(URL, json={"code": "# PASS\n"})  # now the browser holds a learner cookie: CSRF applies
    response = client.post(URL, json={"code": "# PASS\n"}, headers={"X-CSRF-Token": ""})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert len(fake_grader.checked) == 1


def test_one_check_at_a_time_per_learner(client: TestClient, fake_grader: FakeGrader) -> None:
    client.post(URL, json={"code": "# PASS\n"})  # the browser becomes a learner first
    fake_grader.check_gate = threading.Event()
    fake_grader.checking.clear()
    answers: list[int] = []
    first = threading.Thread(target=lambda: answers.append(client.post(URL, json={"code": "# PASS\n"}).status_code))
    first.start()
    assert fake_grader.checking.wait(10)
    second = client.post(URL, json={"code": "# PASS\n"})
    assert second.status_code == 429 and "still running" in second.json()["detail"]
    assert second.headers["retry-after"]
    fake_grader.check_gate.set()
    first.join(10)
    assert answers == [200]
    assert client.post(URL, json={"code": "# PASS\n"}).status_code == 200  # free again


def test_a_server_with_neither_a_pool_nor_grading_hosts_answers_503(client: TestClient, fake_grader: FakeGrader) -> None:
    state = state_of(client)
    pool, state.pool = state.pool, None  # a web replica of the scaled layout
    try:
        response = client.post(URL, json={"code": "# PASS\n"})
    finally:
        state.pool = pool
    assert response.status_code == 503 and response.json()["detail"] == UNAVAILABLE
    assert fake_grader.checked == []


def test_the_real_check_answers_a_syntax_error_without_a_sandbox(client: TestClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app import checks as checks_module
    from graders import check as graders_check

    monkeypatch.setattr(checks_module, "check", graders_check.check)
    response = client.post(URL, json={"code": "def build_model(:\n"})
    assert response.status_code == 200
    report = CheckReport.model_validate(response.json())
    assert report.status is CheckStatus.problem and report.checks[0].line == 1
    assert report.lesson == LSTM


def test_the_runner_bounds_its_queue() -> None:
    gate = threading.Event()

    class Lesson:
        grading = prepared = None

    runner = CheckRunner(pool=None, max_code_bytes=1000, at_once=1, max_waiting=1)  # type: ignore[arg-type]
    runner._run = lambda lesson, code: gate.wait(10)  # type: ignore[assignment, method-assign, misc, return-value]
    first = runner.submit(1, Lesson(), "a", "192.0.2.1")  # type: ignore[arg-type]
    runner.submit(2, Lesson(), "b", "192.0.2.2")  # type: ignore[arg-type]
    with pytest.raises(ChecksFull):
        runner.submit(3, Lesson(), "c", "192.0.2.3")  # type: ignore[arg-type]
    gate.set()
    first.result(10)
    runner.close()


def test_one_address_holds_at_most_half_the_places() -> None:
    """A client that drops its cookie is a new learner on every request: from one address it still gets only half
    the places, and a learner elsewhere can check meanwhile."""
    gate = threading.Event()

    class Lesson:
        grading = prepared = None

    runner = CheckRunner(pool=None, max_code_bytes=1000, at_once=1, max_waiting=7)  # type: ignore[arg-type]
    runner._run = lambda lesson, code: gate.wait(10)  # type: ignore[assignment, method-assign, misc, return-value]
    assert runner.per_address == 4
    futures = [runner.submit(learner, Lesson(), "x", "203.0.113.9") for learner in range(1, 5)]  # type: ignore[arg-type]
    with pytest.raises(ChecksFull, match="your network"):
        runner.submit(5, Lesson(), "x", "203.0.113.9")  # type: ignore[arg-type]
    futures.append(runner.submit(6, Lesson(), "x", "198.51.100.7"))  # type: ignore[arg-type]
    gate.set()
    for future in futures:
        future.result(10)
    runner.submit(5, Lesson(), "x", "203.0.113.9").result(10)  # type: ignore[arg-type]  # places come back
    runner.close()
