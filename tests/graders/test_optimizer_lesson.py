"""optimizers-by-hand graded for real: the solution passes with full marks, the starter runs and fails with the
lesson's messages, each typical mistake (the solution with a line changed) is named by the check it breaks, and the
hidden cases themselves are sound (every listed mistake differs from the reference; the orthogonal matrices keep
norms)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import GradeReport, LessonGrading, WorkerPool, grade, load_grading
from graders.protocol import MAX_JSON_BYTES
from graders.spec import FunctionCasesSpec
from graders.tasks.function_cases import compare
from graders.wire import pack

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "lessons" / "optimizers-by-hand"
MISTAKE_TABLES = ("RMSPROP_MISTAKES", "ADAM_MISTAKES", "EXPONENTIAL_MISTAKES", "COSINE_MISTAKES", "GLOROT_MISTAKES",
                  "ORTHOGONAL_MISTAKES")

_lesson: list[LessonGrading] = []


def lesson() -> LessonGrading:
    if not _lesson:
        _lesson.append(load_grading(FOLDER))
    return _lesson[0]


def spec() -> FunctionCasesSpec:
    found = lesson().spec
    assert isinstance(found, FunctionCasesSpec)
    return found


def run_module(name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": name}
    path = FOLDER / f"{name}.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def failing(report: GradeReport) -> dict[str, str]:
    return {c.id: c.message for c in report.checks if not c.passed and not c.skipped}


def test_every_check_has_cases_a_title_and_a_hint_and_every_mistake_teaches() -> None:
    cases = run_module("cases")["make_cases"](np.random.default_rng(spec().cases.seed))
    checks: dict[str, set[str]] = {}
    for case in cases:
        assert case["function"] in spec().cases.functions
        checks.setdefault(case["check"], set()).add(case["title"])
        assert len(case["hint"]) > 40
        for mistake in case.get("mistakes", []):
            assert set(mistake) == {"value", "hint"} and len(mistake["hint"]) > 40
    assert len(checks) == 18 and all(len(titles) == 1 for titles in checks.values())
    assert {case["function"] for case in cases} == set(spec().cases.functions)  # every function is graded
    assert len(cases) <= 50  # hidden cases stay small: graded in a second or two


@pytest.mark.parametrize("seed", [1, 2, 3, 2023])
def test_the_cases_fit_in_one_sandbox_message_with_room_to_spare(seed: int) -> None:
    """Phase 0 sends the cases, their typical mistakes (hints included) and the expected answers back in one message
    of at most MAX_JSON_BYTES of JSON (arrays travel as binary frames); over it, the lesson cannot be graded at all
    ("wrote to the grader's private channel"). Long hints on every case once crossed it."""
    cases = run_module("cases")["make_cases"](np.random.default_rng(seed))
    solution = run_module("solution")
    expected = [solution[case["function"]](*case["args"]) for case in cases]
    tree, _ = pack({"cases": cases, "expected": expected})
    size = len(json.dumps(tree, separators=(",", ":"), allow_nan=True).encode("utf-8"))
    assert size < 0.75 * MAX_JSON_BYTES, size


@pytest.mark.parametrize("seed", [1, 2, 3, 2023])
def test_no_typical_mistake_equals_the_reference_and_every_one_can_be_named(seed: int) -> None:
    """A listed mistake equal to the right answer (or to an earlier one) could never be shown, and a mistake listed
    in no case could never be named. Lesson code, NumPy only, run in-process (the grader runs the same in the
    sandbox)."""
    namespace = run_module("cases")
    cases = namespace["make_cases"](np.random.default_rng(seed))
    solution = run_module("solution")
    rtol, atol = spec().cases.rtol, spec().cases.atol
    named: set[str] = set()
    for case in cases:
        want = solution[case["function"]](*case["args"])
        mistakes = case.get("mistakes", [])
        for i, mistake in enumerate(mistakes):
            assert compare(mistake["value"], want, rtol, atol) is not None, (case["check"], mistake["hint"])
            for earlier in mistakes[:i]:
                assert compare(mistake["value"], earlier["value"], rtol, atol) is not None
            named.add(mistake["hint"])
    every = {hint for table in MISTAKE_TABLES for hint in namespace[table].values()}
    assert every <= named, sorted(every - named)


def test_the_orthogonal_reference_is_orthogonal_and_keeps_the_states_norm() -> None:
    """The lesson's claim, on every hidden orthogonal case: orthonormal columns (rows when wide), times gain, so
    repeating a square one keeps a state's norm exactly (times gain per step), unlike a Glorot-uniform matrix."""
    cases = run_module("cases")["make_cases"](np.random.default_rng(spec().cases.seed))
    solution = run_module("solution")
    rng = np.random.default_rng(0)
    for case in (c for c in cases if c["function"] == "orthogonal"):
        (rows, cols), _, gain = case["args"]
        w = solution["orthogonal"](*case["args"])
        assert w.shape == (rows, cols)
        gram = w.T @ w if rows >= cols else w @ w.T
        np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)
        if rows == cols:
            h = rng.normal(size=rows)
            norms = [np.linalg.norm(h @ np.linalg.matrix_power(w, k)) for k in (1, 10, 50)]
            np.testing.assert_allclose(norms, [np.linalg.norm(h) * gain**k for k in (1, 10, 50)], rtol=1e-9)
    # The control: a Glorot-uniform recurrent matrix of the same size does not keep the norm (the lesson's table).
    n = 32
    limit = solution["glorot_uniform_limit"](n, n)
    glorot = np.random.default_rng(0).uniform(-limit, limit, (n, n))
    h = np.random.default_rng(1).normal(size=n)
    ratio = np.linalg.norm(h @ np.linalg.matrix_power(glorot, 50)) / np.linalg.norm(h)
    assert not 0.5 < ratio < 2.0, ratio


