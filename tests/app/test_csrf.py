"""CSRF: every state-changing request that rides on our cookies must carry this browser's token, else a clear 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.csrf import CSRF_COOKIE, CSRF_HEADER, CsrfTokens
from app.routes.csrf import CROSS_SITE_ROUTES, verify_csrf
from tests.app.helpers import LSTM, csrf_token, submit

URL = f"/api/lessons/{LSTM}/submissions"
CODE = {"code": "# PASS\n"}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None) or getattr(route, "router", None)  # FastAPI >= 0.16x nests
        if nested is not None and hasattr(nested, "routes"):
            yield from api_routes(nested.routes)


def test_every_state_changing_route_checks_the_token(client: TestClient) -> None:
    unsafe = [route for route in api_routes(client.app.routes)  # type: ignore[attr-defined]
              if route.methods - {"GET", "HEAD", "OPTIONS"} and route.path not in CROSS_SITE_ROUTES]
    assert {route.path for route in unsafe} >= {"/api/lessons/{slug}/submissions", "/signup", "/login", "/logout",
                                                 "/account/delete"}
    for route in unsafe:
        assert any(dep.call is verify_csrf for dep in route.dependant.dependencies), route.path


def test_a_submission_post_without_the_token_is_403_with_a_clear_message(client: TestClient) -> None:
    submit(client)  # now this browser has a learner cookie
    response = client.post(URL, json=CODE, headers={CSRF_HEADER: ""})
    assert response.status_code == 403
    assert "no CSRF token" in response.json()["detail"] and "Reload the page" in response.json()["detail"]


def test_a_wrong_or_foreign_token_is_403(client: TestClient) -> None:
    submit(client)
    assert "does not match" in client.post(URL, json=CODE, headers={CSRF_HEADER: "0" * 64}).json()["detail"]
    # A valid token for someone else's cookie (say, planted by a sibling site) does not match ours.
    other = CsrfTokens("another key").token_for(client.cookies[CSRF_COOKIE])
    assert client.post(URL, json=CODE, headers={CSRF_HEADER: other}).status_code == 403


def test_without_the_csrf_cookie_the_request_is_refused(client: TestClient) -> None:
    submit(client)
    client.cookies.delete(CSRF_COOKIE)
    response = client.post(URL, json=CODE)
    assert response.status_code == 403 and "no CSRF cookie" in response.json()["detail"]


def test_forms_without_the_token_are_403_pages(client: TestClient) -> None:
    for path in ("/signup", "/login", "/logout", "/account/delete"):
        response = client.post(path, data={"email": "ada@example.org", "password": "x" * 12},
                               headers={CSRF_HEADER: "", "Accept": "text/html"})
        assert response.status_code == 403, path
        assert "CSRF token" in response.text and "<html" in response.text


def test_the_token_comes_with_the_first_page_and_stays(client: TestClient) -> None:
    fresh = TestClient(client.app)
    first = fresh.get(f"/lessons/{LSTM}")
    assert CSRF_COOKIE in first.cookies
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = csrf_token(fresh)
    again = csrf_token(fresh, f"/lessons/{LSTM}")
    assert again != token  # masked afresh in every response (no BREACH on compressed pages)...
    csrf = fresh.app.state.rnnlab.csrf  # type: ignore[attr-defined]
    assert csrf.valid(fresh.cookies[CSRF_COOKIE], token) and csrf.valid(fresh.cookies[CSRF_COOKIE], again)  # ...both hold
    assert "set-cookie" not in fresh.get("/").headers  # no new cookie once it has one
    assert "set-cookie" not in fresh.get("/static/css/app.css").headers


@pytest.mark.parametrize("path", ["/healthz", f"/lessons/{LSTM}/starter.py"])
def test_reads_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path, headers={CSRF_HEADER: ""}).status_code in (200, 503)


def test_a_cookieless_api_client_needs_no_token(client: TestClient) -> None:
    """Nothing ambient to forge with: no learner or session cookie (a script, curl). Its first POST makes a learner."""
    script = TestClient(client.app)
    assert script.post(URL, json=CODE).status_code == 202
    assert script.post(URL, json=CODE).status_code == 403  # now it holds a learner cookie: the token is needed
