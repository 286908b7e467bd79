"""Which lessons `rnnlab` uses: RNNLAB_LESSONS_DIR, else ./lessons in a course folder, else the installed checkout's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import INSTALLED_LESSONS, Settings, default_lessons_dir

REPO = Path(__file__).resolve().parents[2]
WINDOWS = REPO / "lessons" / "sequence-windows"  # function cases: checked in seconds, no Keras training


def rnnlab(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "RNNLAB_LESSONS_DIR"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**base, "RNNLAB_DATA_DIR": str(cwd / "data"), **(env or {})})


def course(tmp_path: Path, *slugs: str) -> Path:
    folder = tmp_path / "course"
    (folder / "lessons").mkdir(parents=True)
    for slug in slugs:
        shutil.copytree(WINDOWS, folder / "lessons" / slug)
    return folder


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RNNLAB_LESSONS_DIR", raising=False)


@pytest.mark.usefixtures("no_env")
def test_a_folder_without_a_course_uses_the_installed_lessons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_lessons_dir() == INSTALLED_LESSONS
    (tmp_path / "lessons").mkdir()  # an empty lessons/ is not a course yet
    (tmp_path / "lessons" / "notes").mkdir()  # nor is a folder without lesson.md
    assert default_lessons_dir() == INSTALLED_LESSONS
    settings = Settings()
    assert settings.lessons_dir == INSTALLED_LESSONS and settings.lessons_dir_note() is None


@pytest.mark.usefixtures("no_env")
@pytest.mark.parametrize("marker", ["course.toml", "some-lesson/lesson.md"])
def test_a_course_folder_uses_its_own_lessons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    path = tmp_path / "lessons" / marker
    path.parent.mkdir(parents=True)
    path.write_text("")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.lessons_dir == tmp_path / "lessons"
    assert "current folder is a course folder" in (settings.lessons_dir_note() or "")
    monkeypatch.chdir(tmp_path / "lessons")  # only the current folder counts, never a parent
    assert Settings().lessons_dir == INSTALLED_LESSONS


def test_the_environment_variable_wins_over_the_course_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "course.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RNNLAB_LESSONS_DIR", str(tmp_path / "elsewhere"))
    settings = Settings()
    assert settings.lessons_dir == tmp_path / "elsewhere"
    assert settings.lessons_dir_note() is None  # the operator's explicit choice needs no announcement


def test_the_checkout_itself_is_the_default_and_says_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RNNLAB_LESSONS_DIR", raising=False)
    monkeypatch.chdir(REPO)
    settings = Settings()
    assert settings.lessons_dir == INSTALLED_LESSONS and settings.lessons_dir_note() is None


def test_lessons_new_in_a_course_folder_writes_there_and_says_so(tmp_path: Path) -> None:
    folder = course(tmp_path, "sequence-windows")
    run = rnnlab("lessons", "new", "my-first-lesson", "--task", "function_cases", cwd=folder)
    assert run.returncode == 0, run.stderr
    assert (folder / "lessons" / "my-first-lesson" / "grading.toml").is_file()
    assert not (INSTALLED_LESSONS / "my-first-lesson").exists()
    notes = [line for line in run.stderr.splitlines() if "lessons from" in line]
    assert notes == [f"rnnlab: lessons from {folder / 'lessons'} (the current folder is a course folder; "
                     "RNNLAB_LESSONS_DIR overrides)"]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = rnnlab("lessons", "new", "second-lesson", "--task", "function_cases", cwd=folder,
                 env={"RNNLAB_LESSONS_DIR": str(elsewhere)})
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "second-lesson").is_dir() and not (folder / "lessons" / "second-lesson").exists()
    assert "lessons from" not in run.stderr  # chosen explicitly: nothing to announce


def test_lessons_check_names_both_lessons_that_share_an_order(tmp_path: Path) -> None:
    folder = course(tmp_path, "windows-a", "windows-b")
    run = rnnlab("lessons", "check", cwd=folder)
    assert run.returncode == 1
    a, b = (folder / "lessons" / name / "lesson.md" for name in ("windows-a", "windows-b"))
    assert f"{a} and {b} share an 'order' value" in run.stderr, run.stderr


@pytest.mark.sandbox
def test_checking_one_lesson_still_catches_an_order_shared_with_another(tmp_path: Path) -> None:
    folder = course(tmp_path, "windows-a", "windows-b")
    run = rnnlab("lessons", "check", "windows-a", cwd=folder)
    assert run.returncode == 1
    a, b = (folder / "lessons" / name / "lesson.md" for name in ("windows-a", "windows-b"))
    assert f"{a} and {b} share an 'order' value" in run.stderr, run.stderr
    assert "1 lesson(s) checked, 1 problem(s)" in run.stdout  # the lesson itself is fine: solution and starter


@pytest.mark.sandbox
def test_grade_by_slug_in_a_course_folder_uses_its_lessons(tmp_path: Path) -> None:
    folder = course(tmp_path, "my-windows")  # a slug the installed checkout does not have
    run = rnnlab("grade", "my-windows", str(folder / "lessons" / "my-windows" / "solution.py"), cwd=folder)
    assert run.returncode == 0, run.stderr
    assert f"rnnlab: lessons from {folder / 'lessons'}" in run.stderr
