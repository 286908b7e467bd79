"""Lesson and the catalog: lessons/<slug>/ folders -> validated models, markdown -> HTML. No web framework here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graders import HeldoutStore, prepare
from graders.spec import LessonGrading, SpecError, describe_validation_error, load_grading

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LESSON_FILES = ("lesson.md", "starter.py", "solution.py", "grading.toml")
ASSET_SUFFIXES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                  ".gif": "image/gif", ".webp": "image/webp"}


class LessonError(Exception):
    """A lesson folder is broken; the message names the file and the field. The app refuses to start."""


class LessonMeta(BaseModel):
    """The front matter of lesson.md: everything learners see about a lesson besides its body."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, description="Shown as the page heading and in the course list.")
    summary: str = Field(min_length=10, description="One or two sentences for the course list.")
    order: int = Field(ge=0, description="Position in the course; lessons are listed by it.")
    minutes: int = Field(ge=1, le=240, description="Estimated time to read and solve.")
    objectives: list[str] = Field(min_length=1, description="What the learner can do afterwards.")
    hints: list[str] = Field(default_factory=list, description="Revealed one at a time on the lesson page.")
    compare: bool = Field(False, description="Show the learner's submissions side by side under the exercise "
                          "(held-out metric, losses and their gap, epochs, parameters, model family, optimizer, "
                          "schedule, initializers, L2, dropout), with each column's best value marked.")


@dataclass(frozen=True)
class Lesson:
    slug: str
    folder: Path
    meta: LessonMeta
    body_markdown: str
    starter: str
    grading: LessonGrading
    prepared: Any  # the task's data, split and checked at load (with the held-out part from the instance's store)

    @property
    def solution_path(self) -> Path:
        return self.folder / "solution.py"

    def asset_path(self, name: str) -> Path | None:
        """A file the lesson's markdown may show (images only); None for anything else, e.g. solution.py."""
        if "/" in name or "\\" in name or name.startswith(".") or Path(name).suffix.lower() not in ASSET_SUFFIXES:
            return None
        path = self.folder / name
        return path if path.is_file() and not path.is_symlink() else None


def split_front_matter(text: str, path: Path) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        raise LessonError(f"{path}: must start with a '---' front-matter block (title, summary, order, ...)")
    parts = text.split("\n---", 2)
    if len(parts) < 2:
        raise LessonError(f"{path}: the front-matter block is not closed with '---'")
    head = parts[0][3:]
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    try:
        data = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise LessonError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LessonError(f"{path}: front matter must be a mapping of fields")
    return data, body


def load_lesson(folder: Path, heldout: HeldoutStore | None = None) -> Lesson:
    slug = folder.name
    if not SLUG.match(slug):
        raise LessonError(f"{folder}: folder name must be a kebab-case slug (a-z, 0-9, '-')")
    for name in LESSON_FILES:
        if not (folder / name).is_file():
            raise LessonError(f"{folder / name}: missing; a lesson needs {', '.join(LESSON_FILES)}")
    md_path = folder / "lesson.md"
    front, body = split_front_matter(md_path.read_text(encoding="utf-8"), md_path)
    try:
        meta = LessonMeta.model_validate(front)
    except ValidationError as exc:
        message = describe_validation_error(md_path, exc)
        if any(e["type"] == "string_type" and isinstance(e.get("input"), dict) for e in exc.errors()):
            message += '\n(an unquoted ": " inside a line makes YAML read a mapping: put the text in "quotes")'
        raise LessonError(message) from None
    try:
        grading = load_grading(folder)
        prepared = prepare(grading, heldout)  # broken data is a lesson error now, not a system error later
    except SpecError as exc:
        raise LessonError(str(exc)) from None
    starter = (folder / "starter.py").read_text(encoding="utf-8")
    return Lesson(slug=slug, folder=folder, meta=meta, body_markdown=body, starter=starter, grading=grading,
                  prepared=prepared)


class Catalog:
    """All lessons, in course order."""

    def __init__(self, lessons: list[Lesson]) -> None:
        self.lessons = sorted(lessons, key=lambda lesson: (lesson.meta.order, lesson.slug))
        self._by_slug = {lesson.slug: lesson for lesson in self.lessons}

    def get(self, slug: str) -> Lesson | None:
        return self._by_slug.get(slug)

    def neighbours(self, slug: str) -> tuple[Lesson | None, Lesson | None]:
        index = [lesson.slug for lesson in self.lessons].index(slug)
        before = self.lessons[index - 1] if index > 0 else None
        after = self.lessons[index + 1] if index + 1 < len(self.lessons) else None
        return before, after

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.lessons)

    def __len__(self) -> int:
        return len(self.lessons)


def load_catalog(lessons_dir: Path, only: list[str] | None = None, heldout: HeldoutStore | None = None) -> Catalog:
    """Every lesson folder, validated. Raises LessonError listing every broken lesson at once."""
    if not lessons_dir.is_dir():
        raise LessonError(f"{lessons_dir}: lessons folder not found")
    lessons, problems = [], []
    for folder in sorted(p for p in lessons_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if only and folder.name not in only:
            continue
        try:
            lessons.append(load_lesson(folder, heldout))
        except LessonError as exc:
            problems.append(str(exc))
    if only:
        unknown = sorted(set(only) - {lesson.slug for lesson in lessons} - {p.split("/")[-2] for p in problems})
        problems += [f"{lessons_dir / slug}: no such lesson" for slug in unknown]
    if problems:
        raise LessonError("\n".join(problems))
    shared = shared_orders({lesson.folder: lesson.meta.order for lesson in lessons})
    if shared:
        raise LessonError("\n".join(shared))
    return Catalog(lessons)


def shared_orders(orders: dict[Path, object]) -> list[str]:
    """One line per `order` value that more than one lesson has, naming every lesson that has it."""
    by_order: dict[object, list[Path]] = {}
    for folder, order in orders.items():
        by_order.setdefault(order, []).append(folder)
    return [f"{' and '.join(str(f / 'lesson.md') for f in sorted(folders))} share an 'order' value ({order}): each "
            "lesson needs its own (it sets the course's sequence)"
            for order, folders in sorted(by_order.items(), key=lambda item: str(item[0])) if len(folders) > 1]


def check_orders(lessons_dir: Path) -> list[str]:
    """Shared `order` values across every lesson folder, read from front matter alone (cheap: no data is loaded),
    so checking one lesson still catches a clash with a lesson that was not asked for."""
    orders: dict[Path, object] = {}
    for folder in sorted(p for p in lessons_dir.iterdir() if p.is_dir() and (p / "lesson.md").is_file()):
        if folder.name.startswith((".", "_")):
            continue
        try:
            front, _ = split_front_matter((folder / "lesson.md").read_text(encoding="utf-8"), folder / "lesson.md")
        except (LessonError, OSError, UnicodeDecodeError):
            continue  # loading that lesson reports it
        if isinstance(front.get("order"), int):
            orders[folder] = front["order"]
    return shared_orders(orders)
