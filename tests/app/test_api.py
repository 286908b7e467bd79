"""The JSON + SSE API: submitting, following a grading live, listing, privacy, health, starter and assets."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from app.identity import COOKIE_NAME
from app.routes import api
from tests.app.helpers import LSTM, SECOND, FakeGrader, read_events, submit, wait_for


def test_submit_answers_202_sets_a_cookie_and_the_submission_gets_graded(client: TestClient) -> None:
    response = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["position"] in (1, None)
    assert response.headers["location"] == body["url"] == f"/api/submissions/{body['id']}"
    assert body["events_url"] == f"/api/submissions/{body['id']}/events"
    assert COOKIE_NAME in response.cookies
    assert "httponly" in response.headers["set-cookie"].lower() and "samesite=lax" in response.headers["set-cookie"].lower()
    done = wait_for(client, body["id"])
    assert done["status"] == "passed" and done["score"] == 1.0
    assert done["lesson"] == LSTM and done["code"] == "# PASS\n"
    assert done["report"]["checks"][1]["message"] == "Held-out RMSE 0.33 vs 0.63 <b>baseline</b>"  # raw in JSON
    assert done["created"] <= done["started"] <= done["finished"]
    assert done["report"]["submission"] == str(body["id"])


def test_second_submission_reuses_the_learner(client: TestClient) -> None:
    first = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"})
    second = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# FAIL\n"})
    assert "set-cookie" in first.headers and "set-cookie" not in second.headers


def test_events_stream_live_progress_then_the_report(client: TestClient, fake_grader: FakeGrader) -> None:
    fake_grader.gate = threading.Event()
    submission_id = submit(client)
    assert fake_grader.training.wait(5)
    threading.Timer(0.3, fake_grader.gate.set).start()
    events = read_events(client, submission_id, with_ids=True)
    ids = [e.pop("_id") for e in events]
    kinds = [e["event"] for e in events]
    # A late subscriber first gets everything logged so far: started (attempt 1), the phases, the epochs.
    assert kinds[:5] == ["started", "phase", "phase", "epoch", "epoch"]
    assert events[0] == {"event": "started", "attempt": 1}
    assert events[2] == {"event": "phase", "phase": "train", "epochs": 3}
    assert events[3] == {"event": "epoch", "epoch": 1, "epochs": 3, "loss": 1.0, "val_loss": 1.5}
    assert kinds[5:] == ["epoch", "phase", "report"]  # the forged epoch line was dropped
    assert events[5] == {"event": "epoch", "epoch": 3, "epochs": 3, "loss": 0.3, "val_loss": None}  # NaN dropped
    report = events[-1]["submission"]
    assert report["id"] == submission_id and report["status"] == "passed" and report["report"]["score"] == 1.0
    # Every logged event carries an id, strictly increasing: what a reconnecting browser resumes from.
    assert all(isinstance(i, int) for i in ids) and ids == sorted(set(ids))


def test_a_reconnecting_stream_resumes_after_last_event_id_missing_nothing(client: TestClient) -> None:
    submission_id = submit(client)
    wait_for(client, submission_id)
    everything = read_events(client, submission_id, with_ids=True)
    assert everything[-1]["event"] == "report"
    for cut in range(len(everything) - 1):  # reconnect after each event in turn: the rest arrives, once, in order
        rest = read_events(client, submission_id, last_event_id=everything[cut]["_id"], with_ids=True)
        assert [e["_id"] for e in rest] == [e["_id"] for e in everything[cut + 1:]]
    for junk in ("abc", "-5", "9" * 40):  # not one of our ids: start from the beginning rather than fail
        assert len(_read_with_header(client, submission_id, junk)) == len(everything)


def _read_with_header(client: TestClient, submission_id: int, header: str) -> list[str]:
    with client.stream("GET", f"/api/submissions/{submission_id}/events",
                       headers={"Last-Event-ID": header}) as response:
        assert response.status_code == 200
        return [line for line in response.iter_lines() if line.startswith("data: ")]


def test_a_queued_submission_hears_its_position_then_its_grading(client: TestClient, fake_grader: FakeGrader,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fake_grader.gate = threading.Event()
    first = submit(client)
    assert fake_grader.training.wait(5)
    second = submit(client, "# FAIL\n")
    assert client.get(f"/api/submissions/{second}").json()["position"] == 1
    monkeypatch.setattr(api, "SSE_MAX_S", 0.5)
    # No grading of this lesson has finished yet: no basis for an estimate, so none is given.
    assert read_events(client, second) == [{"event": "queued", "position": 1, "estimate": None}]  # EventSource reconnects
    fake_grader.gate.set()
    assert wait_for(client, first)["status"] == "passed"
    assert wait_for(client, second)["status"] == "failed"
    replay = [e["event"] for e in read_events(client, second)]
    assert replay[0] == "started" and replay[-1] == "report" and "queued" not in replay
    # Now there is: a submission queued behind a running one hears how long until its report, from those gradings.
    fake_grader.gate = threading.Event()
    fake_grader.training.clear()
    third = submit(client)
    assert fake_grader.training.wait(5)
    created = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# FAIL\n"}).json()
    estimate = created["estimate"]
    assert estimate is not None and 0 <= estimate["until_start_s"] <= estimate["until_report_s"]
    queued = read_events(client, created["id"])
    assert queued[0]["event"] == "queued" and queued[0]["estimate"] == estimate
    fake_grader.gate.set()
    assert wait_for(client, third)["status"] == "passed" and wait_for(client, created["id"])["status"] == "failed"


def test_list_is_newest_first_and_private_to_the_browser(client: TestClient, settings: object) -> None:
    ids = [submit(client, "# FAIL\n"), submit(client, "# PASS\n")]
    for submission_id in ids:
        wait_for(client, submission_id)
    listed = client.get(f"/api/lessons/{LSTM}/submissions").json()
    assert [s["id"] for s in listed] == ids[::-1]
    assert listed[0]["status"] == "passed" and listed[0]["summary"] == "All checks passed."
    assert "code" not in listed[0] and "report" not in listed[0]
    assert client.get(f"/api/lessons/{SECOND}/submissions").json() == []

    stranger = TestClient(client.app)
    assert stranger.get(f"/api/lessons/{LSTM}/submissions").json() == []
    for url in (f"/api/submissions/{ids[0]}", f"/api/submissions/{ids[0]}/events"):
        response = stranger.get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": f"Submission {ids[0]} was not found for this browser."}


def test_a_forged_cookie_counts_as_no_cookie(client: TestClient) -> None:
    submission_id = submit(client)
    real = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, real[:-2] + ("AA" if not real.endswith("AA") else "BB"))
    assert client.get(f"/api/submissions/{submission_id}").status_code == 404
    response = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"})
    assert response.status_code == 202 and COOKIE_NAME in response.cookies  # a new learner


def test_a_grader_crash_becomes_status_error_not_a_500(client: TestClient) -> None:
    done = wait_for(client, submit(client, "# CRASH\n"))
    assert done["status"] == "error"
    assert "our bug, not yours" in done["report"]["summary"]


def test_learner_code_that_cannot_be_graded_is_a_200_report(client: TestClient) -> None:
    done = wait_for(client, submit(client, "x = (\n"))
    assert done["status"] == "not_gradable" and done["score"] == 0.0
    assert done["report"]["summary"].startswith("Syntax error on line 1")


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {name: check["ok"] for name, check in body.pop("checks").items()} == {
        "database_file": True, "database": True, "disk": True, "grading": True}
    assert body == {"status": "ok", "lessons": 2, "queued": 0, "running": 0, "grading": True, "warm_workers": 0}
    assert client.head("/healthz").status_code == 200  # for uptime monitors


def test_starter_is_served_as_python_text(client: TestClient) -> None:
    response = client.get(f"/lessons/{LSTM}/starter.py")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/x-python; charset=utf-8"
    assert "def build_model(window: int, n_features: int)" in response.text
    assert "Cropping1D" in response.text  # the starter runs and shows the lesson's failure (a memoryless model)


def test_assets_serve_lesson_images_only(client: TestClient) -> None:
    response = client.get(f"/lessons/{SECOND}/assets/gru.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    for name in ("solution.py", "grading.toml", "lesson.md", "starter.py", "missing.svg", ".hidden.png"):
        response = client.get(f"/lessons/{SECOND}/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["detail"] == f"Lesson '{SECOND}' has no image called '{name}'."


def test_the_reference_solution_opens_only_after_your_own_pass(client: TestClient) -> None:
    """Before a pass it would be an answer to copy; after one, it is another way to compare with."""
    anonymous = client.get(f"/api/lessons/{LSTM}/solution")
    assert anonymous.status_code == 403 and "passed" in anonymous.json()["detail"]
    failing = submit(client, "# FAIL\n")
    assert wait_for(client, failing)["status"] == "failed"
    assert client.get(f"/api/lessons/{LSTM}/solution").status_code == 403  # a failed attempt opens nothing
    passing = submit(client)
    assert wait_for(client, passing)["status"] == "passed"
    opened = client.get(f"/api/lessons/{LSTM}/solution")
    assert opened.status_code == 200 and "def build_model" in opened.text
    assert opened.headers["cache-control"] == "private, no-store"
    assert client.get(f"/api/lessons/{SECOND}/solution").status_code == 403  # a pass opens its own lesson only
    client.cookies.clear()
    assert client.get(f"/api/lessons/{LSTM}/solution").status_code == 403  # someone else's pass is not yours
    assert client.get("/api/lessons/no-such-lesson/solution").status_code == 404
