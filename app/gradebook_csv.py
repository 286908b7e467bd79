"""Gradebook exports: a wide CSV for spreadsheets and one that Canvas's "Import" accepts, both formula-safe.

Every cell goes through `safe_cell`: a spreadsheet runs a cell that starts with = + - @ (or a tab or a line break) as a
formula, and learners choose their own names (OWASP "CSV Injection"). Pure functions: no SQL, no web."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo

from app.gradebook import LessonGrade

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "    Points Possible"  # Canvas's own export writes it so; its importer looks for "Points Possible"


def safe_cell(value: object) -> str:
    """Text a spreadsheet shows as text: a leading ' stops a formula (the quote is hidden by Excel and LibreOffice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Learner:
    """Who a gradebook row is about. The Canvas fields are empty unless the roster came from Canvas."""

    name: str
    email: str = ""
    section: str = ""
    canvas_id: str = ""  # Canvas's numeric user id: how its import finds the student first
    sis_user_id: str = ""
    sis_login_id: str = ""


@dataclass(frozen=True)
class GradebookRow:
    learner: Learner
    grades: Mapping[str, LessonGrade]  # lesson slug -> grade; a missing lesson is not started


@dataclass(frozen=True)
class LessonColumn:
    slug: str
    title: str
    canvas_assignment_id: str = ""  # when set, Canvas updates that assignment instead of creating a new one


def _number(value: float, places: int) -> str:
    return f"{value:.{places}f}".rstrip("0").rstrip(".") or "0"


def _rows_to_csv(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


WIDE_FIELDS = ("score", "status", "attempts", "last submission", "late", "days late", "too late")


def wide_csv(rows: Iterable[GradebookRow], lessons: Sequence[LessonColumn], zone: tzinfo = UTC) -> str:
    """learner, email, section, then per lesson: counted score (0..1), status, attempts, last submission, late flag..."""
    header: list[object] = ["learner", "email", "section"]
    header += [f"{lesson.slug} {field}" for lesson in lessons for field in WIDE_FIELDS]
    table: list[Sequence[object]] = [header]
    for row in rows:
        cells: list[object] = [row.learner.name, row.learner.email, row.learner.section]
        for lesson in lessons:
            grade = row.grades.get(lesson.slug)
            if grade is None:
                cells += ["", "not_started", 0, "", "no", 0, 0]
                continue
            last = grade.last_submission.astimezone(zone).isoformat(timespec="minutes") if grade.last_submission else ""
            cells += ["" if grade.score is None else _number(grade.score, 4), grade.status.value, grade.attempts, last,
                      "yes" if grade.late else "no", grade.days_late, grade.too_late]
        table.append(cells)
    return _rows_to_csv(table)


def canvas_csv(rows: Iterable[GradebookRow], lessons: Sequence[LessonColumn], points_possible: float = 100.0) -> str:
    """The layout of Canvas's Grades > Import: Student, ID, SIS User ID, SIS Login ID, Section, one column per
    assignment ("Title (id)" to update an existing one), a Points Possible row, then scores in points.

    A lesson with no counted score is left empty (Canvas shows no grade rather than a zero)."""
    if not points_possible > 0:
        raise ValueError(f"points_possible must be positive, got {points_possible!r}")
    header: list[object] = list(CANVAS_IDENTITY)
    header += [f"{c.title} ({c.canvas_assignment_id})" if c.canvas_assignment_id else c.title for c in lessons]
    table: list[Sequence[object]] = [header, [CANVAS_POINTS_ROW, "", "", "", ""] + [_number(points_possible, 2)] * len(lessons)]
    for row in rows:
        who = row.learner
        cells: list[object] = [who.name, who.canvas_id, who.sis_user_id, who.sis_login_id, who.section]
        for lesson in lessons:
            grade = row.grades.get(lesson.slug)
            score = None if grade is None else grade.score
            cells.append("" if score is None else _number(score * points_possible, 2))
        table.append(cells)
    return _rows_to_csv(table)
