"""Browser fixtures: one real server for the session, Debian's Chromium through Playwright, screenshots, axe-core."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import REPO_ROOT
from tests.browser.helpers import ARTIFACTS, DESKTOP

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rnnlab serve` on the real lessons (RNNLAB_LESSONS_DIR may point elsewhere) with a fresh database."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    port = _free_port()
    data = tmp_path_factory.mktemp("browser-data")
    env = {**os.environ, "RNNLAB_DATA_DIR": str(data), "RNNLAB_POOL_SIZE": "2"}
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("rnnlab")), "serve", "--port", str(port)],
                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # warm workers took ~2 min to come up on a busy 2-core machine
    while True:
        try:
            health = httpx.get(f"{base}/healthz", timeout=2).json()
            if health["warm_workers"] >= 1:
                break
        except (httpx.HTTPError, ValueError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not start:\n{(data / 'server.log').read_text()[-3000:]}")
        time.sleep(0.3)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.copy(data / "server.log", ARTIFACTS / "browser-server.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems(list[str]):
    """Console errors, CSP violations and uncaught exceptions seen by a page: a test ends with none."""


def _watch(page: Any) -> PageProblems:
    problems = PageProblems()
    page.on("console", lambda msg: problems.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    return problems


@pytest.fixture
def new_page(browser: Any, base_url: str) -> Iterator[Any]:
    """new_page(viewport=..., **context options) -> a page with base_url set; checks for page errors at the end."""
    contexts: list[tuple[Any, PageProblems, bool]] = []

    def make(viewport: dict[str, int] | None = None, allow_http_errors: bool = False, **options: Any) -> Any:
        context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP, **options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        contexts.append((context, _watch(page), allow_http_errors))
        return page

    yield make
    for context, problems, allow_http_errors in contexts:
        context.close()
        if allow_http_errors:  # the browser logs every 4xx answer; a test that provokes them says so
            problems = [p for p in problems if "Failed to load resource: the server responded" not in p]
        assert not problems, problems
