"""On a 390x844 phone the panels stack and nothing scrolls sideways, report included."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LSTM, PHONE, horizontal_overflow, screenshot, set_code

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]


def test_phone_layout_stacks_without_horizontal_overflow(new_page: Any) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/")
    assert horizontal_overflow(page) == 0
    screenshot(page, "phone-course", full_page=True)

    page.goto(f"/lessons/{LSTM}")
    expect(page.locator(".cm-editor")).to_be_visible()
    assert horizontal_overflow(page) == 0
    explain, work = page.locator("#explain").bounding_box(), page.locator("#work").bounding_box()
    assert explain and work and work["y"] >= explain["y"] + explain["height"] - 1  # stacked
    assert work["width"] <= PHONE["width"]
    expect(page.locator("#splitter")).to_be_hidden()
    screenshot(page, "phone-lesson")

    set_code(page, "def build_model(:\n")
    page.locator("#submit").click()
    expect(page.locator(".banner")).to_be_visible(timeout=90_000)
    page.locator("#report").scroll_into_view_if_needed()
    assert horizontal_overflow(page) == 0
    screenshot(page, "phone-report")
