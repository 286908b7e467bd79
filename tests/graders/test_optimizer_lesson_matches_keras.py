"""optimizers-by-hand reproduces Keras itself, not just our reading of its source: RMSprop, Adam, ExponentialDecay,
CosineDecay, GlorotUniform and Orthogonal, on every hidden case.

Keras runs in a subprocess (tests/graders/keras_optimizer_reference.py): this pytest process never imports TensorFlow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).parent / "keras_optimizer_reference.py"
pytestmark = pytest.mark.slow

CASES = {"rmsprop_step": 8, "adam_step": 11, "exponential_decay": 8, "cosine_decay": 8, "glorot_uniform_limit": 3,
         "orthogonal": 6}


@pytest.fixture(scope="module")
def keras_report() -> dict[str, Any]:
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report: dict[str, Any] = json.loads(run.stdout)
    return report


@pytest.mark.parametrize("function", sorted(CASES))
def test_the_solution_equals_keras_on_every_hidden_case(keras_report: dict[str, Any], function: str) -> None:
    found = keras_report["functions"][function]
    assert found["cases"] == CASES[function]  # every case of the lesson's cases.py went through Keras
    # As the cases are: Keras casts a few Python floats (Adam's betas, decay_rate, the Glorot limit) to float32 on
    # the way, so agreement is to float32's precision (a few 1e-8), well inside the grader's rtol of 1e-5.
    assert found["max_rel_diff"] < 2e-7
    # With the cases' numbers rounded to float32 first, those casts are exact: the formulas agree to float64 rounding.
    assert found["max_rel_diff_float32_numbers"] < 1e-13


def test_orthogonal_equals_keras_on_its_own_seeded_draws(keras_report: dict[str, Any]) -> None:
    assert keras_report["seeded_orthogonal_max_rel_diff"] < 1e-13  # Keras's Orthogonal(seed), nothing patched


def test_typical_mistakes_differ_from_keras(keras_report: dict[str, Any]) -> None:
    """Control: the comparison has teeth. Wherever a mistake changes the answer, it is far from Keras."""
    for name, count in keras_report["control_cases"].items():
        assert count >= 2, name
        assert keras_report["controls"][name] > 1e-4, name
