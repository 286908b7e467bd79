"""The instructor dashboard over HTTP: the matrix (sort, filter, pages), a learner's and a submission's pages, lesson
summaries, both CSV exports, deadlines and late flags, and role enforcement on every instructor route."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.accounts import Role
from app.config import Settings
from app.csrf import CSRF_HEADER
from app.main import create_app
from tests.app.helpers import LSTM, SECOND, FakeGrader, csrf_token, submit
from tests.app.instructor_helpers import add_graded, log_in, log_in_as, new_learner

DUE = datetime(2027, 1, 15, 23, 59, tzinfo=UTC)
ON_TIME = datetime(2027, 1, 14, 12, 0, tzinfo=UTC)
TWO_DAYS_LATE = datetime(2027, 1, 17, 12, 0, tzinfo=UTC)
BOB = "=cmd/ccalc!a0@example.org"  # a name a spreadsheet would run as a formula
COURSE_TOML = f"""title = "Spring RNNs"
timezone = "UTC"
counts = "best"
[deadlines]
{LSTM} = 2027-01-15T23:59:00
[late]
penalty_per_day = 0.1
"""


@pytest.fixture
def course_settings(settings: Settings) -> Settings:
    (settings.lessons_dir / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    return settings


@pytest.fixture
def client(course_settings: Settings, fake_grader: FakeGrader) -> Iterator[TestClient]:
    with TestClient(create_app(course_settings)) as test_client:
        test_client.headers[CSRF_HEADER] = csrf_token(test_client)
        yield test_client


@pytest.fixture
def seeded(client: TestClient) -> dict[str, int]:
    """Three learners: ada passed on time, bob failed then passed two days late, an anonymous one not gradable."""
    ada = new_learner(client, "ada@example.org")
    bob = new_learner(client, BOB)
    anon = new_learner(client, None)
    ids = {
        "ada": ada, "bob": bob, "anon": anon,
        "ada_lstm": add_graded(client, ada, LSTM, "passed", 0.9, ON_TIME),
        "bob_fail": add_graded(client, bob, LSTM, "failed", 0.4, ON_TIME, failed=("beats_baseline",)),
        "bob_late": add_graded(client, bob, LSTM, "passed", 1.0, TWO_DAYS_LATE),
        "anon_lstm": add_graded(client, anon, LSTM, "not_gradable", 0.0, ON_TIME),
        "ada_second": add_graded(client, ada, SECOND, "failed", 0.5, ON_TIME, failed=("beats_baseline", "uses_gru")),
    }
    return ids


def instructor_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every instructor route the app serves, nested routers included."""
    for route in routes:
        if isinstance(route, APIRoute) and route.path.startswith(("/instructor", "/api/instructor")):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route.path
        nested = getattr(route, "original_router", None) or getattr(route, "router", None)
        if nested is not None and hasattr(nested, "routes"):
            yield from instructor_routes(nested.routes)


def concrete(path: str, slug: str = LSTM, some_id: int = 1) -> str:
    return re.sub(r"\{[a-z_]*id\}", str(some_id), path.replace("{slug}", slug))


def test_every_instructor_route_is_403_for_a_learner_and_401_for_nobody(client: TestClient,
                                                                          seeded: dict[str, int]) -> None:
    routes = sorted(set(instructor_routes(client.app.routes)))  # type: ignore[attr-defined]
    paths = {path for _, path in routes}
    assert {"/instructor", "/instructor/learners/{learner_id}", "/instructor/submissions/{submission_id}",
            "/api/instructor/gradebook", "/instructor/gradebook.csv", "/instructor/gradebook-canvas.csv",
            "/api/instructor/lessons/{slug}/regrade"} <= paths
    for method, path in routes:
        url = concrete(path, some_id=seeded["ada_lstm"])
        assert client.request(method, url).status_code == 401, (method, path)
    log_in_as(client, Role.learner, "learner@example.org")
    client.headers[CSRF_HEADER] = csrf_token(client)
    for method, path in routes:
        url = concrete(path, some_id=seeded["ada_lstm"])
        response = client.request(method, url)
        assert response.status_code == 403, (method, path, response.status_code)
    # and the learner's own API still hides another learner's submission: 404, not 403
    assert client.get(f"/api/submissions/{seeded['ada_lstm']}").status_code == 404


