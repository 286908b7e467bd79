"""Keras's stock recurrent layers (SimpleRNN, GRU, LSTM) in NumPy: forward through time, and backward to the inputs.

Why: look-inside needs one forward and one backward pass of the learner's trained model. Eager TensorFlow runs each
recurrent step as some seventy Python-dispatched ops (a Bidirectional GRU and a GRU over 40 steps: ~1 s), and
tracing the while loops into a graph costs as much. The same arithmetic on NumPy arrays of (rows, units) takes
milliseconds. The worker wraps `forward`/`backward` as one differentiable TensorFlow op per layer, so the rest of
the model (Dense, Embedding, ...) is still Keras's own, and it keeps the result only when the model's prediction
through this path equals Keras's own compiled prediction (graders/worker.py `look_inside`): a layer this module
does not reproduce exactly costs time (Keras's path is used), never a wrong figure.

Keras's semantics reproduced (keras/src/backend/tensorflow/rnn.py, keras/src/layers/rnn/*.py, Keras 3):
- gate blocks in kernel order: GRU [z, r, h], LSTM [i, f, c, o]; GRU's reset_after (bias rows input, recurrent)
  and reset-before; use_bias; the activation and recurrent_activation named in ACTIVATIONS;
- masking: a masked step keeps the previous state; its output is the previous output, or zeros when
  zero_output_for_mask (Bidirectional sets it for return_sequences);
- go_backwards: steps are read last to first and the outputs come back in that reading order.
- an initial state passed in (an encoder's final state starting a decoder) and the final states returned
  (return_state), with their gradients.
Pure NumPy: no TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = Any  # numpy.ndarray; NumPy's own stubs make every arithmetic line a union


def _sigmoid(x: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), without overflow for large |x|


# name -> (function, derivative at the pre-activation); Keras's definitions (hard_sigmoid = relu6(x + 3) / 6)
ACTIVATIONS: dict[str, tuple[Any, Any]] = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "hard_sigmoid": (lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0, lambda x: ((x > -3.0) & (x < 3.0)) / 6.0),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0.0).astype(x.dtype)),
    "linear": (lambda x: x, np.ones_like),
}
KINDS = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}  # gate blocks per kind
# What one forward pass may keep for the backward one; past it the caller uses Keras's path (which keeps as much in
# float32 on its tape): the look-inside pass must not be what pushes a phase B job over its memory limit.
MAX_KEPT_BYTES = 192 * 2**20


@dataclass(frozen=True)
class Cell:
    """One recurrent layer's weights and the options that change its arithmetic."""

    kind: str  # "SimpleRNN" | "GRU" | "LSTM"
    kernel: Array  # (features, blocks * units)
    recurrent: Array  # (units, blocks * units)
    input_bias: Array  # (blocks * units,): zeros without a bias
    recurrent_bias: Array  # (blocks * units,): GRU reset_after only, else zeros
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"
    reset_after: bool = True
    go_backwards: bool = False
    zero_output_for_mask: bool = False

    @property
    def units(self) -> int:
        return int(self.recurrent.shape[0])


class Unsupported(ValueError):
    """A layer whose arithmetic this module does not reproduce: the caller runs Keras's own."""


def cell_from_config(kind: str, config: dict[str, Any], weights: list[Array]) -> Cell:
    """The Cell of a Keras layer from its get_config() and get_weights(); Unsupported when it cannot be exact."""
    if kind not in KINDS:
        raise Unsupported(kind)
    activation = config.get("activation", "tanh")
    recurrent_activation = config.get("recurrent_activation", "sigmoid") if kind != "SimpleRNN" else "linear"
    if activation not in ACTIVATIONS or recurrent_activation not in ACTIVATIONS:
        raise Unsupported(f"activation {activation!r} / {recurrent_activation!r}")
    if config.get("stateful"):
        raise Unsupported("stateful")
    use_bias = bool(config.get("use_bias", True))
    reset_after = bool(config.get("reset_after", True)) if kind == "GRU" else False
    if len(weights) != (3 if use_bias else 2):
        raise Unsupported("weights")
    kernel, recurrent = (np.asarray(w, dtype="float64") for w in weights[:2])
    units, width = recurrent.shape[0], KINDS[kind] * recurrent.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != width or recurrent.shape != (units, width):
        raise Unsupported("weight shapes")
    input_bias = recurrent_bias = np.zeros(width)
    if use_bias:
        bias = np.asarray(weights[2], dtype="float64")
        if kind == "GRU" and reset_after:
            if bias.shape != (2, width):
                raise Unsupported("bias shape")
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            if bias.shape != (width,):
                raise Unsupported("bias shape")
            input_bias = bias
    return Cell(kind, kernel, recurrent, input_bias, recurrent_bias, activation, recurrent_activation, reset_after,
                bool(config.get("go_backwards", False)), bool(config.get("zero_output_for_mask", False)))


