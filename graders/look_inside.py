"""Look-inside feedback: phase B's gradient norms, hidden states and text samples, bounded here, as report plots.

Phase B runs no learner code, but everything it measured came from the learner's archive, so each figure is
parsed on its own with hard bounds (at most MAX_STEPS time steps, MAX_UNITS units, finite floats of sane size,
token ids inside the vocabulary): a malformed figure is dropped, never an error and never a changed grade.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_STEPS = 200
MAX_UNITS = 64
MAX_ROWS = 1024
MAX_SAMPLE_IDS = 400
MAX_ABS = 1e12  # a gradient norm or a state beyond this is not a figure anyone can read
TEMPERATURES = (0.5, 1.0)
LAYERS = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "Bidirectional"}
GATED = {"LSTM", "GRU"}


@dataclass(frozen=True)
class Gradient:
    norms: np.ndarray  # (steps,) mean over rows of |d loss_row / d x_t|
    rows: int
    first_step: int  # steps before these (windows longer than MAX_STEPS) are not shown
    embedded: bool  # token ids: taken with respect to the embedded ids the recurrent layer reads


@dataclass(frozen=True)
class Hidden:
    states: np.ndarray  # (units shown, steps) of one public validation sequence
    units: int  # the layer's units (both directions of a Bidirectional)
    first_step: int


@dataclass(frozen=True)
class Sample:
    temperature: float
    ids: list[int]


@dataclass(frozen=True)
class LookInside:
    layer: str | None  # class of the first recurrent layer ("Bidirectional" with `wraps`)
    wraps: str | None
    gradient: Gradient | None
    hidden: Hidden | None
    samples: list[Sample]
    seconds: float | None


def _count(value: Any, low: int, high: int) -> int | None:
    return value if type(value) is int and low <= value <= high else None


def _floats(value: Any, shape_ok: Callable[[tuple[int, ...]], bool]) -> np.ndarray | None:
    """A numeric array of an allowed shape whose values are all finite and below MAX_ABS, as float64."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" or not shape_ok(value.shape):
        return None
    array = value.astype("float64")
    return array if np.isfinite(array).all() and float(np.abs(array).max(initial=0.0)) < MAX_ABS else None


def _gradient(raw: Any) -> Gradient | None:
    if not isinstance(raw, dict) or set(raw) - {"norms", "rows", "first_step", "embedded"}:
        return None
    norms = _floats(raw.get("norms"), lambda s: len(s) == 1 and 2 <= s[0] <= MAX_STEPS)
    rows, first = _count(raw.get("rows"), 1, MAX_ROWS), _count(raw.get("first_step"), 0, 1_000_000)
    embedded = raw.get("embedded")
    if norms is None or rows is None or first is None or type(embedded) is not bool or (norms < 0).any():
        return None
    return Gradient(norms=norms, rows=rows, first_step=first, embedded=embedded)


def _hidden(raw: Any) -> Hidden | None:
    if not isinstance(raw, dict) or set(raw) - {"states", "units", "first_step"}:
        return None
    states = _floats(raw.get("states"), lambda s: len(s) == 2 and 1 <= s[0] <= MAX_UNITS and 2 <= s[1] <= MAX_STEPS)
    units, first = _count(raw.get("units"), 1, 1_000_000), _count(raw.get("first_step"), 0, 1_000_000)
    if states is None or units is None or first is None or units < states.shape[0]:
        return None
    return Hidden(states=states, units=units, first_step=first)


def _samples(raw: Any) -> list[Sample]:
    if not isinstance(raw, list) or len(raw) > len(TEMPERATURES):
        return []
    found = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"temperature", "ids"}:
            return []
        ids = item["ids"]
        if item["temperature"] not in TEMPERATURES or not isinstance(ids, list) or len(ids) > MAX_SAMPLE_IDS \
                or not all(type(i) is int and 0 <= i < 1_000_000 for i in ids):
            return []
        found.append(Sample(temperature=float(item["temperature"]), ids=list(ids)))
    return found


def parse(raw: Any) -> LookInside | None:
    """Phase B's look_inside answer, each figure bounded on its own; None when there is nothing usable. Never raises."""
    if not isinstance(raw, dict):
        return None
    layer, wraps = raw.get("layer"), raw.get("wraps")
    layer = layer if isinstance(layer, str) and layer in LAYERS else None
    wraps = wraps if isinstance(wraps, str) and wraps in LAYERS and layer == "Bidirectional" else None
    spent = raw.get("seconds")
    seconds = float(spent) if isinstance(spent, int | float) and type(spent) is not bool else None
    if seconds is not None and not (math.isfinite(seconds) and 0 <= seconds < 1e5):
        seconds = None
    found = LookInside(layer=layer, wraps=wraps, gradient=_gradient(raw.get("gradient")) if layer else None,
                       hidden=_hidden(raw.get("hidden")) if layer else None, samples=_samples(raw.get("samples")),
                       seconds=seconds)
    if found.gradient is None and found.hidden is None and not found.samples:
        return None
    return found


# ------------------------------------------------------------------ plots (the report's JSON; report.js draws them)


def _named(look: LookInside) -> str:
    return f"Bidirectional {look.wraps}" if look.layer == "Bidirectional" and look.wraps else (look.layer or "recurrent")


