"""function_cases "mistakes": a case may list known wrong answers, each with the hint that explains that mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import load_grading
from graders.answers import CallAnswer, CaseResult, CasesAnswer
from graders.heldout import HeldoutMode
from graders.spec import SpecError
from graders.tasks.function_cases import CaseSet, FunctionCases, score

LESSON = load_grading(Path(__file__).parent / "lessons" / "scale-function")
SWAPPED = "you swapped the two blocks: read the first block first."


def case(check: str, mistakes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"check": check, "title": check, "function": "standardise", "args": [np.zeros(2)],
                             "hint": "the general hint."}
    if mistakes is not None:
        found["mistakes"] = mistakes
    return found


def grade_answers(cases: list[dict[str, Any]], expected: list[Any], got: list[Any]) -> dict[str, str]:
    prepared = CaseSet(cases_code="", solution_code="", seed=0, heldout_mode=HeldoutMode.public,
                       cases=cases, expected=expected)
    report = score(LESSON, prepared, CallAnswer(results=[CaseResult(ok=True, value=v) for v in got]))
    return {c.id: c.message for c in report.checks}


RIGHT = np.array([1.0, 2.0, 3.0, 4.0])
WRONG = np.array([3.0, 4.0, 1.0, 2.0])


def test_an_answer_that_reproduces_a_known_mistake_gets_that_mistakes_hint() -> None:
    messages = grade_answers([case("order", [{"value": WRONG, "hint": SWAPPED}])], [RIGHT], [WRONG + 1e-9])
    assert SWAPPED in messages["order"] and "the general hint" not in messages["order"]
    assert "you returned 3" in messages["order"]  # the mismatch itself is still shown


def test_any_other_wrong_answer_gets_the_general_hint() -> None:
    messages = grade_answers([case("order", [{"value": WRONG, "hint": SWAPPED}])], [RIGHT], [WRONG * 2])
    assert "Hint: the general hint." in messages["order"] and SWAPPED not in messages["order"]


def test_a_right_answer_passes_even_when_it_equals_a_listed_mistake() -> None:
    messages = grade_answers([case("order", [{"value": RIGHT, "hint": SWAPPED}])], [RIGHT], [RIGHT])
    assert messages["order"].startswith("All 1 hidden case(s) match")


def test_the_case_with_a_recognised_mistake_is_the_one_reported() -> None:
    cases = [case("order"), case("order", [{"value": (WRONG, 0.0), "hint": SWAPPED}])]
    messages = grade_answers(cases, [RIGHT, (RIGHT, 0.0)], [WRONG * 2, (WRONG, 0.0)])
    assert messages["order"].startswith("2 of 2 hidden case(s) failed") and SWAPPED in messages["order"]


def test_an_uncomparable_learner_value_is_no_match() -> None:
    messages = grade_answers([case("order", [{"value": WRONG, "hint": SWAPPED}])], [RIGHT], [[1, [2, 3]]])
    assert "Hint: the general hint." in messages["order"]


def test_known_wrong_answers_never_reach_the_learners_process() -> None:
    prepared = CaseSet(cases_code="", solution_code="", seed=0, heldout_mode=HeldoutMode.public,
                       cases=[case("order", [{"value": WRONG, "hint": SWAPPED}])], expected=[RIGHT])
    job = FunctionCases().train_job(LESSON, prepared, "code")
    assert "mistakes" not in job["cases"][0] and job["cases"][0]["function"] == "standardise"
    assert "mistakes" in prepared.cases[0]  # the trusted side keeps them for scoring


@pytest.mark.parametrize("mistakes", [{"value": 1}, [{"value": 1}], [{"value": 1, "hint": 2}],
                                      [{"value": 1, "hint": "h", "extra": 0}]])
def test_malformed_mistakes_are_a_lesson_error(mistakes: Any) -> None:
    prepared = CaseSet(cases_code="", solution_code="", seed=0, heldout_mode=HeldoutMode.public)
    answer = CasesAnswer(cases=[case("order", mistakes)], expected=[CaseResult(ok=True, value=RIGHT)])
    with pytest.raises(SpecError, match="case 1"):
        FunctionCases().use_reference(prepared, answer)


def test_a_wrong_number_is_reported_without_an_index() -> None:
    messages = grade_answers([case("count")], [([352, 17], 369)], [([88, 17], 105)])
    assert "item 0: item 0: values differ: you returned 88, expected 352" in messages["count"]
    assert "index ()" not in messages["count"]