@pytest.mark.sandbox
@pytest.mark.slow
def test_solution_passes_with_full_marks_and_grades_fast(pool: WorkerPool) -> None:
    grading = lesson()
    code = (FOLDER / "solution.py").read_text()
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        report = grade(grading, code, pool)
        seconds.append(time.perf_counter() - started)
        assert report.status.value == "passed" and report.score == 1.0, (report.summary, failing(report))
        assert report.metrics["cases"] == report.metrics["cases_passed"] >= 40
    print(f"optimizers-by-hand solution graded in {', '.join(f'{s:.2f}' for s in seconds)} s")
    assert min(seconds) < 10.0  # NumPy only: the cases are computed once, then a few milliseconds per grading


@pytest.mark.sandbox
@pytest.mark.slow
def test_starter_runs_and_fails_with_the_lessons_messages(pool: WorkerPool) -> None:
    report = grade(lesson(), (FOLDER / "starter.py").read_text(), pool)
    assert report.status.value == "failed" and 0 < report.score < 0.5, report.summary
    failed = failing(report)
    assert "This is a typical mistake: the bias correction is missing" in failed["adam_bias_correction"], failed
    assert "This is a typical mistake: staircase=True was ignored" in failed["exponential_staircase"], failed
    assert "Hint: new_velocity = rho * velocity" in failed["rmsprop_velocity"], failed  # plain gradient descent
    assert {"rmsprop_shapes", "adam_shapes", "exponential_smooth"}.isdisjoint(failed)  # what the starter has right


# The starter with the edits the second and third hints spell out: the starter's given parts must be right, and enough.
FIXES = [
    ("    return param - learning_rate * grad, velocity\n",
     "    new_velocity = rho * velocity + (1 - rho) * grad**2\n"
     "    return param - learning_rate * grad / np.sqrt(new_velocity + epsilon), new_velocity\n"),
    ("    alpha = learning_rate\n",
     "    t = step + 1\n    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)\n"),
    ("    p = step / decay_steps\n", "    p = np.floor(step / decay_steps) if staircase else step / decay_steps\n"),
    ("    return float(initial_learning_rate)\n",
     "    f = min(step, decay_steps) / decay_steps\n    cosine = 0.5 * (1 + np.cos(np.pi * f))\n"
     "    return float(initial_learning_rate * ((1 - alpha) * cosine + alpha))\n"),
    ("    return 0.05\n", "    return float(np.sqrt(6 / (fan_in + fan_out)))\n"),
    ("    q = normal\n", "    q, r = np.linalg.qr(normal)\n    q = q * np.sign(np.diag(r))\n"),
]


@pytest.mark.sandbox
@pytest.mark.slow
def test_starter_fixed_as_the_hints_say_passes(pool: WorkerPool) -> None:
    code = (FOLDER / "starter.py").read_text()
    for old, new in FIXES:
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    report = grade(lesson(), code, pool)
    assert report.status.value == "passed" and report.score == 1.0, (report.summary, failing(report))


