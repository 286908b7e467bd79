"""graders/recurrence.py on its own (NumPy only): its backward pass is the derivative of its forward pass.

test_recurrence_matches_keras.py shows the forward pass is Keras's; here central differences in float64 show
backward() is the gradient of forward(), for every kind and option, masks, reading backwards, a state passed in
and the final states returned included.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from graders import recurrence

UNITS, FEATURES, STEPS, ROWS = 3, 2, 5, 4


def cell(kind: str, rng: np.random.Generator, **options: Any) -> recurrence.Cell:
    width = recurrence.KINDS[kind] * UNITS
    weights = [rng.normal(scale=0.7, size=(FEATURES, width)), rng.normal(scale=0.7, size=(UNITS, width))]
    config = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True, "reset_after": True,
              **options}
    if config["use_bias"]:
        two_rows = kind == "GRU" and config["reset_after"]
        weights.append(rng.normal(scale=0.5, size=(2, width) if two_rows else (width,)))
    return recurrence.cell_from_config(kind, config, weights)


OPTIONS = [("SimpleRNN", {}), ("SimpleRNN", {"activation": "relu", "use_bias": False}), ("GRU", {}),
           ("GRU", {"reset_after": False}), ("GRU", {"go_backwards": True}), ("GRU", {"use_bias": False}),
           ("LSTM", {}), ("LSTM", {"recurrent_activation": "hard_sigmoid"}), ("LSTM", {"go_backwards": True}),
           ("LSTM", {"zero_output_for_mask": True}), ("SimpleRNN", {"activation": "linear"})]


@pytest.mark.parametrize(("kind", "options"), OPTIONS)
@pytest.mark.parametrize("masked", [False, True])
def test_backward_is_the_derivative_of_forward(kind: str, options: dict[str, Any], masked: bool) -> None:
    rng = np.random.default_rng(len(kind) + 7 * len(options) + masked)
    twin = cell(kind, rng, **options)
    x = rng.normal(size=(ROWS, STEPS, FEATURES))
    mask = None
    if masked:
        mask = np.ones((ROWS, STEPS), dtype=bool)
        mask[0, 3:] = False  # padded tail
        mask[1, :2] = False  # padded head
        mask[2, 2] = False  # a hole
    weights = rng.normal(size=(ROWS, STEPS, UNITS))  # loss = sum(weights * outputs): every output step matters

    def loss(inputs: np.ndarray) -> float:
        outputs, _, _ = recurrence.forward(twin, inputs, mask)
        return float((weights * outputs).sum())

    _, _, run = recurrence.forward(twin, x, mask)
    analytic, _ = recurrence.backward(run, weights)
    numeric = np.zeros_like(x)
    eps = 1e-6
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (loss(up) - loss(down)) / (2 * eps)
    assert np.abs(numeric).max() > 1e-3  # a gradient with something in it
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
    if masked:  # a masked step's input changes nothing
        assert np.all(analytic[~mask] == 0.0)


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
@pytest.mark.parametrize("masked", [False, True])
def test_the_initial_and_final_states_have_their_gradients(kind: str, masked: bool) -> None:
    """An encoder's final state starts a decoder: the gradient flows from the final states to the initial ones."""
    rng = np.random.default_rng(11 + masked)
    twin = cell(kind, rng, go_backwards=masked)
    x = rng.normal(size=(ROWS, STEPS, FEATURES))
    mask = None
    if masked:
        mask = np.ones((ROWS, STEPS), dtype=bool)
        mask[0, 2:] = False
        mask[3, :] = False  # a row that is all padding: its final state is the initial one
    count = recurrence.state_count(twin)
    initial = [rng.normal(size=(ROWS, UNITS)) for _ in range(count)]
    w_out = rng.normal(size=(ROWS, STEPS, UNITS))
    w_final = [rng.normal(size=(ROWS, UNITS)) for _ in range(count)]

    def loss(inputs: np.ndarray, start: list[np.ndarray]) -> float:
        outputs, finals, _ = recurrence.forward(twin, inputs, mask, start)
        return float((w_out * outputs).sum() + sum((w * f).sum() for w, f in zip(w_final, finals, strict=True)))

    _, finals, run = recurrence.forward(twin, x, mask, initial)
    assert len(finals) == count
    d_x, d_initial = recurrence.backward(run, w_out, w_final)
    eps = 1e-6
    for k in range(count):
        numeric = np.zeros((ROWS, UNITS))
        for index in np.ndindex(ROWS, UNITS):
            up = [v.copy() for v in initial]
            down = [v.copy() for v in initial]
            up[k][index] += eps
            down[k][index] -= eps
            numeric[index] = (loss(x, up) - loss(x, down)) / (2 * eps)
        np.testing.assert_allclose(d_initial[k], numeric, rtol=1e-5, atol=1e-7)
    index = (1, 2, 0)
    up, down = x.copy(), x.copy()
    up[index] += eps
    down[index] -= eps
    assert d_x[index] == pytest.approx((loss(up, initial) - loss(down, initial)) / (2 * eps), rel=1e-5, abs=1e-7)
    if masked:  # the all-padding row ends where it started
        for start, final in zip(initial, finals, strict=True):
            np.testing.assert_array_equal(final[3], start[3])


def test_a_masked_step_keeps_the_state_and_repeats_or_zeroes_the_output() -> None:
    rng = np.random.default_rng(3)
    mask = np.array([[True, True, False, True, True]] * ROWS)
    x = rng.normal(size=(ROWS, STEPS, FEATURES))
    for zero in (False, True):
        outputs, _, _ = recurrence.forward(cell("GRU", rng, zero_output_for_mask=zero), x, mask)
        expected = np.zeros((ROWS, UNITS)) if zero else outputs[:, 1]
        np.testing.assert_array_equal(outputs[:, 2], expected)


@pytest.mark.parametrize(("kind", "config", "why"), [
    ("ConvLSTM1D", {}, "ConvLSTM1D"),
    ("GRU", {"activation": "softsign"}, "activation"),
    ("SimpleRNN", {"stateful": True}, "stateful"),
])
def test_layers_it_cannot_reproduce_are_declined(kind: str, config: dict[str, Any], why: str) -> None:
    weights = [np.zeros((FEATURES, 4 * UNITS)), np.zeros((UNITS, 4 * UNITS)), np.zeros(4 * UNITS)]
    with pytest.raises(recurrence.Unsupported, match=why):
        recurrence.cell_from_config(kind, config, weights)


def test_weights_of_the_wrong_shape_are_declined() -> None:
    with pytest.raises(recurrence.Unsupported, match="shape"):
        recurrence.cell_from_config("GRU", {}, [np.zeros((FEATURES, 9)), np.zeros((3, 9)), np.zeros(9)])  # not (2, 9)
    with pytest.raises(recurrence.Unsupported, match="shape"):
        recurrence.cell_from_config("LSTM", {}, [np.zeros((FEATURES, 12)), np.zeros((3, 9)), np.zeros(12)])


def test_a_pass_too_large_to_keep_is_declined_before_it_allocates() -> None:
    twin = cell("LSTM", np.random.default_rng(0))
    steps = recurrence.MAX_KEPT_BYTES // (8 * 32 * (3 * 4 * UNITS + 10 * UNITS + FEATURES)) + 1
    x = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(32, steps, FEATURES), strides=(0, 0, 0))  # no memory
    with pytest.raises(recurrence.Unsupported, match="too large"):
        recurrence.forward(twin, x)