def test_the_matrix_shows_counted_scores_statuses_attempts_and_late_flags(client: TestClient,
                                                                          seeded: dict[str, int]) -> None:
    log_in_as(client, Role.instructor)
    body = client.get("/api/instructor/gradebook").json()
    assert body["learners"] == 3 and body["matched"] == 3 and [c["slug"] for c in body["lessons"]] == [LSTM, SECOND]
    assert body["lessons"][0]["due"].startswith("2027-01-15T23:59")
    rows = {r["learner"]["id"]: r for r in body["rows"]}
    ada, bob, anon = rows[seeded["ada"]], rows[seeded["bob"]], rows[seeded["anon"]]
    assert ada["grades"][LSTM] | {"last_submission": None} == {
        "lesson": LSTM, "status": "passed", "score": 0.9, "unpenalised": 0.9, "attempts": 1, "last_submission": None,
        "late": False, "days_late": 0, "too_late": 0}
    # best rule: the late pass (1.0 - 2 days x 0.1 = 0.8) beats the on-time 0.4
    assert bob["grades"][LSTM]["score"] == pytest.approx(0.8) and bob["grades"][LSTM]["late"] is True
    assert bob["grades"][LSTM]["days_late"] == 2 and bob["grades"][LSTM]["attempts"] == 2
    assert anon["learner"]["name"] == f"Anonymous learner #{seeded['anon']}" and anon["grades"][LSTM]["score"] is None
    assert anon["grades"][SECOND]["status"] == "not_started"
    assert ada["total"] == pytest.approx((0.9 + 0.5) / 2) and ada["passed"] == 1

    page = client.get("/instructor")
    assert page.status_code == 200 and "<caption" in page.text and 'scope="col"' in page.text
    assert 'tabindex="0" role="region"' in page.text and "late 2d" in page.text and "Spring RNNs" in page.text
    assert "<script>" not in page.text  # the CSP forbids inline scripts


def test_sort_filter_and_pages_work_from_the_query_string(client: TestClient, seeded: dict[str, int]) -> None:
    log_in_as(client, Role.instructor)

    def names(**params: Any) -> list[str]:
        body = client.get("/api/instructor/gradebook", params=params).json()
        return [r["learner"]["name"] for r in body["rows"]]

    assert names(sort=LSTM, order="desc")[:2] == ["ada@example.org", BOB]
    assert names(sort=LSTM, order="asc")[-1].startswith("Anonymous")  # no counted score: last either way
    assert names(q="ADA") == ["ada@example.org"]
    assert names(q="ada", lesson="", status="") == ["ada@example.org"]  # the form's "any" options send empty values
    # status is the counted grade's (GradeStatus): a not gradable attempt leaves the lesson in progress
    assert client.get("/api/instructor/gradebook", params={"status": "not_gradable"}).status_code == 422
    assert names(lesson=LSTM, status="in_progress") == [f"Anonymous learner #{seeded['anon']}"]
    assert names(late="true") == [BOB]
    first = client.get("/api/instructor/gradebook", params={"per_page": 2, "page": 2}).json()
    assert first["pages"] == 2 and first["page"] == 2 and len(first["rows"]) == 1
    assert client.get("/api/instructor/gradebook", params={"per_page": 5000}).status_code == 422
    html = client.get("/instructor", params={"sort": "total", "order": "desc"}).text
    assert 'aria-sort="descending"' in html and 'aria-sort="none"' in html


def test_a_learner_page_and_a_submission_page_show_grades_code_report_and_timings(client: TestClient,
                                                                                    seeded: dict[str, int]) -> None:
    log_in_as(client, Role.instructor)
    learner = client.get(f"/api/instructor/learners/{seeded['bob']}").json()
    assert [s["id"] for s in learner["submissions"]] == [seeded["bob_late"], seeded["bob_fail"]]
    assert learner["grades"][0]["late"] is True
    page = client.get(f"/instructor/learners/{seeded['bob']}")
    assert page.status_code == 200 and f"/instructor/submissions/{seeded['bob_late']}" in page.text

    detail = client.get(f"/api/instructor/submissions/{seeded['bob_fail']}").json()
    assert detail["code"] == "# seeded\n" and detail["report"]["status"] == "failed"
    assert detail["timings"] == {"build": 0.4, "evaluate": 9.5}
    assert [g["grader_version"] for g in detail["gradings"]] == ["test+000"]
    html = client.get(f"/instructor/submissions/{seeded['bob_fail']}").text
    assert "# seeded" in html and "beats_baseline" in html and "9.5 s" in html and "test+000" in html
    assert client.get("/api/instructor/submissions/999999").status_code == 404
    assert client.get("/instructor/learners/999999").status_code == 404


def test_lesson_summaries_give_pass_rate_median_attempts_and_common_failures(client: TestClient,
                                                                              seeded: dict[str, int]) -> None:
    log_in_as(client, Role.instructor)
    summary = client.get(f"/api/instructor/lessons/{LSTM}").json()
    assert summary["started"] == 3 and summary["passed"] == 2 and summary["pass_rate"] == pytest.approx(2 / 3)
    assert summary["median_attempts"] == 1.0
    assert summary["failures"] == [{"name": "syntax_error", "learners": 1}]
    assert summary["failed_checks"] == [{"name": "beats_baseline", "learners": 1}]
    assert [s["lesson"] for s in client.get("/api/instructor/lessons").json()] == [LSTM, SECOND]
    page = client.get(f"/instructor/lessons/{LSTM}")
    assert page.status_code == 200 and "67% of those who started" in page.text
    assert client.get("/api/instructor/lessons/nope").status_code == 404


