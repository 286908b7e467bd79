"""The editor and the report in Chromium: per-tab drafts, a debounced Ctrl+Enter, the read-only view of an earlier
submission, a syntax error marked at its line, next lesson after a pass, chart choices, wrap, focus, dark theme."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from app.config import REPO_ROOT
from tests.browser.helpers import PHONE, axe_violations, editor_text, horizontal_overflow, screenshot, set_code

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

FAST = "sequence-windows"  # NumPy function cases: the quickest real grading
SOLUTION = (REPO_ROOT / "lessons" / FAST / "solution.py").read_text(encoding="utf-8")
SYNTAX = "import numpy as np\n\ndef make_windows(series, window, horizon:\n    return None\n"


def saved(page: Any) -> None:
    expect(page.locator("#save-state")).to_have_text(re.compile("Saved"))


def test_each_tab_keeps_its_own_draft_and_hears_of_newer_work(new_page: Any) -> None:
    a = new_page()
    a.goto(f"/lessons/{FAST}")
    set_code(a, "# written in tab A\n")
    saved(a)
    b = a.context.new_page()  # same browser profile (localStorage), its own tab (sessionStorage)
    b.goto(f"/lessons/{FAST}")
    expect(b.locator(".cm-content")).to_contain_text("written in tab A")  # a new tab starts from the newest draft
    set_code(b, "# written in tab B\n")
    saved(b)

    a.reload()
    expect(a.locator(".cm-content")).to_contain_text("written in tab A")  # not B's code
    assert "tab B" not in editor_text(a)
    expect(a.locator("#draft-notice")).to_be_visible()  # B saved later: A is told, and keeps its own
    a.click("#draft-dismiss")

    set_code(a, "# tab A, newer\n")
    saved(a)
    expect(b.locator("#draft-notice")).to_contain_text("Another tab has newer code")
    assert "tab B" in editor_text(b)
    b.click("#draft-load")
    expect(b.locator(".cm-content")).to_contain_text("tab A, newer")
    b.click(".cm-content")
    b.keyboard.press("Control+z")
    expect(b.locator(".cm-content")).to_contain_text("written in tab B")


def test_shortcut_debounce_syntax_line_earlier_submission_and_next_lesson(new_page: Any) -> None:
    page = new_page()
    page.goto(f"/lessons/{FAST}")
    set_code(page, SYNTAX)
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".banner-not_gradable")).to_be_visible(timeout=60_000)
    listed = page.request.get(f"/api/lessons/{FAST}/submissions").json()
    assert len(listed) == 1, listed  # two presses, one submission

    # The syntax error is marked at its line, and the editor says so to a screen reader.
    marked = page.locator(".cm-line.cm-error-line")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-error-line", "3")
    expect(marked).to_contain_text("def make_windows(series, window, horizon:")
    expect(page.locator("#error-line")).to_contain_text("Line 3")
    described = page.locator(".cm-content").get_attribute("aria-describedby") or ""
    assert "error-line" in described.split()
    screenshot(page, "editor-syntax-line")
    page.click(".cm-content")
    page.keyboard.press("End")
    page.keyboard.type(" ")
    expect(marked).to_have_count(0)  # edited: the mark belonged to the old code

    set_code(page, SOLUTION)
    page.click("#submit")
    expect(page.locator(".banner-passed")).to_be_visible(timeout=90_000)
    nxt = page.locator("#next-lesson a")
    expect(nxt).to_be_visible()
    expect(nxt).to_have_attribute("href", re.compile(r"^/lessons/[a-z0-9-]+$"))
    assert nxt.get_attribute("href") != f"/lessons/{FAST}"
    expect(page.locator(".submission")).to_have_count(2)

    # The earlier (syntax error) submission opens read-only: the editor keeps the solution, a diff shows.
    page.locator(".submission").nth(1).click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#viewer-title")).to_contain_text("#")
    assert "def fit_scaler" in editor_text(page)
    expect(page.locator("#viewer-diff .diff-added")).not_to_have_count(0)
    expect(page.locator("#viewer-diff .diff-removed")).not_to_have_count(0)
    expect(page.locator("#viewer-diff .diff-added").first).to_contain_text("def make_windows(series, window, horizon:")
    expect(page.locator(".banner-not_gradable")).to_be_visible()  # its report
    screenshot(page, "editor-earlier-submission")
    page.click("#viewer-restore")
    expect(page.locator(".cm-content")).to_contain_text("def make_windows(series, window, horizon:")
    assert "def fit_scaler" not in editor_text(page)
    expect(page.locator("#viewer")).to_be_hidden()
    page.keyboard.press("Control+z")  # focus is back in the editor
    expect(page.locator(".cm-content")).to_contain_text("def fit_scaler")


def _fake_report(page: Any, slug: str, baseline_ids: list[str], failure: str | None = None) -> None:
    """Serves one finished submission for `slug` from the page's own network layer: chart choices are the page's."""
    truth = [0.1 * (i % 7) for i in range(40)]
    report = {
        "status": "failed", "summary": "A report", "failure": failure, "checks": [], "metrics": {},
        "history": [{"epoch": i + 1, "loss": 10.0 / (i + 1) ** 2, "val_loss": 12.0 / (i + 1) ** 2} for i in range(12)],
        "plots": {"validation": {"truth": truth, "prediction": [t + 0.05 for t in truth]}},
        "baselines": [{"id": b, "title": b, "meaning": "", "value": 1.0, "bar": i == 0} for i, b in enumerate(baseline_ids)],
        "metric": "rmse",
    }
    submission = {"id": 9001, "lesson": slug, "status": "failed", "score": 0.5, "code": "x = 1\n", "report": report,
                  "position": None, "created": "2026-12-01T10:00:00Z", "started": None, "finished": None}
    summary = {k: submission[k] for k in ("id", "lesson", "status", "score", "created", "finished")} | {"summary": "A report"}
    page.route(f"**/api/lessons/{slug}/submissions", lambda route: route.fulfill(
        content_type="application/json", body=json.dumps([summary])))
    page.route("**/api/submissions/9001", lambda route: route.fulfill(
        content_type="application/json", body=json.dumps(submission)))


def test_loss_chart_log_toggle_and_a_plot_per_kind_of_data(new_page: Any) -> None:
    page = new_page()
    _fake_report(page, "vanishing-gradients", ["order_blind", "mean"])
    page.goto("/lessons/vanishing-gradients")
    chart = page.locator("#loss-chart")
    expect(chart).to_have_attribute("data-scale", "linear")
    before = chart.locator("canvas").screenshot()
    page.locator("#loss-log").check()
    expect(chart).to_have_attribute("data-scale", "log")
    expect(chart.locator("canvas")).to_be_visible()
    assert chart.locator("canvas").screenshot() != before
    # independent samples: points against the diagonal, no line through them
    expect(page.locator("#prediction-chart")).to_have_attribute("data-kind", "scatter")
    expect(page.locator("#prediction-chart canvas")).to_be_visible()
    screenshot(page, "editor-charts")

    page.reload()  # the choice is remembered
    expect(page.locator("#loss-log")).to_be_checked()
    expect(chart).to_have_attribute("data-scale", "log")

    other = new_page()
    _fake_report(other, "lstm-sequence-prediction", ["linear", "seasonal_24"], failure="superseded")
    other.goto("/lessons/lstm-sequence-prediction")
    expect(other.locator("#prediction-chart")).to_have_attribute("data-kind", "series")  # one series: a line
    expect(other.locator(".banner-superseded")).to_contain_text("newer code")  # calm, not an error


def test_soft_wrap_focus_ring_and_keyboard_exit(new_page: Any) -> None:
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"/lessons/{FAST}")
    set_code(page, "x = '" + "a" * 300 + "'\n")
    expect(page.locator(".cm-content")).to_contain_text("a" * 50)
    assert horizontal_overflow(page) == 0
    assert page.evaluate("() => { const s = document.querySelector('.cm-scroller'); return s.scrollWidth - s.clientWidth; }") <= 0
    # the focused editor shows a ring, and the hint says how to leave it
    ring = page.evaluate("() => getComputedStyle(document.querySelector('#editor')).outlineStyle")
    assert ring != "none"
    expect(page.locator("#editor-hint")).to_contain_text("Esc, then Tab")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate("() => !!document.activeElement.closest('.cm-editor')")
    screenshot(page, "editor-wrapped")


def test_dark_theme_follows_the_system(new_page: Any, browser: Any, base_url: str) -> None:
    page = new_page(color_scheme="dark")
    page.goto(f"/lessons/{FAST}")
    expect(page.locator(".cm-editor")).to_be_visible()
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(v) for v in re.findall(r"\d+", background)[:3])
    assert r + g + b < 120, background
    screenshot(page, "editor-dark")

    def dark(p: Any) -> None:
        p.emulate_media(color_scheme="dark")

    def dark_lesson(p: Any) -> None:
        dark(p)
        p.wait_for_selector(".cm-editor")
        p.click("#hint-next")

    assert axe_violations(browser, base_url, f"/lessons/{FAST}", "lesson-dark", dark_lesson) == []
    assert axe_violations(browser, base_url, "/lessons/what-is-an-rnn", "lesson-dark-prose", dark_lesson) == []
    assert axe_violations(browser, base_url, "/", "course-dark", dark) == []

    def dark_docs(p: Any) -> None:
        dark(p)
        p.wait_for_selector(".opblock")

    assert axe_violations(browser, base_url, "/docs", "docs-dark", dark_docs) == []


def test_diagrams_open_full_size_on_a_phone(new_page: Any) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/lessons/what-is-an-rnn")
    link = page.locator(".prose a.diagram-link").first
    link.scroll_into_view_if_needed()  # the image loads lazily
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert href.endswith(".svg"), href
    answer = page.request.get(href)
    assert answer.ok and "svg" in answer.headers["content-type"]
    with page.context.expect_page() as opened:
        link.tap()
    opened.value.wait_for_load_state()
    assert opened.value.url.endswith(".svg")