@dataclass
class Pass:
    """What the forward pass keeps for the backward one (per step, in reading order)."""

    cell: Cell
    x: Array  # (rows, steps, features), reading order
    mask: Array  # (rows, steps, 1) float 0/1, reading order
    states: list[Array] = field(default_factory=list)  # h before each step
    carries: list[Array] = field(default_factory=list)  # LSTM c before each step
    caches: list[tuple[Array, ...]] = field(default_factory=list)


def _reading_order(cell: Cell, x: Array, mask: Array | None) -> tuple[Array, Array]:
    rows, steps = x.shape[:2]
    keep = np.ones((rows, steps, 1)) if mask is None else np.asarray(mask, dtype="float64").reshape(rows, steps, 1)
    if cell.go_backwards:
        return x[:, ::-1], keep[:, ::-1]
    return x, keep


def state_count(cell: Cell) -> int:
    return 2 if cell.kind == "LSTM" else 1  # LSTM: [h, c]; the others: [h]


def forward(cell: Cell, x: Array, mask: Array | None = None,
            initial: list[Array] | None = None) -> tuple[Array, list[Array], Pass]:
    """The layer's output for every step, (rows, steps, units), in reading order (reversed when go_backwards), as
    Keras's RNN returns it with return_sequences=True; its final states ([h] or LSTM's [h, c]); and what
    backward() needs. `initial`: the states to start from (zeros when None)."""
    x = np.asarray(x, dtype="float64")
    if x.ndim != 3 or x.shape[2] != cell.kernel.shape[0]:
        raise Unsupported("input shape")
    x, keep = _reading_order(cell, x, mask)
    rows, steps = x.shape[:2]
    units = cell.units
    if 8 * rows * steps * (3 * cell.kernel.shape[1] + 10 * units + x.shape[2]) > MAX_KEPT_BYTES:
        raise Unsupported("too large to keep every step")
    act, _ = ACTIVATIONS[cell.activation]
    gate, _ = ACTIVATIONS[cell.recurrent_activation]
    projected = x @ cell.kernel + cell.input_bias  # every step's input projection at once: (rows, steps, width)
    h, c = np.zeros((rows, units)), np.zeros((rows, units))
    if initial is not None:
        if len(initial) != state_count(cell) or any(np.shape(v) != (rows, units) for v in initial):
            raise Unsupported("initial state shape")
        h = np.asarray(initial[0], dtype="float64")
        c = np.asarray(initial[1], dtype="float64") if cell.kind == "LSTM" else c
    run = Pass(cell, x, keep)
    outputs = np.empty((rows, steps, units))
    for t in range(steps):
        m = keep[:, t]
        xp = projected[:, t]
        run.states.append(h)
        if cell.kind == "SimpleRNN":
            pre = xp + h @ cell.recurrent
            new_h = act(pre)
            run.caches.append((pre,))
        elif cell.kind == "GRU":
            if cell.reset_after:
                inner = h @ cell.recurrent + cell.recurrent_bias
                pre_z, pre_r = xp[:, :units] + inner[:, :units], xp[:, units:2 * units] + inner[:, units:2 * units]
                z, r = gate(pre_z), gate(pre_r)
                rec_h = inner[:, 2 * units:]
                pre_h = xp[:, 2 * units:] + r * rec_h
            else:
                inner = h @ cell.recurrent[:, :2 * units]
                pre_z, pre_r = xp[:, :units] + inner[:, :units], xp[:, units:2 * units] + inner[:, units:]
                z, r = gate(pre_z), gate(pre_r)
                rec_h = (r * h) @ cell.recurrent[:, 2 * units:]
                pre_h = xp[:, 2 * units:] + rec_h
            hh = act(pre_h)
            new_h = z * h + (1.0 - z) * hh
            run.caches.append((pre_z, pre_r, pre_h, z, r, hh, rec_h))
        else:  # LSTM
            pre = xp + h @ cell.recurrent
            pi, pf, pc, po = (pre[:, k * units:(k + 1) * units] for k in range(4))
            i, f, g, o = gate(pi), gate(pf), act(pc), gate(po)
            new_c = f * c + i * g
            new_h = o * act(new_c)
            run.carries.append(c)
            run.caches.append((pi, pf, pc, po, i, f, g, o, new_c))
            c = m * new_c + (1.0 - m) * c
        h = m * new_h + (1.0 - m) * h
        outputs[:, t] = h if not cell.zero_output_for_mask else m * h
    return outputs, ([h, c] if cell.kind == "LSTM" else [h]), run


