"""Test cases for lstm_step: random weights in Keras's own layout, and the answers of typical mistakes.

Each check's cases isolate one idea. Every value case also lists the answers that the classic wrong gate
orders give, so that a learner who reads the blocks in the wrong order is told exactly that.
NumPy only: this file runs inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Array = np.ndarray
KERAS_ORDER = "ifco"  # Keras's blocks: input gate, forget gate, cell candidate, output gate


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _hard_sigmoid(z: Array) -> Array:
    return np.clip(z / 6.0 + 0.5, 0.0, 1.0)  # Keras 3's hard_sigmoid


def _variant(
    x: Array, h: Array, c: Array, kernel: Array, recurrent: Array, bias: Array, *, order: str = KERAS_ORDER,
    gate: Callable[[Array], Array] = _sigmoid, keep_cell: bool = True, squash_cell: bool = True,
    use_h: bool = True,
) -> tuple[Array, Array]:
    """One LSTM step, right by default; each keyword reproduces one mistake."""
    z = x @ kernel + (h @ recurrent if use_h else 0.0) + bias
    blocks = dict(zip(order, np.split(z, 4, axis=-1), strict=True))  # which block the learner takes for which gate
    i, f, o, g = gate(blocks["i"]), gate(blocks["f"]), gate(blocks["o"]), np.tanh(blocks["c"])
    c_new = (f * c if keep_cell else 0.0) + i * g
    h_new = o * (np.tanh(c_new) if squash_cell else c_new)
    return h_new, c_new


ORDER_HINTS = {
    "ifoc": "you read the blocks in the order i, f, o, c (the order many papers write the equations in). Keras "
            "stores them as i, f, c, o: the third block of units columns is the cell candidate (tanh) and the "
            "fourth is the output gate.",
    "icfo": "you read the blocks in the order i, c, f, o (TensorFlow 1's LSTMCell used i, j, f, o). Keras "
            "stores i, f, c, o: the second block is the forget gate and the third the cell candidate.",
    "fico": "you read the forget gate from the first block and the input gate from the second. Keras's order "
            "is i, f, c, o: input gate first, then forget gate.",
}


def _weights(rng: np.random.Generator, features: int, units: int, scale: float = 0.6) -> list[Array]:
    return [
        rng.normal(0.0, scale, (features, 4 * units)),  # kernel
        rng.normal(0.0, scale, (units, 4 * units)),  # recurrent_kernel
        rng.normal(0.0, 0.5, 4 * units),  # bias
    ]


def _case(check: str, title: str, hint: str, args: list[Array], extra: Sequence[tuple[dict, str]] = ()) -> dict:
    """A case whose mistakes are the wrong gate orders plus this check's own (variant keywords, hint) pairs."""
    mistakes = [{"value": _variant(*args, order=order), "hint": text} for order, text in ORDER_HINTS.items()]
    mistakes += [{"value": _variant(*args, **keywords), "hint": text} for keywords, text in extra]
    return {"check": check, "title": title, "function": "lstm_step", "args": args, "hint": hint, "mistakes": mistakes}