def test_both_csv_exports_hold_every_learner_and_are_formula_safe(client: TestClient, seeded: dict[str, int]) -> None:
    log_in_as(client, Role.instructor)
    wide = client.get("/instructor/gradebook.csv")
    assert wide.status_code == 200 and wide.headers["content-type"].startswith("text/csv")
    assert "attachment" in wide.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(wide.text)))
    assert rows[0][:4] == ["learner", "email", "section", f"{LSTM} score"]
    bob = next(r for r in rows if "calc" in r[0])
    assert bob[0].startswith("'=")  # a name that starts a formula is text in a spreadsheet
    assert bob[3:8] == ["0.8", "passed", "2", "2027-01-17T12:00+00:00", "yes"]
    assert len(rows) == 4

    canvas = list(csv.reader(io.StringIO(client.get("/instructor/gradebook-canvas.csv").text)))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0].strip() == "Points Possible" and canvas[1][5:] == ["100", "100"]
    ada = next(r for r in canvas if r[0] == "ada@example.org")
    assert ada[5:] == ["90", "50"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in canvas for cell in row)


def test_deadlines_and_the_late_flag_show_on_the_course_and_lesson_pages(client: TestClient) -> None:
    sid = submit(client, "# PASS\n")
    from tests.app.helpers import wait_for
    wait_for(client, sid)
    course = client.get("/").text
    assert 'datetime="2027-01-15T23:59:00+00:00"' in course and "Best score 100%" in course
    lesson = client.get(f"/lessons/{LSTM}").text
    assert 'id="deadline"' in lesson and "Fri 15 Jan 2027, 23:59 UTC" in lesson
    assert "Late:" not in lesson  # submitted now (2026), before the deadline
    assert 'id="deadline"' not in client.get(f"/lessons/{SECOND}").text  # no deadline, no attempts


def test_a_late_submission_is_flagged_to_the_learner(client: TestClient) -> None:
    log_in_as(client, Role.learner, "late@example.org")
    learner_id = client.get("/account/submissions.json").json()  # signed in: the account's own learner row
    from tests.app.instructor_helpers import state_of
    user = state_of(client).accounts.find("late@example.org")
    assert user is not None and learner_id["email"] == "late@example.org"
    add_graded(client, user.learner_id, LSTM, "passed", 1.0, TWO_DAYS_LATE)
    lesson = client.get(f"/lessons/{LSTM}").text
    assert "Late: 2 days" in lesson and "Best score 80%" in lesson
    assert "badge-late" in client.get("/").text


def test_the_course_file_is_reloaded_with_the_lessons(client: TestClient, course_settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from app import course as course_module
    monkeypatch.setattr(course_module, "RECHECK_S", 0.0)
    path = course_settings.lessons_dir / "course.toml"
    path.write_text(COURSE_TOML.replace("2027-01-15T23:59:00", "2027-02-01T12:00:00") + "\n", encoding="utf-8")
    assert "Mon 01 Feb 2027, 12:00 UTC" in client.get(f"/lessons/{LSTM}").text
    path.write_text("deadlines = 3\n", encoding="utf-8")  # broken: the last good version keeps being served
    assert "Mon 01 Feb 2027, 12:00 UTC" in client.get(f"/lessons/{LSTM}").text


def test_a_broken_course_file_stops_the_app_from_starting(settings: Settings) -> None:
    from app.course_file import CourseFileError
    (settings.lessons_dir / "course.toml").write_text('[deadlines]\n"no-such-lesson" = 2027-01-01\n', encoding="utf-8")
    with pytest.raises(CourseFileError, match="no-such-lesson"):
        create_app(settings)


def test_the_json_api_is_in_the_openapi_document_and_the_pages_are_not(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/instructor/gradebook", "/api/instructor/submissions/{submission_id}",
            "/api/instructor/lessons/{slug}/regrade", "/api/instructor/regrades/{regrade_id}"} <= set(paths)
    assert not [p for p in paths if p.startswith("/instructor")]
    assert paths["/api/instructor/gradebook"]["get"]["tags"] == ["instructor"]


def test_staff_accounts_are_not_rows_of_the_gradebook(client: TestClient, seeded: dict[str, int],
                                                      tmp_path: Path) -> None:
    log_in_as(client, Role.instructor)
    own = submit(client, "# PASS\n")  # the instructor tries the lesson
    names = [r["learner"]["name"] for r in client.get("/api/instructor/gradebook").json()["rows"]]
    assert "teacher@example.org" not in names and len(names) == 3
    assert client.get(f"/api/instructor/submissions/{own}").status_code == 404  # not the class's
    log_in(client, "teacher@example.org")
