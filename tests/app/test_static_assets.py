"""Static files under fingerprinted URLs (immutable for a year), gzip for static files and pages, SSE left alone."""

from __future__ import annotations

import gzip
import re
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import static_assets
from app.csrf import CSRF_COOKIE
from app.static_assets import IMMUTABLE, REVALIDATE, StaticAssets, _accepts_gzip
from tests.app.helpers import LSTM, FakeGrader, submit

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_every_static_url_on_a_lesson_page_is_fingerprinted_and_immutable(client: TestClient) -> None:
    urls = _static_urls(client.get(f"/lessons/{LSTM}").text)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", url) for url in urls} >= {
        "/static/css/app.css", "/static/css/pygments.css", "/static/js/lesson.js",
        "/static/vendor/codemirror/codemirror.js", "/static/vendor/uplot/uPlot.min.css", "/static/img/favicon.svg"}
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.[a-z]+$", url), url
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE
        assert "content-security-policy" in response.headers and response.headers["x-content-type-options"] == "nosniff"


def test_module_imports_point_at_fingerprinted_urls_too(client: TestClient) -> None:
    """An ES module importing "/static/js/report.js" would bypass the fingerprint: the served file names the hash."""
    lesson_js = next(url for url in _static_urls(client.get(f"/lessons/{LSTM}").text) if "/js/lesson." in url)
    body = client.get(lesson_js).text
    imports = re.findall(r'(?:from|import\()\s*"(/static/[^"]+)"', body)
    assert len(imports) >= 5 and any("/js/editor." in url for url in imports)  # the dynamic import() as well
    for url in imports:
        assert re.search(r"\.[0-9a-f]{12}\.js$", url), url
        assert client.get(url).headers["cache-control"] == IMMUTABLE
    editor_js = next(url for url in imports if "/js/editor." in url)
    assert re.search(r'from\s*"/static/vendor/codemirror/codemirror\.[0-9a-f]{12}\.js"', client.get(editor_js).text)


