"""Test cases for count_params: described models, and the counts that typical mistakes give.

A model is a list of layer dicts, as the learner's docstring describes. random_stack(rng) draws a valid
Sequential stack; the test that checks this lesson against keras.Model.count_params() uses it too.
NumPy only (and plain Python): this file runs inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Layer = dict[str, Any]
RECURRENT = ("SimpleRNN", "LSTM", "GRU")


def _variant(layer: Layer, features: int, mistake: str | None) -> tuple[int, int]:
    """(parameters, output width) of one layer, right when mistake is None, else as that mistake counts it."""
    kind = layer["type"]
    if kind == "Bidirectional":
        inner, width = _variant(layer["layer"], features, mistake)
        concat = layer.get("merge_mode", "concat") == "concat"
        if mistake == "bidirectional_once":
            return inner, width
        if mistake == "bidirectional_width":
            return 2 * inner, width
        return 2 * inner, 2 * width if concat else width
    if kind == "Dropout":
        return 0, features
    units = layer["units"]
    if kind == "Dense":
        return features * units + units, units
    recurrent = 0 if mistake == "no_recurrent" else units * units
    block = features * units + recurrent + units
    if kind == "SimpleRNN" or mistake == "no_gates":
        return block, units
    if kind == "LSTM":
        return 4 * block, units
    reset_after = layer.get("reset_after", True)
    if mistake == "gru_one_bias":
        reset_after = False
    elif mistake == "gru_two_biases":
        reset_after = True
    return 3 * block + (3 * units if reset_after else 0), units


def _count(layers: Sequence[Layer], features: int, mistake: str | None = None) -> tuple[list[int], int]:
    per_layer = []
    width = features
    for layer in layers:
        params, out = _variant(layer, width if mistake != "input_everywhere" else features, mistake)
        per_layer.append(params)
        width = out
    return per_layer, sum(per_layer)


MISTAKES = {
    "no_recurrent": "you left out the recurrent weights. A recurrent layer also multiplies its previous state "
                    "by a (units × units) matrix: a SimpleRNN has units · (features + units) + units parameters.",
    "no_gates": "you counted a gated layer like a SimpleRNN. An LSTM has four blocks (i, f, c, o) and a GRU "
                "three (z, r, h), each a full set of input weights, recurrent weights and bias.",
    "gru_one_bias": "you counted the GRU with one bias per block. Keras 3's GRU defaults to reset_after=True, "
                    "which has two bias rows: 3 · units · (features + units) + 6 · units.",
    "gru_two_biases": "this GRU has reset_after=False: one bias per block, 3 · (units · (features + units) + units).",
    "input_everywhere": "every layer after the first reads the output of the layer before it, not the model's "
                        "input: a layer's input features are the previous layer's units (doubled after a "
                        "concatenating Bidirectional).",
    "bidirectional_once": "a Bidirectional layer holds two independent copies of its layer, one reading forwards "
                          "and one backwards: twice the parameters.",
    "bidirectional_width": "check the width of a Bidirectional layer's output: with merge_mode='concat' (the "
                           "default) it is 2 · units, which the next layer reads; with 'sum', 'ave' or 'mul' "
                           "it is units.",
}


def _case(check: str, title: str, hint: str, layers: list[Layer], features: int,
          mistakes: Sequence[str] = tuple(MISTAKES)) -> dict:
    right = _count(layers, features)
    found = []
    for mistake in mistakes:
        value = _count(layers, features, mistake)
        if value != right and all(value != m["value"] for m in found):  # one hint per distinct wrong answer
            found.append({"value": value, "hint": MISTAKES[mistake]})
    return {"check": check, "title": title, "function": "count_params", "args": [layers, features], "hint": hint,
            "mistakes": found}


def _recurrent(rng: np.random.Generator, return_sequences: bool) -> Layer:
    kind = RECURRENT[int(rng.integers(3))]
    layer: Layer = {"type": kind, "units": int(rng.integers(1, 65)), "return_sequences": return_sequences}
    if kind == "GRU" and rng.random() < 0.3:
        layer["reset_after"] = False
    return layer


def random_stack(rng: np.random.Generator) -> tuple[list[Layer], int]:
    """A valid Sequential stack: recurrent layers (some bidirectional, some dropout between), then dense layers."""
    n_recurrent = int(rng.integers(1, 4))
    layers: list[Layer] = []
    for index in range(n_recurrent):
        layer = _recurrent(rng, return_sequences=index < n_recurrent - 1 or rng.random() < 0.3)
        if rng.random() < 0.4:
            wrapped: Layer = {"type": "Bidirectional", "layer": layer}
            if rng.random() < 0.5:
                wrapped["merge_mode"] = ["concat", "sum", "ave", "mul"][int(rng.integers(4))]
            layer = wrapped
        layers.append(layer)
        if rng.random() < 0.3:
            layers.append({"type": "Dropout", "rate": 0.2})
    for _ in range(int(rng.integers(1, 3))):
        layers.append({"type": "Dense", "units": int(rng.integers(1, 33))})
    return layers, int(rng.integers(1, 17))


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    title = "SimpleRNN: units · (features + units) + units"
    hint = (
        "A SimpleRNN has a kernel (features × units), a recurrent kernel (units × units) and a bias (units): "
        "SimpleRNN(4) on 3 features has 12 + 16 + 4 = 32 parameters."
    )
    for units, features in [(4, 3), (16, 1)]:
        cases.append(_case("simple_rnn", title, hint, [{"type": "SimpleRNN", "units": units}], features))

    title = "LSTM: four gate blocks"
    hint = "An LSTM has four blocks (i, f, c, o), each as big as a SimpleRNN: 4 · (units · (features + units) + units)."
    for units, features in [(8, 2), (32, 5)]:
        cases.append(_case("lstm", title, hint, [{"type": "LSTM", "units": units}], features))

    title = "GRU: three blocks, and two bias rows with reset_after=True"
    hint = (
        "A GRU has three blocks (z, r, h). Keras 3's default reset_after=True adds a second bias row: "
        "3 · units · (features + units) + 6 · units. With reset_after=False it is 3 · (units · (features + units) "
        "+ units)."
    )
    for units, features in [(16, 1), (5, 7)]:
        cases.append(_case("gru", title, hint, [{"type": "GRU", "units": units}], features))
    cases.append(_case("gru", title, hint, [{"type": "GRU", "units": 6, "reset_after": False}], 3))

    title = "A stack: each layer reads the previous layer's output"
    hint = (
        "Carry the width through the stack: a layer's input features are the units of the layer before it "
        "(the model's input features only for the first). return_sequences changes the shape over time, not "
        "the number of features, and so not the count."
    )
    stacks = [
        ([{"type": "LSTM", "units": 32, "return_sequences": True}, {"type": "LSTM", "units": 16},
          {"type": "Dense", "units": 1}], 3),
        ([{"type": "GRU", "units": 8, "return_sequences": True}, {"type": "SimpleRNN", "units": 12,
          "return_sequences": True}, {"type": "GRU", "units": 4}, {"type": "Dense", "units": 3}], 2),
    ]
    for layers, features in stacks:
        cases.append(_case("stack", title, hint, layers, features))

    title = "Bidirectional: two copies, and a wider output"
    hint = (
        "Bidirectional(layer) has two independent copies of the layer (forwards and backwards): twice its "
        "parameters. With merge_mode='concat' (the default) its output has 2 · units features, so the next "
        "layer reads 2 · units; with 'sum', 'ave' or 'mul' it reads units."
    )
    bidirectional = [
        ([{"type": "Bidirectional", "layer": {"type": "SimpleRNN", "units": 4, "return_sequences": True}},
          {"type": "SimpleRNN", "units": 3}], 2),
        ([{"type": "Bidirectional", "layer": {"type": "LSTM", "units": 10}}, {"type": "Dense", "units": 2}], 4),
        ([{"type": "Bidirectional", "layer": {"type": "GRU", "units": 6, "return_sequences": True},
           "merge_mode": "sum"}, {"type": "GRU", "units": 5}], 3),
    ]
    for layers, features in bidirectional:
        cases.append(_case("bidirectional", title, hint, layers, features))

    title = "Dense layers count features · units + units; Dropout has none"
    hint = (
        "Dense(units) on f features has f · units weights and units biases, also when it is applied to every "
        "time step of a sequence (the same weights at every step). Dropout has no parameters and does not "
        "change the width."
    )
    dense = [
        ([{"type": "Dense", "units": 8}, {"type": "Dropout", "rate": 0.5}, {"type": "Dense", "units": 1}], 5),
        ([{"type": "LSTM", "units": 4, "return_sequences": True}, {"type": "Dropout", "rate": 0.2},
          {"type": "Dense", "units": 2}], 1),
    ]
    for layers, features in dense:
        cases.append(_case("dense_dropout", title, hint, layers, features))

    title = "Larger stacks of every kind"
    hint = (
        "Count one layer at a time and carry the output width to the next layer: recurrent layers output "
        "units features, Bidirectional with concat 2 · units, Dense units, Dropout what it reads."
    )
    for _ in range(4):
        layers, features = random_stack(rng)
        cases.append(_case("mixed", title, hint, layers, features))
    return cases
