"""Compare your submissions: the table renders stored rows, marks each column's best in words, scrolls sideways
on a phone (the page itself does not), and passes axe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LSTM, PHONE, axe_violations, horizontal_overflow, screenshot, set_code

pytestmark = pytest.mark.browser

ROW = {"status": "failed", "created": "2026-01-01T10:00:00Z", "metric": "rmse", "epochs": 40, "params": 1185,
       "family": "recurrent", "lowest_val_loss": None, "initializers": ["LSTM kernel GlorotUniform"], "l2": [],
       "dropout": []}
COMPARISON = {
    "metric": "rmse", "higher_is_better": False, "best": {"score": [2], "metric_value": [2], "val_loss": [2], "gap": [2]},
    "rows": [
        {**ROW, "id": 2, "status": "passed", "score": 1.0, "metric_value": 0.31, "train_loss": 0.2, "val_loss": 0.3,
         "gap": 0.1, "optimizer": "RMSprop", "schedule": "ExponentialDecay 0.01 → 0.0013",
         "l2": ["LSTM kernel L2 0.001"], "dropout": ["Dropout 0.2 <b>x</b>"]},
        {**ROW, "id": 1, "score": 0.4, "metric_value": 0.52, "train_loss": 0.05, "val_loss": 0.9, "gap": 0.85,
         "optimizer": "Adam 0.05", "schedule": ""},
    ]}
# The section as templates/lesson.html writes it for a lesson with `compare: true`.
SECTION = """(comparison) => {
    document.querySelector('.history').insertAdjacentHTML('afterend', `
      <section class="comparison" id="comparison" aria-labelledby="comparison-title" data-url="/nowhere">
        <h3 id="comparison-title">Compare your submissions</h3>
        <p class="muted" id="comparison-empty">Submit twice.</p>
        <div class="table-scroll" id="comparison-scroll" role="region" aria-labelledby="comparison-title"
             tabindex="0" hidden></div>
      </section>`);
    return import('/static/js/comparison.js').then(
        ({ renderComparison }) => renderComparison(document.getElementById('comparison'), comparison));
}"""


def render(page: Any) -> None:
    page.wait_for_selector(".cm-editor")
    page.evaluate(SECTION, COMPARISON)


def test_rows_and_the_best_marked_in_words(new_page: Any) -> None:
    page = new_page()
    page.goto(f"/lessons/{LSTM}")
    render(page)
    table = page.locator("#comparison-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    best_row = table.locator("tbody tr[data-id='2']")
    expect(best_row.locator(".best")).to_have_count(4)  # score, held-out RMSE, validation loss, gap
    expect(best_row.locator(".best").first).to_contain_text("(best)")
    expect(table.locator("tbody tr[data-id='1'] .best")).to_have_count(0)
    expect(best_row).to_contain_text("ExponentialDecay 0.01 → 0.0013")
    expect(best_row).to_contain_text("Dropout 0.2 <b>x</b>")  # text, never markup
    expect(table.locator("tbody tr[data-id='1']")).to_contain_text("constant")
    expect(table.locator("thead")).to_contain_text("Held-out RMSE (lower is better)")
    expect(page.locator("#comparison-empty")).to_be_hidden()
    table.scroll_into_view_if_needed()
    screenshot(page, "comparison-real")


def test_a_phone_scrolls_the_table_not_the_page(new_page: Any) -> None:
    page = new_page(viewport=PHONE)
    page.goto(f"/lessons/{LSTM}")
    render(page)
    scroll = page.locator("#comparison-scroll")
    scroll.scroll_into_view_if_needed()
    assert page.evaluate("() => { const s = document.getElementById('comparison-scroll');"
                         " return s.scrollWidth > s.clientWidth; }")
    assert horizontal_overflow(page) == 0
    screenshot(page, "comparison-phone")


def test_the_comparison_passes_axe(browser: Any, base_url: str) -> None:
    assert axe_violations(browser, base_url, f"/lessons/{LSTM}", "comparison", render) == []


PRACTICE = "training-practice"
FIRST = """
import keras
EPOCHS = 2
BATCH_SIZE = 64


def build_model(timesteps, n_features):
    model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    return model
"""
SECOND = (FIRST.replace("keras.layers.LSTM(8), ", "keras.layers.LSTM(8), keras.layers.Dropout(0.2), ")
          .replace("keras.optimizers.Adam(0.02)",
                   "keras.optimizers.RMSprop(keras.optimizers.schedules.ExponentialDecay(0.02, 5, 0.5))"))


@pytest.mark.sandbox
def test_two_real_submissions_appear_side_by_side(new_page: Any) -> None:
    """Two gradings by the real grader (two epochs each): both rows, what changed between them, the best marked."""
    page = new_page()
    page.goto(f"/lessons/{PRACTICE}")
    page.wait_for_selector(".cm-editor")
    for code, done in ((FIRST, 1), (SECOND, 2)):
        set_code(page, code)
        page.click("#submit")
        expect(page.locator("#submissions .badge-failed")).to_have_count(done, timeout=240_000)
    table = page.locator("#comparison-table")
    expect(table.locator("tbody tr")).to_have_count(2, timeout=10_000)
    first, second = table.locator("tbody tr").nth(1), table.locator("tbody tr").nth(0)  # newest first
    expect(first).to_contain_text("Adam 0.02")
    expect(first).to_contain_text("constant")
    expect(second).to_contain_text("RMSprop")
    expect(second).to_contain_text("ExponentialDecay 0.02 →")
    expect(second).to_contain_text("Dropout 0.2")
    expect(first.locator("td").nth(8)).to_have_text("recurrent")  # the model family column
    expect(table.locator(".best-mark")).to_have_count(4)  # score, held-out RMSE, validation loss, gap: one best each
    expect(page.locator("#comparison-empty")).to_be_hidden()
    table.scroll_into_view_if_needed()
    screenshot(page, "comparison-real")


def test_the_lab_lesson_page_passes_axe(browser: Any, base_url: str) -> None:
    assert axe_violations(browser, base_url, f"/lessons/{PRACTICE}", "training-practice") == []
