"""Syntax errors are found in the trusted parent by parsing only: the same verdict and line as Python's compile() (what
the sandbox would say), no worker taken, and input too deep for the parser is left to the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graders import Status, grade
from graders.grading import syntax_report
from graders.report import Failure
from graders.spec import load_grading

REPO = Path(__file__).resolve().parents[2]

BROKEN = {
    "def f(:\n    pass\n": 1,
    "x = 1\nif x\n    y = 2\n": 2,
    "x = (1,\n     2\n": 1,
    "for i in range(3):\nprint(i)\n": 2,
    "x = 1\n\x00\n": 2,
    "x = '\ud800'\n": 1,
    "x = " + "(" * 300 + "1" + ")" * 300 + "\n": 1,
    "return 5\n": 1,
    "def f():\n  x = 1\n    y = 2\n": 3,
    "class A:\npass\n": 2,
}
FINE = ["x = 1\n", "import keras\n", "def f(x):\n    return x\n", "x = " + "not " * 20000 + "1\n", ""]


@pytest.mark.parametrize("code,line", list(BROKEN.items()), ids=[f"broken{n}" for n in range(len(BROKEN))])
def test_a_syntax_error_is_reported_at_its_line_like_compile_would(code: str, line: int) -> None:
    report = syntax_report(code)
    assert report is not None and report.status is Status.not_gradable and report.failure is Failure.syntax_error
    assert report.checks[0].line == line and report.summary.startswith(f"Syntax error on line {line}:")
    if "\x00" not in code and "\ud800" not in code:  # compile() itself agrees on the line
        with pytest.raises(SyntaxError) as raised:
            compile(code, "submission.py", "exec")
        assert raised.value.lineno == line


@pytest.mark.parametrize("code", FINE, ids=[f"fine{n}" for n in range(len(FINE))])
def test_code_that_parses_is_left_to_the_sandbox(code: str) -> None:
    assert syntax_report(code) is None


class NoPool:
    """A pool that fails the test if grading asks it for a worker."""

    closed = False

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a syntax error must not take a sandbox")


def test_grade_answers_a_typo_without_a_sandbox() -> None:
    grading = load_grading(REPO / "lessons" / "lstm-sequence-prediction")
    report = grade(grading, "def build_model(:\n    pass\n", NoPool(), prepared=object())  # type: ignore[arg-type]
    assert report.status is Status.not_gradable and report.failure is Failure.syntax_error
    assert report.checks[0].line == 1 and "syntax_check" in report.timings
