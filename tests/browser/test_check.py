"""The Check button in Chromium: a short training's loss and the checks, labelled not graded, nothing added to the
learner's submissions; by keyboard (Ctrl+Shift+Enter) on a function lesson; axe-clean, and usable at phone width."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from app.config import REPO_ROOT
from tests.browser.helpers import ARTIFACTS, LSTM, PHONE, axe_violations, horizontal_overflow, screenshot, set_code

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

FAST = "sequence-windows"  # NumPy function cases: the quickest real check
SOLUTION = (REPO_ROOT / "lessons" / LSTM / "solution.py").read_text(encoding="utf-8")
FAST_STARTER = (REPO_ROOT / "lessons" / FAST / "starter.py").read_text(encoding="utf-8")
NOT_GRADED = "Check — not graded, held-out data not used"


def test_check_shows_the_loss_and_is_not_a_submission(new_page: Any) -> None:
    page = new_page()
    page.goto(f"/lessons/{LSTM}")
    set_code(page, SOLUTION)
    button = page.locator("#check")
    expect(button).to_have_text("Check")
    button.click()
    expect(button).to_have_attribute("aria-disabled", "true")  # no second check while this one runs
    expect(page.locator("#check-box")).to_be_visible()
    expect(page.locator("#check-title")).to_have_text(NOT_GRADED)
    expect(page.locator("#check-status")).to_contain_text("Check done", timeout=150_000)
    expect(button).not_to_have_attribute("aria-disabled", "true")
    expect(page.locator("#check-chart canvas")).to_be_visible()
    expect(page.locator("#check-result figcaption")).to_contain_text("held-out data was not used")
    expect(page.locator("#check-result .check-pass").first).to_be_visible()
    expect(page.locator("#check-result")).to_contain_text(re.compile(r"Trained [12] epochs? \(a check stops at 2"))
    expect(page.locator("#check-result")).to_contain_text("EPOCHS=20")  # the learner's own, as they wrote it
    expect(page.locator("#check-result")).not_to_contain_text("%")  # no score anywhere
    page.locator("#check-chart").scroll_into_view_if_needed()
    screenshot(page, "check-lstm")
    page.locator("#check-box").screenshot(path=str(ARTIFACTS / "check-lstm-box.png"))

    # Not a submission: the history is as empty as before, on the page and after a reload.
    expect(page.locator(".submission")).to_have_count(0)
    expect(page.locator("#history-empty")).to_be_visible()
    assert page.request.get(f"/api/lessons/{LSTM}/submissions").json() == []
    page.reload()
    expect(page.locator("#history-empty")).to_be_visible()
    expect(page.locator("#report")).to_be_hidden()


def test_check_by_keyboard_lists_what_to_fix(new_page: Any) -> None:
    page = new_page()
    page.goto(f"/lessons/{FAST}")
    set_code(page, FAST_STARTER)  # the cursor is in the editor
    page.keyboard.press("Control+Shift+Enter")
    expect(page.locator("#check-status")).to_contain_text("see what to fix", timeout=60_000)
    expect(page.locator("#check-result .check-fail").first).to_be_visible()
    expect(page.locator("#check-result")).to_contain_text("practice case")
    assert page.request.get(f"/api/lessons/{FAST}/submissions").json() == []
    # The shortcut did not submit either.
    expect(page.locator("#progress")).to_be_hidden()


def test_check_at_phone_width_and_axe(new_page: Any, browser: Any, base_url: str) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"/lessons/{FAST}")
    page.locator("#check").tap()
    expect(page.locator("#check-status")).to_contain_text("Check done", timeout=60_000)
    expect(page.locator("#check-title")).to_be_visible()
    assert horizontal_overflow(page) == 0
    page.locator("#check-box").screenshot(path=str(ARTIFACTS / "check-phone.png"))

    def checked(p: Any) -> None:
        p.wait_for_selector(".cm-editor")
        p.click("#check")
        expect(p.locator("#check-status")).to_contain_text("Check done", timeout=60_000)

    assert axe_violations(browser, base_url, f"/lessons/{FAST}", "lesson-check", checked) == []
