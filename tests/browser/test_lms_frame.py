"""A lesson inside a course platform's iframe: with LTI on, our cookies work in the frame and only the registered
platform may frame us.

The "LMS" page is served from http://localhost and frames RNN Lab on http://127.0.0.1: two different sites, so
Chromium treats every request inside the frame as cross-site (and, in a Playwright context, blocks third-party
cookies that are not Partitioned). Both hosts are loopback, which Chromium counts as secure, so Secure cookies
work over plain http here. Without the embeddable cookie policy the CSRF and session cookies never reach the
frame: signing up inside it is refused with "no CSRF cookie".
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import expect

from app.config import REPO_ROOT, Settings
from app.database import Database
from app.lti.commands import add_platform
from app.lti.registration import Platform
from app.lti.storage import SqlPlatforms
from app.main import create_app
from tests.lti.servers import bound_socket, serving, url_of

pytestmark = pytest.mark.browser
LESSON = "lstm-sequence-prediction"


@pytest.fixture
def framed(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the LMS page's URL, RNN Lab's URL) with RNN Lab's LTI on and the LMS registered."""
    lessons = tmp_path / "lessons"
    shutil.copytree(REPO_ROOT / "lessons" / LESSON, lessons / LESSON)
    lms_sock, tool_sock = bound_socket(), bound_socket()
    lms_url = url_of(lms_sock).replace("127.0.0.1", "localhost")
    tool_url = url_of(tool_sock)
    # The tool's public URL is https (as in production: that is what makes cookies embeddable); the test serves
    # the same app over loopback http, where Chromium still honours Secure cookies.
    settings = Settings(lessons_dir=lessons, data_dir=tmp_path / "data", pool_size=0,
                        lti_tool_url=tool_url.replace("http://", "https://"), lti_allow_loopback_http=True)
    app = create_app(settings)
    database = Database(settings.resolved_database_url())
    add_platform(SqlPlatforms(database.engine), Platform(
        issuer=lms_url, client_id="rnnlab", deployment_ids=["d1"], auth_login_url=f"{lms_url}/auth",
        auth_token_url=f"{lms_url}/token", keyset_url=f"{lms_url}/jwks"), allow_loopback_http=True)
    database.close()
    lms = FastAPI()

    @lms.get("/course")
    def course() -> HTMLResponse:
        return HTMLResponse(f'<!doctype html><title>Course</title><h1>My course</h1>'
                            f'<iframe title="RNN Lab" src="{tool_url}/signup" width="1000" height="800"></iframe>')

    with serving(lms, lms_sock), serving(app, tool_sock):
        yield f"{lms_url}/course", tool_url


def test_signing_up_and_working_inside_the_lms_frame(browser: Any, framed: tuple[str, str]) -> None:
    lms_page, tool_url = framed
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(lms_page)
        frame = page.frame_locator("iframe")
        frame.get_by_label("Email").fill(f"framed-{uuid.uuid4().hex[:8]}@example.org")
        frame.get_by_label("Password").fill("correct horse battery staple")
        frame.get_by_role("button", name="Sign up").click()  # a POST with our CSRF cookie and token, cross-site
        expect(frame.get_by_role("link", name="Account")).to_be_visible()  # signed in: the session cookie came back
        cookies = {c["name"]: c for c in context.cookies(tool_url)}
        assert cookies["rnnlab_session"]["sameSite"] == "None" and cookies["rnnlab_session"]["secure"]
        assert cookies["rnnlab_csrf"]["sameSite"] == "None"
    finally:
        context.close()


def test_only_the_registered_platform_may_frame_a_lesson(browser: Any, framed: tuple[str, str]) -> None:
    lms_page, tool_url = framed
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(f"{tool_url}/lessons/{LESSON}")
        assert response is not None
        csp = response.headers["content-security-policy"]
        lms_origin = lms_page.rsplit("/", 1)[0]
        assert f"frame-ancestors 'self' {lms_origin}" in csp and "x-frame-options" not in response.headers
    finally:
        context.close()
