"""Red team of the traced integrity probes (worker.LayerProbes, commit b460d27): phase B's mark_influence now traces
the model once with every probed layer's `call` wrapped (record its output; where a switch in a tf.Variable says so,
return tf.where(on, mean over the rows, output)) and makes 1 + n compiled calls. Each case is a model a learner could
save (built-in layers, initializers, per-layer dtype policies), measured by tests/graders/redteam_probes_reference.py
in a fresh interpreter (this process never imports TensorFlow), against the eager passes b460d27 replaced.

Holes found (each fixed in graders/worker.py LayerProbes; the tests below held them):
- the mean over the rows is tf.reduce_mean in the layer's own dtype. Under a float16 policy (mixed_float16, saved
  per layer in the archive) the sum of 64 rows near 2000 passes float16's 65504: the "mean" is inf, the ablated
  prediction is not finite (0 * inf is NaN), `matters` is None, which counts as "not shown unused". A Dropout on a
  branch multiplied by 0 (the docstring's own example of no credit) then earns dropout credit (new True, eager
  baseline False: keras.ops.mean computes float16 in float32); a frozen relu SimpleRNN scaled by 1e-6 beside a
  GRU earns "uses a recurrent layer" (new True, baseline False: its weight noise overflows too and moves the
  prediction). Suggested fix: take the mean in float32 (tf.reduce_mean(tf.cast(o, tf.float32), ...) cast back to
  o.dtype, or keras.ops.mean as before), and/or treat an ablated prediction that is not finite as "matters" only
  when the unablated one is finite AND the mean is finite (a non-finite mean is the probe's failure, not the
  learner's evidence);
- every run (1 + n of them) returns and converts to float64 every probed layer's recorded output, and the unablated
  run's copies are kept for the whole of mark_influence: a return_sequences GRU(16) over 400 steps and 16 Dropouts
  (17 probed layers, 3.3 MB of float64 each for 64 rows) convert 1.0 GB over 18 runs and hold 111 MB at once
  (34 times the largest layer's output; the eager passes held one layer's at a time). Linear in steps and units:
  GRU(64) over 1200 steps gives 39 MB a layer, ~1.3 GB held and ~12 GB converted, enough to reach the sandbox's
  memory limit and be reported as the learner's crash. Suggested fix: return the recorded outputs only from the
  unablated call (a second concrete function, or the ablated function returning the prediction alone), and
  reduce them in the graph to what `varies` needs (per-layer ptp and max-abs: a few numbers, not the tensors).

What held (each a test below; the held cases' targets are 0.05 from the untrained model's own predictions, so a live
layer's ablation shows): the model is traced (no eager fallback) for masked, nested, Bidirectional,
return_state, shared and float16 models; the verdicts equal the eager baseline's for an honest float16 GRU, a GRU
multiplied by 0, a GRU object called twice (once live, once multiplied by 0: credited, as before), a Bidirectional GRU in a
nested model with a return_state GRU used only through its state and live/dead Dropouts (live ones credited, the
dead one not), a Masking + return_sequences GRU chain with an L2 head (the mask
survives the tf.where output: the ablated and unablated verdicts match the eager ones); the switch Variable is all
zeros after a run; no layer is left with a patched `call`; predictions are bit for bit the same after mark_influence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.graders.reference_runs import measured_rows

SCRIPT = Path(__file__).parent / "redteam_probes_reference.py"
pytestmark = pytest.mark.slow

FLOAT16_HOLES = ["float16_dropout_dead_branch", "float16_relu_rnn_scaled"]
HELD = ["float16_honest_gru", "zero_times_gru", "shared_gru_one_call_dead", "nested_bidirectional_return_state",
        "masked_return_sequences"]
CASES = ["one_unprobeable_claim", *FLOAT16_HOLES, *HELD, "recorded_memory"]


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, Any]]:
    return measured_rows(SCRIPT)


def test_every_case_was_measured(measured: dict[str, dict[str, Any]]) -> None:
    assert all(name in measured and "error" not in measured[name] for name in CASES), \
        {name: measured.get(name, {}).get("error", "missing") for name in CASES}


@pytest.mark.parametrize("name", [*FLOAT16_HOLES, *HELD])
def test_probes_leave_nothing_behind(measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert row["traced"], "the model fell back to eager passes"
    assert row["switches_after"] == 0.0 and row["left_patched"] == [] and row["same_after"], row


@pytest.mark.parametrize("name", HELD)
def test_verdicts_equal_the_eager_baseline(measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert row["verdicts"] == row["old"], row


def test_dead_and_scaled_layers_are_not_credited_where_held(measured: dict[str, dict[str, Any]]) -> None:
    assert measured["zero_times_gru"]["verdicts"]["dead_gru"] is False
    assert measured["shared_gru_one_call_dead"]["verdicts"]["shared_gru"] is True  # its live call counts
    assert measured["nested_bidirectional_return_state"]["verdicts"] == {
        "bi": True, "state_gru": True, "live_dropout": True, "dead_dropout": False}
    assert measured["float16_honest_gru"]["verdicts"]["real_gru"] is True
    assert measured["masked_return_sequences"]["verdicts"] == {"first_gru": True, "second_gru": True, "l2_head": True}


def test_a_layer_the_probes_cannot_read_leaves_the_other_probes_standing(measured: dict[str, dict[str, Any]]) -> None:
    """One claimed layer whose output the wrapper cannot read (review of b460d27): it alone goes unmeasured (None,
    so no dropout credit); the GRU whispering at 1e-3 is still caught by the ablation probe."""
    row = measured["one_unprobeable_claim"]
    assert row["verdicts"]["whisper_gru"] is False and row["old"]["whisper_gru"] is False, row
    assert row["verdicts"]["unreadable"] is None, row


def test_float16_dead_dropout_earns_no_credit(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["float16_dropout_dead_branch"]
    assert row["old"]["dead_dropout"] is False  # the eager baseline (keras.ops.mean, float32 inside) said so
    assert row["verdicts"]["dead_dropout"] is False, row


def test_float16_scaled_rnn_earns_no_credit(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["float16_relu_rnn_scaled"]
    assert row["old"]["scaled_rnn"] is False
    assert row["verdicts"]["scaled_rnn"] is False, row


def test_probes_hold_about_one_layers_outputs(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["recorded_memory"]
    assert row["runs"] == 18  # 1 unablated + 17 ablated (a GRU and 16 claimed Dropouts)
    assert row["peak_bytes"] <= 4 * row["largest_layer_bytes"], row
