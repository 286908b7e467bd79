"""The lstm-step, gru-step and count-parameters lessons reproduce Keras itself, not just our reading of it.

Keras runs in a subprocess (tests/graders/keras_reference.py): this pytest process never imports TensorFlow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).parent / "keras_reference.py"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keras_report() -> dict[str, Any]:
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report: dict[str, Any] = json.loads(run.stdout)
    return report


@pytest.mark.parametrize(("cell", "cases"), [("lstm", 17), ("gru", 19)])
def test_the_step_solution_matches_the_keras_layer_on_every_hidden_case(keras_report: dict[str, Any], cell: str,
                                                                        cases: int) -> None:
    found = keras_report[cell]
    assert found["cases"] == cases  # every case of the lesson's cases.py was run through Keras
    assert found["max_abs_diff"] < 1e-5
    # Control: reading two gate blocks swapped is caught on every single case, so the comparison has teeth.
    assert found["swapped_min_diff"] > 1e-2


def test_count_params_matches_keras_on_every_case_and_random_stacks(keras_report: dict[str, Any]) -> None:
    counts = keras_report["counts"]
    assert len(counts) >= 20
    wrong = [c for c in counts if c["ours"] != c["keras"]]
    assert not wrong, wrong[:3]

    def kinds(layer: dict[str, Any]) -> set[str]:
        inner = kinds(layer["layer"]) if "layer" in layer else set()
        options = {f"{layer['type']}:{key}={value}" for key, value in layer.items() if key in ("reset_after", "merge_mode")}
        return {layer["type"], *options, *inner}

    covered = set().union(*(kinds(layer) for c in counts for layer in c["layers"]))
    # Every formula of the lesson was compared with Keras at least once.
    assert {"SimpleRNN", "LSTM", "GRU", "GRU:reset_after=False", "Dense", "Dropout", "Bidirectional",
            "Bidirectional:merge_mode=sum"} <= covered
