"""Sign up, log in, log out, claim anonymous history, download, delete, rate limits and roles, over HTTP."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.accounts import Role
from app.config import Settings
from app.csrf import CSRF_COOKIE, CSRF_HEADER
from app.identity import COOKIE_NAME
from app.main import create_app
from app.routes.deps import AppState
from app.sessions import SESSION_COOKIE
from tests.app.helpers import LSTM, FakeGrader, csrf_token, submit, wait_for

PASSWORD = "correct horse battery"


def state_of(client: TestClient) -> AppState:
    state: AppState = client.app.state.rnnlab  # type: ignore[attr-defined]
    return state


def form(client: TestClient, path: str, **fields: str) -> httpx.Response:
    """Post a page's form the way a browser does: urlencoded, with the token from the page's hidden field."""
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    return client.post(path, data={"csrf_token": token.group(1), **fields}, follow_redirects=False,
                       headers={CSRF_HEADER: ""})


def sign_up(client: TestClient, email: str = "ada@example.org", password: str = PASSWORD, **extra: str) -> httpx.Response:
    return form(client, "/signup", email=email, password=password, **extra)


def log_in(client: TestClient, email: str = "ada@example.org", password: str = PASSWORD) -> httpx.Response:
    return form(client, "/login", email=email, password=password)


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")]


def history(client: TestClient) -> list[int]:
    return [s["id"] for s in client.get(f"/api/lessons/{LSTM}/submissions").json()]


def test_pages_render_with_a_token_and_the_local_progress_banner(client: TestClient) -> None:
    for path in ("/signup", "/login", "/"):
        page = client.get(path)
        assert page.status_code == 200
        assert "Your progress lives in this browser only" in page.text and 'href="/signup"' in page.text
        assert re.search(r'<meta name="csrf-token" content="[0-9a-f]{128}">', page.text)
    assert client.get(f"/lessons/{LSTM}").text.count("Your progress lives in this browser only") == 1
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"


def test_sign_up_starts_a_session_with_safe_cookie_flags_and_hides_the_banner(client: TestClient) -> None:
    response = sign_up(client, next="/lessons/" + LSTM)
    assert response.status_code == 303 and response.headers["location"] == f"/lessons/{LSTM}"
    (cookie,) = set_cookie_headers(response, SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie and "Path=/" in cookie
    page = client.get("/account").text
    assert "ada@example.org" in page and "Learner" in page and "Your progress lives in this browser" not in page
    assert 'action="/logout"' in client.get("/").text


def test_cookies_are_secure_when_the_setting_says_so(settings: Settings, fake_grader: FakeGrader) -> None:
    with TestClient(create_app(settings.model_copy(update={"secure_cookies": True}))) as client:
        first = client.get("/")
        assert all("Secure" in c for c in set_cookie_headers(first, CSRF_COOKIE))
        client.cookies.set(CSRF_COOKIE, first.cookies[CSRF_COOKIE])  # httpx keeps Secure cookies off http
        response = sign_up(client)
        (cookie,) = set_cookie_headers(response, SESSION_COOKIE)
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_only_safe_redirect_targets_are_followed(client: TestClient) -> None:
    targets = ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil")
    for n, target in enumerate(targets):
        assert sign_up(client, email=f"u{n}@example.org", next=target).headers["location"] == "/"
        client.cookies.delete(SESSION_COOKIE)


@pytest.mark.parametrize(("email", "password", "status", "message"), [
    ("ada@example.org", "short", 422, "at least 10 characters"),
    ("not-an-email", PASSWORD, 422, "does not look like an email address"),
    ("", PASSWORD, 422, "Enter your email address"),
])
def test_bad_sign_up_input_is_explained_on_the_form(client: TestClient, email: str, password: str, status: int,
                                                     message: str) -> None:
    response = sign_up(client, email=email, password=password)
    assert response.status_code == status and message in response.text
    assert 'aria-invalid="true"' in response.text and SESSION_COOKIE not in response.cookies


def test_duplicate_email_is_409_and_says_log_in(client: TestClient) -> None:
    sign_up(client)
    client.post("/logout", follow_redirects=False)
    response = sign_up(client, email="ADA@example.org")
    assert response.status_code == 409 and "already exists" in response.text and 'value="ADA@example.org"' in \
        response.text


def test_log_in_with_a_wrong_password_is_401_without_saying_which_field(client: TestClient) -> None:
    sign_up(client)
    client.post("/logout")
    for email, password in (("ada@example.org", "wrong password!"), ("nobody@example.org", PASSWORD)):
        response = log_in(client, email, password)
        assert response.status_code == 401 and "do not match an account" in response.text
    assert log_in(client).status_code == 303


def test_sign_up_submit_log_out_log_in_keeps_the_history(client: TestClient) -> None:
    sign_up(client)
    mine = submit(client)
    wait_for(client, mine)
    assert history(client) == [mine]
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 303 and set_cookie_headers(response, SESSION_COOKIE)
    assert history(client) == []  # an anonymous browser now
    assert client.get(f"/api/submissions/{mine}").status_code == 404
    log_in(client)
    assert history(client) == [mine]


def test_signing_up_claims_this_browsers_anonymous_history(client: TestClient) -> None:
    anonymous = [submit(client), submit(client, "# FAIL\n")]
    for submission in anonymous:
        wait_for(client, submission)
    response = sign_up(client)
    assert set_cookie_headers(response, COOKIE_NAME)  # the anonymous cookie is dropped
    assert sorted(history(client)) == sorted(anonymous)
    assert all(client.get(f"/api/submissions/{s}").status_code == 200 for s in anonymous)


def test_logging_in_merges_anonymous_history_into_the_account(client: TestClient) -> None:
    sign_up(client)
    old = submit(client)
    wait_for(client, old)
    client.post("/logout")
    new = submit(client)  # anonymous again, in the same browser
    wait_for(client, new)
    log_in(client)
    assert sorted(history(client)) == [old, new]
    client.post("/logout")
    log_in(client)  # claiming again changes nothing
    assert sorted(history(client)) == [old, new]


def test_another_accounts_submission_is_404(client: TestClient) -> None:
    sign_up(client)
    ada = submit(client)
    client.post("/logout")
    sign_up(client, email="bob@example.org")
    assert client.get(f"/api/submissions/{ada}").status_code == 404
    assert client.get(f"/api/submissions/{ada}/events").status_code == 404


def test_logout_revokes_the_session_on_the_server(client: TestClient) -> None:
    sign_up(client)
    token = client.cookies[SESSION_COOKIE]
    client.post("/logout")
    client.cookies.set(SESSION_COOKIE, token)  # a copy of the cookie kept elsewhere is useless now
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_a_password_reset_revokes_every_session(client: TestClient) -> None:
    sign_up(client)
    state_of(client).accounts.set_password("ada@example.org", "another good passphrase")
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert log_in(client).status_code == 401
    assert log_in(client, password="another good passphrase").status_code == 303


def test_login_is_rate_limited_per_email_with_retry_after(client: TestClient) -> None:
    sign_up(client)
    client.post("/logout")
    for _ in range(5):
        assert log_in(client, password="wrong password!").status_code == 401
    response = log_in(client)  # even the right password waits
    assert response.status_code == 429 and "Too many failed log-ins" in response.text
    assert 800 < int(response.headers["Retry-After"]) <= 900


def test_login_is_rate_limited_per_address(settings: Settings, fake_grader: FakeGrader) -> None:
    with TestClient(create_app(settings.model_copy(update={"login_max_failures_per_ip": 3}))) as client:
        for n in range(3):
            assert log_in(client, f"user{n}@example.org", "wrong password!").status_code == 401
        assert log_in(client, "someone.else@example.org").status_code == 429


def test_download_holds_every_submission_with_code_and_report(client: TestClient) -> None:
    assert client.get("/account/submissions.json").status_code == 401
    sign_up(client)
    ids = [submit(client), submit(client, "# FAIL\n")]
    for submission in ids:
        wait_for(client, submission)
    response = client.get("/account/submissions.json")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    body: dict[str, Any] = response.json()
    assert body["email"] == "ada@example.org" and [s["id"] for s in body["submissions"]] == ids
    assert body["submissions"][0]["code"] == "# PASS\n" and body["submissions"][0]["report"]["status"] == "passed"


def test_delete_needs_the_password_then_removes_everything(client: TestClient) -> None:
    sign_up(client)
    mine = submit(client)
    wait_for(client, mine)
    refused = form(client, "/account/delete", password="not my password", confirm="on")
    assert refused.status_code == 422 and "nothing was deleted" in refused.text
    token = client.cookies[SESSION_COOKIE]
    response = form(client, "/account/delete", password=PASSWORD, confirm="on")
    assert response.status_code == 303 and response.headers["location"] == "/?account=deleted"
    assert "were deleted" in client.get("/?account=deleted").text
    state = state_of(client)
    assert state.accounts.find("ada@example.org") is None and state.store.get_submission(mine) is None
    assert state.sessions.user_for(token) is None
    assert log_in(client).status_code == 401


def test_delete_waits_for_a_grading_in_flight(client: TestClient, fake_grader: FakeGrader) -> None:
    import threading

    sign_up(client)
    fake_grader.gate = threading.Event()
    mine = submit(client)
    assert fake_grader.training.wait(10)
    response = form(client, "/account/delete", password=PASSWORD, confirm="on")
    assert response.status_code == 409 and "still being graded" in response.text
    fake_grader.gate.set()
    wait_for(client, mine)


def test_roles_guard_the_instructor_page(client: TestClient) -> None:
    anonymous = client.get("/instructor", headers={"Accept": "text/html"})
    assert anonymous.status_code == 401 and "Log in with an instructor account" in anonymous.text
    assert 'href="/login?next=/instructor"' in anonymous.text
    sign_up(client)
    learner = client.get("/instructor", headers={"Accept": "text/html"})
    assert learner.status_code == 403 and "for instructors; your account is a learner" in learner.text
    accounts = state_of(client).accounts
    for n, role in enumerate((Role.instructor, Role.admin)):
        client.post("/logout")
        accounts.create(f"staff{n}@example.org", PASSWORD, role)
        log_in(client, f"staff{n}@example.org")
        page = client.get("/instructor")
        assert page.status_code == 200 and f"staff{n}@example.org" in page.text
        assert 'href="/instructor"' in client.get("/account").text


def test_the_anonymous_token_still_works_after_signing_up(client: TestClient) -> None:
    token = client.headers[CSRF_HEADER]
    sign_up(client)
    assert client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"},
                       headers={CSRF_HEADER: token}).status_code == 202
    # one CSRF cookie per browser, kept across log-in: a fresh page's token (masked anew) still verifies against it
    assert client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"},
                       headers={CSRF_HEADER: csrf_token(client)}).status_code in (202, 429)
