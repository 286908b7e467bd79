"""The report view renders every task type's figures from the report JSON alone, escaping all learner text."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LSTM, PHONE, axe_violations, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser

CHECKS = [
    {"id": "contract", "title": "Module meets the contract", "passed": True, "points": 1, "max_points": 1,
     "message": "WINDOW=40; `build_model()` returned a compiled model.", "skipped": False},
    {"id": "beats_baseline", "title": "Beats the unigram baseline", "passed": False, "points": 1.2, "max_points": 4,
     "message": "Held-out 2.1 bits/char vs 2.6: +19% better (full marks at 25%).\n  line two <img src=x>\n     ^",
     "skipped": False},
    {"id": "extra", "title": "Skipped check", "passed": False, "points": 0, "max_points": 1, "message": "",
     "skipped": True},
]
REPORTS = {
    "text": {"metrics": {"heldout_bits_per_char": 2.1, "baseline_bits_per_char": 2.6, "validation_bits_per_char": 2.2,
                         "heldout_accuracy": 0.41, "heldout_samples": 900.0},
             "metric": "bits_per_char",
             "baselines": [
                 {"id": "unigram", "title": "Letter frequencies alone", "value": 4.1, "bar": False,
                  "meaning": "Your model uses the context before the next character."},
                 {"id": "ngram", "title": "Smoothed 4-gram counts <b>x</b>", "value": 2.6, "bar": True,
                  "meaning": "Counting cannot see far back."},
                 {"id": "linear", "title": "Not computable here", "value": None, "bar": False, "meaning": "-"}],
             "plots": {"sample": {"seed": "to be or ", "text": "not to be, <b>that</b> is", "temperature": 0.5}}},
    "classes": {"metrics": {"heldout_accuracy": 0.82, "baseline_accuracy": 0.34, "validation_accuracy": 0.8},
                "plots": {"confusion": {"labels": [0, 1, 2], "matrix": [[30, 2, 1], [3, 25, 4], [0, 5, 29]]}}},
    "cases": {"metrics": {"cases": 6.0, "cases_passed": 4.0}, "plots": {}},
    "diverged": {"metrics": {"heldout_rmse": -1.0, "baseline_rmse": 0.6, "ratio_to_baseline": -1.0}, "plots": {}},
}


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_report_renders_each_task_type(new_page: Any, kind: str) -> None:
    page = new_page()
    page.goto(f"/lessons/{LSTM}")
    page.wait_for_selector(".cm-editor")
    submission = {"id": 7, "status": "failed", "score": 0.44, "lesson": LSTM, "code": "",
                  "report": {"summary": "1 check(s) failed: <i>Beats</i>", "checks": CHECKS,
                             "history": [{"epoch": 1, "loss": 2.0, "val_loss": 2.2}, {"epoch": 2, "loss": 1.5}],
                             "training": {"epochs_run": 2, "epochs": 5, "stopped_for_time": True},
                             "log": "", **REPORTS[kind]}}
    page.evaluate("""async (submission) => {
        const { renderReport } = await import('/static/js/report.js');
        renderReport(document.getElementById('report'), submission);
    }""", submission)
    report = page.locator("#report")
    expect(report.locator(".banner-failed")).to_contain_text("1 check(s) failed: <i>Beats</i>")
    expect(report.locator(".score-value")).to_have_text("44%")
    expect(report.locator(".check-skipped")).to_have_count(1)
    expect(report.locator(".message-code")).to_contain_text("line two <img src=x>")
    assert report.locator("img").count() == 0 and report.locator("b, i").count() == 0
    expect(report.locator(".notice-warn")).to_contain_text("computing-time budget")
    expect(report.locator("#loss-chart canvas")).to_be_visible()
    if kind == "text":
        expect(report.locator(".metrics table")).to_contain_text("2.1")
        # one formatting of relative differences, the grader's: 1 - 2.1/2.6 = 19 %, against the named bar
        expect(report.locator(".verdict.good")).to_contain_text("19 % lower than 'Smoothed 4-gram counts <b>x</b>'")
        table = report.locator(".baselines table")
        expect(table.locator("tbody tr")).to_have_count(4)  # your model + three baselines
        expect(table.locator("tr.bar")).to_contain_text("(bar)")
        expect(table.locator("tr.bar")).to_contain_text("2.6")
        expect(table.locator("tbody tr").nth(1)).to_contain_text("yes")  # 2.1 beats letter frequencies' 4.1
        expect(table.locator("tbody tr").nth(3)).to_contain_text("–")  # a baseline with no value says so
        expect(report.locator(".generated")).to_contain_text("to be or not to be, <b>that</b> is")
    elif kind == "classes":
        expect(report.locator(".metrics table")).to_contain_text("82.0%")
        expect(report.locator(".verdict.good")).to_contain_text("48 points above")
        expect(report.locator(".confusion td.diagonal")).to_have_count(3)
    elif kind == "cases":
        expect(report.locator(".figures")).to_contain_text("Hidden test cases")
    else:
        expect(report.locator(".metrics table")).to_contain_text("not a number")
    report.scroll_into_view_if_needed()
    screenshot(page, f"report-{kind}")

    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # charts follow their box on the next ResizeObserver callback
    wide = page.evaluate("""() => [...document.querySelectorAll('#report *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert horizontal_overflow(page) == 0, wide


def look_inside_report() -> dict[str, Any]:
    """plots.look_inside as graders/look_inside.py writes it (a SimpleRNN whose gradient vanishes toward step 1)."""
    steps = 60
    norms = [round(0.4 * 0.8 ** (steps - 1 - t), 8) for t in range(steps)]
    states = [[round(((u * 7 + t * 3) % 19 - 9) / 10, 2) for t in range(steps)] for u in range(16)]
    return {"gradient": {"steps": list(range(1, steps + 1)), "norms": norms, "layer": "SimpleRNN", "rows": 32,
                         "early_over_late": 1e-5, "embedded": False,
                         "guide": "How strongly the loss reacts to the input at each time step <b>guide</b>.",
                         "summary": "Your SimpleRNN: the first steps get 1e-05 times the gradient of the last steps."},
            "hidden": {"states": states, "units": 32, "first_step": 1, "layer": "SimpleRNN",
                       "guide": "Each row is one unit of your SimpleRNN's state.",
                       "summary": "The first 16 of its 32 units over steps 1–60; the state changes most at step 5."},
            "samples": {"seed": "see fin run. ", "guide": "The same trained model at two temperatures.",
                        "texts": [{"temperature": 0.5, "text": "run, fin <i>run</i>"},
                                  {"temperature": 1.0, "text": "dot sees eve"}]}}


def render_look_inside(page: Any) -> None:
    page.wait_for_selector(".cm-editor")
    submission = {"id": 9, "status": "failed", "score": 0.5, "lesson": LSTM, "code": "",
                  "report": {"summary": "Not yet.", "checks": CHECKS[:1], "history": [], "metrics": {},
                             "plots": {"look_inside": look_inside_report()}, "log": ""}}
    page.evaluate("""async (submission) => {
        const { renderReport } = await import('/static/js/report.js');
        renderReport(document.getElementById('report'), submission);
    }""", submission)
    page.wait_for_selector("#look-inside canvas.heatmap")


def test_look_inside_figures_with_their_reading_guides(new_page: Any, browser: Any, base_url: str) -> None:
    page = new_page()
    page.goto(f"/lessons/{LSTM}")
    render_look_inside(page)
    look = page.locator("#look-inside")
    expect(look.locator("h4")).to_have_text("Look inside your model")
    # the gradient: one point per time step, on a log scale by default, its guide as text (never markup)
    expect(look.locator("#gradient-chart canvas")).to_be_visible()
    expect(look.locator("#gradient-chart")).to_have_attribute("data-scale", "log")
    expect(look.locator(".look-gradient figcaption")).to_contain_text("<b>guide</b>")
    expect(look.locator(".look-summary").first).to_contain_text("1e-05 times the gradient")
    look.locator("#gradient-log").uncheck()
    expect(look.locator("#gradient-chart")).to_have_attribute("data-scale", "linear")
    # the heatmap: an image whose name is its text summary, and the numbers as a table on request
    heatmap = look.locator("canvas.heatmap")
    expect(heatmap).to_have_attribute("role", "img")
    expect(heatmap).to_have_attribute("aria-label", "The first 16 of its 32 units over steps 1–60; the state changes most at step 5.")
    assert heatmap.evaluate("c => c.height") > 0
    expect(look.locator(".look-hidden figcaption")).to_contain_text("one unit of your SimpleRNN")
    look.locator(".heatmap-table summary").click()
    table = look.locator(".heatmap-table table")
    expect(table.locator("tbody tr")).to_have_count(16)
    expect(table.locator("thead th")).to_have_count(61)  # "Unit" + one column per step
    # the samples: both temperatures, learner-made text shown as text
    expect(look.locator(".sample-label")).to_have_text(["Temperature 0.5", "Temperature 1"])
    expect(look.locator(".generated").first).to_contain_text("see fin run. run, fin <i>run</i>")
    assert look.locator("i, b").count() == 0
    expect(look.locator(".look-guide")).to_contain_text("two temperatures")
    look.scroll_into_view_if_needed()
    screenshot(page, "report-look-inside")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    assert horizontal_overflow(page) == 0
    assert axe_violations(browser, base_url, f"/lessons/{LSTM}", "report-look-inside", render_look_inside) == []
