"""Lesson folders: validated at load time; every error names the file and the field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.catalog import LessonError, load_catalog

REPO_LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def copy_lesson(tmp_path: Path, slug: str = "lstm-sequence-prediction") -> Path:
    target = tmp_path / slug
    shutil.copytree(REPO_LESSONS / "lstm-sequence-prediction", target)
    return target


def test_repository_lessons_all_load_in_order() -> None:
    catalog = load_catalog(REPO_LESSONS)
    orders = [lesson.meta.order for lesson in catalog]
    assert orders == sorted(orders) and catalog.get("lstm-sequence-prediction") is not None


def test_front_matter_error_names_file_and_field(tmp_path: Path) -> None:
    lesson = copy_lesson(tmp_path)
    md = lesson / "lesson.md"
    md.write_text(re.sub(r"(?m)^minutes: \d+", "minutes: lots", md.read_text()))
    with pytest.raises(LessonError) as err:
        load_catalog(tmp_path)
    assert f"{md}: minutes:" in str(err.value)


def test_unknown_front_matter_field_is_refused(tmp_path: Path) -> None:
    lesson = copy_lesson(tmp_path)
    md = lesson / "lesson.md"
    md.write_text(re.sub(r"(?m)^order: (\d+)", r"order: \1\ndifficulty: hard", md.read_text()))
    with pytest.raises(LessonError, match="difficulty: Extra inputs are not permitted"):
        load_catalog(tmp_path)


def test_missing_file_and_bad_slug_are_named(tmp_path: Path) -> None:
    (copy_lesson(tmp_path) / "solution.py").unlink()
    copy_lesson(tmp_path, "Bad_Slug")
    with pytest.raises(LessonError) as err:
        load_catalog(tmp_path)
    assert "solution.py: missing" in str(err.value) and "Bad_Slug: folder name must be a kebab-case slug" in str(err.value)


def test_duplicate_order_is_refused(tmp_path: Path) -> None:
    copy_lesson(tmp_path)
    copy_lesson(tmp_path, "another-copy")
    with pytest.raises(LessonError, match="share an 'order'"):
        load_catalog(tmp_path)


def test_grading_error_surfaces_through_the_catalog(tmp_path: Path) -> None:
    lesson = copy_lesson(tmp_path)
    toml = lesson / "grading.toml"
    toml.write_text(toml.read_text().replace('metric = "rmse"', 'metric = "r2"'))
    with pytest.raises(LessonError, match="scoring.metric"):
        load_catalog(tmp_path)


def test_assets_are_images_only(tmp_path: Path) -> None:
    lesson_dir = copy_lesson(tmp_path)
    (lesson_dir / "cell.svg").write_text("<svg/>")
    lesson = load_catalog(tmp_path).get("lstm-sequence-prediction")
    assert lesson is not None
    assert lesson.asset_path("cell.svg") is not None
    for name in ("solution.py", "grading.toml", "../lesson.md", "data/series.csv", ".hidden.svg"):
        assert lesson.asset_path(name) is None
