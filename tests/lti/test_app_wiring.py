"""LTI wired into RNN Lab itself: a mock LMS on loopback launches into the real app (create_app), which maps the
user to one of our accounts with a capped role, signs them in, and sends their counted score back.

The app is served without its lifespan (no grading pool); GradeSync and the outbox, which the lifespan runs on
threads, are stepped by hand here so the test sees each round.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.accounts import NO_PASSWORD, Accounts, Role
from app.config import REPO_ROOT, Settings
from app.database import Database
from app.lti.commands import add_platform
from app.lti.registration import Platform
from app.lti.storage import SqlPlatforms
from app.lti.tool import LtiTool
from app.lti_bridge import CourseLessons, GradeSync, LtiAccounts
from app.main import create_app
from app.store import Store, SubmissionStatus
from app.tables import UserRow
from tests.lti.mock_platform import Link, MockPlatform, User
from tests.lti.servers import bound_socket, serving, url_of

LESSON = "lstm-sequence-prediction"
FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')


@dataclass
class Wired:
    platform: MockPlatform
    database: Database
    accounts: Accounts
    store: Store
    sync: GradeSync
    tool: LtiTool


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    lessons = tmp_path / "lessons"
    shutil.copytree(REPO_ROOT / "lessons" / LESSON, lessons / LESSON)
    platform_sock, tool_sock = bound_socket(), bound_socket()
    platform = MockPlatform(url=url_of(platform_sock), tool_url=url_of(tool_sock))
    platform.users = {"ada": User("user-ada", "learner", "Ada"), "grace": User("user-grace", "instructor", "Grace"),
                      "root": User("user-root", "admin", "Root")}
    platform.links = {"link-lstm": Link(LESSON)}
    settings = Settings(lessons_dir=lessons, data_dir=tmp_path / "data", pool_size=0, lti_tool_url=platform.tool_url,
                        lti_allow_loopback_http=True, lti_instructor_contexts="course-1")
    app = create_app(settings)  # migrates the database, LTI tables included
    database = Database(settings.resolved_database_url())
    add_platform(SqlPlatforms(database.engine), Platform.model_validate(platform.registration()),
                 allow_loopback_http=True)
    store = Store(database)
    accounts = Accounts(database, store)
    # The app's own LtiTool lives inside create_app; this one shares its database and key, for the outbox.
    tool = LtiTool.create(engine=database.engine, data_dir=settings.data_dir, tool_url=platform.tool_url,
                          accounts=LtiAccounts(accounts, "course-1"), lessons=CourseLessons(app.state.rnnlab.course),
                          allow_loopback_http=True)
    with serving(platform.app(), platform_sock), serving(app, tool_sock):
        yield Wired(platform=platform, database=database, accounts=accounts, store=store,
                    sync=GradeSync(database, tool.outbox, lambda: app.state.rnnlab.course.course_file), tool=tool)
    tool.ags.http.close()
    database.close()


def launch(wired: Wired, browser: httpx.Client, user: str) -> httpx.Response:
    """LMS link -> our /lti/login -> LMS authorization -> its auto-submitted form to our /lti/launch -> lesson."""
    to_login = browser.get(f"{wired.platform.url}/launch/link-lstm", params={"user": user})
    to_auth = browser.get(to_login.headers["location"])
    assert to_auth.status_code == 302, to_auth.text
    form = browser.get(to_auth.headers["location"])
    fields = {name: html.unescape(value) for name, value in FORM_FIELD.findall(form.text)}
    landed = browser.post(f"{wired.platform.tool_url}/lti/launch", data=fields)
    assert landed.status_code == 303, landed.text
    return landed


def test_a_learner_launch_creates_a_passwordless_account_and_signs_it_in(wired: Wired) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        landed = launch(wired, browser, "ada")
        assert landed.headers["location"].endswith(f"/lessons/{LESSON}")
        page = browser.get(f"{wired.platform.tool_url}/lessons/{LESSON}")
        assert page.status_code == 200 and "Log out" in page.text  # our session cookie came back
    users = wired.accounts.list()
    assert [u.role for u in users] == [Role.learner]
    assert users[0].email.endswith("@lti.invalid")  # the mock LMS sends no email
    with wired.database.session() as session:
        row = session.get(UserRow, users[0].id)
        assert row is not None and row.password_hash == NO_PASSWORD
    assert wired.accounts.authenticate(users[0].email, "any password at all") is None


def test_lms_roles_map_to_ours_but_never_to_admin(wired: Wired) -> None:
    for user in ("grace", "root"):
        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            launch(wired, browser, user)
    assert sorted(u.role for u in wired.accounts.list()) == [Role.instructor, Role.instructor]


def test_an_instructor_of_another_lms_course_arrives_as_a_learner(wired: Wired) -> None:
    """Anyone may teach a course of their own on many LMSs: only this class's course makes instructors here."""
    wired.platform.links["link-elsewhere"] = Link(LESSON, context="someone-elses-sandbox")
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        to_login = browser.get(f"{wired.platform.url}/launch/link-elsewhere", params={"user": "grace"})
        to_auth = browser.get(to_login.headers["location"])
        form = browser.get(to_auth.headers["location"])
        fields = {name: html.unescape(value) for name, value in FORM_FIELD.findall(form.text)}
        assert browser.post(f"{wired.platform.tool_url}/lti/launch", data=fields).status_code == 303
    assert [u.role for u in wired.accounts.list()] == [Role.learner]
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "grace")  # now from this class's course
    assert [u.role for u in wired.accounts.list()] == [Role.instructor]


