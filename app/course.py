"""The course as served: the validated catalog and each lesson's rendered page, reloaded when lesson files change."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.catalog import Catalog, Lesson, LessonError, load_catalog
from app.concepts import Concept
from app.course_file import COURSE_FILE, Counts, CourseFile, CourseFileError, load_course_file
from app.course_path import concepts_of
from app.gradebook import Attempt, LessonGrade, grade_course
from app.rendering import asset_url, render_inline, render_markdown
from app.store import LessonProgress
from graders import HeldoutStore

log = logging.getLogger(__name__)

RECHECK_S = 2.0  # how often lesson files are stat'ed for changes (an edit shows up on the next request after)
NOT_STARTED = LessonProgress(attempts=0, best_score=None, passed=False)


@dataclass(frozen=True)
class LessonLink:
    slug: str
    title: str


@dataclass(frozen=True)
class LessonPage:
    """Everything lesson.html shows about a lesson, rendered once per catalog load."""

    slug: str
    title: str
    summary: str
    minutes: int
    objectives_html: list[str]
    hints_html: list[str]
    body_html: str
    starter: str
    previous: LessonLink | None
    next: LessonLink | None
    compare: bool = False

    @classmethod
    def from_lesson(cls, lesson: Lesson, before: Lesson | None, after: Lesson | None) -> LessonPage:

        def resolve(name: str) -> str | None:
            return asset_url(lesson.slug, name) if lesson.asset_path(name) else None

        return cls(
            slug=lesson.slug, title=lesson.meta.title, summary=lesson.meta.summary, minutes=lesson.meta.minutes,
            objectives_html=[render_inline(o) for o in lesson.meta.objectives],
            hints_html=[render_inline(h) for h in lesson.meta.hints],
            body_html=render_markdown(lesson.body_markdown, resolve, str(lesson.folder / "lesson.md")),
            starter=lesson.starter,
            previous=LessonLink(before.slug, before.meta.title) if before else None,
            next=LessonLink(after.slug, after.meta.title) if after else None,
            compare=lesson.meta.compare,
        )


@dataclass(frozen=True)
class Deadline:
    """A lesson's due date as the course file says, and as pages show it (in the course's time zone)."""

    due: datetime  # aware

    @property
    def text(self) -> str:
        return self.due.strftime("%a %d %b %Y, %H:%M %Z")

    @property
    def iso(self) -> str:
        return self.due.isoformat()


@dataclass(frozen=True)
class CourseEntry:
    """One row of the course page: a lesson and what this learner has done on it."""

    number: int
    slug: str
    title: str
    summary: str
    minutes: int
    progress: LessonProgress
    deadline: Deadline | None = None
    grade: LessonGrade | None = None  # the counted grade under the course file's rules
    objectives_html: tuple[str, ...] = ()
    concepts: tuple[Concept, ...] = ()  # the seed concepts its graded checks practise (course.toml [concepts])


@dataclass(frozen=True)
class CourseSection:
    """One part of the course page: a heading, its summary and its lessons' rows."""

    title: str
    summary: str
    entries: list[CourseEntry]

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def passed(self) -> int:
        return sum(entry.progress.passed for entry in self.entries)

    @property
    def started(self) -> int:
        return sum(bool(entry.progress.attempts) for entry in self.entries)


