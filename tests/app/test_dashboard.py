"""The dashboard's pure part: counted grades per learner, sorting (values missing last), filters and pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from app.classlist import ClassLearner
from app.course_file import DEFAULT_COURSE
from app.dashboard import LearnerGrades, MatrixQuery, class_grades, gradebook_rows, select_page, summaries
from app.gradebook import Attempt, AttemptStatus

WHEN = datetime(2027, 1, 10, tzinfo=UTC)
LESSONS = ["a", "b"]


def rows() -> list[LearnerGrades]:
    learners = [ClassLearner(1, "cy@example.org"), ClassLearner(2, "al@example.org"), ClassLearner(3, None),
                ClassLearner(4, "bo@example.org")]
    attempts = {
        1: {"a": [Attempt(WHEN, AttemptStatus.passed, 1.0)]},
        2: {"a": [Attempt(WHEN, AttemptStatus.failed, 0.5)], "b": [Attempt(WHEN, AttemptStatus.passed, 1.0)]},
        3: {"a": [Attempt(WHEN, AttemptStatus.not_gradable, 0.0, failure="syntax_error")]},
        4: {"a": [Attempt(WHEN, AttemptStatus.failed, 0.5)]},
    }
    return class_grades(learners, attempts, DEFAULT_COURSE, LESSONS)


def names(**query: object) -> list[str]:
    return [r.learner.name for r in select_page(rows(), MatrixQuery.model_validate(query)).rows]


def test_sorting_keeps_rows_without_a_value_last_and_ties_in_name_order() -> None:
    assert names() == ["al@example.org", "Anonymous learner #3", "bo@example.org", "cy@example.org"]
    assert names(order="desc") == ["cy@example.org", "bo@example.org", "Anonymous learner #3", "al@example.org"]
    assert names(sort="a", order="desc") == ["cy@example.org", "al@example.org", "bo@example.org",
                                             "Anonymous learner #3"]
    assert names(sort="a") == ["al@example.org", "bo@example.org", "cy@example.org", "Anonymous learner #3"]
    assert names(sort="total", order="desc")[0] == "al@example.org"  # (0.5 + 1.0) / 2
    assert names(sort="no-such-column") == names()


def test_filters_and_pages() -> None:
    assert names(q="AL@") == ["al@example.org"]
    assert names(lesson="b", status="not_started") == ["Anonymous learner #3", "bo@example.org", "cy@example.org"]
    page = select_page(rows(), MatrixQuery(per_page=3, page=9))
    assert page.page == 2 and page.pages == 2 and len(page.rows) == 1 and page.matched == 4
    with pytest.raises(ValidationError):
        MatrixQuery(per_page=0)


def test_summaries_and_export_rows() -> None:
    summary = summaries(rows(), LESSONS)["a"]
    assert summary.started == 4 and summary.passed == 1 and summary.failures == (("syntax_error", 1),)
    exported = gradebook_rows(rows())
    assert exported[2].learner.name == "Anonymous learner #3" and exported[2].learner.email == ""
    assert exported[0].learner.sis_login_id == "cy@example.org"
