"""create_app refuses to start on a broken lesson or without the sandbox, and says why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.catalog import LessonError
from app.config import Settings
from app.main import create_app
from graders import SandboxUnavailable


def test_a_broken_lesson_stops_the_app(settings: Settings, lessons_dir: Path) -> None:
    md = lessons_dir / "lstm-sequence-prediction" / "lesson.md"
    md.write_text(re.sub(r"^minutes: \d+$", "minutes: lots", md.read_text(), flags=re.M))
    with pytest.raises(LessonError, match=r"lesson\.md.*minutes"):
        create_app(settings)


def test_no_bubblewrap_stops_the_app_with_the_fix(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("graders.sandbox.shutil.which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        create_app(settings)