def test_the_plain_path_still_works_with_a_revalidating_cache(client: TestClient) -> None:
    response = client.get("/static/css/app.css", headers=IDENTITY)
    assert response.status_code == 200 and response.headers["cache-control"] == REVALIDATE
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    again = client.get("/static/css/app.css", headers={**IDENTITY, "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_gzip_when_accepted_with_vary_and_the_same_bytes_underneath(client: TestClient) -> None:
    plain = client.get("/static/vendor/codemirror/codemirror.js", headers=IDENTITY)
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    packed = client.stream("GET", "/static/vendor/codemirror/codemirror.js", headers=GZIP)
    with packed as response:
        raw = response.read()  # httpx would decode iter_bytes(); read() before decoding is the wire body
        assert response.headers["content-encoding"] == "gzip" and response.headers["vary"] == "Accept-Encoding"
        assert int(response.headers["content-length"]) < len(plain.content) / 2
    assert response.content == plain.content or gzip.decompress(raw) == plain.content
    assert response.headers["etag"] != plain.headers["etag"]  # two representations, two validators
    refused = client.get("/static/vendor/codemirror/codemirror.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_head_answers_the_headers_only(client: TestClient) -> None:
    response = client.head("/static/js/lesson.js", headers=IDENTITY)
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == len(client.get("/static/js/lesson.js", headers=IDENTITY).content)
    assert client.post("/static/js/lesson.js").status_code == 405


@pytest.mark.parametrize("path", ["/static/css/app.000000000000.css", "/static/css/app.0123456789ab.css",
                                  "/static/css/nothing.css", "/static/css/", "/static/.hidden"])
def test_a_wrong_fingerprint_or_unknown_file_is_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")


def test_the_fingerprint_changes_when_a_file_or_a_module_it_imports_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static_assets, "RECHECK_S", 0.0)
    (tmp_path / "js").mkdir()
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: black; }\n" * 100)
    (tmp_path / "js" / "dom.js").write_text("export const h = 1;\n")
    (tmp_path / "js" / "page.js").write_text('import { h } from "/static/js/dom.js";\nconsole.log(h);\n')
    assets = StaticAssets(tmp_path)
    css, dom, page = assets.url("css/site.css"), assets.url("js/dom.js"), assets.url("js/page.js")
    assert assets.url("css/site.css") == css  # stable across calls
    assert dom in assets.assets["js/page.js"].body.decode()

    (tmp_path / "js" / "dom.js").write_text("export const h = 2;\n")  # no restart: the next look sees it
    assert assets.url("css/site.css") == css
    assert assets.url("js/dom.js") != dom and assets.url("js/page.js") != page  # the importer changes with it
    assert assets.find(dom.removeprefix("/static/")) is None  # the old fingerprint is 404 now
    with pytest.raises(LookupError, match="missing.js"):
        assets.url("js/missing.js")

    good = assets.url("js/page.js")
    (tmp_path / "js" / "dom.js").write_text('import "/static/js/page.js";\n')  # a broken edit: the last good set
    assert assets.url("js/page.js") == good and assets.find(good.removeprefix("/static/"))


def test_an_import_cycle_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text('import "/static/b.js";\n')
    (tmp_path / "b.js").write_text('import "/static/a.js";\n')
    with pytest.raises(ValueError, match="import cycle"):
        StaticAssets(tmp_path)


def test_json_and_pages_are_gzipped_when_large_enough(client: TestClient) -> None:
    spec = client.get("/openapi.json", headers=GZIP)
    assert spec.headers["content-encoding"] == "gzip" and "Accept-Encoding" in spec.headers["vary"]
    assert "content-encoding" not in client.get("/openapi.json", headers=IDENTITY).headers
    assert "content-encoding" not in client.get("/healthz", headers=GZIP).headers  # under 1 KiB: not worth it
    for url in (f"/lessons/{LSTM}", "/login?next=/lessons/x"):
        page = client.get(url, headers=GZIP)
        assert page.status_code == 200 and page.headers["content-encoding"] == "gzip", url


def test_a_compressed_page_never_repeats_its_csrf_token(client: TestClient) -> None:
    """Pages carry the CSRF token and /login reflects ?next=: with compression on, an unchanging token could be
    guessed from response sizes (BREACH). It is masked afresh in every response, and every mask verifies."""
    tokens = [re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get("/login", headers=GZIP).text)
              for _ in range(3)]
    values = [m.group(1) for m in tokens if m]
    assert len(values) == 3 and len(set(values)) == 3
    csrf = client.app.state.rnnlab.csrf  # type: ignore[attr-defined]
    assert all(csrf.valid(client.cookies[CSRF_COOKIE], value) for value in values)
    assert not csrf.valid(client.cookies[CSRF_COOKIE], values[0][:64] + values[1][64:])  # masks don't mix


def test_server_sent_events_are_never_compressed_or_buffered(client: TestClient, fake_grader: FakeGrader) -> None:
    fake_grader.gate = threading.Event()
    submission_id = submit(client)
    assert fake_grader.training.wait(5)
    release = threading.Timer(5, fake_grader.gate.set)  # a buffered stream would only show events after this
    release.start()
    started = time.monotonic()
    try:
        with client.stream("GET", f"/api/submissions/{submission_id}/events", headers=GZIP) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in response.headers
            lines = response.iter_lines()
            first = next(line for line in lines if line.startswith("event: "))
            arrived = time.monotonic() - started
            fake_grader.gate.set()
            rest = [line for line in lines if line.startswith("event: ")]
    finally:
        release.cancel()
    assert first == "event: started" and arrived < 4, arrived
    assert rest[-1] == "event: report"


@pytest.mark.parametrize(("header", "accepted"), [
    ("gzip, deflate, br", True), ("br", False), ("", False), ("gzip;q=0", False), ("*", True),
    ("*;q=0.5, gzip;q=0", False), ("GZIP;q=0.001", True), ("identity", False)])
def test_accept_encoding_is_read_with_its_q_values(header: str, accepted: bool) -> None:
    assert _accepts_gzip(header) is accepted
