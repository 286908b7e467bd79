"""Fixtures for the web app's HTTP tests: a private lessons folder, settings on a tmp data_dir, a fake grader."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import checks as checks_module
from app import queue as queue_module
from app.config import REPO_ROOT, Settings
from app.csrf import CSRF_HEADER
from app.main import create_app
from tests.app.helpers import LSTM, SECOND, FakeGrader, csrf_token

PIXEL_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>\n'


@pytest.fixture
def lessons_dir(tmp_path: Path) -> Path:
    """The real LSTM lesson plus a second one after it (with an image), so order, neighbours and assets show."""
    root = tmp_path / "lessons"
    shutil.copytree(REPO_ROOT / "lessons" / LSTM, root / LSTM)
    second = root / SECOND
    shutil.copytree(REPO_ROOT / "lessons" / LSTM, second)
    text = (second / "lesson.md").read_text(encoding="utf-8")
    text = text.replace("order: 3", "order: 4").replace("title: Build an RNN for sequence prediction",
                                                      "title: Swap the LSTM for a GRU", 1)
    text += "\n![A diagram of a GRU cell](gru.svg)\n\n![Not an image](solution.py)\n"
    (second / "lesson.md").write_text(text, encoding="utf-8")
    (second / "gru.svg").write_text(PIXEL_SVG, encoding="utf-8")
    return root


@pytest.fixture
def settings(tmp_path: Path, lessons_dir: Path) -> Settings:
    return Settings(lessons_dir=lessons_dir, data_dir=tmp_path / "data", pool_size=0, max_code_bytes=4096,
                    max_queued_per_learner=2)


@pytest.fixture
def fake_grader(monkeypatch: pytest.MonkeyPatch) -> FakeGrader:
    fake = FakeGrader()
    monkeypatch.setattr(queue_module, "grade", fake)
    monkeypatch.setattr(checks_module, "check", fake.check)
    return fake


@pytest.fixture
def client(settings: Settings, fake_grader: FakeGrader) -> Iterator[TestClient]:
    """A browser-like client: it has read a page, so it holds the CSRF cookie and sends the page's token."""
    with TestClient(create_app(settings)) as test_client:
        test_client.headers[CSRF_HEADER] = csrf_token(test_client)
        yield test_client
        if fake_grader.gate is not None:
            fake_grader.gate.set()  # let a held grading finish before the app stops
        if fake_grader.check_gate is not None:
            fake_grader.check_gate.set()
