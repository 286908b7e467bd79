"""Red team: accounts, sessions and CSRF attacked as a hostile learner would, over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.csrf import CSRF_HEADER
from app.identity import COOKIE_NAME
from tests.app.helpers import csrf_token, submit, wait_for
from tests.app.test_account_pages import form, history, log_in, sign_up


def test_a_saved_anonymous_cookie_never_names_the_next_learner(client: TestClient) -> None:
    # SQLite hands the highest deleted id to the next row. A claimed anonymous learner is often the newest one: if
    # its row went, the next stranger's history would be readable with a copy of the old cookie.
    assert sign_up(client).status_code == 303
    form(client, "/logout")
    wait_for(client, submit(client, "# PASS\n"))  # anonymous again: the newest learner row
    saved = client.cookies.get(COOKIE_NAME)
    assert saved and log_in(client).status_code == 303  # claims it into the account
    victim = TestClient(client.app)
    victim.headers[CSRF_HEADER] = csrf_token(victim)
    secret = wait_for(victim, submit(victim, "# FAIL\nVICTIM_SECRET = 1\n"))["id"]
    attacker = TestClient(client.app)
    attacker.cookies.set(COOKIE_NAME, saved)
    assert secret not in history(attacker)
    assert attacker.get(f"/api/submissions/{secret}").status_code == 404
    assert secret in history(victim)  # still the victim's


def test_claimed_history_stays_with_the_account(client: TestClient) -> None:
    wait_for(client, submit(client, "# PASS\n"))
    anonymous = history(client)
    saved = client.cookies.get(COOKIE_NAME)
    assert sign_up(client).status_code == 303
    assert history(client) == anonymous
    stale = TestClient(client.app)
    stale.cookies.set(COOKIE_NAME, saved or "")
    assert history(stale) == []  # the old cookie names an emptied learner, not the account's history
    assert all(stale.get(f"/api/submissions/{i}").status_code == 404 for i in anonymous)


def test_the_login_limit_holds_across_case_space_and_forwarded_for_variants(client: TestClient) -> None:
    assert sign_up(client).status_code == 303
    form(client, "/logout")
    for i, email in enumerate(["ADA@example.org", " ada@example.org", "Ada@Example.org\t", "ada@EXAMPLE.ORG ",
                               "ada@example.org"]):
        client.headers["X-Forwarded-For"] = f"203.0.113.{i}"  # not trusted from a direct client
        assert log_in(client, email=email, password="wrong password!").status_code == 401
    refused = log_in(client)  # the right password, but the account's limit is reached
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
