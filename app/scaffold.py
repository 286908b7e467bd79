"""Scaffold: `rnnlab lessons new SLUG --task TASK` writes a complete, checkable lesson folder from a template."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from app.catalog import SLUG, LessonError

TEMPLATES = Path(__file__).parent / "scaffolds"
TEXT_SUFFIXES = {".md", ".py", ".toml"}


def task_names() -> list[str]:
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


def scaffold_lesson(lessons_dir: Path, slug: str, task: str, title: str | None = None) -> Path:
    """Copy the task's template, fill in slug/title/order, and generate its seeded data."""
    if not SLUG.match(slug):
        raise LessonError(f"{slug!r}: a slug is kebab-case: lowercase letters, digits and '-'")
    if task not in task_names():
        raise LessonError(f"unknown task {task!r}; choose one of {', '.join(task_names())}")
    folder = lessons_dir / slug
    if folder.exists():
        raise LessonError(f"{folder}: already exists")
    orders = [_order_of(p) for p in lessons_dir.glob("*/lesson.md")] if lessons_dir.is_dir() else []
    values = {"slug": slug, "title": title or slug.replace("-", " ").capitalize(),
              "order": str(max(orders, default=0) + 1)}
    shutil.copytree(TEMPLATES / task, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8")
            for key, value in values.items():
                text = text.replace("{{" + key + "}}", value)
            path.write_text(text, encoding="utf-8")
    maker = folder / "data" / "make_data.py"
    if maker.exists():
        subprocess.run([sys.executable, str(maker)], check=True, cwd=maker.parent)
    return folder


def _order_of(path: Path) -> int:
    for line in path.read_text(encoding="utf-8").splitlines()[1:20]:
        if line.startswith("order:"):
            try:
                return int(line.split(":", 1)[1])
            except ValueError:
                return 0
    return 0