# (lines of solution.py -> the mistake, the check it must fail, words of the message that names it)
MISTAKES = [
    ({"np.sqrt(new_velocity + epsilon)": "(np.sqrt(new_velocity) + epsilon)"}, "rmsprop_epsilon",
     "epsilon is outside the square root, as in Adam"),
    ({"rho * velocity + (1.0 - rho) * np.square(grad)": "(1.0 - rho) * velocity + rho * np.square(grad)"},
     "rmsprop_velocity", "rho and 1 - rho are swapped"),
    ({"alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)": "alpha = learning_rate"},
     "adam_bias_correction", "the bias correction is missing"),
    ({"t = step + 1": "t = step"}, "adam_bias_correction", "the bias correction uses t = step"),
    ({"alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)":
      "alpha = learning_rate / (1.0 - beta_1**t)"}, "adam_late_steps", "only m is bias-corrected"),
    ({"(np.sqrt(new_v) + epsilon)": "np.sqrt(new_v + epsilon)"}, "adam_epsilon", "epsilon is inside the square root"),
    ({"alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)\n"
      "    new_param = param - alpha * new_m / (np.sqrt(new_v) + epsilon)":
      "m_hat, v_hat = new_m / (1.0 - beta_1**t), new_v / (1.0 - beta_2**t)\n"
      "    new_param = param - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)"},
     "adam_epsilon", "this is Algorithm 1 of the Adam paper"),
    ({"new_m = beta_1 * m + (1.0 - beta_1) * grad": "new_m = (1.0 - beta_1) * m + beta_1 * grad",
      "new_v = beta_2 * v + (1.0 - beta_2) * np.square(grad)": "new_v = (1.0 - beta_2) * v + beta_2 * np.square(grad)"},
     "adam_moments", "beta and 1 - beta are swapped"),
    ({"    if staircase:\n        p = np.floor(p)\n": ""}, "exponential_staircase", "staircase=True was ignored"),
    ({"initial_learning_rate * decay_rate**p": "initial_learning_rate * decay_rate**step"}, "exponential_smooth",
     "multiplied by decay_rate at every step"),
    ({"min(step, decay_steps) / decay_steps": "step / decay_steps"}, "cosine_after", "Keras clips the step"),
    ({"((1.0 - alpha) * cosine + alpha)": "(cosine + alpha)"}, "cosine_alpha", "without scaling the cosine"),
    ({"6.0 / (fan_in + fan_out)": "6.0 / fan_in"}, "glorot", "this uses fan_in only"),
    ({"    q = q * np.sign(np.diag(r))": "    pass"}, "orthogonal", "unique only up to the signs"),
    ({"return gain * q": "return q"}, "orthogonal_gain", "gain was ignored"),
]


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize(("edits", "check", "words"), MISTAKES, ids=[f"{m[1]}-{i}" for i, m in enumerate(MISTAKES)])
def test_a_typical_mistake_fails_its_check_and_is_named(edits: dict[str, str], check: str, words: str,
                                                        pool: WorkerPool) -> None:
    code = (FOLDER / "solution.py").read_text()
    for old, new in edits.items():
        assert code.count(old) == 1, f"solution.py no longer contains {old!r} once: update this mistake"
        code = code.replace(old, new)
    report = grade(lesson(), code, pool)
    assert report.status.value == "failed", report.summary
    message = failing(report).get(check)
    assert message is not None, failing(report)
    assert "This is a typical mistake" in message and words in message, message


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_float32_implementation_passes(pool: WorkerPool) -> None:
    """The tolerances are tight enough to catch ε in the wrong place, not so tight that float32 arithmetic fails."""
    code = (FOLDER / "solution.py").read_text()
    for function, names in (("rmsprop_step", "param, grad, velocity"), ("adam_step", "param, grad, m, v")):
        marker = f'    """One update of keras.optimizers.{"RMSprop" if function == "rmsprop_step" else "Adam"}'
        start = code.index(marker)
        end = code.index('"""', code.index('"""', start) + 3) + 3
        cast = f"\n    {names} = (np.asarray(a, dtype=np.float32) for a in ({names}))"
        code = code[:end] + cast + code[end:]
    assert code.count("dtype=np.float32") == 2
    report = grade(lesson(), code, pool)
    assert report.status.value == "passed" and report.score == 1.0, (report.summary, failing(report))