def _fingerprint(lessons_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and mtimes of every file one level inside each lesson folder: cheap to take, changes on edit."""
    entries: list[tuple[str, int, int]] = []
    try:
        for folder in sorted(lessons_dir.iterdir()):
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    stat = path.stat()
                    entries.append((str(path), stat.st_size, stat.st_mtime_ns))
            elif folder.name == COURSE_FILE:
                stat = folder.stat()
                entries.append((str(folder), stat.st_size, stat.st_mtime_ns))
    except OSError:
        pass
    return tuple(entries)


class Course:
    """The current catalog, its rendered pages and the course file (lessons/course.toml). A lesson or course file
    edited while serving is reloaded; a broken edit is logged and the last good version keeps being served (at
    start-up a broken lesson or course file is fatal instead)."""

    def __init__(self, lessons_dir: Path, heldout: HeldoutStore | None = None) -> None:
        self.lessons_dir = lessons_dir
        self.heldout = heldout
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._print = _fingerprint(lessons_dir)
        self._catalog = load_catalog(lessons_dir, heldout=heldout)  # LessonError propagates: the app refuses to start
        # CourseFileError propagates too: deadlines that do not load must not be silently dropped
        self._course_file = load_course_file(lessons_dir, [lesson.slug for lesson in self._catalog])
        self._pages = self._render(self._catalog, self._course_file)

    @staticmethod
    def _path(catalog: Catalog, course_file: CourseFile) -> list[Lesson]:
        """Every lesson in the course page's order: part by part, then the lessons no part lists (by `order`)."""
        sections = course_file.sections([lesson.slug for lesson in catalog])
        return [lesson for section in sections for slug in section.slugs if (lesson := catalog.get(slug)) is not None]

    @classmethod
    def _render(cls, catalog: Catalog, course_file: CourseFile) -> dict[str, LessonPage]:
        """Each lesson's page; its previous and next links follow the course page's path."""
        path = cls._path(catalog, course_file)
        return {lesson.slug: LessonPage.from_lesson(lesson, path[n - 1] if n > 0 else None,
                                                    path[n + 1] if n + 1 < len(path) else None)
                for n, lesson in enumerate(path)}

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < RECHECK_S:
            return
        with self._lock:
            if now - self._checked < RECHECK_S:
                return
            self._checked = now
            current = _fingerprint(self.lessons_dir)
            if current == self._print:
                return
            self._print = current
            try:
                catalog = load_catalog(self.lessons_dir, heldout=self.heldout)
                course_file = load_course_file(self.lessons_dir, [lesson.slug for lesson in catalog])
                pages = self._render(catalog, course_file)
            except (LessonError, CourseFileError) as exc:
                log.error("lessons changed but do not load; still serving the previous version:\n%s", exc)
                return
            self._catalog, self._pages, self._course_file = catalog, pages, course_file
            log.info("lessons reloaded: %d lesson(s)", len(catalog))

    @property
    def catalog(self) -> Catalog:
        self._refresh()
        return self._catalog

    def lesson(self, slug: str) -> Lesson | None:
        return self.catalog.get(slug)

    def page(self, slug: str) -> LessonPage | None:
        self._refresh()
        return self._pages.get(slug)

    @property
    def course_file(self) -> CourseFile:
        self._refresh()
        return self._course_file

    @property
    def score_label(self) -> str:
        """What the learner's pages call the counted score: the course file's rule, in words."""
        return "Best score" if self.course_file.counts is Counts.best else "Last score"

    @property
    def slugs(self) -> list[str]:
        return [lesson.slug for lesson in self.catalog]

    def deadline(self, slug: str) -> Deadline | None:
        due = self.course_file.due(slug)
        return None if due is None else Deadline(due.astimezone(self.course_file.zone))

    def grades(self, attempts: Mapping[str, list[Attempt]]) -> dict[str, LessonGrade]:
        """One learner's counted grade on every lesson, under the course file's rules."""
        return grade_course(attempts, self.course_file, self.slugs)

    def sections(self, progress: dict[str, LessonProgress],
                 grades: Mapping[str, LessonGrade] | None = None) -> list[CourseSection]:
        """The course page: the lessons part by part, each with this learner's progress and counted grade."""
        catalog = self.catalog  # refreshes them all (at most every RECHECK_S)
        course_file, pages = self._course_file, self._pages
        sections, number = [], 0
        for section in course_file.sections([lesson.slug for lesson in catalog]):
            entries = []
            for slug in section.slugs:
                lesson, page = catalog.get(slug), pages.get(slug)
                if lesson is None or page is None:
                    continue
                number += 1
                entries.append(CourseEntry(
                    number=number, slug=slug, title=lesson.meta.title, summary=lesson.meta.summary,
                    minutes=lesson.meta.minutes, progress=progress.get(slug, NOT_STARTED), deadline=self.deadline(slug),
                    grade=(grades or {}).get(slug), objectives_html=tuple(page.objectives_html),
                    concepts=tuple(concepts_of(course_file.concepts, slug))))
            if entries:  # a part whose lessons are all gone has no heading
                sections.append(CourseSection(section.title, section.summary, entries))
        return sections
