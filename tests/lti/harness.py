"""The test harness: a mock LMS and the tool (a FastAPI app built from app.lti's router), both on loopback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, create_engine
from starlette.responses import Response

from app.lti.claims import Launch
from app.lti.commands import add_platform
from app.lti.registration import Platform
from app.lti.routes import make_router
from app.lti.tables import metadata
from app.lti.tool import LtiTool
from tests.lti.mock_platform import Link, MockPlatform, User
from tests.lti.servers import bound_socket, serving, url_of

LESSONS = {"lstm-sequence-prediction": "LSTM sequence prediction", "vanishing-gradients": "Vanishing gradients"}
SESSION_COOKIE = "test_session"


class Clock:
    """Real time plus an offset the test moves forward (the outbox's retry schedule)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Accounts:
    """The integrator's AccountMapper and SessionStarter, as dicts: account key -> role; session cookie -> key."""

    roles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str | None] = field(default_factory=dict)

    def resolve_account(self, launch: Launch, linked: str | None) -> str:
        key = linked or f"account-{len(self.roles) + 1}"
        self.roles[key] = launch.role.value
        self.names[key] = launch.name
        return key

    def start_session(self, account_key: str, launch: Launch, response: Response) -> None:
        response.set_cookie(SESSION_COOKIE, account_key, httponly=True)


class Lessons:
    def has_lesson(self, slug: str) -> bool:
        return slug in LESSONS

    def lesson_title(self, slug: str) -> str:
        return LESSONS[slug]


@dataclass
class Lab:
    platform: MockPlatform
    tool: LtiTool
    accounts: Accounts
    engine: Engine
    clock: Clock

    def browser(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False, timeout=10)


def tool_app(tool: LtiTool, accounts: Accounts) -> FastAPI:
    app = FastAPI()
    app.include_router(make_router(tool, accounts))

    @app.get("/lessons/{slug}")
    def lesson(slug: str, request: Request) -> HTMLResponse:
        key = request.cookies.get(SESSION_COOKIE)
        who = f"{key} ({accounts.roles[key]})" if key in accounts.roles else "anonymous"
        return HTMLResponse(f"<h1>{html.escape(LESSONS[slug])}</h1><p>signed in as {html.escape(who)}</p>")

    return app


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    engine = create_engine(f"sqlite:///{tmp_path / 'lti.sqlite3'}")
    metadata.create_all(engine)
    platform_sock, tool_sock = bound_socket(), bound_socket()
    platform = MockPlatform(url=url_of(platform_sock), tool_url=url_of(tool_sock))
    platform.users = {"ada": User("user-ada", "learner", "Ada"), "grace": User("user-grace", "instructor", "Grace"),
                      "root": User("user-root", "admin", "Root"), "alan": User("user-alan", "learner", "Alan")}
    platform.links = {"link-lstm": Link("lstm-sequence-prediction"),
                      "link-vanish-path": Link("vanishing-gradients", use_custom=False),
                      "link-own-column": Link("vanishing-gradients", context="course-2", own_lineitem=True),
                      "link-sync-only": Link("lstm-sequence-prediction", context="course-3", own_lineitem=True,
                                             grade_sync_only=True),
                      "link-nowhere": Link("no-such-lesson")}
    accounts, clock = Accounts(), Clock()
    tool = LtiTool.create(engine=engine, data_dir=tmp_path, tool_url=platform.tool_url, accounts=accounts,
                          lessons=Lessons(), allow_loopback_http=True, now=clock)
    add_platform(tool.platforms, Platform.model_validate(platform.registration()), allow_loopback_http=True)
    with serving(platform.app(), platform_sock), serving(tool_app(tool, accounts), tool_sock):
        yield Lab(platform=platform, tool=tool, accounts=accounts, engine=engine, clock=clock)
    tool.ags.http.close()
    engine.dispose()


FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]*)"')


@dataclass
class AuthForm:
    action: str
    id_token: str
    state: str


def start_launch(lab: Lab, browser: httpx.Client, link: str, user: str) -> AuthForm:
    """LMS link -> tool login initiation -> LMS authorization: the form the LMS's page would auto-submit."""
    to_login = browser.get(f"{lab.platform.url}/launch/{link}", params={"user": user})
    assert to_login.status_code == 302, to_login.text
    to_auth = browser.get(to_login.headers["location"])
    assert to_auth.status_code == 302, to_auth.text
    assert to_auth.headers["location"].startswith(lab.platform.url + "/auth?")
    page = browser.get(to_auth.headers["location"])
    assert page.status_code == 200, page.text
    fields = {name: html.unescape(value) for name, value in FORM_FIELD.findall(page.text)}
    action = FORM_ACTION.search(page.text)
    assert action is not None
    return AuthForm(action=html.unescape(action.group(1)), id_token=fields["id_token"], state=fields["state"])


def submit(browser: httpx.Client, form: AuthForm, **changes: str) -> httpx.Response:
    data = {"id_token": form.id_token, "state": form.state, **changes}
    return browser.post(form.action, data=data)


def launch(lab: Lab, browser: httpx.Client, link: str, user: str) -> httpx.Response:
    """A whole launch, following the tool's redirect to the lesson page."""
    answer = submit(browser, start_launch(lab, browser, link, user))
    assert answer.status_code == 303, answer.text
    return browser.get(answer.headers["location"] if "://" in answer.headers["location"]
                       else lab.platform.tool_url + answer.headers["location"])
