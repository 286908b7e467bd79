"""Keras's stock recurrent layers (SimpleRNN, GRU, LSTM) in NumPy: forward through time, and backward to the inputs.

Why: look-inside needs one forward and one backward pass of the learner's trained model. Eager TensorFlow runs each
recurrent step as some seventy Python-dispatched ops (a Bidirectional GRU and a GRU over 40 steps: ~1 s), and
tracing the while loops into a graph costs as much. The same arithmetic on NumPy arrays of (rows, units) takes
milliseconds. The worker wraps `forward`/`backward` as one differentiable TensorFlow op per layer, so the rest of
the model (Dense, Embedding, ...) is still Keras's own, and it keeps the result only when the model's prediction
through this path equals Keras's own compiled prediction (graders/worker.py `look_inside`): a layer this module
does not reproduce exactly costs time (Keras's path is used), never a wrong figure. Look-inside only: no graded
fact is ever computed here (float32 sums in another order than TensorFlow's can differ, and a hostile model can
be built to turn that difference into credit).

Arithmetic: in the layer's own float32 (or float64), with Keras's order of additions (`Cell.bias_last`), so that
rounding is the same as Keras's wherever the order of a sum is; `rounding_gap` measures how far that float32
result is from exact (float64) arithmetic, and the worker declines a layer whose output depends on rounding.

Keras's semantics reproduced (keras/src/backend/tensorflow/rnn.py, keras/src/layers/rnn/*.py, Keras 3):
- gate blocks in kernel order: GRU [z, r, h], LSTM [i, f, c, o]; GRU's reset_after (bias rows input, recurrent)
  and reset-before; use_bias; the activation and recurrent_activation named in ACTIVATIONS;
- masking: a masked step keeps the previous state; its output is the previous output (zeros before the first
  step that counts, whatever the initial state), or zeros when zero_output_for_mask (Bidirectional sets it for
  return_sequences);
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
    "hard_sigmoid": (lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
                     lambda x: ((x > -3.0) & (x < 3.0)).astype(x.dtype) / 6.0),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0.0).astype(x.dtype)),
    "linear": (lambda x: x, np.ones_like),
}
KINDS = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}  # gate blocks per kind
DTYPES = ("float32", "float64")  # the compute dtypes reproduced; bfloat16 / float16 round too coarsely to match
# What the forward passes of one model pass may keep for the backward one, all layers together (the caller counts,
# with `kept_bytes`); past it the caller uses Keras's path for the remaining layers: the look-inside pass must not
# be what pushes a phase B job over its memory limit.
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
    bias_last: bool = False  # LSTM implementation 2 adds the bias after x W + h U; the others add it to x W first

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
                bool(config.get("go_backwards", False)), bool(config.get("zero_output_for_mask", False)),
                bias_last=kind == "LSTM" and config.get("implementation", 2) != 1)


@dataclass
class Pass:
    """What the forward pass keeps for the backward one (per step, in reading order)."""

    cell: Cell
    x: Array  # (rows, steps, features), reading order; None when nothing was kept
    mask: Array  # (rows, steps, 1) float 0/1, reading order; None when nothing was kept
    weights: tuple[Array, ...] = ()  # kernel, recurrent, input bias, recurrent bias in the pass's dtype
    states: list[Array] = field(default_factory=list)  # h before each step
    carries: list[Array] = field(default_factory=list)  # LSTM c before each step
    caches: list[tuple[Array, ...]] = field(default_factory=list)


def _reading_order(cell: Cell, x: Array, mask: Array | None) -> tuple[Array, Array]:
    rows, steps = x.shape[:2]
    keep = np.ones((rows, steps, 1), dtype=x.dtype) if mask is None else \
        np.asarray(mask, dtype=x.dtype).reshape(rows, steps, 1)
    if cell.go_backwards:
        return x[:, ::-1], keep[:, ::-1]
    return x, keep


def state_count(cell: Cell) -> int:
    return 2 if cell.kind == "LSTM" else 1  # LSTM: [h, c]; the others: [h]


def kept_bytes(cell: Cell, rows: int, steps: int, dtype: str = "float64") -> int:
    """What forward() holds over (rows, steps) inputs in `dtype`: what it keeps for backward() (inputs, mask,
    states, the gates' values) plus the input projection and the outputs."""
    units, width = cell.units, cell.kernel.shape[1]
    gates = {"SimpleRNN": units, "GRU": 7 * units, "LSTM": 10 * units}[cell.kind]  # caches (LSTM: + its carries)
    per_step = cell.kernel.shape[0] + 1 + width + 2 * units + gates
    return int(np.dtype(dtype).itemsize) * rows * steps * per_step


def peak_bytes(cell: Cell, rows: int, steps: int, dtype: str = "float64") -> int:
    """What a forward and backward pass in `dtype` holds at most: kept_bytes, the float64 pass of rounding_gap (its
    input projection and outputs) when `dtype` is float32, and backward()'s gradients of the projection, the inputs
    and the outputs."""
    units, width, features = cell.units, cell.kernel.shape[1], cell.kernel.shape[0]
    check = 8 * (width + units) if dtype != "float64" else 0
    backward_arrays = int(np.dtype(dtype).itemsize) * (width + features + units)
    return kept_bytes(cell, rows, steps, dtype) + rows * steps * (check + backward_arrays)


def forward(cell: Cell, x: Array, mask: Array | None = None, initial: list[Array] | None = None,
            dtype: str = "float64", keep: bool = True) -> tuple[Array, list[Array], Pass]:
    """The layer's output for every step, (rows, steps, units), in reading order (reversed when go_backwards), as
    Keras's RNN returns it with return_sequences=True; its final states ([h] or LSTM's [h, c]); and what
    backward() needs (nothing when not `keep`). `initial`: the states to start from (zeros when None). Computed in
    `dtype` (one of DTYPES), with Keras's order of additions."""
    if dtype not in DTYPES:
        raise Unsupported(f"dtype {dtype}")
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3 or x.shape[2] != cell.kernel.shape[0]:
        raise Unsupported("input shape")
    x, mask_steps = _reading_order(cell, x, mask)
    rows, steps = x.shape[:2]
    units = cell.units
    if keep and kept_bytes(cell, rows, steps, dtype) > MAX_KEPT_BYTES:
        raise Unsupported("too large to keep every step")
    act, _ = ACTIVATIONS[cell.activation]
    gate, _ = ACTIVATIONS[cell.recurrent_activation]
    kernel, recurrent, input_bias, recurrent_bias = weights = tuple(
        w.astype(dtype) for w in (cell.kernel, cell.recurrent, cell.input_bias, cell.recurrent_bias))
    projected = x @ kernel  # every step's input projection at once: (rows, steps, width)
    if not cell.bias_last:
        projected = projected + input_bias
    h, c = np.zeros((rows, units), dtype=dtype), np.zeros((rows, units), dtype=dtype)
    if initial is not None:
        if len(initial) != state_count(cell) or any(np.shape(v) != (rows, units) for v in initial):
            raise Unsupported("initial state shape")
        h = np.asarray(initial[0], dtype=dtype)
        c = np.asarray(initial[1], dtype=dtype) if cell.kind == "LSTM" else c
    run = Pass(cell, x if keep else None, mask_steps if keep else None, weights)
    outputs = np.empty((rows, steps, units), dtype=dtype)
    previous = np.zeros((rows, units), dtype=dtype)  # a masked step's output: Keras starts it at zeros, not at h0
    for t in range(steps):
        m = mask_steps[:, t]
        xp = projected[:, t]
        if keep:
            run.states.append(h)
        if cell.kind == "SimpleRNN":
            pre = xp + h @ recurrent
            new_h = act(pre)
            cache: tuple[Array, ...] = (pre,)
        elif cell.kind == "GRU":
            if cell.reset_after:
                inner = h @ recurrent + recurrent_bias
                pre_z, pre_r = xp[:, :units] + inner[:, :units], xp[:, units:2 * units] + inner[:, units:2 * units]
                z, r = gate(pre_z), gate(pre_r)
                rec_h = inner[:, 2 * units:]
                pre_h = xp[:, 2 * units:] + r * rec_h
            else:
                inner = h @ recurrent[:, :2 * units]
                pre_z, pre_r = xp[:, :units] + inner[:, :units], xp[:, units:2 * units] + inner[:, units:]
                z, r = gate(pre_z), gate(pre_r)
                rec_h = (r * h) @ recurrent[:, 2 * units:]
                pre_h = xp[:, 2 * units:] + rec_h
            hh = act(pre_h)
            new_h = z * h + (1.0 - z) * hh
            cache = (pre_z, pre_r, pre_h, z, r, hh, rec_h)
        else:  # LSTM
            pre = xp + h @ recurrent
            if cell.bias_last:
                pre = pre + input_bias
            pi, pf, pc, po = (pre[:, k * units:(k + 1) * units] for k in range(4))
            i, f, g, o = gate(pi), gate(pf), act(pc), gate(po)
            new_c = f * c + i * g
            new_h = o * act(new_c)
            if keep:
                run.carries.append(c)
            cache = (pi, pf, pc, po, i, f, g, o, new_c)
            c = m * new_c + (1.0 - m) * c
        if keep:
            run.caches.append(cache)
        h = m * new_h + (1.0 - m) * h
        previous = m * new_h + (1.0 - m) * (0.0 if cell.zero_output_for_mask else previous)
        outputs[:, t] = previous
    return outputs, ([h, c] if cell.kind == "LSTM" else [h]), run


def rounding_gap(cell: Cell, x: Array, mask: Array | None, initial: list[Array] | None, outputs: Array,
                 finals: list[Array]) -> float:
    """How far `outputs` and `finals` (forward() in float32) are from exact arithmetic (float64, nothing kept), the
    largest |float32 - exact| / (1 + |exact|) over every output and state: about 1e-7 for a layer whose output does
    not hang on rounding, up to 1 for one built to cancel (a bias of 2**23 erasing the input in float32). Any other
    order of the same float32 sums (as TensorFlow's) lands about as far from exact: a small gap means the twin's
    float32 and Keras's agree."""
    exact, exact_finals, _ = forward(cell, x, mask, initial, dtype="float64", keep=False)
    gap = max(float(np.max(np.abs(np.asarray(a, dtype="float64") - b) / (1.0 + np.abs(b)), initial=0.0))
              for a, b in zip((outputs, *finals), (exact, *exact_finals), strict=True))
    return gap if np.isfinite(gap) else float("inf")


def backward(run: Pass, d_outputs: Array, d_final: list[Array | None] | None = None) -> tuple[Array, list[Array]]:
    """d loss / d inputs, (rows, steps, features) in the caller's time order, and d loss / d initial states, from
    d loss / d outputs (in the reading order forward() returned them in) and d loss / d final states (None: the
    final states were not used)."""
    cell = run.cell
    if run.x is None:
        raise ValueError("forward() kept nothing for a backward pass (keep=False)")
    units = cell.units
    kernel, recurrent, _, _ = run.weights
    dtype = run.x.dtype
    _, d_act = ACTIVATIONS[cell.activation]
    _, d_gate = ACTIVATIONS[cell.recurrent_activation]
    d_outputs = np.asarray(d_outputs, dtype=dtype)
    rows, steps = run.x.shape[:2]
    d_projected = np.empty((rows, steps, kernel.shape[1]), dtype=dtype)
    # d loss / d state after step t (from later steps)
    dh, dc = np.zeros((rows, units), dtype=dtype), np.zeros((rows, units), dtype=dtype)
    d_previous = np.zeros((rows, units), dtype=dtype)  # d loss / d the output a later masked step repeats
    finals = list(d_final or []) + [None, None]
    if finals[0] is not None:
        dh = dh + np.asarray(finals[0], dtype=dtype)
    if cell.kind == "LSTM" and finals[1] is not None:
        dc = dc + np.asarray(finals[1], dtype=dtype)
    act = ACTIVATIONS[cell.activation][0]
    for t in range(steps - 1, -1, -1):
        m = run.mask[:, t]
        d_output = d_outputs[:, t] + d_previous  # this step's output, and later masked steps' copies of it
        # where the step counts, the output and the state are the new state; else the state carries the previous
        # one and the output repeats the previous output (or is zeros: zero_output_for_mask)
        d_new, dh = m * (dh + d_output), (1.0 - m) * dh
        d_previous = (0.0 if cell.zero_output_for_mask else 1.0 - m) * d_output
        h = run.states[t]
        if cell.kind == "SimpleRNN":
            (pre,) = run.caches[t]
            d_pre = d_new * d_act(pre)
            d_projected[:, t] = d_pre
            dh = dh + d_pre @ recurrent.T
        elif cell.kind == "GRU":
            pre_z, pre_r, pre_h, z, r, hh, rec_h = run.caches[t]
            d_pre_h = d_new * (1.0 - z) * d_act(pre_h)
            d_pre_z = d_new * (h - hh) * d_gate(pre_z)
            dh = dh + d_new * z
            if cell.reset_after:
                d_pre_r = d_pre_h * rec_h * d_gate(pre_r)
                d_inner = np.concatenate([d_pre_z, d_pre_r, d_pre_h * r], axis=1)
                dh = dh + d_inner @ recurrent.T
            else:
                d_rh = d_pre_h @ recurrent[:, 2 * units:].T
                d_pre_r = d_rh * h * d_gate(pre_r)
                dh = dh + d_rh * r + np.concatenate([d_pre_z, d_pre_r], axis=1) @ recurrent[:, :2 * units].T
            d_projected[:, t] = np.concatenate([d_pre_z, d_pre_r, d_pre_h], axis=1)
        else:  # LSTM
            pi, pf, pc, po, i, f, g, o, new_c = run.caches[t]
            d_new_c = m * dc + d_new * o * d_act(new_c)
            dc = (1.0 - m) * dc + d_new_c * f
            d_pre = np.concatenate([d_new_c * g * d_gate(pi), d_new_c * run.carries[t] * d_gate(pf),
                                    d_new_c * i * d_act(pc), d_new * act(new_c) * d_gate(po)], axis=1)
            d_projected[:, t] = d_pre
            dh = dh + d_pre @ recurrent.T
    dx = d_projected @ kernel.T
    return (dx[:, ::-1] if cell.go_backwards else dx), ([dh, dc] if cell.kind == "LSTM" else [dh])