def _number(value: float) -> str:
    return f"{value:.2g}" if value < 0.01 or value >= 1000 else f"{value:.2f}".rstrip("0").rstrip(".")


def padded_tail(norms: np.ndarray) -> int:
    """How many steps at the end have exactly zero gradient: padding in every row, which a mask keeps out."""
    nonzero = np.flatnonzero(norms)
    return len(norms) - (int(nonzero[-1]) + 1 if len(nonzero) else 0)


def early_over_late(norms: np.ndarray) -> float | None:
    """Mean gradient norm of the first tenth of the steps over that of the last tenth (one step at least), over the
    steps before a padded tail (else a masked model's ratio would be early over zero)."""
    norms = norms[:len(norms) - padded_tail(norms)]
    if len(norms) < 2:
        return None
    edge = max(1, len(norms) // 10)
    late = float(norms[-edge:].mean())
    return float(norms[:edge].mean()) / late if late > 0 else None


def gradient_plot(look: LookInside) -> dict[str, Any] | None:
    gradient = look.gradient
    if gradient is None:
        return None
    cell = look.wraps if look.layer == "Bidirectional" else look.layer
    ratio = early_over_late(gradient.norms)
    what = "the embedded token (a character or a word)" if gradient.embedded else "the input"
    guide = (f"How strongly the loss reacts to {what} at each time step (the gradient's size, averaged over "
             f"{gradient.rows} validation rows): steps where the line is low hardly change the loss, so training "
             "learns little from them; a plain SimpleRNN's line falls steeply toward step 1 (the vanishing gradient), "
             "while the gates of a GRU or LSTM keep it higher, so compare this plot between your SimpleRNN and your "
             "GRU or LSTM submissions.")
    padding = padded_tail(gradient.norms)
    if ratio is None:
        summary = f"Your {_named(look)}: the gradient is zero at the last steps."
    else:
        last = "the last steps before the padding" if padding else "the last steps"
        summary = (f"Your {_named(look)}: the first steps get {_number(ratio)} times the gradient of {last}"
                   + (" (a vanishing gradient)." if ratio < 0.01 else "."))
        if cell == "SimpleRNN" and ratio < 0.1:
            summary += " A GRU or LSTM keeps more of it: try one and compare."
        elif cell in GATED and ratio >= 0.01:
            summary += " Its gates carry the error signal back to the early steps."
        if padding:
            summary += (f" The last {padding} steps are padding in every row: the mask keeps them out, so no "
                        "gradient reaches them.")
    start = gradient.first_step + 1
    return {"steps": list(range(start, start + len(gradient.norms))),
            "norms": [float(f"{v:.4g}") for v in gradient.norms], "layer": _named(look), "rows": gradient.rows,
            "early_over_late": None if ratio is None else float(f"{ratio:.4g}"), "embedded": gradient.embedded,
            "guide": guide, "summary": summary}


def hidden_plot(look: LookInside) -> dict[str, Any] | None:
    hidden = look.hidden
    if hidden is None:
        return None
    states = hidden.states
    shown, steps = states.shape
    start = hidden.first_step + 1
    change = np.abs(np.diff(states, axis=1)).mean(axis=0)
    busiest = int(change.argmax()) + start + 1
    which = (f"the first {shown} of its {hidden.units} units" if shown < hidden.units else f"its {hidden.units} units")
    halves = " (first half forward, second half backward)" if look.layer == "Bidirectional" else ""
    guide = (f"Each row is one unit of your {_named(look)}'s state{halves}, each column a time step of one validation "
             "sequence, and the colour its value (blue below zero, orange above): a unit that keeps its colour over "
             "many steps is holding on to something, one that flickers follows the latest input.")
    summary = (f"{which.capitalize()} over steps {start}–{start + steps - 1}; values from "
               f"{states.min():.2f} to {states.max():.2f}; the state changes most at step {busiest}.")
    return {"states": [[float(f"{v:.3g}") for v in row] for row in states], "units": hidden.units,
            "first_step": start, "layer": _named(look), "guide": guide, "summary": summary}


def samples_plot(look: LookInside, decode: Callable[[list[int]], str] | None, vocab_size: int | None,
                 seed: str) -> dict[str, Any] | None:
    if not look.samples or decode is None or vocab_size is None:
        return None
    texts = [{"temperature": s.temperature, "text": decode(s.ids)} for s in look.samples
             if all(i < vocab_size for i in s.ids)]
    if not texts:
        return None
    return {"seed": seed, "texts": texts,
            "guide": "The same trained model continuing the same seed at two temperatures: at 0.5 it mostly picks its "
                     "likeliest next character (safer, more repetitive text), at 1.0 it samples its probabilities as "
                     "they are (more varied, and more mistakes)."}


def plots(look: LookInside, prepared: Any, seed: str = "") -> dict[str, Any]:
    """The report's plots["look_inside"]: only the figures that survived parsing, each with its reading guide."""
    vocab = getattr(prepared, "vocab", None)
    decode = getattr(prepared, "decode", None)
    found = {"gradient": gradient_plot(look), "hidden": hidden_plot(look),
             "samples": samples_plot(look, decode, len(vocab) if vocab is not None else None, seed)}
    return {k: v for k, v in found.items() if v is not None}
