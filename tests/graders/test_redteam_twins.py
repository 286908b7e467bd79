"""Red team, NumPy twins in phase B: the integrity verdicts and look-inside figures through the twins must be Keras's
own. Each case is a model a learner could save (built-in layers, initializers, dtype policies), measured by
tests/graders/redteam_twins_reference.py in a fresh interpreter (this process never imports TensorFlow) with the
worker's own functions, with the twins and without them.

Holes found (xfail, strict: flip them when the code is fixed):
- a frozen SimpleRNN built from initializers whose float32 arithmetic erases its input (h = relu(0.05 x + 2^23 - h))
  is a constant in Keras, a function of the input in the float64 twin; beside a network whose predictions are about
  100 with an error of 0.1, the twins' prediction agrees with Keras's within same_prediction's rtol=1e-3, and the
  layer earns "influential" through the twins, not through Keras (also with a bfloat16 dtype policy); and with a
  second frozen SimpleRNN that quantises the twin's output to exactly 0 or 1 (Keras: exactly 0) and a downstream
  bump that is 0 at both, the prediction through the twins equals Keras's to the last bit at any scale and error,
  and that second layer earns "influential" through the twins only;
- the same model's look-inside figures come from the twin (believed) and show states Keras never computes;
- when a twin declines, look-inside's Keras path runs a return_sequences copy that drops the initial_state passed in
  and zero_output_for_mask's zeros: its gradient norms are not the model's (nothing checks that path's prediction);
- recurrence.MAX_KEPT_BYTES bounds each layer's forward pass, not the pass: stacked layers under the tape keep one
  cap each (4 GRU(16) over 2280 steps: +541 MiB peak RSS; 8 would pass 1 GiB of phase B's 1536 MiB).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).parent / "redteam_twins_reference.py"
pytestmark = pytest.mark.slow

CANCELLING = ["cancelling_rnn", "cancelling_rnn_bfloat16", "cancelling_rnn_dropout_credit", "quantised_cancelling_rnn"]
# the twin is right and believed, but look-inside's Keras path (the fallback) computes another function
FALLBACK_WRONG = ["zero_output_for_mask_gru_last", "initial_state_from_dense", "masked_initial_state_gru"]
HELD = ["gru_mixed_float16", "lstm_float64", "masking_mid_sequence_gru", "embedding_prepadded_lstm",
        "embedding_prepadded_bidirectional_ave", "shared_gru_twice", "nested_model", "return_state_used",
        "masked_return_state_lstm_backwards", "unrolled_lstm", *FALLBACK_WRONG]


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, Any]]:
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=800)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    print("\n" + "\n".join(json.dumps(row) for row in rows))
    return {row["name"]: row for row in rows}


@pytest.mark.parametrize("name", CANCELLING)
def test_the_cancelling_layer_is_what_the_attack_says(measured: dict[str, dict[str, Any]], name: str) -> None:
    """The attack's premises (so the xfail below fails for the right reason): phase B's rebuilt and trained model,
    the twins believed on the probe, Keras's own verdict "not influential"."""
    row = measured[name]
    assert "error" not in row, row
    assert row["agree"] and row["look_twins"] >= 1, row
    assert row["keras"][-1] == ["SimpleRNN", False], row
    if name == "quantised_cancelling_rnn":  # no premise on the error: predictions and errors of order 1
        assert row["scale"] < 10 and row["rmse"] > 0.5, row
    else:  # an error small beside the predictions: the twins' deviation hides in same_prediction's rtol
        assert row["rmse"] < 0.2 and row["scale"] > 90, row


@pytest.mark.xfail(strict=True, reason="twins in float64 keep what Keras's float32/bfloat16 arithmetic rounds away; "
                   "same_prediction's rtol=1e-3 is looser than ABLATION_SHARE of a small error")
@pytest.mark.parametrize("name", CANCELLING)
def test_a_layer_keras_computes_as_a_constant_earns_no_credit_through_the_twins(
        measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert row["twins"] == row["keras"], row


@pytest.mark.xfail(strict=True, reason="the twin's states and gradients are believed although Keras computes others")
@pytest.mark.parametrize("name", ["cancelling_rnn", "cancelling_rnn_bfloat16"])
def test_look_inside_of_a_cancelling_layer_is_keras_own(measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert row["states_abs"] < 1e-3 and row["norms_rel_plain"] < 1e-3, row


@pytest.mark.xfail(strict=True, reason="gradients_and_states' Keras path: sequence_copy drops initial_state and "
                   "zero_output_for_mask, so the fallback's figures are another function's")
@pytest.mark.parametrize("name", FALLBACK_WRONG)
def test_look_inside_fallback_is_the_model_own_gradient(measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert row["fallback_norms_rel_plain"] < 1e-4, row


@pytest.mark.parametrize("name", HELD)
def test_the_twins_give_keras_own_verdicts_and_figures(measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert "error" not in row, row
    assert row["agree"] and row["look_twins"] >= 1, row  # the twins ran (their speed is the point)
    assert row["same"], row  # every layer fact equal to Keras's own
    assert row["left_patched"] == [], row
    rounding = 2e-3 if "float16" in name else 1e-4  # a float16 layer: Keras rounds more than the twin
    truth = row.get("norms_rel_plain", row["norms_rel"])  # token ids in: the fallback is the only reference
    assert truth < rounding, row
    if name not in FALLBACK_WRONG:  # the fallback's states are not the model's there (xfail above)
        assert row["states_abs"] < rounding, row


def test_a_bfloat16_layer_is_run_by_keras(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["gru_bfloat16"]
    assert not row["agree"] and row["look_twins"] == 0 and row["same"], row
    assert row["fallback_norms_rel_plain"] == 0.0, row


def test_a_saturated_layer_gets_keras_own_verdicts_and_figures(measured: dict[str, dict[str, Any]]) -> None:
    """Weights of sd 30: float32 and float64 part ways over the steps (on some seeds the twins decline, on others
    their gradient norms are 3e-4 off Keras's); either way the verdicts are Keras's and the figures close."""
    row = measured["saturated_lstm"]
    assert row["same"] and row["twins"] == [["LSTM", True]], row
    assert row["norms_rel_plain"] < 1e-3 and row["left_patched"] == [], row


def test_the_kept_bytes_premise(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["kept_bytes"]
    assert row["twins"] == 4 and all(0 < kept < row["cap"] for kept in row["layers_kept"]), row


@pytest.mark.xfail(strict=True, reason="MAX_KEPT_BYTES is checked per layer: a pass keeps one cap per stacked layer")
def test_one_look_inside_pass_keeps_at_most_the_cap(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["kept_bytes"]
    assert row["total"] <= row["cap"], row


def test_robustness_no_patched_call_is_left_and_long_inputs_stay_fast(measured: dict[str, dict[str, Any]]) -> None:
    long = measured["upsampled_4800_steps"]
    assert long["verdicts"] == [["GRU", True]] and long["cpu"] < 30, long
    assert measured["nan_weights"]["verdicts"] == [], measured["nan_weights"]  # influence unknown, no crash
    for row in measured.values():
        assert row.get("left_patched", []) == [], row
