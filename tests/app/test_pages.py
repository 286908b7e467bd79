"""The HTML pages: the course in order with this learner's progress, the lesson page and its rendered markdown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import course as course_module
from app.catalog import load_lesson
from tests.app.helpers import LSTM, SECOND, submit, wait_for

HTML = {"accept": "text/html"}


def test_course_lists_lessons_in_order_with_minutes_and_state(client: TestClient, lessons_dir: Path) -> None:
    minutes = load_lesson(lessons_dir / LSTM).meta.minutes
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    first, second = text.index("Build an RNN for sequence prediction"), text.index("Swap the LSTM for a GRU")
    assert first < second  # order 3 before order 4
    assert f'href="/lessons/{LSTM}"' in text and f'href="/lessons/{SECOND}"' in text
    assert f"{minutes} min" in text and "beat every simple forecast" in text  # the lesson's summary
    assert text.count("Not started") == 2


def test_course_shows_attempted_then_passed_with_best_score(client: TestClient) -> None:
    wait_for(client, submit(client, "# FAIL\n"))
    text = client.get("/").text
    assert "Attempted" in text and "Best score 20%" in text  # 1 of 5 points
    wait_for(client, submit(client, "# PASS\n"))
    text = client.get("/").text
    assert "Passed" in text and "Best score 100%" in text and "2 submissions" in text


def test_lesson_page_has_both_panels_and_the_starter(client: TestClient) -> None:
    text = client.get(f"/lessons/{LSTM}").text
    assert '<h1 id="lesson-title">Build an RNN for sequence prediction</h1>' in text
    assert text.count("<h1") == 1  # the body's own "# title" is not repeated
    assert 'class="panel explain"' in text and 'class="panel work"' in text
    assert 'role="separator"' in text  # the resizable split
    assert 'id="submit"' in text and 'id="reset"' in text
    assert "def build_model(window: int, n_features: int) -&gt; keras.Model:" in text  # starter, escaped
    assert "You will be able to" in text and "(samples, timesteps, features)" in text


def test_lesson_markdown_renders_tables_callouts_code_and_hints(client: TestClient) -> None:
    text = client.get(f"/lessons/{LSTM}").text
    assert '<div class="table-wrap"' in text and "<th>inputs (WINDOW = 4)</th>" in text
    assert '<aside class="callout callout-tip" role="note">' in text
    assert '<aside class="callout callout-warning" role="note">' in text
    assert "[!TIP]" not in text
    assert '<div class="highlight"><pre tabindex="0">' in text and '<span class="n">keras</span>' in text
    assert '<h2 id="from-a-series-to-windows">' in text
    hints = re.findall(r"<li hidden>(.*?)</li>", text, re.S)
    # Hints go from the idea to the code: the first has none, the last shows it.
    assert len(hints) == 3 and "<code>" not in hints[0] and "<code>keras.layers.LSTM(32)</code>" in hints[2]
    assert "Show hint 1 of 3" in text


def test_lesson_images_use_the_assets_route_and_missing_ones_are_dropped(client: TestClient) -> None:
    text = client.get(f"/lessons/{SECOND}").text
    assert f'<img src="/lessons/{SECOND}/assets/gru.svg" alt="A diagram of a GRU cell" loading="lazy"' in text
    assert 'src="solution.py"' not in text and "<p>Not an image</p>" in text  # only its alt text is left


def test_previous_and_next_links(client: TestClient) -> None:
    first = client.get(f"/lessons/{LSTM}").text
    assert f'href="/lessons/{SECOND}" rel="next"' in first and 'rel="prev"' not in first
    second = client.get(f"/lessons/{SECOND}").text
    assert f'href="/lessons/{LSTM}" rel="prev"' in second
    assert "Back to the course" in second


def test_unknown_lesson_is_a_friendly_404_page(client: TestClient) -> None:
    page = client.get("/lessons/no-such-lesson", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no lesson called &#39;no-such-lesson&#39;." in page.text
    assert "Traceback" not in page.text


def test_every_page_sends_a_csp_without_inline_scripts_and_has_no_inline_script(client: TestClient) -> None:
    for url in ("/", f"/lessons/{LSTM}", "/docs", "/lessons/missing"):
        response = client.get(url, headers=HTML)
        csp = response.headers["content-security-policy"]
        script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        for tag in re.findall(r"<script\b[^>]*>", response.text):
            assert "src=" in tag, f"inline script on {url}: {tag}"
        assert not re.search(r"\son[a-z]+=", response.text), f"inline event handler on {url}"
        assert "https://" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', response.text)), "no CDN"


def test_docs_page_uses_vendored_swagger_and_openapi_lists_the_api(client: TestClient) -> None:
    docs = client.get("/docs").text
    assert re.search(r'"/static/vendor/swagger-ui/swagger-ui-bundle\.[0-9a-f]{12}\.js"', docs)
    spec = client.get("/openapi.json").json()
    for path in ("/healthz", "/api/lessons/{slug}/submissions", "/api/submissions/{submission_id}",
                 "/api/submissions/{submission_id}/events", "/lessons/{slug}/starter.py"):
        assert path in spec["paths"]
    body = spec["paths"]["/api/lessons/{slug}/submissions"]["post"]["requestBody"]
    assert "code" in body["content"]["application/json"]["schema"]["properties"]


def test_static_files_are_served_and_vendored(client: TestClient) -> None:
    for path in ("/static/css/app.css", "/static/js/lesson.js", "/static/vendor/codemirror/codemirror.js",
                 "/static/vendor/uplot/uPlot.min.js", "/static/vendor/codemirror/LICENSES.txt"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-cache" in response.headers["cache-control"]


def test_an_edited_lesson_is_served_on_the_next_request_and_a_broken_edit_is_not(
        client: TestClient, lessons_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course_module, "RECHECK_S", 0.0)
    md = lessons_dir / LSTM / "lesson.md"
    original = md.read_text()
    md.write_text(original.replace("title: Build an RNN for sequence prediction", "title: Forecasting with an LSTM"))
    assert '<h1 id="lesson-title">Forecasting with an LSTM</h1>' in client.get(f"/lessons/{LSTM}").text
    md.write_text(original.replace("title:", "titel:"))  # an unknown field: the lesson no longer loads
    page = client.get(f"/lessons/{LSTM}")
    assert page.status_code == 200 and "Forecasting with an LSTM" in page.text  # the last good version