def _state(rng: np.random.Generator, batch: int, units: int, scale: float = 1.0) -> tuple[Array, Array]:
    return np.tanh(rng.normal(0.0, scale, (batch, units))), rng.normal(0.0, scale, (batch, units))


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    title = "Returns (h_new, c_new), each of shape (batch, units)"
    hint = (
        "Return a tuple of two arrays. With x of shape (batch, features) and kernel (features, 4*units), "
        "x @ kernel is (batch, 4*units); split it into four (batch, units) blocks along the last axis."
    )
    for batch, features, units in [(3, 5, 4), (2, 1, 6)]:
        h, c = _state(rng, batch, units)
        case = _case("shapes", title, hint, [rng.normal(size=(batch, features)), h, c, *_weights(rng, features, units)])
        cases.append({**case, "compare": "shape"})

    title = "Gate blocks in Keras's order i, f, c, o"
    hint = (
        "Split the pre-activations z = x @ kernel + h @ recurrent_kernel + bias into four blocks of `units` "
        "columns: z[:, :u] is the input gate, z[:, u:2u] the forget gate, z[:, 2u:3u] the cell candidate and "
        "z[:, 3u:] the output gate."
    )
    for batch, features, units in [(4, 3, 5), (1, 6, 2), (5, 2, 3)]:
        h, c = _state(rng, batch, units)
        cases.append(_case("gate_order", title, hint,
                           [rng.normal(size=(batch, features)), h, c, *_weights(rng, features, units, 0.9)]))

    title = "The forget gate keeps part of the old cell state"
    hint = (
        "The new cell state is c_new = f ⊙ c + i ⊙ g: the old cell state c, scaled by the forget gate, plus "
        "the new candidate g = tanh(z_c), scaled by the input gate."
    )
    forgot = ({"keep_cell": False}, "your c_new does not contain the old cell state c. The cell is the LSTM's "
              "long-term memory: c_new = f ⊙ c + i ⊙ g, where f is the forget gate.")
    for units in (3, 4):
        # No input and no hidden state: every gate is sigmoid(bias), so only the cell path can carry c forward.
        features, batch = 2, 3
        weights = _weights(rng, features, units)
        weights[2][units : 2 * units] = 2.0  # a forget gate that is mostly open, as Keras's unit_forget_bias starts it
        args = [np.zeros((batch, features)), np.zeros((batch, units)), rng.normal(0.0, 2.0, (batch, units)), *weights]
        cases.append(_case("forget_gate", title, hint, args, [forgot]))

    title = "h_new = o ⊙ tanh(c_new)"
    hint = (
        "The hidden state is the output gate times the squashed *new* cell state: h_new = o * np.tanh(c_new), "
        "computed after c_new."
    )
    raw = ({"squash_cell": False}, "your h_new is o ⊙ c_new. Keras squashes the cell state first: "
           "h_new = o ⊙ tanh(c_new), so every hidden value lies between -1 and 1.")
    for batch, features, units in [(3, 2, 4), (2, 4, 3)]:
        h = np.zeros((batch, units))
        args = [rng.normal(0.0, 1.5, (batch, features)), h, rng.normal(0.0, 3.0, (batch, units)),
                *_weights(rng, features, units)]
        cases.append(_case("output", title, hint, args, [raw]))

    title = "The previous hidden state enters through recurrent_kernel"
    hint = (
        "Every gate sees the input *and* the previous hidden state: z = x @ kernel + h @ recurrent_kernel + bias, "
        "with h on the left (h is (batch, units), recurrent_kernel is (units, 4*units))."
    )
    no_h = ({"use_h": False}, "your answer ignores the previous hidden state h. Add h @ recurrent_kernel to the "
            "pre-activations: without it the layer forgets everything but the cell state between steps.")
    for batch, units in [(2, 4), (3, 3)]:
        features = 2
        h, c = _state(rng, batch, units, 2.0)
        cases.append(_case("recurrent", title, hint,
                           [np.zeros((batch, features)), h, c, *_weights(rng, features, units, 0.9)], [no_h]))

    title = "Gates use the sigmoid, the candidate and the output use tanh"
    hint = (
        "The three gates i, f and o are sigmoid(z) (between 0 and 1: how far a gate is open); the cell "
        "candidate g and the squashing of c_new use tanh (between -1 and 1)."
    )
    all_tanh = ({"gate": np.tanh}, "your gates use tanh. Gates are sigmoids: they must lie between 0 and 1, so "
                "that they scale a value between 'closed' (0) and 'open' (1); tanh is only for g and for c_new.")
    hard = ({"gate": _hard_sigmoid}, "your gates use hard_sigmoid. keras.layers.LSTM's recurrent_activation "
            "defaults to 'sigmoid' in Keras 3 (old Keras versions used hard_sigmoid).")
    for batch, features, units in [(4, 3, 3), (2, 2, 5)]:
        # Large weights: pre-activations of ±5 and more, where sigmoid, hard_sigmoid and tanh all differ.
        h, c = _state(rng, batch, units)
        args = [rng.normal(0.0, 2.0, (batch, features)), h, c, *_weights(rng, features, units, 2.0)]
        cases.append(_case("activations", title, hint, args, [all_tanh, hard]))

    title = "Each row of the batch is an independent sequence"
    hint = (
        "Work on the whole batch at once with matrix products, and split along the last axis: "
        "np.split(z, 4, axis=-1). np.split(z, 4) splits along axis 0, the batch, which is wrong (and fails "
        "when the batch size is not a multiple of 4)."
    )
    for batch, features, units in [(8, 3, 2), (1, 2, 3), (6, 4, 4)]:
        h, c = _state(rng, batch, units)
        cases.append(_case("batch", title, hint, [rng.normal(size=(batch, features)), h, c,
                                                  *_weights(rng, features, units)]))

    title = "Saturated gates stay finite"
    hint = (
        "Some ways of writing the sigmoid overflow for large |z|: np.exp(z) / (1 + np.exp(z)) is inf / inf = nan "
        "once z > 709. 1 / (1 + np.exp(-z)) gives the right 0 or 1 (NumPy may warn about the overflow), and "
        "0.5 * (1 + np.tanh(0.5 * z)) never overflows."
    )
    batch, features, units = 3, 2, 3
    h, c = _state(rng, batch, units)
    args = [rng.normal(0.0, 30.0, (batch, features)), h, c, *_weights(rng, features, units, 20.0)]
    cases.append(_case("saturation", title, hint, args))
    return cases
