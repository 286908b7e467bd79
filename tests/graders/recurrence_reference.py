"""Look-inside through the NumPy twins (graders/recurrence.py) against Keras's own eager pass, on many models.

Executed as a script by test_recurrence_matches_keras.py, so that the pytest process never imports TensorFlow.
For each model below (random weights, large enough that gates are neither open nor shut), it runs the worker's
look_inside() (the NumPy twins, believed only when the prediction through them equals Keras's compiled one) and
the worker's gradients_and_states() without twins (every layer Keras's own), and prints one JSON line per model:
how many recurrent layers look-inside ran as twins, the largest relative difference of the gradient norms, the
largest difference of the hidden states, and the CPU time of each. A model is then run with a deliberately wrong
twin (the GRU's update and reset blocks swapped) to show the check bites. Last, the integrity checks
(mark_influence: does each recurrent layer, and each dropout / L2 layer, take part in the prediction) are run on
honest and hostile models (a GRU whispering beside a network, one frozen at zero, one multiplied by zero, a dropout
and an L2 layer on a dead branch), counting the twins' forward passes they make (none: a graded fact is never
computed by a twin): one JSON line each, the layer facts, that count and the time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
GRADERS = Path(__file__).resolve().parents[2] / "graders"
sys.path.insert(0, str(GRADERS))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import recurrence  # noqa: E402
import worker  # noqa: E402
from twin_passes import counting_twin_passes  # noqa: E402

L = keras.layers
STEPS, FEATURES, CLASSES, VOCAB = 12, 3, 4, 20


def numbers() -> keras.Input:
    return keras.Input(shape=(STEPS, FEATURES))


def tokens() -> keras.Input:
    return keras.Input(shape=(STEPS,), dtype="int32")


def classify(*layers: Any, inputs: Any = None) -> keras.Model:
    model = keras.Sequential([inputs if inputs is not None else numbers(), *layers,
                              L.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def regress(*layers: Any, per_step: bool = False) -> keras.Model:
    model = keras.Sequential([numbers(), *layers, L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.per_step = per_step  # type: ignore[attr-defined]
    return model


def functional_return_state() -> keras.Model:
    inputs = numbers()
    sequence, h, c = L.LSTM(6, return_sequences=True, return_state=True)(inputs)
    out = L.Dense(CLASSES, activation="softmax")(L.Concatenate()([L.GRU(5)(sequence), h, c]))
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def encoder_decoder(kind: Any, mask_source: bool) -> keras.Model:
    """seq2seq-dates' shape: an encoder whose final state starts a decoder; two inputs of token ids."""
    source, target = tokens(), keras.Input(shape=(5,), dtype="int32")
    _, *state = kind(6, return_state=True)(L.Embedding(VOCAB, 5, mask_zero=mask_source)(source))
    steps = kind(6, return_sequences=True)(L.Embedding(CLASSES, 3)(target), initial_state=state)
    model = keras.Model([source, target], L.Dense(CLASSES, activation="softmax")(steps))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


