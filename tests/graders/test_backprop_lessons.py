"""The backprop lessons (bptt-by-hand, truncated-bptt, gradient-clipping) graded for real: the solution passes with
full marks, the starter runs and fails with its teaching message, and each typical mistake is named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import GradeReport, LessonGrading, WorkerPool, grade, load_grading
from graders.spec import FunctionCasesSpec
from graders.tasks.function_cases import compare

REPO = Path(__file__).resolve().parents[2]
SUBMISSIONS = Path(__file__).parent / "backprop_submissions"
SLUGS = ("bptt-by-hand", "truncated-bptt", "gradient-clipping")

# What each starter must show: a failed check and words from the message that names its mistake.
STARTERS = {
    "bptt-by-hand": ("one_step", "nothing flows through W_hh yet"),
    "truncated-bptt": ("carries_state", "started from h0"),
    "gradient-clipping": ("scales_together", "each array was clipped by its own norm"),
}

_lessons: dict[str, LessonGrading] = {}


def lesson(slug: str) -> LessonGrading:
    if slug not in _lessons:
        _lessons[slug] = load_grading(REPO / "lessons" / slug)
    return _lessons[slug]


def expectations(path: Path) -> dict[str, str]:
    """'expect: status=... check=... message=...' from the submission's docstring."""
    spec = path.read_text().split('"""')[1].split("expect:", 1)[1].strip()
    return {k: v.strip() for k, v in re.findall(r"(\w+)=((?:(?! \w+=).)+)", spec)}


def failing(report: GradeReport) -> dict[str, str]:
    return {c.id: c.message for c in report.checks if not c.passed and not c.skipped}


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_solution_passes_with_full_marks(slug: str, pool: WorkerPool) -> None:
    grading = lesson(slug)
    report = grade(grading, (grading.folder / "solution.py").read_text(), pool)
    assert report.status.value == "passed" and report.score == 1.0, report.summary
    assert report.metrics["cases"] == report.metrics["cases_passed"] >= 10


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_starter_runs_and_fails_with_the_lessons_message(slug: str, pool: WorkerPool) -> None:
    grading = lesson(slug)
    report = grade(grading, (grading.folder / "starter.py").read_text(), pool)
    check, words = STARTERS[slug]
    assert report.status.value == "failed" and 0 < report.score < 1, report.summary
    assert check in failing(report), report.checks
    assert words in failing(report)[check] and "This is a typical mistake" in failing(report)[check]


# The starter with the edits the last hint spells out: the starter's given parts must be right, and enough.
FIXES = {
    "bptt-by-hand": [("        dh = dH[t]\n", "        dh = dH[t] + dh_prev\n"),
                     ("        # TODO 1:", "        dW_hh += np.outer(h_prev, dz)\n        dh_prev = dz @ W_hh.T\n        # 1:")],
    "truncated-bptt": [("        start = h0\n", "        start = H[s - 1] if s > 0 else h0\n"),
                       ("    for s in range(0, len(x), k):\n",
                        "    H = rnn_forward(x, h0, W_xh, W_hh, b)\n    for s in range(0, len(x), k):\n")],
    "gradient-clipping": [("        own_norm = float(np.linalg.norm(g))\n        scale = clip_norm / max(own_norm, clip_norm)\n",
                           "        scale = clip_norm / max(global_norm, clip_norm)\n")],
}


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_starter_fixed_as_the_last_hint_says_passes(slug: str, pool: WorkerPool) -> None:
    grading = lesson(slug)
    code = (grading.folder / "starter.py").read_text()
    for old, new in FIXES[slug]:
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    report = grade(grading, code, pool)
    assert report.status.value == "passed" and report.score == 1.0, (report.summary, failing(report))


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SUBMISSIONS.glob("*/*.py")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_submission_gets_its_expected_report(path: Path, pool: WorkerPool) -> None:
    expect = expectations(path)
    report = grade(lesson(path.parent.name), path.read_text(), pool)
    context = f"{report.status.value} {report.summary} {failing(report)}"
    assert report.status.value == expect["status"], context
    if expect["status"] == "passed":
        assert report.score == 1.0, context
    if "check" in expect:
        assert expect["check"] in failing(report), context
    if "message" in expect:
        assert expect["message"] in failing(report)[expect["check"]], context


def run_module(path: Path) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": path.stem}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_typical_mistake_equals_the_reference(slug: str, seed: int) -> None:
    """A "mistake" equal to the right answer, or to an earlier mistake, is noise: cases.py must leave such ones out.

    Lesson code, NumPy only, run in-process (the grader runs the same in the sandbox)."""
    folder = REPO / "lessons" / slug
    cases = run_module(folder / "cases.py")["make_cases"](np.random.default_rng(seed))
    solution = run_module(folder / "solution.py")
    spec = lesson(slug).spec
    assert isinstance(spec, FunctionCasesSpec)
    tolerances = spec.cases
    named = 0
    for case in cases:
        want = solution[case["function"]](*case["args"])
        mistakes = case.get("mistakes", [])
        for i, mistake in enumerate(mistakes):
            problem = compare(mistake["value"], want, tolerances.rtol, tolerances.atol)
            assert problem is not None, (case["check"], mistake["hint"])
            for earlier in mistakes[:i]:  # two mistakes with one answer: only the first hint could ever show
                assert compare(mistake["value"], earlier["value"], tolerances.rtol, tolerances.atol) is not None
            named += 1
    assert named >= 10
