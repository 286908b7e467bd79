"""Count the parameters of a stacked recurrent model, layer by layer, exactly as Keras 3 counts them.

The grader calls count_params on hidden model descriptions and compares your counts with
keras.Model.count_params() (through a reference that matches it on every case).

As written, the function runs and counts Dense, Dropout and SimpleRNN layers correctly, and carries the
width from layer to layer. But it counts every recurrent layer as if it were a SimpleRNN, gates or no gates,
and a Bidirectional wrapper as its inner layer alone. Submit it once to see which checks fail, then fix the TODOs.
"""

from typing import Any


def layer_params(layer: dict[str, Any], features: int) -> tuple[int, int]:
    """(parameters, output features) of one layer that reads `features` numbers per time step.

    A layer is a dict, for example:
        {"type": "SimpleRNN", "units": 16, "return_sequences": True}
        {"type": "LSTM", "units": 32}
        {"type": "GRU", "units": 8}                       (Keras 3's default reset_after=True)
        {"type": "GRU", "units": 8, "reset_after": False}
        {"type": "Dense", "units": 1}
        {"type": "Dropout", "rate": 0.2}
        {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 16}, "merge_mode": "sum"}
                                                          (merge_mode is optional; Keras's default is "concat")
    """
    kind = layer["type"]
    if kind == "Bidirectional":
        # TODO 2: a Bidirectional layer holds two copies of its layer, and with merge_mode "concat" (the
        #         default) its output is twice as wide: the next layer reads both directions side by side.
        return layer_params(layer["layer"], features)
    if kind == "Dropout":
        return 0, features
    units = layer["units"]
    if kind == "Dense":
        return features * units + units, units
    # TODO 1: this is the count of a SimpleRNN: kernel (features x units), recurrent kernel (units x units)
    #         and bias (units). LSTM and GRU layers have several such blocks, one per gate (and the GRU one
    #         more bias row by default). How many?
    return units * (features + units) + units, units


def count_params(layers: list[dict[str, Any]], input_features: int) -> tuple[list[int], int]:
    """The parameters of each layer of a Sequential stack, and their total.

    Args:
        layers:         the model's layers, first to last (dicts as in layer_params).
        input_features: features per time step of the model's input, e.g. 1 for a single series.

    Returns:
        (per_layer, total): a list with one int per layer, in order, and their sum, exactly as
        [layer.count_params() for layer in model.layers] and model.count_params() would report them.
    """
    per_layer = []
    features = input_features
    for layer in layers:
        params, features = layer_params(layer, features)  # the next layer reads this layer's output width
        per_layer.append(params)
    return per_layer, sum(per_layer)