MODELS: dict[str, Any] = {
    "simple_rnn": lambda: classify(L.SimpleRNN(8)),
    "simple_rnn_relu_no_bias": lambda: classify(L.SimpleRNN(8, activation="relu", use_bias=False)),
    "gru": lambda: classify(L.GRU(8)),
    "gru_reset_before": lambda: classify(L.GRU(8, reset_after=False)),
    "gru_backwards": lambda: classify(L.GRU(8, go_backwards=True)),
    "gru_no_bias_sequences": lambda: regress(L.GRU(7, use_bias=False, return_sequences=True), per_step=True),
    "lstm": lambda: classify(L.LSTM(8)),
    "lstm_hard_sigmoid_relu": lambda: classify(L.LSTM(8, activation="relu", recurrent_activation="hard_sigmoid")),
    "lstm_implementation_1": lambda: classify(L.LSTM(8, implementation=1)),
    "lstm_regression": lambda: regress(L.LSTM(6)),
    "bidirectional_gru_then_gru": lambda: classify(L.Bidirectional(L.GRU(6, return_sequences=True)), L.GRU(6)),
    "bidirectional_lstm_sum": lambda: classify(L.Bidirectional(L.LSTM(6), merge_mode="sum")),
    "bidirectional_simple_mul": lambda: classify(L.Bidirectional(L.SimpleRNN(6, return_sequences=True),
                                                                 merge_mode="mul"), L.LSTM(5)),
    "stacked_three_kinds": lambda: classify(L.SimpleRNN(6, return_sequences=True), L.LSTM(6, return_sequences=True),
                                            L.GRU(6)),
    "conv_then_lstm": lambda: classify(L.Conv1D(5, 3, padding="causal"), L.LSTM(6)),
    "embedding_mask_gru": lambda: classify(L.Embedding(VOCAB, 5, mask_zero=True), L.GRU(8), inputs=tokens()),
    "embedding_mask_bidirectional_lstm": lambda: classify(L.Embedding(VOCAB, 5, mask_zero=True),
                                                          L.Bidirectional(L.LSTM(5, return_sequences=True)),
                                                          L.GRU(4), inputs=tokens()),
    "embedding_mask_lstm_backwards": lambda: classify(L.Embedding(VOCAB, 5, mask_zero=True),
                                                      L.LSTM(6, go_backwards=True), inputs=tokens()),
    "masking_simple_rnn_sequences": lambda: classify(L.Masking(0.0), L.SimpleRNN(6, return_sequences=True),
                                                     L.GlobalAveragePooling1D()),
    "return_state_lstm_then_gru": functional_return_state,
    "encoder_decoder_lstm_masked": lambda: encoder_decoder(L.LSTM, True),
    "encoder_decoder_gru": lambda: encoder_decoder(L.GRU, False),
    # Twins decline this layer (an activation they do not know): Keras's own path runs it.
    "softsign_gru": lambda: classify(L.GRU(8, activation="softsign")),
}


def data(model: keras.Model, rng: np.random.Generator) -> tuple[Any, np.ndarray]:
    rows = 64
    if len(model.inputs) == 2:  # encoder-decoder: padded sources, teacher-forced decoder inputs, per-step targets
        source = rng.integers(1, VOCAB, size=(rows, STEPS)).astype("int32")
        for i, length in enumerate(rng.integers(3, STEPS + 1, size=rows)):
            source[i, length:] = 0
        return [source, rng.integers(0, CLASSES, size=(rows, 5)).astype("int32")], rng.integers(0, CLASSES, (rows, 5))
    if model.inputs[0].dtype == "int32":
        x = rng.integers(1, VOCAB, size=(rows, STEPS)).astype("int32")
        for i, length in enumerate(rng.integers(3, STEPS + 1, size=rows)):
            x[i, length:] = 0  # padded tails of different lengths
    else:
        x = rng.normal(size=(rows, STEPS, FEATURES)).astype("float32")
        if any(isinstance(layer, L.Masking) for layer in model.layers):
            for i, length in enumerate(rng.integers(3, STEPS + 1, size=rows)):
                x[i, length:] = 0.0
    if getattr(model, "per_step", False):
        y = rng.normal(size=(rows, STEPS, 1)).astype("float32")
    elif model.loss == "mse":
        y = rng.normal(size=(rows, 1)).astype("float32")
    else:
        y = rng.integers(0, CLASSES, size=rows)
    return x, y


