"""The instructor's dashboard as data: every learner's counted grades, one page of the matrix (sorted, filtered),
lesson summaries and the rows the CSV exports read. Pure functions over the class list; no SQL, no web."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.classlist import AttemptsByLesson, ClassLearner
from app.course_file import CourseFile
from app.gradebook import GradeStatus, LessonGrade, LessonSummary, grade_course, summarise_lesson
from app.gradebook_csv import GradebookRow, Learner

PER_PAGE_MAX = 200


class SortOrder(enum.StrEnum):
    asc = "asc"
    desc = "desc"


class MatrixQuery(BaseModel):
    """The matrix's query string: search, filter, sort and page (the same for the page and the JSON API)."""

    model_config = ConfigDict(extra="ignore")  # a link with extra parameters (utm_..., a typo) still opens the page

    q: str = Field("", max_length=200, description="Only learners whose name or email contains this (any case).")
    lesson: str = Field("", max_length=100, description="The lesson that `status` and `late` filter on.")
    status: GradeStatus | None = Field(None, description="Only learners with this status on `lesson`.")
    late: bool = Field(False, description="Only learners whose counted submission on `lesson` (any lesson if none "
                                          "is given) is late.")
    sort: str = Field("name", max_length=100, description="name, total, passed, last, or a lesson slug (its score).")
    order: SortOrder = Field(SortOrder.asc, description="asc or desc.")
    page: int = Field(1, ge=1, le=100_000, description="1-based page number.")
    per_page: int = Field(50, ge=1, le=PER_PAGE_MAX, description="Learners per page.")

    @field_validator("status", mode="before")
    @classmethod
    def _any_status(cls, value: object) -> object:
        """The filter form's "Any status" option sends status= (empty): no filter."""
        return None if value == "" else value


@dataclass(frozen=True)
class LearnerGrades:
    """One row of the matrix: a learner and their counted grade on every lesson."""

    learner: ClassLearner
    grades: Mapping[str, LessonGrade]

    @property
    def total(self) -> float:
        """Mean counted score over every lesson (a lesson with nothing counted is 0)."""
        return sum(g.score or 0.0 for g in self.grades.values()) / len(self.grades) if self.grades else 0.0

    @property
    def passed(self) -> int:
        return sum(1 for g in self.grades.values() if g.status is GradeStatus.passed)

    @property
    def last_submission(self) -> datetime | None:
        return max((g.last_submission for g in self.grades.values() if g.last_submission), default=None)

    @property
    def attempts(self) -> int:
        return sum(g.attempts for g in self.grades.values())


@dataclass(frozen=True)
class MatrixPage:
    rows: list[LearnerGrades]
    matched: int  # learners matching the filters, over every page
    learners: int  # learners in the class
    page: int
    pages: int
    query: MatrixQuery


def class_grades(learners: Iterable[ClassLearner], attempts: Mapping[int, AttemptsByLesson], course: CourseFile,
                 lessons: Sequence[str]) -> list[LearnerGrades]:
    """Every learner's grades under the course file's policy (deadlines, late penalty, best or last)."""
    return [LearnerGrades(who, grade_course(attempts.get(who.id, {}), course, lessons)) for who in learners]


def _matches(row: LearnerGrades, query: MatrixQuery) -> bool:
    needle = query.q.strip().lower()
    if needle and needle not in row.learner.name.lower():
        return False
    grade = row.grades.get(query.lesson) if query.lesson else None
    if query.status is not None and (grade is None or grade.status is not query.status):
        return False
    if query.late:
        graded = [grade] if query.lesson else list(row.grades.values())
        return any(g is not None and g.late for g in graded)
    return True


def _number(row: LearnerGrades, sort: str) -> float | None:
    """The numeric value a row sorts by (None: no value, e.g. no counted score); only for sorts other than name."""
    if sort == "total":
        return row.total
    if sort == "passed":
        return float(row.passed)
    if sort == "last":
        return row.last_submission.timestamp() if row.last_submission else None
    grade = row.grades.get(sort)
    return None if grade is None else grade.score


def select_page(rows: Sequence[LearnerGrades], query: MatrixQuery) -> MatrixPage:
    """The filtered, sorted page the query asks for. An unknown sort key sorts by name; rows without a value (no
    counted score, never submitted) come last whichever the order; ties keep name order, so pages are stable."""
    matched = sorted((row for row in rows if _matches(row, query)), key=lambda r: (r.learner.name.lower(), r.learner.id))
    descending = query.order is SortOrder.desc
    numeric = query.sort in ("total", "passed", "last") or bool(matched and query.sort in matched[0].grades)
    if not numeric:
        ordered = matched[::-1] if descending else matched
    else:
        values = {row.learner.id: _number(row, query.sort) for row in matched}
        present = [row for row in matched if values[row.learner.id] is not None]
        present.sort(key=lambda row: values[row.learner.id] or 0.0, reverse=descending)
        ordered = present + [row for row in matched if values[row.learner.id] is None]
    pages = max(1, math.ceil(len(ordered) / query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    return MatrixPage(rows=ordered[start:start + query.per_page], matched=len(ordered), learners=len(rows), page=page,
                      pages=pages, query=query)


def summaries(rows: Sequence[LearnerGrades], lessons: Sequence[str]) -> dict[str, LessonSummary]:
    """Per lesson: pass rate, median attempts, commonest failure classes and failed checks."""
    return {slug: summarise_lesson(slug, (row.grades[slug] for row in rows)) for slug in lessons}


def gradebook_rows(rows: Iterable[LearnerGrades]) -> list[GradebookRow]:
    """The exports' rows (the email is the name and the SIS login for accounts; anonymous learners have neither)."""
    return [GradebookRow(Learner(name=row.learner.name, email=row.learner.email or "",
                                 sis_login_id=row.learner.email or ""), row.grades) for row in rows]
