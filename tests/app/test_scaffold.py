"""`rnnlab lessons new` scaffolds lessons that load, and whose grader proves itself (solution passes, starter fails)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.catalog import LessonError, load_catalog
from app.scaffold import scaffold_lesson, task_names

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("task", task_names())
def test_every_task_template_scaffolds_a_valid_lesson(tmp_path: Path, task: str) -> None:
    folder = scaffold_lesson(tmp_path, f"my-{task.replace('_', '-')}", task, title="My lesson")
    catalog = load_catalog(tmp_path)
    lesson = catalog.get(folder.name)
    assert lesson is not None and lesson.meta.title == "My lesson" and lesson.grading.spec.task == task


def test_orders_follow_existing_lessons(tmp_path: Path) -> None:
    scaffold_lesson(tmp_path, "first", "function_cases")
    second = scaffold_lesson(tmp_path, "second", "function_cases")
    assert "order: 2" in (second / "lesson.md").read_text()


@pytest.mark.parametrize(("slug", "task", "message"), [("Bad Slug", "function_cases", "kebab-case"),
                                                       ("ok-slug", "nope", "unknown task")])
def test_bad_input_is_refused(tmp_path: Path, slug: str, task: str, message: str) -> None:
    with pytest.raises(LessonError, match=message):
        scaffold_lesson(tmp_path, slug, task)


@pytest.mark.sandbox
@pytest.mark.parametrize("task", ["function_cases", pytest.param("sequence_classification", marks=pytest.mark.slow),
                                  pytest.param("sequence_prediction", marks=pytest.mark.slow),
                                  pytest.param("next_token", marks=pytest.mark.slow),
                                  pytest.param("sequence_tagging", marks=pytest.mark.slow),
                                  pytest.param("sequence_to_sequence", marks=pytest.mark.slow)])
def test_scaffolded_lesson_passes_lessons_check(tmp_path: Path, task: str) -> None:
    """Every task type's scaffold proves itself: its solution passes the default bar (the strongest simple
    baseline), and its starter runs and is graded failed, showing what the lesson is about."""
    env = {**os.environ, "RNNLAB_LESSONS_DIR": str(tmp_path)}
    new = subprocess.run([sys.executable, "-m", "app.cli", "lessons", "new", "scaling", "--task", task],
                         capture_output=True, text=True, cwd=REPO, env=env)
    assert new.returncode == 0, new.stderr
    check = subprocess.run([sys.executable, "-m", "app.cli", "lessons", "check"], capture_output=True, text=True,
                           cwd=REPO, env=env, timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "scaling" in check.stdout and "1 lesson(s) checked, 0 problem(s)" in check.stdout
    row = next(line for line in check.stdout.splitlines() if line.startswith("scaling"))
    assert row.split()[1:5:2] == ["passed", "failed"], row  # solution passed, starter failed
