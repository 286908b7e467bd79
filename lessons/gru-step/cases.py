"""Test cases for gru_step: random weights in Keras 3's layout (reset_after=True), and the answers of typical mistakes.

Each check's cases isolate one idea; every value case also lists the answers of the classic mistakes (the
PyTorch block order, the textbook reset gate, the swapped update mix) that differ from the right answer there.
NumPy only: this file runs inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _hard_sigmoid(z: Array) -> Array:
    return np.clip(z / 6.0 + 0.5, 0.0, 1.0)  # Keras 3's hard_sigmoid


def _variant(
    x: Array, h: Array, kernel: Array, recurrent: Array, bias: Array, *, order: str = "zrh", reset: str = "after",
    swap_mix: bool = False, recurrent_bias: bool = True, use_h: bool = True,
    gate: Callable[[Array], Array] = _sigmoid,
) -> Array:
    """One GRU step, right by default; each keyword reproduces one mistake."""
    units = h.shape[1]
    h_in = h if use_h else np.zeros_like(h)
    b_rec = bias[1] if recurrent_bias else np.zeros_like(bias[1])
    xs = dict(zip(order, np.split(x @ kernel + bias[0], 3, axis=-1), strict=True))
    hs = dict(zip(order, np.split(h_in @ recurrent + b_rec, 3, axis=-1), strict=True))
    z, r = gate(xs["z"] + hs["z"]), gate(xs["r"] + hs["r"])
    cols = slice(order.index("h") * units, (order.index("h") + 1) * units)  # the candidate's block
    if reset == "after":  # Keras 3: r scales the recurrent part, bias included, after the product
        recurrent_part = r * hs["h"]
    elif reset == "before":  # the textbook (reset_after=False) form, with Keras's recurrent bias added afterwards
        recurrent_part = (r * h_in) @ recurrent[:, cols] + b_rec[cols]
    else:  # "bias_outside": r scales the product, but the recurrent bias is added unscaled
        recurrent_part = r * (h_in @ recurrent[:, cols]) + b_rec[cols]
    candidate = np.tanh(xs["h"] + recurrent_part)
    return (1.0 - z) * h + z * candidate if swap_mix else z * h + (1.0 - z) * candidate


GLOBAL_MISTAKES: list[tuple[dict, str]] = [
    ({"order": "rzh"}, "you read the blocks in the order r, z, h (PyTorch's nn.GRU stores r, z, n). Keras stores "
     "z, r, h: the first block of units columns is the update gate z, the second the reset gate r."),
    ({"reset": "before"}, "you applied the reset gate to h before the matrix product, (r ⊙ h) @ R_h: that is the "
     "textbook GRU, Keras's reset_after=False. Keras 3's default is reset_after=True: the candidate is "
     "tanh(x @ K_h + b_in_h + r ⊙ (h @ R_h + b_rec_h)), with r multiplying the whole recurrent part."),
    ({"reset": "bias_outside"}, "the reset gate must scale the recurrent bias too: r ⊙ (h @ R_h + bias[1][2u:]), "
     "not r ⊙ (h @ R_h) + bias[1][2u:]."),
    ({"swap_mix": True}, "you mixed the old state and the candidate the other way round. In Keras, "
     "h_new = z ⊙ h + (1 − z) ⊙ candidate: a z near 1 keeps the old state (some texts, e.g. Wikipedia, swap z "
     "and 1 − z)."),
]


def _weights(rng: np.random.Generator, features: int, units: int, scale: float = 0.6) -> list[Array]:
    return [
        rng.normal(0.0, scale, (features, 3 * units)),  # kernel
        rng.normal(0.0, scale, (units, 3 * units)),  # recurrent_kernel
        rng.normal(0.0, 0.5, (2, 3 * units)),  # bias: row 0 input, row 1 recurrent
    ]


def _case(check: str, title: str, hint: str, args: list[Array], extra: Sequence[tuple[dict, str]] = ()) -> dict:
    """A case with the typical mistakes whose answers differ from the right one on these args."""
    right = _variant(*args)
    mistakes = []
    for keywords, text in [*GLOBAL_MISTAKES, *extra]:
        value = _variant(*args, **keywords)
        if not np.allclose(value, right, rtol=1e-4, atol=1e-5):  # a mistake this case cannot see teaches nothing
            mistakes.append({"value": value, "hint": text})
    return {"check": check, "title": title, "function": "gru_step", "args": args, "hint": hint, "mistakes": mistakes}


def _block_zero(weights: list[Array], units: int, block: int, bias_rows: Sequence[int] = (0, 1)) -> None:
    """Zero one gate's columns: in the recurrent kernel always, in the kernel too, and in the given bias rows."""
    cols = slice(block * units, (block + 1) * units)
    weights[0][:, cols] = 0.0
    weights[1][:, cols] = 0.0
    for row in bias_rows:
        weights[2][row, cols] = 0.0


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    title = "Returns h_new of shape (batch, units)"
    hint = (
        "A GRU has a single state: return one array. x @ kernel is (batch, 3*units); split it into three "
        "(batch, units) blocks along the last axis, and do the same with h @ recurrent_kernel."
    )
    for batch, features, units in [(3, 5, 4), (2, 1, 6)]:
        case = _case("shapes", title, hint, [rng.normal(size=(batch, features)), np.tanh(rng.normal(size=(batch, units))),
                                             *_weights(rng, features, units)])
        cases.append({**case, "compare": "shape"})

    title = "Gate blocks in Keras's order z, r, h"
    hint = (
        "Split x @ kernel + bias[0] and h @ recurrent_kernel + bias[1] into three blocks of `units` columns each: "
        "[:, :u] is the update gate z, [:, u:2u] the reset gate r, [:, 2u:] the candidate."
    )
    for batch, features, units in [(4, 3, 5), (1, 6, 2), (5, 2, 3)]:
        args = [rng.normal(size=(batch, features)), np.tanh(rng.normal(size=(batch, units))),
                *_weights(rng, features, units, 0.9)]
        cases.append(_case("gate_order", title, hint, args))

    title = "h_new = z ⊙ h + (1 − z) ⊙ candidate"
    hint = (
        "The update gate decides how much of the old state to keep: h_new = z * h + (1 - z) * candidate. "
        "A z close to 1 copies the old state through unchanged."
    )
    for batch, features, units in [(3, 2, 4), (2, 3, 3)]:
        weights = _weights(rng, features, units)
        # No recurrent part in the candidate: every form of the reset gate gives the same answer here.
        weights[1][:, 2 * units :] = 0.0
        weights[2][1, 2 * units :] = 0.0
        args = [rng.normal(size=(batch, features)), np.tanh(rng.normal(0.0, 2.0, (batch, units))), *weights]
        cases.append(_case("update_mix", title, hint, args))

    title = "reset_after: r scales the recurrent part after its matrix product"
    hint = (
        "Keras 3's GRU (reset_after=True) computes candidate = tanh(x @ K_h + bias[0][2u:] + r * (h @ R_h + "
        "bias[1][2u:])): the reset gate multiplies the recurrent part, bias included, after the product."
    )
    for batch, features, units in [(3, 2, 4), (4, 3, 2)]:
        weights = _weights(rng, features, units, 1.0)
        _block_zero(weights, units, 0)  # z = sigmoid(0) = 0.5 exactly: both ways of mixing agree here
        args = [rng.normal(size=(batch, features)), np.tanh(rng.normal(0.0, 2.0, (batch, units))), *weights]
        cases.append(_case("reset_after", title, hint, args))

    title = "Two bias rows: bias[0] for the input part, bias[1] for the recurrent part"
    hint = (
        "With reset_after=True the bias has shape (2, 3*units). Add bias[0] to x @ kernel and bias[1] to "
        "h @ recurrent_kernel, before splitting either into blocks."
    )
    input_only = ({"recurrent_bias": False}, "your answer ignores bias[1], the recurrent bias. Add it to "
                  "h @ recurrent_kernel: h @ recurrent_kernel + bias[1].")
    for batch, units in [(2, 3), (3, 4)]:
        # No input and no state: only the biases move anything.
        features = 2
        weights = _weights(rng, features, units)
        weights[2] = rng.normal(0.0, 1.5, (2, 3 * units))
        cases.append(_case("biases", title, hint, [np.zeros((batch, features)), np.zeros((batch, units)), *weights],
                           [input_only]))

    title = "The previous state enters through recurrent_kernel"
    hint = (
        "The gates and the candidate all see the previous state: h @ recurrent_kernel + bias[1], with h on the "
        "left (h is (batch, units), recurrent_kernel is (units, 3*units))."
    )
    no_h = ({"use_h": False}, "your gates and candidate ignore the previous state h. Add h @ recurrent_kernel "
            "+ bias[1] to the input part, block by block.")
    for batch, units in [(2, 4), (3, 3)]:
        features = 2
        args = [np.zeros((batch, features)), np.tanh(rng.normal(0.0, 2.0, (batch, units))),
                *_weights(rng, features, units, 0.9)]
        cases.append(_case("recurrent", title, hint, args, [no_h]))

    title = "Gates use the sigmoid, the candidate uses tanh"
    hint = "z and r are sigmoid(...), between 0 and 1; only the candidate uses np.tanh."
    all_tanh = ({"gate": np.tanh}, "your gates use tanh. z and r must be sigmoids, between 0 and 1: z = 0.3 "
                "means 'keep 30 % of the old state', and a negative z would mean nothing.")
    hard = ({"gate": _hard_sigmoid}, "your gates use hard_sigmoid. keras.layers.GRU's recurrent_activation "
            "defaults to 'sigmoid' in Keras 3.")
    for batch, features, units in [(4, 3, 3), (2, 2, 5)]:
        args = [rng.normal(0.0, 2.0, (batch, features)), np.tanh(rng.normal(size=(batch, units))),
                *_weights(rng, features, units, 2.0)]
        cases.append(_case("activations", title, hint, args, [all_tanh, hard]))

    title = "Each row of the batch is an independent sequence"
    hint = (
        "Work on the whole batch with matrix products and split along the last axis: np.split(a, 3, axis=-1). "
        "np.split(a, 3) splits the batch instead (and fails when the batch size is not a multiple of 3)."
    )
    for batch, features, units in [(8, 3, 2), (1, 2, 3), (6, 4, 4)]:
        args = [rng.normal(size=(batch, features)), np.tanh(rng.normal(size=(batch, units))),
                *_weights(rng, features, units)]
        cases.append(_case("batch", title, hint, args))

    title = "Saturated gates stay finite"
    hint = (
        "Some ways of writing the sigmoid overflow for large |z|: np.exp(z) / (1 + np.exp(z)) is inf / inf = nan "
        "once z > 709. 1 / (1 + np.exp(-z)) gives the right 0 or 1 (NumPy may warn about the overflow), and "
        "0.5 * (1 + np.tanh(0.5 * z)) never overflows."
    )
    batch, features, units = 3, 2, 3
    args = [rng.normal(0.0, 30.0, (batch, features)), np.tanh(rng.normal(size=(batch, units))),
            *_weights(rng, features, units, 20.0)]
    cases.append(_case("saturation", title, hint, args))
    return cases
