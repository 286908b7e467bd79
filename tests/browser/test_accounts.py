"""Accounts in Chromium: sign up, submit, log out, log in again and see the history; an anonymous history claimed by
signing up; the account pages pass axe and fit a phone."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LSTM, PHONE, axe_violations, horizontal_overflow, screenshot, set_code

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

PASSWORD = "correct horse battery staple"
BROKEN = "def build_model(:\n"  # graded at once (a syntax error), so the flow stays quick


def fresh_email() -> str:
    return f"learner-{uuid.uuid4().hex[:10]}@example.org"


def nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Site")


def sign_up(page: Any, email: str) -> None:
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(nav(page).get_by_role("link", name="Account")).to_be_visible()


def log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(nav(page).get_by_role("link", name="Account")).to_be_visible()


def log_out(page: Any) -> None:
    nav(page).get_by_role("button", name="Log out").click()
    expect(nav(page).get_by_role("link", name="Log in")).to_be_visible()


def submit_broken(page: Any) -> None:
    page.goto(f"/lessons/{LSTM}")
    set_code(page, BROKEN)
    page.click("#submit")
    expect(page.locator("#report")).to_contain_text("Syntax error", timeout=90_000)


def history(page: Any) -> Any:
    page.goto(f"/lessons/{LSTM}")
    return page.locator("#submissions > li")


def test_sign_up_submit_log_out_log_in_sees_the_history(new_page: Any) -> None:
    page = new_page()
    email = fresh_email()
    page.goto("/")
    expect(page.locator(".progress-banner")).to_contain_text("Your progress lives in this browser only")
    sign_up(page, email)
    expect(page.locator(".progress-banner")).to_have_count(0)
    submit_broken(page)  # the page's JS sends the CSRF token: a 403 would show as a notice instead
    expect(history(page)).to_have_count(1)

    log_out(page)
    expect(history(page)).to_have_count(0)  # this browser is anonymous again
    expect(page.locator(".progress-banner")).to_be_visible()

    log_in(page, email)
    expect(history(page)).to_have_count(1)
    page.goto("/account")
    expect(page.locator("main")).to_contain_text(email)
    expect(page.locator("main")).to_contain_text("1 (0 lessons passed)")
    screenshot(page, "account")


def test_signing_up_claims_the_anonymous_history(new_page: Any) -> None:
    page = new_page()
    submit_broken(page)
    submit_broken(page)
    expect(history(page)).to_have_count(2)
    page.goto(f"/lessons/{LSTM}")
    page.locator(".progress-banner").get_by_role("link", name="sign up to keep it").click()
    expect(page).to_have_url(re.compile("/signup$"))
    sign_up(page, fresh_email())
    expect(history(page)).to_have_count(2)
    log_out(page)
    expect(history(page)).to_have_count(0)


def test_wrong_password_and_duplicate_email_are_explained(new_page: Any) -> None:
    page = new_page(allow_http_errors=True)
    email = fresh_email()
    sign_up(page, email)
    log_out(page)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#password-error")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "signup-error")


def test_delete_account_asks_for_the_password_then_deletes(new_page: Any) -> None:
    page = new_page(allow_http_errors=True)
    email = fresh_email()
    sign_up(page, email)
    page.goto("/account")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my submissions (JSON)").click()
    assert download.value.suggested_filename == "rnnlab-submissions.json"
    page.get_by_label("Type your password to confirm").fill(PASSWORD)
    page.get_by_label("I understand that this deletes everything").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("status")).to_contain_text("were deleted")
    expect(nav(page).get_by_role("link", name="Log in")).to_be_visible()


@pytest.mark.parametrize("path", ["/signup", "/login", "/account"])
def test_account_pages_have_no_serious_axe_violations(browser: Any, base_url: str, path: str) -> None:
    email = fresh_email()

    def signed_in(page: Any) -> None:
        sign_up(page, email)
        page.goto(path)
        page.wait_for_load_state("networkidle")

    setup = signed_in if path == "/account" else None
    assert axe_violations(browser, base_url, "/login" if setup else path, path.strip("/"), setup) == []


def test_account_pages_fit_a_phone(new_page: Any) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    for path in ("/", "/signup", "/login"):
        page.goto(path)
        assert horizontal_overflow(page) == 0, path
    screenshot(page, "phone-login")
    sign_up(page, fresh_email())
    for path in ("/account", "/", f"/lessons/{LSTM}"):
        page.goto(path)
        assert horizontal_overflow(page) == 0, path
    screenshot(page, "phone-account", full_page=True)


def test_the_api_page_tries_a_submission_with_the_csrf_token(new_page: Any) -> None:
    page = new_page()
    submit_broken(page)  # this browser now holds a learner cookie: a POST without the token would be 403
    page.goto("/docs")
    operation = page.locator(".opblock-post", has=page.locator(".opblock-summary-path", has_text="/submissions"))
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder='slug']").fill(LSTM)
    operation.locator("textarea.body-param__text").fill('{"code": "def build_model(:\\n"}')
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("202",
                                                                                            timeout=15_000)