def backward(run: Pass, d_outputs: Array, d_final: list[Array | None] | None = None) -> tuple[Array, list[Array]]:
    """d loss / d inputs, (rows, steps, features) in the caller's time order, and d loss / d initial states, from
    d loss / d outputs (in the reading order forward() returned them in) and d loss / d final states (None: the
    final states were not used)."""
    cell = run.cell
    units = cell.units
    _, d_act = ACTIVATIONS[cell.activation]
    _, d_gate = ACTIVATIONS[cell.recurrent_activation]
    d_outputs = np.asarray(d_outputs, dtype="float64")
    rows, steps = run.x.shape[:2]
    d_projected = np.empty((rows, steps, cell.kernel.shape[1]))
    dh, dc = np.zeros((rows, units)), np.zeros((rows, units))  # d loss / d state after step t (from later steps)
    finals = list(d_final or []) + [None, None]
    if finals[0] is not None:
        dh = dh + np.asarray(finals[0], dtype="float64")
    if cell.kind == "LSTM" and finals[1] is not None:
        dc = dc + np.asarray(finals[1], dtype="float64")
    act = ACTIVATIONS[cell.activation][0]
    for t in range(steps - 1, -1, -1):
        m = run.mask[:, t]
        dh = dh + d_outputs[:, t] * (m if cell.zero_output_for_mask else 1.0)
        d_new, dh = m * dh, (1.0 - m) * dh  # the new state where the step counts, else the previous one carried
        h = run.states[t]
        if cell.kind == "SimpleRNN":
            (pre,) = run.caches[t]
            d_pre = d_new * d_act(pre)
            d_projected[:, t] = d_pre
            dh = dh + d_pre @ cell.recurrent.T
        elif cell.kind == "GRU":
            pre_z, pre_r, pre_h, z, r, hh, rec_h = run.caches[t]
            d_pre_h = d_new * (1.0 - z) * d_act(pre_h)
            d_pre_z = d_new * (h - hh) * d_gate(pre_z)
            dh = dh + d_new * z
            if cell.reset_after:
                d_pre_r = d_pre_h * rec_h * d_gate(pre_r)
                d_inner = np.concatenate([d_pre_z, d_pre_r, d_pre_h * r], axis=1)
                dh = dh + d_inner @ cell.recurrent.T
            else:
                d_rh = d_pre_h @ cell.recurrent[:, 2 * units:].T
                d_pre_r = d_rh * h * d_gate(pre_r)
                dh = dh + d_rh * r + np.concatenate([d_pre_z, d_pre_r], axis=1) @ cell.recurrent[:, :2 * units].T
            d_projected[:, t] = np.concatenate([d_pre_z, d_pre_r, d_pre_h], axis=1)
        else:  # LSTM
            pi, pf, pc, po, i, f, g, o, new_c = run.caches[t]
            d_new_c = m * dc + d_new * o * d_act(new_c)
            dc = (1.0 - m) * dc + d_new_c * f
            d_pre = np.concatenate([d_new_c * g * d_gate(pi), d_new_c * run.carries[t] * d_gate(pf),
                                    d_new_c * i * d_act(pc), d_new * act(new_c) * d_gate(po)], axis=1)
            d_projected[:, t] = d_pre
            dh = dh + d_pre @ cell.recurrent.T
    dx = d_projected @ cell.kernel.T
    return (dx[:, ::-1] if cell.go_backwards else dx), ([dh, dc] if cell.kind == "LSTM" else [dh])
