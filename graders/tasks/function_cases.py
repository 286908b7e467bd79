"""Function checks against hidden cases: the learner's functions and the reference solution's, compared per check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graders.answers import CallAnswer, CasesAnswer, TypedAnswer
from graders.heldout import HeldoutMode, HeldoutStore
from graders.report import Check, GradeReport
from graders.spec import FunctionCasesSpec, LessonGrading, SpecError
from graders.tasks.base import Evaluated, Task
from graders.tasks.model_checks import TamperedResult
from graders.wire import Unsupported


@dataclass
class CaseSet:
    cases_code: str
    solution_code: str
    seed: int  # the instance's secret seed when there is a private store, else the lesson's own (public)
    heldout_mode: HeldoutMode
    cases: list[dict[str, Any]] = field(default_factory=list)
    expected: list[Any] = field(default_factory=list)


def _spec(grading: LessonGrading) -> FunctionCasesSpec:
    assert isinstance(grading.spec, FunctionCasesSpec)
    return grading.spec


class FunctionCases(Task[CaseSet]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> CaseSet:
        spec = _spec(grading)
        seed, mode = (store.seed_for(grading.slug), HeldoutMode.private) if store else (spec.cases.seed, HeldoutMode.public)
        return CaseSet(cases_code=grading.data_path(spec.cases.module).read_text(encoding="utf-8"),
                       solution_code=(grading.folder / "solution.py").read_text(encoding="utf-8"), seed=seed,
                       heldout_mode=mode)

    def reference_job(self, grading: LessonGrading, prepared: CaseSet) -> dict[str, Any] | None:
        """Phase 0 (sandboxed too): the lesson's own code makes the hidden cases and the reference answers, once per
        prepared lesson (they depend only on the lesson's code and the seed, so later gradings reuse them)."""
        if prepared.cases:
            return None
        return {"kind": "cases", "cases_code": prepared.cases_code, "solution_code": prepared.solution_code,
                "seed": prepared.seed, "functions": _spec(grading).cases.functions}

    def use_reference(self, prepared: CaseSet, answer: CasesAnswer) -> None:
        broken = [r.error for r in answer.expected if not r.ok]
        if broken:
            raise SpecError(f"solution.py fails its own cases: {broken[0]}")
        if len(answer.expected) != len(answer.cases):
            raise SpecError("cases.py and solution.py disagree on the number of cases")
        for number, case in enumerate(answer.cases, 1):
            problem = mistakes_problem(case.get("mistakes", []))
            if problem:
                raise SpecError(f"cases.py: case {number}: {problem}")
        prepared.cases = answer.cases
        prepared.expected = [r.value for r in answer.expected]

    def train_job(self, grading: LessonGrading, prepared: CaseSet, code: str, seed: int = 0) -> dict[str, Any]:
        # The learner's process needs only what to call; known wrong answers stay on the trusted side.
        cases = [{k: v for k, v in case.items() if k != "mistakes"} for case in prepared.cases]
        return {"kind": "call", "code": code, "functions": _spec(grading).cases.functions, "cases": cases}

    def score(self, grading: LessonGrading, prepared: CaseSet, trained: TypedAnswer,
              evaluated: Evaluated | None) -> GradeReport:
        assert isinstance(trained, CallAnswer)
        return score(grading, prepared, trained)


def describe_value(value: Any) -> str:
    if isinstance(value, Unsupported):
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def item_by_item(got: Any, want: Any) -> bool:
    """Compare item by item: a tuple always (its items may differ in shape), and a list when the answer is a list or
    tuple too, or when the list cannot be one array (arrays of different shapes, like a model's gradients). So a
    returned list counts as a tuple, and a list of numbers still compares with an array."""
    if isinstance(want, tuple):
        return True
    if not isinstance(want, list):
        return False
    if isinstance(got, (tuple, list)):
        return True
    try:
        np.asarray(want, dtype="float64")
    except (TypeError, ValueError):
        return True
    return False


def compare(got: Any, want: Any, rtol: float, atol: float) -> str | None:
    """None when equal enough, else what differs, in the learner's terms."""
    if item_by_item(got, want):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"returned {describe_value(got)}, expected a {type(want).__name__} of {len(want)} values"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            problem = compare(g, w, rtol, atol)
            if problem:
                return f"item {i}: {problem}"
        return None
    want_arr = np.asarray(want)
    try:
        got_arr = np.asarray(got, dtype="float64") if want_arr.dtype.kind in "fiu" else np.asarray(got)
    except (TypeError, ValueError):
        return f"returned {describe_value(got)}, expected {describe_value(want_arr)}"
    if got_arr.shape != want_arr.shape:
        return f"returned shape {got_arr.shape}, expected {want_arr.shape}"
    if want_arr.dtype.kind in "fiu":
        if not np.allclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=False):
            diff = np.abs(got_arr - want_arr)
            diff = np.where(np.isnan(diff), np.inf, diff)
            where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
            at = f"at index {tuple(int(i) for i in where)} " if diff.ndim else ""  # a number has no index
            return f"values differ: {at}you returned {got_arr[where]:.6g}, expected {want_arr[where]:.6g}"
        return None
    return None if np.array_equal(got_arr, want_arr) else "values differ"


