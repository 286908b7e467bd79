"""Red team: LTI wired into RNN Lab, attacked by a hostile LMS user or an outsider (mock LMS into create_app)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import event, func, select

from app.accounts import AccountError, Role
from app.lti.tables import lti_links, lti_nonces
from app.lti_bridge import LTI_LOGINS_PER_ADDRESS
from app.store import SubmissionStatus
from app.throttle import RequestRate
from tests.lti.test_app_wiring import LESSON, Wired, launch, wired  # noqa: F401 - the fixture

__all__ = ["wired"]
PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in_email(wired: Wired, browser: httpx.Client) -> str | None:
    page = browser.get(f"{wired.platform.tool_url}/account")
    found = re.search(r"[\w.+-]+@[\w.-]+", page.text) if page.status_code == 200 else None
    return found.group(0) if found else None


def test_an_lms_email_never_takes_over_a_local_instructor(wired: Wired) -> None:
    wired.accounts.create("prof@example.edu", PASSWORD, Role.instructor)
    wired.platform.claim_overrides = {"email": "PROF@example.edu "}
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
        assert signed_in_email(wired, browser) != "prof@example.edu"
    prof = wired.accounts.find("prof@example.edu")
    assert prof is not None and prof.role is Role.instructor
    assert len(wired.accounts.list()) == 2


def test_a_deleted_lms_accounts_id_never_signs_its_lms_user_into_the_next_account(wired: Wired) -> None:
    # SQLite gives a deleted highest id to the next row; the LTI link names the account by that id.
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
    [ada] = wired.accounts.list()
    wired.accounts.delete(ada)
    eve = wired.accounts.create("eve@example.org", PASSWORD)
    done = wired.store.add_submission(eve.learner_id, LESSON, "x = 1")
    wired.store.finish(done.id, SubmissionStatus.passed, 1.0, {"status": "passed", "checks": []})
    assert wired.sync.sync_once() == 0  # Eve's score never goes to Ada's gradebook
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
        assert signed_in_email(wired, browser) != "eve@example.org"
    assert len(wired.accounts.list()) == 2


def test_an_lms_account_can_delete_itself_and_its_link_goes_with_it(wired: Wired) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
        page = browser.get(f"{wired.platform.tool_url}/account")
        assert 'type="password"' not in page.text.split("Delete your account")[1]  # nothing to type it with
        token = TOKEN.findall(page.text)[-1]
        deleted = browser.post(f"{wired.platform.tool_url}/account/delete", data={"csrf_token": token, "confirm": "on"})
        assert deleted.status_code == 303, deleted.text
    assert wired.accounts.list() == []
    with wired.database.session() as session:
        assert session.execute(lti_links.select()).all() == []


def test_an_lms_account_needs_the_confirmation_box_to_be_deleted(wired: Wired) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
        token = TOKEN.findall(browser.get(f"{wired.platform.tool_url}/account").text)[-1]
        refused = browser.post(f"{wired.platform.tool_url}/account/delete", data={"csrf_token": token})
        assert refused.status_code == 422
    assert len(wired.accounts.list()) == 1


def test_a_password_reset_never_opens_an_lms_account_to_password_log_ins(wired: Wired) -> None:
    # The address came from the LMS, unverified: whoever asks for "their" password would share the account with
    # the LMS user (who may have set that address to squat it).
    wired.platform.claim_overrides = {"email": "prof@example.edu"}
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
    with pytest.raises(AccountError, match="course platform"):
        wired.accounts.set_password("prof@example.edu", PASSWORD)
    assert wired.accounts.authenticate("prof@example.edu", PASSWORD) is None


def test_a_flood_of_lti_logins_from_one_address_is_refused_before_it_fills_the_database(wired: Wired) -> None:
    # /lti/login needs no credential and stores a row (up to 12 KiB of parameters) per call for 10 minutes.
    params = {"iss": wired.platform.issuer, "login_hint": "x" * 2048, "target_link_uri": "y" * 2048,
              "lti_message_hint": "z" * 2048}
    answers = []
    with httpx.Client(follow_redirects=False, timeout=30) as outsider:
        for _ in range(LTI_LOGINS_PER_ADDRESS + 20):
            answers.append(outsider.get(f"{wired.platform.tool_url}/lti/login", params=params))
    assert answers[0].status_code == 302
    assert answers[-1].status_code == 429 and answers[-1].headers["retry-after"]
    assert "Too many" in answers[-1].text
    with wired.database.session() as session:
        assert session.scalar(select(func.count()).select_from(lti_nonces)) == LTI_LOGINS_PER_ADDRESS


def test_the_login_rate_is_per_address_and_bounded_in_all() -> None:
    clock = [0.0]
    rate = RequestRate(per_key=2, total=3, window_s=10, clock=lambda: clock[0])
    assert [rate.take("a") for _ in range(3)] == [None, None, 10]
    assert rate.take("b") is None and rate.take("c") == 10  # the whole is full
    clock[0] = 4.0
    assert rate.take("a") == 6
    clock[0] = 10.5
    assert rate.take("a") is None and rate.take("c") is None
    assert len(rate._keys) <= 3  # memory is bounded by `total`, whatever the number of addresses


def test_grade_sync_reads_no_report(wired: Wired) -> None:
    # Every round (10 s) reads every LMS-linked learner's every submission; with their reports (logs, checks,
    # history: ~20 KB each) 4,000 submissions cost 0.76 CPU seconds a round in the web process, and a learner
    # adds to it with every junk submission. The counted score needs status, score and time only.
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        launch(wired, browser, "ada")
    learner = wired.accounts.list()[0].learner_id
    done = wired.store.add_submission(learner, LESSON, "x = 1")
    wired.store.finish(done.id, SubmissionStatus.passed, 1.0, {"status": "passed", "checks": [], "log": "x" * 20000})
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(wired.database.engine, "before_cursor_execute", record)
    try:
        assert wired.sync.sync_once() == 1
    finally:
        event.remove(wired.database.engine, "before_cursor_execute", record)
    assert not [s for s in statements if "submissions.report" in s]


def test_a_launch_replaces_a_planted_session_and_never_redirects_off_site(wired: Wired) -> None:
    wired.accounts.create("mallory@example.org", PASSWORD)
    with httpx.Client(follow_redirects=False, timeout=30) as attacker:
        token = TOKEN.search(attacker.get(f"{wired.platform.tool_url}/login").text)
        assert token
        attacker.post(f"{wired.platform.tool_url}/login", data={"csrf_token": token.group(1),
                                                                 "email": "mallory@example.org", "password": PASSWORD})
        planted = attacker.cookies.get("rnnlab_session")
    assert planted
    link = "https://purl.imsglobal.org/spec/lti/claim/"
    wired.platform.claim_overrides = {link + "target_link_uri": f"https://evil.example//lessons/{LESSON}",
                                      link + "custom": {"lesson": "../../evil"}}
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        browser.cookies.set("rnnlab_session", planted)
        landed = launch(wired, browser, "ada")
        assert landed.headers["location"] == f"/lessons/{LESSON}"
        assert signed_in_email(wired, browser) != "mallory@example.org"