def test_a_second_launch_reuses_the_account(wired: Wired) -> None:
    for _ in range(2):
        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            launch(wired, browser, "ada")
    assert len(wired.accounts.list()) == 1


def test_the_counted_score_goes_back_once_and_again_when_it_changes(wired: Wired) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
    learner = wired.accounts.list()[0].learner_id
    first = wired.store.add_submission(learner, LESSON, "x = 1")
    wired.store.finish(first.id, SubmissionStatus.failed, 0.5, {"status": "failed", "checks": []})
    assert wired.sync.sync_once() == 1
    wired.tool.outbox.deliver_due()
    assert [score["scoreGiven"] for _, score in wired.platform.scores] == [0.5]
    assert wired.sync.sync_once() == 0  # unchanged: nothing new to send
    better = wired.store.add_submission(learner, LESSON, "x = 2")
    wired.store.finish(better.id, SubmissionStatus.passed, 1.0, {"status": "passed", "checks": []})
    assert wired.sync.sync_once() == 1
    wired.tool.outbox.deliver_due()
    assert [score["scoreGiven"] for _, score in wired.platform.scores] == [0.5, 1.0]
    assert len(wired.platform.line_items) == 1 and len(next(iter(wired.platform.line_items.values()))) == 1


def test_a_score_survives_a_platform_outage(wired: Wired) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
    learner = wired.accounts.list()[0].learner_id
    done = wired.store.add_submission(learner, LESSON, "x = 1")
    wired.store.finish(done.id, SubmissionStatus.passed, 1.0, {"status": "passed", "checks": []})
    wired.sync.sync_once()
    wired.platform.fail_next = 100
    wired.tool.outbox.deliver_due()
    assert wired.platform.scores == []
    entry = wired.tool.outbox.entries()[0]
    assert entry.status == "pending" and entry.last_error
    wired.platform.fail_next = 0
    wired.tool.outbox.now = lambda: entry.next_attempt  # the retry is due
    wired.tool.outbox.deliver_due()
    assert [score["scoreGiven"] for _, score in wired.platform.scores] == [1.0]


def test_the_cli_registers_a_platform_and_refuses_plain_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from app import cli

    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path / "data"))
    urls = ["--auth-login-url", "https://lms.example.edu/auth", "--auth-token-url", "https://lms.example.edu/token",
            "--keyset-url", "https://lms.example.edu/jwks"]
    assert cli.main(["lti", "add-platform", "--issuer", "https://lms.example.edu", "--client-id", "42",
                     "--deployment-id", "d1", *urls]) == 0
    assert cli.main(["lti", "add-platform", "--issuer", "http://lms.example.edu", "--client-id", "43",
                     "--deployment-id", "d1", *[u.replace("https", "http") for u in urls]]) == 2
    assert cli.main(["lti", "platforms"]) == 0
    out = capsys.readouterr().out
    assert '"client_id": "42"' in out and '"client_id": "43"' not in out and "must use https" in out
