"""The course's path: course.toml's [[parts]] (lessons in order) and [concepts] (what each lesson practises), checked.

The schema parts live here so that course_file.py keeps the deadlines; both are validated in one pass there."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from app.concepts import BY_ID, Concept, suggest

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MORE_LESSONS = "More lessons"  # the heading of the lessons that no part lists
ALL_LESSONS = "Lessons"  # the one heading when the course file declares no parts


def _known_concept(value: str) -> str:
    if value not in BY_ID:
        close = suggest(value)
        hint = f"did you mean {close!r}?" if close else "the vocabulary is app/concepts.py, listed in docs/course.md"
        raise PydanticCustomError("concept", "{text} is not a seed concept ({hint})", {"text": repr(value), "hint": hint})
    return value


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise PydanticCustomError("slug", "{slug} is not a lesson slug (a lesson's folder name, e.g. gru-vs-lstm)",
                                  {"slug": repr(value)})
    return value


def _no_repeats(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise PydanticCustomError("repeated", "{text} is listed twice", {"text": repr(value)})
        seen.add(value)
    return values


ConceptId = Annotated[str, AfterValidator(_known_concept)]
Slug = Annotated[str, AfterValidator(_slug)]
ConceptList = Annotated[list[ConceptId], AfterValidator(_no_repeats)]


class Part(BaseModel):
    """One [[parts]] table: a heading on the course page and the lessons under it, in order."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    title: str = Field(min_length=1, max_length=80, description="The part's heading on the course page.")
    summary: str = Field("", max_length=400, description="One or two sentences under the heading.")
    lessons: Annotated[list[Slug], AfterValidator(_no_repeats)] = Field(
        min_length=1, description="Lesson slugs, in the order learners should take them.")

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "the title is blank")
        return value.strip()


@dataclass(frozen=True)
class Section:
    """A part as the course page shows it: its lessons that exist, in the part's order."""

    title: str
    summary: str
    slugs: tuple[str, ...]


def path_problems(parts: Sequence[Part], concepts: Mapping[str, Sequence[str]], explained: Mapping[str, Sequence[str]],
                  slugs: Iterable[str] | None, path: Path) -> list[str]:
    """What the schema cannot see: slugs without a folder, a lesson in two parts, two parts with one title, a concept
    a lesson both practises and only explains."""
    problems = []
    known = None if slugs is None else sorted(set(slugs))

    def missing(slug: str, where: str) -> None:
        if known is not None and slug not in known:
            close = difflib.get_close_matches(slug, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "lessons: " + ", ".join(known)
            problems.append(f"{path}: {where}: no lesson folder is called {slug!r} ({hint})")

    first_part: dict[str, int] = {}
    titles: dict[str, int] = {}
    for index, part in enumerate(parts):
        if part.title in titles or part.title == MORE_LESSONS:
            other = f"part {titles[part.title]}" if part.title in titles else "the lessons no part lists"
            problems.append(f"{path}: parts.{index}.title: {part.title!r} is already the heading of {other}")
        titles.setdefault(part.title, index)
        for slug in part.lessons:
            missing(slug, f"parts.{index}.lessons")
            if slug in first_part:
                where = first_part[slug]
                problems.append(f"{path}: parts.{index}.lessons: {slug!r} is already in part {where} "
                                f"({parts[where].title!r}); a lesson belongs to one part")
            else:
                first_part[slug] = index
    for table, mapping in (("concepts", concepts), ("explained", explained)):
        for slug in mapping:
            missing(slug, f"{table}.{slug}")
    for slug, ids in explained.items():
        both = [concept for concept in ids if concept in concepts.get(slug, ())]
        if both:
            problems.append(f"{path}: explained.{slug}: {', '.join(map(repr, both))} also in concepts.{slug}; list a "
                            "concept under [concepts] when a graded check practises it, under [explained] when not")
    return problems


def arrange(parts: Sequence[Part], slugs: Sequence[str]) -> list[Section]:
    """The course page's sections: each part with its lessons that exist, then the rest (in `slugs`' order) under
    "More lessons"; one "Lessons" section when there are no parts. Parts left empty are dropped."""
    known = set(slugs)
    sections = [Section(part.title, part.summary, tuple(s for s in part.lessons if s in known)) for part in parts]
    placed = {slug for section in sections for slug in section.slugs}
    rest = tuple(slug for slug in slugs if slug not in placed)
    if rest:
        sections.append(Section(MORE_LESSONS if parts else ALL_LESSONS, "", rest))
    return [section for section in sections if section.slugs]


def concepts_of(concepts: Mapping[str, Sequence[str]], slug: str) -> list[Concept]:
    """The seed concepts a lesson practises, in the course file's order."""
    return [BY_ID[concept] for concept in concepts.get(slug, ())]
