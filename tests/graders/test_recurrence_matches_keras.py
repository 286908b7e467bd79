"""The NumPy twins of SimpleRNN/GRU/LSTM give Keras's own look-inside figures, a wrong twin is never believed, and
the integrity verdicts never run a twin.

Keras runs in a subprocess (tests/graders/recurrence_reference.py): this pytest process never imports TensorFlow.
The twins exist for speed (graders/recurrence.py); what makes them safe is the worker's check that the model's
prediction through them equals Keras's compiled prediction, so one case plants a wrong twin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.graders.reference_runs import measured_rows

SCRIPT = Path(__file__).parent / "recurrence_reference.py"
pytestmark = pytest.mark.slow

# recurrent layers each model runs as twins (a Bidirectional counts two); 0 = Keras's own path for every layer
TWINS = {"simple_rnn": 1, "simple_rnn_relu_no_bias": 1, "gru": 1, "gru_reset_before": 1, "gru_backwards": 1,
         "gru_no_bias_sequences": 1, "lstm": 1, "lstm_hard_sigmoid_relu": 1, "lstm_implementation_1": 1,
         "lstm_regression": 1, "bidirectional_gru_then_gru": 3, "bidirectional_lstm_sum": 2,
         "bidirectional_simple_mul": 3, "stacked_three_kinds": 3, "conv_then_lstm": 1, "embedding_mask_gru": 1,
         "embedding_mask_bidirectional_lstm": 3, "embedding_mask_lstm_backwards": 1,
         "masking_simple_rnn_sequences": 1, "return_state_lstm_then_gru": 2, "encoder_decoder_lstm_masked": 2,
         "encoder_decoder_gru": 2, "softsign_gru": 0}


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, Any]]:
    return measured_rows(SCRIPT)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_look_inside_through_the_twins_equals_keras_own_pass(measured: dict[str, dict[str, Any]], name: str) -> None:
    row = measured[name]
    assert row["twins"] == TWINS[name], row
    assert row["steps"] == 12 and row["min_norm"] > 0  # a real gradient at every step, so the ratio is meaningful
    assert row["norms_rel"] < 1e-4, row  # float64 NumPy against float32 Keras: rounding only
    assert row["states_abs"] < 1e-4, row


def test_a_twin_that_disagrees_with_keras_is_not_believed(measured: dict[str, dict[str, Any]]) -> None:
    row = measured["swapped_gates_twin"]
    assert row["twins"] == 0  # the check caught it: the figures came from Keras's own pass
    assert row["norms_rel"] < 1e-6 and row["states_abs"] == 0.0, row


# mark_influence's verdict per measured layer (recurrent layers, then the dropout and L2 layers measured for recipe
# credit, in model order)
INFLUENTIAL = {"working_gru": [True], "gru_beside_network": [True], "whispering_gru": [False],
               "gru_times_zero": [False], "frozen_zero_gru": [False], "bidirectional_then_lstm": [True, True],
               "dead_dropout_and_l2": [False, False, True]}


@pytest.mark.parametrize("name", sorted(INFLUENTIAL))
def test_the_integrity_checks_are_keras_own_and_never_run_a_twin(measured: dict[str, dict[str, Any]],
                                                                name: str) -> None:
    row = measured[name]
    assert row["twin_passes"] == 0, row  # a graded fact is Keras's arithmetic, never the twins' (graders/worker.py)
    assert row["influential"] == INFLUENTIAL[name], row
