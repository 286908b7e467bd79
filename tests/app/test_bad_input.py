"""Bad input gets a clear 4xx JSON message, never a 500; solution.py and grading.toml are never served."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tests.app.helpers import LSTM, SECOND, FakeGrader, submit

URL = f"/api/lessons/{LSTM}/submissions"
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(("body", "status", "message"), [
    (b'{"code": "x = 1"', 400, "The request body is not valid JSON (Expecting ',' delimiter at line 1, column 17)"),
    (b"", 400, "The request body is not valid JSON"),
    (b"\xff\xfe{}", 400, "The request body is not UTF-8 text."),
    (b"[" * 10_000 + b"]" * 10_000, 400, "nests too deeply"),
    (b'["x = 1"]', 422, "Expected a JSON object like"),
    (b'"x = 1"', 422, "Expected a JSON object like"),
    (b"{}", 422, "The field 'code' is missing."),
    (b'{"source": "x = 1"}', 422, "The field 'code' is missing."),
    (b'{"code": 42}', 422, "The field 'code' must be a string, got int."),
    (b'{"code": null}', 422, "The field 'code' must be a string, got NoneType."),
    (b'{"code": ["x"]}', 422, "The field 'code' must be a string, got list."),
    (b'{"code": "   \\n\\t"}', 422, "The code is empty."),
    (b'{"code": "\\ud800"}', 422, "not valid Unicode"),
])
def test_malformed_bodies_get_a_clear_message(client: TestClient, body: bytes, status: int, message: str) -> None:
    response = client.post(URL, content=body, headers=JSON)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_wrong_content_type_is_415(client: TestClient) -> None:
    for headers in ({}, {"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"}):
        response = client.post(URL, content=b'{"code": "x = 1"}', headers=headers)
        assert response.status_code == 415
        assert "application/json" in response.json()["detail"]


def test_code_over_the_limit_is_413(client: TestClient) -> None:
    too_big = "x = 1\n" * 700  # 4200 bytes > 4096
    response = client.post(URL, json={"code": too_big})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Your code is 4,200 bytes; the limit is 4,096 bytes.")
    multibyte = "é" * 2049  # 2049 characters, 4098 UTF-8 bytes
    assert client.post(URL, json={"code": multibyte}).status_code == 413
    assert client.post(URL, json={"code": "# PASS\n" + "é" * 2000}).status_code == 202


def test_a_huge_body_is_refused_before_it_is_parsed(client: TestClient) -> None:
    response = client.post(URL, content=b'{"code": "' + b"x" * 100_000 + b'"}', headers=JSON)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request is too large; the limit is 4,096 bytes.")

    def chunks():  # no Content-Length: the cap applies while reading
        yield b'{"code": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(URL, content=chunks(), headers=JSON)
    assert response.status_code == 413


def test_unknown_lesson_is_404(client: TestClient) -> None:
    for response in (client.post("/api/lessons/nope/submissions", json={"code": "x"}),
                     client.get("/api/lessons/nope/submissions"), client.get("/lessons/nope/starter.py"),
                     client.get("/lessons/nope/assets/a.png")):
        assert response.status_code == 404
        assert "nope" in response.json()["detail"]


def test_a_rejected_request_makes_no_learner(client: TestClient) -> None:
    response = client.post(URL, content=b"{", headers=JSON)
    assert response.status_code == 400 and "set-cookie" not in response.headers


def test_too_many_queued_is_429_with_retry_after(client: TestClient, fake_grader: FakeGrader) -> None:
    fake_grader.gate = threading.Event()
    submit(client)
    submit(client)  # the limit in these settings is 2 queued or running
    response = client.post(URL, json={"code": "# PASS\n"})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "You already have 2 submission(s) waiting" in response.json()["detail"]
    other = TestClient(client.app)  # another learner is not affected
    assert other.post(URL, json={"code": "# PASS\n"}).status_code == 202


@pytest.mark.parametrize("path", ["/api/submissions/abc", "/api/submissions/0", "/api/submissions/-1",
                                  "/api/submissions/99999999999999999999999999", "/api/submissions/1.5/events"])
def test_bad_submission_ids_are_4xx(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert isinstance(response.json()["detail"], str)


def test_unknown_submission_is_404(client: TestClient) -> None:
    assert client.get("/api/submissions/12345").status_code == 404
    assert client.get("/api/submissions/12345/events").status_code == 404


def test_wrong_method_is_405_json(client: TestClient) -> None:
    response = client.delete("/api/submissions/1")
    assert response.status_code == 405 and response.json()["detail"]


SECRET_PATHS = [
    f"/lessons/{LSTM}/solution.py", f"/lessons/{LSTM}/grading.toml", f"/lessons/{LSTM}/data/series.csv",
    f"/lessons/{LSTM}/assets/solution.py", f"/lessons/{LSTM}/assets/grading.toml",
    f"/lessons/{LSTM}/assets/../solution.py", f"/lessons/{LSTM}/assets/..%2fsolution.py",
    f"/lessons/{LSTM}/assets/%2e%2e%2fsolution.py", f"/lessons/{LSTM}/assets/..%2Fgrading.toml",
    f"/lessons/{LSTM}/assets/%2e%2e/solution.py", f"/lessons/{LSTM}/assets/data%2fseries.csv",
    f"/lessons/{LSTM}/assets/..%5csolution.py", f"/lessons/{LSTM}%2fsolution.py", f"/lessons/{LSTM}%2Fgrading.toml",
    f"/lessons/{SECOND}/assets/..%2f..%2f{LSTM}%2fsolution.py", "/lessons/..%2f..%2fapp%2fconfig.py",
    f"/static/../lessons/{LSTM}/solution.py", f"/static/..%2flessons%2f{LSTM}%2fsolution.py",
    f"/static/%2e%2e/lessons/{LSTM}/solution.py", f"/lessons/{LSTM}/starter.py/../solution.py",
    f"/lessons/{LSTM}/assets/solution.py%00.png", f"/lessons/{LSTM}/assets/.%2e/solution.py",
    "/lessons/..%252f..%252flessons/solution.py",
]


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_solution_and_grading_spec_are_never_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert "Reference solution" not in response.text and "heldout_fraction" not in response.text
    assert "Traceback" not in response.text


def test_learner_output_is_escaped_in_html(client: TestClient) -> None:
    # The only learner text in HTML is none: reports are built in the browser with text nodes (see browser tests);
    # the JSON carries it verbatim with a JSON content type, which browsers never render as HTML.
    from tests.app.helpers import wait_for

    done = wait_for(client, submit(client, "# PASS\nx = '</textarea><script>alert(1)</script>'\n"))
    response = client.get(f"/api/submissions/{done['id']}")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["report"]["log"] == "<script>alert(1)</script>"
    page = client.get(f"/lessons/{LSTM}").text
    assert "<script>alert(1)</script>" not in page


def test_a_bug_of_ours_is_one_logged_500_without_a_traceback(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    state = client.app.state.rnnlab  # type: ignore[attr-defined]

    def broken(slug: str) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(state.course, "lesson", broken)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    api = quiet.get(f"/lessons/{LSTM}/starter.py")
    assert api.status_code == 500
    assert api.json() == {"detail": "The server hit an unexpected error; it has been logged."}
    monkeypatch.setattr(state.course, "page", broken)
    page = quiet.get(f"/lessons/{LSTM}", headers={"accept": "text/html"})
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "database on fire" not in api.text + page.text and "Traceback" not in page.text
    assert "unhandled error on GET" in caplog.text and "database on fire" in caplog.text