def compare_shapes(got: Any, want: Any) -> str | None:
    if item_by_item(got, want):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"returned {describe_value(got)}, expected a {type(want).__name__} of {len(want)} values"
        problems = [compare_shapes(g, w) for g, w in zip(got, want, strict=True)]
        return next((f"item {i}: {p}" for i, p in enumerate(problems) if p), None)
    got_shape, want_shape = np.shape(got), np.shape(want)
    return None if got_shape == want_shape else f"returned shape {got_shape}, expected {want_shape}"


def judge_case(case: dict[str, Any], got: Any, want: Any, rtol: float, atol: float) -> str | None:
    """What is wrong with one learner answer, or None. Learner values are arbitrary: never raises."""
    name = str(case.get("function", "?"))
    try:
        if case.get("compare") == "shape":  # a shapes check must not fail for a values bug
            problem = compare_shapes(got, want)
        else:
            problem = compare(got, want, rtol, atol)
    except Exception:  # noqa: BLE001 - ragged lists, huge ints, odd objects: the learner's value, not our bug
        problem = f"returned {describe_value(got)}, which the grader cannot compare with the expected value"
    return f"{name}(): {problem}" if problem else None


def mistakes_problem(mistakes: Any) -> str | None:
    """What is malformed in a case's "mistakes" (instructor code: a lesson error), or None."""
    if not isinstance(mistakes, list):
        return '"mistakes" must be a list of {"value": ..., "hint": "..."}'
    for mistake in mistakes:
        if not isinstance(mistake, dict) or set(mistake) != {"value", "hint"} or not isinstance(mistake["hint"], str):
            return 'each of "mistakes" must be a dict with exactly a "value" and a "hint" (a string)'
    return None


def recognised_mistake(case: dict[str, Any], got: Any, rtol: float, atol: float) -> str | None:
    """The hint of the first typical mistake whose known wrong answer the learner's answer reproduces, or None."""
    for mistake in case.get("mistakes", []):
        try:
            if compare(got, mistake["value"], rtol, atol) is None:
                return str(mistake["hint"])
        except Exception:  # noqa: BLE001 - the learner's value is arbitrary; no match is the safe answer
            continue
    return None


def score(grading: LessonGrading, prepared: CaseSet, trained: CallAnswer) -> GradeReport:
    spec = _spec(grading)
    cases = prepared.cases
    if len(trained.results) != len(cases):
        raise TamperedResult("the function phase answered a different number of cases")
    rtol, atol = spec.cases.rtol, spec.cases.atol
    # Per case: what went wrong (None: right) and, when the answer is a known wrong one, that mistake's hint.
    groups: dict[str, list[tuple[dict[str, Any], str | None, str | None]]] = {}
    for case, got, want in zip(cases, trained.results, prepared.expected, strict=True):
        problem = got.error or "failed" if not got.ok else judge_case(case, got.value, want, rtol, atol)
        mistake = recognised_mistake(case, got.value, rtol, atol) if problem and got.ok else None
        groups.setdefault(str(case.get("check", "values")), []).append((case, problem, mistake))
    checks = []
    for check_id, results in groups.items():
        failures = [(case, problem, mistake) for case, problem, mistake in results if problem]
        title = results[0][0].get("title", check_id)
        if failures:
            # A recognised mistake teaches more than the check's general hint, so show such a case first.
            case, problem, mistake = next((f for f in failures if f[2]), failures[0])
            if mistake:
                hint = f" This is a typical mistake: {mistake}"
            else:
                hint = f" Hint: {case['hint']}" if case.get("hint") else ""
            message = f"{len(failures)} of {len(results)} hidden case(s) failed. {problem}{hint}"
        else:
            message = f"All {len(results)} hidden case(s) match the reference."
        checks.append(Check(id=check_id, title=title, passed=not failures, points=0 if failures else 1, message=message))
    return GradeReport.from_checks(checks, metrics={"cases": float(len(cases)),
                                                    "cases_passed": float(sum(1 for r in groups.values() for _, p, _ in r if not p))})
