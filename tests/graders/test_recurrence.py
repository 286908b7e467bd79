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
    steps = recurrence.MAX_KEPT_BYTES // recurrence.kept_bytes(twin, 32, 1) + 1
    x = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(32, steps, FEATURES), strides=(0, 0, 0))  # no memory
    with pytest.raises(recurrence.Unsupported, match="too large"):
        recurrence.forward(twin, x)


@pytest.mark.parametrize(("kind", "options"), OPTIONS)
def test_float32_is_float64_rounded_and_keeps_its_dtype(kind: str, options: dict[str, Any]) -> None:
    """A layer's own float32 arithmetic: the outputs, states and gradients stay float32 (never silently float64,
    which would keep what Keras's float32 rounds away) and are within float32 rounding of exact arithmetic."""
    rng = np.random.default_rng(3 + len(options))
    twin = cell(kind, rng, **options)
    x = rng.normal(size=(ROWS, STEPS, FEATURES))
    upstream = rng.normal(size=(ROWS, STEPS, UNITS))
    exact, exact_finals, exact_run = recurrence.forward(twin, x)
    single, finals, run = recurrence.forward(twin, x, dtype="float32")
    assert single.dtype == np.float32 and all(f.dtype == np.float32 for f in finals)
    np.testing.assert_allclose(single, exact, atol=1e-5)
    d_single, d_start = recurrence.backward(run, upstream)
    d_exact, _ = recurrence.backward(exact_run, upstream)
    assert d_single.dtype == np.float32 and all(d.dtype == np.float32 for d in d_start)
    np.testing.assert_allclose(d_single, d_exact, rtol=1e-4, atol=1e-5)
    assert recurrence.rounding_gap(twin, x, None, None, single, finals) < 1e-6


def test_an_output_that_hangs_on_rounding_has_a_large_gap() -> None:
    """h_t = relu(0.05 x_t + 2**23 - h_{t-1}): float32 (spacing 1 at 2**23) erases the input, so every output is a
    constant; exact arithmetic keeps it. The gap says so, whatever the order of the sum."""
    weights = [np.full((1, 1), 0.05), np.full((1, 1), -1.0), np.full(1, 2.0**23)]
    twin = recurrence.cell_from_config("SimpleRNN", {"activation": "relu"}, weights)
    x = np.random.default_rng(0).normal(size=(8, 12, 1))
    single, finals, _ = recurrence.forward(twin, x, dtype="float32")
    exact, _, _ = recurrence.forward(twin, x)
    assert np.ptp(single[:, -1]) == 0.0 and np.ptp(exact[:, -1]) > 0.01  # the premise: a constant in float32 only
    assert recurrence.rounding_gap(twin, x, None, None, single, finals) > 1e-3


def test_bfloat16_and_other_dtypes_are_declined() -> None:
    twin = cell("GRU", np.random.default_rng(0))
    with pytest.raises(recurrence.Unsupported, match="dtype"):
        recurrence.forward(twin, np.zeros((2, 3, FEATURES)), dtype="float16")


def test_the_lstm_adds_its_bias_where_keras_does() -> None:
    """Keras's LSTM implementation 2 (the default) computes (x W + h U) + b, implementation 1 (x W + b) + h U."""
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(FEATURES, 4 * UNITS)), rng.normal(size=(UNITS, 4 * UNITS)), rng.normal(size=4 * UNITS)]
    assert recurrence.cell_from_config("LSTM", {}, weights).bias_last
    assert not recurrence.cell_from_config("LSTM", {"implementation": 1}, weights).bias_last
    assert not recurrence.cell_from_config("GRU", {}, [w[:, :3 * UNITS] if w.ndim == 2 else
                                                      np.stack([w[:3 * UNITS]] * 2) for w in weights]).bias_last


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kept_bytes_bounds_what_a_pass_keeps(kind: str, dtype: str) -> None:
    twin = cell(kind, np.random.default_rng(2), reset_after=False)
    x = np.random.default_rng(3).normal(size=(ROWS, STEPS, FEATURES))
    _, _, run = recurrence.forward(twin, x, np.ones((ROWS, STEPS), dtype=bool), dtype=dtype)
    kept = sum(a.nbytes for a in (run.x, run.mask, *run.states, *run.carries, *(c for cache in run.caches
                                                                                 for c in cache)))
    assert kept <= recurrence.kept_bytes(twin, ROWS, STEPS, dtype) < 2 * kept  # a bound, and not a loose one
    _, _, nothing = recurrence.forward(twin, x, dtype=dtype, keep=False)
    assert nothing.x is None and not nothing.states and not nothing.caches
    with pytest.raises(ValueError, match="kept nothing"):
        recurrence.backward(nothing, np.zeros((ROWS, STEPS, UNITS)))


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_masked_steps_before_the_first_real_one_output_zeros_whatever_the_initial_state(kind: str) -> None:
    """Keras's RNN starts a masked step's "previous output" at zeros, while the state starts at the initial state:
    padding in front of a sequence started from an encoder's state outputs zeros, and the state carries on."""
    rng = np.random.default_rng(5)
    twin = cell(kind, rng)
    x = rng.normal(size=(2, STEPS, FEATURES))
    mask = np.ones((2, STEPS), dtype=bool)
    mask[0, :2] = False  # two padded steps in front
    mask[1, :] = False  # all padding
    initial = [rng.normal(size=(2, UNITS)) for _ in range(recurrence.state_count(twin))]
    outputs, finals, _ = recurrence.forward(twin, x, mask, initial)
    assert np.all(outputs[0, :2] == 0.0) and np.all(outputs[1] == 0.0)
    assert np.all(outputs[0, 2:] != 0.0)
    start_from_padding, _, _ = recurrence.forward(twin, x[:1, 2:], None, [v[:1] for v in initial])
    np.testing.assert_allclose(outputs[0, 2:], start_from_padding[0])  # the padding changed nothing after it
    np.testing.assert_array_equal(finals[0][1], initial[0][1])  # the all-padding row ends where it started
