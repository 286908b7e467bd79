"""A learner in Chromium: the course, the LSTM lesson, live training of the solution, a broken submission, a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from app.config import REPO_ROOT
from tests.browser.helpers import LSTM, axe_violations, editor_text, screenshot, set_code

pytestmark = [pytest.mark.browser, pytest.mark.sandbox, pytest.mark.slow]

SOLUTION = (REPO_ROOT / "lessons" / LSTM / "solution.py").read_text(encoding="utf-8")
# Runs, prints markup-looking text, and breaks the contract: the report must teach and show the print as text.
BROKEN = '''import keras

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32
print("<b id='pwned'>not markup</b>")


def build_model(window, n_features):
    model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
'''


def test_course_then_lesson_with_both_panels(new_page: Any) -> None:
    page = new_page()
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Recurrent neural networks, hands on")
    card = page.locator(".lesson-card", has=page.locator(f'a[href="/lessons/{LSTM}"]'))
    expect(card).to_contain_text("Not started")
    expect(card).to_contain_text("min")
    screenshot(page, "course")

    card.locator("a").click()
    expect(page).to_have_url(re.compile(f"/lessons/{LSTM}$"))
    explain, work = page.locator("#explain"), page.locator("#work")
    expect(explain).to_be_visible()
    expect(work).to_be_visible()
    left, right = explain.bounding_box(), work.bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"]  # side by side on a desktop
    expect(page.locator(".cm-editor")).to_be_visible()
    expect(page.locator(".cm-content")).to_contain_text("def build_model(window: int, n_features: int)")
    expect(page.locator(".cm-lineNumbers").first).to_be_visible()
    expect(page.locator("aside.callout-tip")).to_contain_text("Pick a window")
    expect(page.locator(".prose .highlight").first).to_be_visible()

    hints = page.locator("#hint-list > li")
    expect(hints.first).to_be_hidden()
    page.click("#hint-next")
    expect(hints.nth(0)).to_be_visible()
    expect(hints.nth(1)).to_be_hidden()
    expect(page.locator("#hint-next")).to_have_text(re.compile(r"Show hint 2 of \d"))
    screenshot(page, "lesson")

    # The divider moves with the keyboard too.
    before = left["width"]
    page.focus("#splitter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    after = page.locator("#explain").bounding_box()
    assert after and after["width"] > before + 50


def test_solution_trains_live_then_passes(new_page: Any) -> None:
    page = new_page()
    page.goto(f"/lessons/{LSTM}")
    set_code(page, SOLUTION)
    page.click("#submit")
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#submit")).to_be_disabled()
    expect(page.locator("#epoch-count")).to_have_text(re.compile(r"^[3-9] / 20$|^1\d / 20$"), timeout=60_000)
    expect(page.locator("#progress-text")).to_contain_text("Training: epoch")
    value = float(page.locator("#epoch-bar").get_attribute("value") or 0)
    assert 0 < value < 20
    expect(page.locator("#live-chart canvas")).to_be_visible()
    screenshot(page, "training")

    # A reload mid-training picks the grading up again, epochs so far included.
    page.reload()
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#epoch-count")).to_have_text(re.compile(r"^\d+ / 20$"), timeout=30_000)
    expect(page.locator(".cm-content")).to_contain_text("keras.layers.LSTM(32)")

    banner = page.locator(".banner-passed")
    expect(banner).to_be_visible(timeout=120_000)
    expect(banner).to_contain_text("Passed")
    expect(page.locator(".score-value")).to_have_text("100%")
    expect(page.locator(".check-pass")).to_have_count(page.locator(".check").count())
    expect(page.locator(".metrics table")).to_contain_text("Bar: ")
    expect(page.locator(".verdict.good")).to_contain_text("lower than '")
    # the real grader's table: every baseline, fit on the training part, the bar marked
    expect(page.locator(".baselines tr.bar")).to_have_count(1)
    expect(page.locator(".baselines")).to_contain_text("Least squares on your window (no recurrence)")
    expect(page.locator("#loss-chart canvas")).to_be_visible()
    expect(page.locator("#prediction-chart canvas")).to_be_visible()
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.locator("#submit")).to_be_enabled()
    expect(page.locator(".submission").first).to_contain_text("Passed")
    # after a pass (and only then: tests/app/test_api.py) the reference solution is there to compare with
    page.locator("#show-reference").click()
    expect(page.locator("#reference-code")).to_contain_text("def build_model")
    expect(page.locator("#show-reference")).to_have_attribute("aria-expanded", "true")
    page.locator("#report").scroll_into_view_if_needed()
    screenshot(page, "report-passed")
    page.locator("#prediction-chart").scroll_into_view_if_needed()
    screenshot(page, "report-charts")


def test_broken_code_teaches_and_a_reload_keeps_everything(new_page: Any) -> None:
    page = new_page()
    page.goto(f"/lessons/{LSTM}")
    set_code(page, BROKEN)
    page.keyboard.press("Control+Enter")
    banner = page.locator(".banner-not_gradable")
    expect(banner).to_be_visible(timeout=90_000)
    expect(banner).to_contain_text("could not be graded")
    expect(banner).to_contain_text("build_model() returned None")
    expect(page.locator(".check-fail").first).to_contain_text("return model")
    log = page.locator("details.log")
    expect(log.locator("pre")).to_be_hidden()  # collapsed
    log.locator("summary").click()
    expect(log.locator("pre")).to_contain_text("<b id='pwned'>not markup</b>")
    assert page.locator("#pwned").count() == 0  # shown as text, never parsed as markup
    screenshot(page, "report-not-gradable")

    page.reload()
    expect(page.locator(".cm-content")).to_contain_text("print(\"<b id='pwned'>not markup</b>\")")
    assert "Cropping1D" not in editor_text(page)
    expect(page.locator(".banner-not_gradable")).to_be_visible()  # the last report is back too
    expect(page.locator(".submission")).to_have_count(1)

    page.click("#reset")
    expect(page.locator(".cm-content")).to_contain_text("Cropping1D")
    page.locator(".submission").first.click()  # opens read-only, a diff against the editor; restore is explicit
    expect(page.locator("#viewer-diff")).to_contain_text("not markup")
    assert "not markup" not in editor_text(page)
    page.click("#viewer-restore")
    expect(page.locator(".cm-content")).to_contain_text("not markup")
    expect(page.locator("#notice")).to_contain_text("is in the editor")


def test_bad_requests_show_the_server_message(new_page: Any) -> None:
    page = new_page(allow_http_errors=True)
    page.goto(f"/lessons/{LSTM}")
    set_code(page, "   \n")
    page.click("#submit")
    expect(page.locator("#notice")).to_contain_text("The code is empty")
    expect(page.locator("#submit")).to_be_enabled()


def test_no_serious_accessibility_violations(browser: Any, base_url: str) -> None:
    assert axe_violations(browser, base_url, "/", "course") == []

    def reveal(page: Any) -> None:
        page.wait_for_selector(".cm-editor")
        page.click("#hint-next")

    assert axe_violations(browser, base_url, f"/lessons/{LSTM}", "lesson", reveal) == []
    assert axe_violations(browser, base_url, "/lessons/missing", "not-found") == []

    def graded(page: Any) -> None:  # a full report: banner, checks, metrics, both charts, the log
        set_code(page, SOLUTION.replace("import keras", "import keras\nprint('epoch log line')"))
        page.click("#submit")
        expect(page.locator(".banner-passed")).to_be_visible(timeout=120_000)
        page.click("details.log summary")

    assert axe_violations(browser, base_url, f"/lessons/{LSTM}", "lesson-report", graded) == []
