"""Reference solution: the parameters of a stacked recurrent model, layer by layer, as Keras 3 counts them."""

from typing import Any


def layer_params(layer: dict[str, Any], features: int) -> tuple[int, int]:
    """(parameters, output features) of one layer that reads `features` numbers per time step."""
    kind = layer["type"]
    if kind == "Bidirectional":
        inner, width = layer_params(layer["layer"], features)  # two independent copies: forward and backward
        return 2 * inner, (2 * width if layer.get("merge_mode", "concat") == "concat" else width)
    if kind == "Dropout":
        return 0, features
    units = layer["units"]
    block = units * (features + units) + units  # one dense block over [input, previous state], with a bias
    if kind == "Dense":
        return features * units + units, units
    if kind == "SimpleRNN":
        return block, units
    if kind == "LSTM":
        return 4 * block, units  # i, f, c, o
    if kind == "GRU":
        extra_bias = 3 * units if layer.get("reset_after", True) else 0  # reset_after: a second bias row
        return 3 * block + extra_bias, units  # z, r, h
    raise ValueError(f"unknown layer type {kind!r}")


def count_params(layers: list[dict[str, Any]], input_features: int) -> tuple[list[int], int]:
    """Parameters of each layer of a Sequential stack, and their total."""
    per_layer = []
    features = input_features
    for layer in layers:
        params, features = layer_params(layer, features)
        per_layer.append(params)
    return per_layer, sum(per_layer)
