"""The cell-level NumPy lessons (lstm-step, gru-step, temperature-sampling, count-parameters) graded for real: the
solution passes with full marks, the starter runs and fails with the lesson's message, and typical mistakes
(the solution with one line changed) are named by the check they break."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import GradeReport, LessonGrading, WorkerPool, grade, load_grading

REPO = Path(__file__).resolve().parents[2]
SLUGS = ("lstm-step", "gru-step", "temperature-sampling", "count-parameters")

# What each starter must show: a failed check and words of the message that names its mistake.
STARTERS = {
    "lstm-step": ("gate_order", "you read the blocks in the order i, f, o, c"),
    "gru-step": ("reset_after", "textbook GRU, Keras's reset_after=False"),
    "temperature-sampling": ("inverse_cdf", "greedy decoding"),
    "count-parameters": ("lstm", "you counted a gated layer like a SimpleRNN"),
}

# (slug, lines of solution.py -> the mistake, the check it must fail, words of the message that names it)
MISTAKES = [
    ("lstm-step", {"z_i, z_f, z_c, z_o = np.split": "z_i, z_c, z_f, z_o = np.split"}, "gate_order",
     "TensorFlow 1's LSTMCell"),
    ("lstm-step", {"h_new = o * np.tanh(c_new)": "h_new = o * c_new"}, "output", "your h_new is o ⊙ c_new"),
    ("lstm-step", {"c_new = f * c + i * g": "c_new = i * g"}, "forget_gate", "does not contain the old cell state"),
    ("lstm-step", {"np.split(z, 4, axis=-1)": "np.split(z, 4)"}, "batch", "splits along axis 0"),
    ("gru-step", {"x_z, x_r, x_h = np.split": "x_r, x_z, x_h = np.split",
                  "h_z, h_r, h_h = np.split": "h_r, h_z, h_h = np.split"}, "gate_order", "PyTorch's nn.GRU"),
    ("gru-step", {"return z * h + (1.0 - z) * candidate": "return (1.0 - z) * h + z * candidate"}, "update_mix",
     "the other way round"),
    ("gru-step", {"h @ recurrent_kernel + bias[1]": "h @ recurrent_kernel"}, "biases", "ignores bias[1]"),
    ("gru-step", {"r = sigmoid(x_r + h_r)": "r = np.tanh(x_r + h_r)"}, "activations", None),
    ("temperature-sampling", {"np.asarray(logits, dtype=\"float64\") / temperature":
                              "np.asarray(logits, dtype=\"float64\") * temperature"}, "temperature", "multiplied"),
    ("temperature-sampling", {"np.sum(e, axis=-1, keepdims=True)": "np.sum(e)"}, "rows", "over the whole array"),
    ("temperature-sampling", {"ids = np.sum(cdf <= u, axis=-1)": "ids = np.sum(cdf < u, axis=-1)"}, "sample_edges",
     "whose probability is 0"),
    ("temperature-sampling", {"z = z - np.max(z, axis=-1, keepdims=True)": "z = z"}, "stable", "Subtract the row's maximum"),
    ("count-parameters", {"extra_bias = 3 * units if": "extra_bias = 0 if"}, "gru", "reset_after=True"),
    ("count-parameters", {"params, features = layer_params(layer, features)":
                          "params, _ = layer_params(layer, features)"}, "stack", "previous layer's units"),
    ("count-parameters", {"(2 * width if": "(width if"}, "bidirectional", "width of a Bidirectional"),
]

_lessons: dict[str, LessonGrading] = {}


def lesson(slug: str) -> LessonGrading:
    if slug not in _lessons:
        _lessons[slug] = load_grading(REPO / "lessons" / slug)
    return _lessons[slug]


def failing(report: GradeReport) -> dict[str, str]:
    return {c.id: c.message for c in report.checks if not c.passed and not c.skipped}


def load_cases(slug: str) -> list[dict[str, Any]]:
    namespace: dict[str, Any] = {"__name__": "cases"}
    exec(compile((REPO / "lessons" / slug / "cases.py").read_text(), "cases.py", "exec"), namespace)
    cases: list[dict[str, Any]] = namespace["make_cases"](np.random.default_rng(lesson(slug).spec.cases.seed))
    return cases


@pytest.mark.parametrize("slug", SLUGS)
def test_every_check_has_cases_a_title_and_a_hint_and_every_mistake_teaches(slug: str) -> None:
    cases = load_cases(slug)
    checks: dict[str, set[str]] = {}
    for case in cases:
        checks.setdefault(case["check"], set()).add(case["title"])
        assert len(case["hint"]) > 40
        for mistake in case.get("mistakes", []):
            assert set(mistake) == {"value", "hint"} and len(mistake["hint"]) > 40
    assert len(checks) >= 6 and all(len(titles) == 1 for titles in checks.values())
    assert len(cases) <= 40  # hidden cases stay small: graded in a second or two


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_solution_passes_with_full_marks(slug: str, pool: WorkerPool) -> None:
    grading = lesson(slug)
    report = grade(grading, (grading.folder / "solution.py").read_text(), pool)
    assert report.status.value == "passed" and report.score == 1.0, report.summary
    assert report.metrics["cases"] == report.metrics["cases_passed"] >= 15


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_starter_runs_and_fails_with_the_lessons_message(slug: str, pool: WorkerPool) -> None:
    grading = lesson(slug)
    report = grade(grading, (grading.folder / "starter.py").read_text(), pool)
    check, words = STARTERS[slug]
    assert report.status.value == "failed" and 0 < report.score < 1, report.summary
    assert words in failing(report).get(check, ""), failing(report)


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize(("slug", "edits", "check", "words"), MISTAKES,
                         ids=[f"{m[0]}-{m[2]}-{i}" for i, m in enumerate(MISTAKES)])
def test_a_typical_mistake_fails_its_check_and_is_named(slug: str, edits: dict[str, str], check: str,
                                                        words: str | None, pool: WorkerPool) -> None:
    grading = lesson(slug)
    code = (grading.folder / "solution.py").read_text()
    for old, new in edits.items():
        assert old in code, f"solution.py no longer contains {old!r}: update this mistake"
        code = code.replace(old, new)
    report = grade(grading, code, pool)
    assert report.status.value == "failed", report.summary
    message = failing(report).get(check)
    assert message is not None, failing(report)
    if words is not None:
        assert words in message, message
    else:  # no recognised mistake: the check's own hint teaches
        assert "Hint:" in message, message
