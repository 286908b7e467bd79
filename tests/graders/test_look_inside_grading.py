"""Look-inside feedback on a real grading of vanishing-gradients: the learner sees their own vanishing gradient.

The starter's SimpleRNN and the same model with an LSTM are graded through the sandboxed pool. Each report holds
the gradient norm of the loss for every one of the 60 input steps and a heatmap of the first recurrent layer's
state, and the SimpleRNN's gradient falls toward step 1 by orders of magnitude more than the LSTM's (measured on
the course's data: first/last tenth about 1e-5 for the SimpleRNN, see the test's printout for the LSTM's).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from graders import GradeReport, WorkerPool, grade, load_grading

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "lessons" / "vanishing-gradients"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
STEPS = 60  # the lesson's sequences: (60, 2)


def graded(code: str, pool: WorkerPool) -> GradeReport:
    report = grade(load_grading(LESSON), code, pool, seed=0)
    assert report.status.value in ("passed", "failed"), f"{report.summary}\n{report.log[-2000:]}"
    look = report.plots.get("look_inside", {})
    print(f"\n{report.status.value} {report.score}: look-inside {report.timings.get('look_inside')} s of phase B "
          f"{report.timings.get('evaluate')} s; first/last tenth {look.get('gradient', {}).get('early_over_late')}; "
          f"{look.get('gradient', {}).get('summary')}")
    return report


def test_simple_rnn_gradient_vanishes_toward_early_steps_more_than_lstm(pool: WorkerPool) -> None:
    starter = (LESSON / "starter.py").read_text()
    lstm = (LESSON / "solution.py").read_text().replace("keras.layers.GRU(32)", "keras.layers.LSTM(32)")
    assert "keras.layers.SimpleRNN(32)" in starter and "keras.layers.LSTM(32)" in lstm
    figures = {}
    for name, code in (("SimpleRNN", starter), ("LSTM", lstm)):
        report = graded(code, pool)
        look = report.plots["look_inside"]
        gradient = look["gradient"]
        assert gradient["steps"] == list(range(1, STEPS + 1))
        assert len(gradient["norms"]) == STEPS and all(math.isfinite(v) and v >= 0 for v in gradient["norms"])
        assert gradient["layer"] == name and gradient["guide"] and name in gradient["summary"]
        hidden = look["hidden"]
        assert hidden["units"] == 32 and len(hidden["states"]) == 32
        assert all(len(row) == STEPS and all(-1 <= v <= 1 for v in row) for row in hidden["states"])  # tanh states
        assert "samples" not in look  # not a text lesson
        assert 0 < report.timings["look_inside"] < report.timings["evaluate"]
        figures[name] = gradient
    simple, gated = figures["SimpleRNN"]["early_over_late"], figures["LSTM"]["early_over_late"]
    assert simple < 1e-3, simple  # the vanishing gradient, on the learner's own model
    assert simple * 100 < gated, (simple, gated)
    assert "GRU or LSTM" in figures["SimpleRNN"]["summary"]