def measure(name: str, build: Any, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    model = build()
    model.set_weights([rng.normal(scale=0.6, size=w.shape).astype("float32") for w in model.get_weights()])
    x, y = data(model, rng)
    layer = worker.first_recurrent(model)
    started = time.process_time()
    found = worker.look_inside(model, x, y[:worker.LOOK_ROWS], None, keras, np)
    fast_cpu = time.process_time() - started
    started = time.process_time()
    rows = worker.LOOK_ROWS
    x_rows = [part[:rows] for part in x] if isinstance(x, list) else x[:rows]
    norms, states, _, _ = worker.gradients_and_states(model, layer, x_rows, y[:rows], np)
    keras_cpu = time.process_time() - started
    ours_norms = np.asarray(found["gradient"]["norms"], dtype="float64")
    ours_states = np.asarray(found["hidden"]["states"], dtype="float64")
    return {"name": name, "twins": found.get("twins", 0), "steps": len(ours_norms),
            "norms_rel": float(np.max(np.abs(ours_norms - norms)) / max(float(np.max(np.abs(norms))), 1e-30)),
            "states_abs": float(np.max(np.abs(ours_states - states))), "min_norm": float(norms.min()),
            "look_inside_cpu": round(fast_cpu, 4), "keras_cpu": round(keras_cpu, 4)}


def influence_models() -> dict[str, Any]:
    def functional(branch: Any, beside: bool = True) -> keras.Model:
        inputs = numbers()
        out = branch(inputs)
        if beside:
            hidden = L.Dense(16, activation="tanh")(L.Flatten()(inputs))
            out = L.Add()([L.Dense(1)(hidden), out])
        model = keras.Model(inputs, out)
        model.compile(optimizer="adam", loss="mse")
        return model

    def frozen_zero(inputs: Any) -> Any:
        gru = L.GRU(4, kernel_initializer="zeros", recurrent_initializer="zeros", bias_initializer="zeros")
        gru.trainable = False
        return L.Dense(1)(gru(inputs))

    def dead_regularised(inputs: Any) -> Any:
        hidden = L.Dropout(0.5)(L.Dense(8, kernel_regularizer=keras.regularizers.L2(1e-2))(L.Flatten()(inputs)))
        return L.Add()([L.Rescaling(0.0)(L.Dense(1)(hidden)), L.Dense(1)(L.LSTM(6)(inputs))])

    return {
        "working_gru": lambda: functional(lambda i: L.Dense(1)(L.GRU(6)(i)), beside=False),
        "gru_beside_network": lambda: functional(lambda i: L.Dense(1)(L.GRU(6)(i))),
        "whispering_gru": lambda: functional(lambda i: L.Rescaling(1e-3)(L.Dense(1)(L.GRU(6)(i)))),
        "gru_times_zero": lambda: functional(lambda i: L.Rescaling(0.0)(L.Dense(1)(L.GRU(6)(i)))),
        "frozen_zero_gru": lambda: functional(frozen_zero),
        "bidirectional_then_lstm": lambda: functional(
            lambda i: L.Dense(1)(L.LSTM(5)(L.Bidirectional(L.GRU(5, return_sequences=True))(i))), beside=False),
        "dead_dropout_and_l2": lambda: functional(dead_regularised, beside=False),
    }


def influence(name: str, build: Any, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    model = build()
    model.set_weights([w if not np.any(w) and name == "frozen_zero_gru" else
                       rng.normal(scale=0.6, size=w.shape).astype("float32") for w in model.get_weights()])
    probe = rng.normal(size=(64, STEPS, FEATURES)).astype("float32")
    base = model.predict_on_batch(probe)
    targets = base + rng.normal(0.0, float(base.std()), base.shape)  # an error about the size of the signal
    with counting_twin_passes() as twin_passes:
        started = time.process_time()
        layers = worker.mark_influence(model, probe, np, targets, keras)
        cpu = time.process_time() - started
    return {"name": name, "influence": True, "twin_passes": len(twin_passes),
            "influential": [e.get("influential") for e in layers if "influential" in e], "cpu": round(cpu, 4)}


def main() -> None:
    for seed, (name, build) in enumerate(MODELS.items()):
        print(json.dumps(measure(name, build, seed)), flush=True)
    # The check bites: a twin that reads the GRU's update and reset blocks swapped must not be believed.
    true_forward = recurrence.forward

    def swapped(cell: recurrence.Cell, *args: Any, **kwargs: Any) -> Any:
        u = cell.units
        order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]
        wrong = recurrence.Cell(**{**cell.__dict__, "kernel": cell.kernel[:, order],
                                   "recurrent": cell.recurrent[:, order],
                                   "input_bias": cell.input_bias[order], "recurrent_bias": cell.recurrent_bias[order]})
        return true_forward(wrong, *args, **kwargs)

    recurrence.forward = swapped
    try:
        print(json.dumps({**measure("swapped_gates_twin", MODELS["gru"], 99), "swapped": True}), flush=True)
    finally:
        recurrence.forward = true_forward
    for seed, (name, build) in enumerate(influence_models().items()):
        print(json.dumps(influence(name, build, 100 + seed)), flush=True)


if __name__ == "__main__":
    main()
