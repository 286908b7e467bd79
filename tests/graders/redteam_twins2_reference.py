"""Second red team of the NumPy twins (graders/recurrence.py) in phase B, after commit 922f93e (mark_influence never
runs a twin; the twins compute in the layer's float32 and decline outputs that hang on rounding; one kept-bytes budget
per pass; look-inside's Keras path keeps initial_state and zero_output_for_mask).

Executed as a script by test_redteam_twins2.py, so that the pytest process never imports TensorFlow. Each case is a
model a learner could save (built-in layers, keras.ops, initializers), saved and loaded with safe_mode, then measured
with the worker's own functions, in phase B's order: mark_influence (the graded verdicts), the predictions, then
look_inside; then every graded fact again, to see whether look-inside left anything behind. One JSON line per case:
- verdicts, and verdicts_after (mark_influence again after look-inside), twin_passes (twin forward passes made by
  the graded passes: must be 0), same_after (predict_on_batch bit for bit after look-inside), weights_same_after,
  left_patched (instance `call`s left on any layer);
- look_twins (layers look-inside ran as twins), eager_steps (recurrent cell calls Keras made eagerly during
  look_inside), steps (the same count for one Keras pass over the model: Keras's own look-inside pass), look_cpu;
- states_abs: look-inside's hidden-state figure against Keras's own eager pass (`gradients_and_states` without the
  twins, whose copy is a plain Keras layer with return_sequences=True); norms_rel_plain: its gradient figure
  against a plain tf.GradientTape over the unpatched model (numeric inputs), norms_rel against Keras's own pass.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "graders"))

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import recurrence  # noqa: E402
import worker  # noqa: E402
from twin_passes import counting_twin_passes  # noqa: E402

L = keras.layers
STEPS, VOCAB = 12, 20
Constant = keras.initializers.Constant
EAGER_STEPS = {"n": 0}  # recurrent cell calls; a compiled predict of an already traced shape makes none


def count_cell_calls() -> None:
    """Every stock cell's call counts one step (the signature kept: Keras inspects it for `training`)."""
    for cell in (L.SimpleRNNCell, L.GRUCell, L.LSTMCell):
        original = cell.call

        @functools.wraps(original)
        def counted(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            EAGER_STEPS["n"] += 1
            return __original(self, *args, **kwargs)

        cell.call = counted


def classify(*layers: Any, tokens: bool = False) -> keras.Model:
    inputs = keras.Input((STEPS,), dtype="int32") if tokens else keras.Input((STEPS, 1))
    model = keras.Sequential([inputs, *layers, L.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def functional(build: Any) -> keras.Model:
    inputs = keras.Input((STEPS, 1))
    model = keras.Model(inputs, build(inputs))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def explicit_mask(inputs: Any) -> Any:
    """The mask a Masking(0.0) layer would give, as a tensor: Keras passes a layer's mask on only when the layer
    is called with one tensor, so a layer given an initial_state is masked only by an explicit mask=."""
    return keras.ops.any(keras.ops.not_equal(inputs, 0.0), axis=-1)


def initial_state_masked(inputs: Any) -> Any:
    """A GRU that starts from a state computed from the sequence and skips its leading padding (mask=). Keras's RNN
    outputs zeros at masked steps before the first real one (its previous output starts at zeros), while the state
    it carries is the initial state; the layer's last output (what the model uses) is the same either way."""
    start = L.Dense(5, activation="tanh", bias_initializer=Constant(0.7))(L.Flatten()(inputs))
    return L.Dense(4, activation="softmax")(L.GRU(5)(inputs, initial_state=start, mask=explicit_mask(inputs)))


def initial_state_masked_bidirectional(inputs: Any) -> Any:
    summary = L.Flatten()(inputs)
    starts = [L.Dense(4, activation="tanh", bias_initializer=Constant(0.7))(summary) for _ in range(2)]
    pair = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="concat")
    every = pair(inputs, initial_state=[starts[0], starts[0], starts[1], starts[1]], mask=explicit_mask(inputs))
    return L.Dense(4, activation="softmax")(L.GlobalAveragePooling1D()(every))


def initial_state_masked_sequence(inputs: Any) -> Any:
    """The same GRU returning every step into Flatten: its leading masked outputs reach the prediction, so the twin
    (initial state there) and Keras (zeros) predict differently and the twin must not be believed."""
    start = L.Dense(5, activation="tanh", bias_initializer=Constant(0.7))(L.Flatten()(inputs))
    every = L.GRU(5, return_sequences=True)(inputs, initial_state=start, mask=explicit_mask(inputs))
    return L.Dense(4, activation="softmax")(L.Flatten()(every))


def go_backwards_masked_state(inputs: Any) -> Any:
    start = L.Dense(6, activation="tanh")(L.Flatten()(inputs))
    out, h = L.GRU(6, go_backwards=True, return_state=True, reset_after=False)(
        inputs, initial_state=start, mask=explicit_mask(inputs))
    return L.Dense(4, activation="softmax")(L.Concatenate()([out, h]))


def encoder_decoder() -> keras.Model:
    """Two token inputs: an encoder LSTM's final states start a decoder LSTM over the (embedded) decoder input."""
    source, target = keras.Input((STEPS,), dtype="int32"), keras.Input((STEPS,), dtype="int32")
    _, h, c = L.LSTM(6, return_state=True)(L.Embedding(VOCAB, 4, mask_zero=True)(source))
    every = L.LSTM(6, return_sequences=True)(L.Embedding(VOCAB, 4)(target), initial_state=[h, c])
    model = keras.Model([source, target], L.Dense(VOCAB, activation="softmax")(every))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


# name -> (builder, kind of data, options)
CASES: dict[str, Any] = {
    # hole: a believed twin whose hidden-state figure is not Keras's
    "initial_state_masked_gru": (lambda: functional(initial_state_masked), "prepadded_numbers", {}),
    # holes: look-inside pays Keras's eager pass twice when no twin runs (here: an activation the twins lack, and
    # the kept-bytes budget, scaled down so that the case costs seconds)
    "declined_softsign_gru": (lambda: classify(L.UpSampling1D(10), L.GRU(8, activation="softsign")), "numbers", {}),
    # past worker.LOOK_EAGER_STEPS of Keras's eager pass: no figure, and no eager step run
    "declined_softsign_long_gru": (lambda: classify(L.UpSampling1D(20), L.GRU(8, activation="softsign")), "numbers",
                                   {}),
    "declined_by_budget_gru": (lambda: classify(L.UpSampling1D(10), L.GRU(8)), "numbers", {"cap": 1}),
    # held: the twin is not believed when the difference reaches the prediction
    "initial_state_masked_sequence_gru": (lambda: functional(initial_state_masked_sequence), "prepadded_numbers", {}),
    # held: the twins' figures are Keras's own (the Bidirectional's directions here start from zeros at their
    # leading masked steps in Keras and in the twins alike)
    "initial_state_masked_bidirectional_lstm": (lambda: functional(initial_state_masked_bidirectional),
                                                "prepadded_numbers", {}),
    "go_backwards_masked_return_state_gru": (lambda: functional(go_backwards_masked_state), "prepadded_numbers", {}),
    "encoder_decoder_lstm": (encoder_decoder, "pairs", {}),
    "lstm_implementation_1_hard_sigmoid": (
        lambda: classify(L.LSTM(6, implementation=1, recurrent_activation="hard_sigmoid")), "numbers", {}),
    "gru_reset_before_no_bias_relu": (
        lambda: classify(L.GRU(6, reset_after=False, use_bias=False, activation="relu")), "numbers", {}),
    "bidirectional_sum_then_simple_rnn_masked": (
        lambda: classify(L.Masking(0.0), L.Bidirectional(L.GRU(5, return_sequences=True), merge_mode="sum"),
                         L.SimpleRNN(4, go_backwards=True)), "holes", {}),
    "time_distributed_after_gru": (
        lambda: classify(L.GRU(6, return_sequences=True), L.TimeDistributed(L.Dense(3)), L.LSTM(4)), "numbers", {}),
    # held: the budget spent mid-model (2 of 3 layers fit the scaled cap): twins and Keras's layers in one pass
    "budget_spent_mid_model": (
        lambda: classify(L.UpSampling1D(4), L.GRU(8, return_sequences=True), L.GRU(8, return_sequences=True),
                         L.GRU(8)), "numbers", {"cap_layers": 2}),
    # robustness: a NaN in a probe row (the rounding check is NaN: declined), and padding-only rows
    "nan_in_probe_row": (lambda: classify(L.GRU(6)), "nan", {}),
    "fully_masked_rows": (lambda: classify(L.Masking(0.0), L.LSTM(6)), "empty_rows", {}),
}


def data(kind: str, rng: np.random.Generator, rows: int = 96) -> tuple[Any, Any]:
    if kind == "pairs":
        source = rng.integers(1, VOCAB, size=(rows, STEPS)).astype("int32")
        for i, length in enumerate(rng.integers(3, STEPS + 1, size=rows)):
            source[i, :STEPS - length] = 0
        target = rng.integers(1, VOCAB, size=(rows, STEPS)).astype("int32")
        return [source, target], rng.integers(0, VOCAB, size=(rows, STEPS))
    x = rng.normal(size=(rows, STEPS, 1)).astype("float32")
    if kind == "prepadded_numbers":  # padding in front (row 0 included): the last step is real
        for i, length in enumerate(rng.integers(3, STEPS - 1, size=rows)):
            x[i, :STEPS - length] = 0.0
    if kind == "holes":
        x[rng.random(size=(rows, STEPS)) < 0.3] = 0.0
    if kind == "nan":
        x[64 + 3, 5, 0] = np.nan  # a probe row, not the first (whose states are shown)
    if kind == "empty_rows":
        x[64 + 1] = 0.0
        x[64 + 2] = 0.0
    return x, rng.integers(0, 4, size=rows)


def patched(model: keras.Model) -> list[str]:
    objects: list[Any] = []
    worker.flatten_layers(model, objects)
    inner = [getattr(o, name, None) for o in objects for name in ("forward_layer", "backward_layer", "layer")]
    return [o.name for o in [*objects, *inner] if o is not None and "call" in o.__dict__]


def verdicts(layers: list[dict[str, Any]]) -> list[Any]:
    return [[e["class"], e.get("influential")] for e in layers if "influential" in e]


def plain_norms(model: keras.Model, x: Any, y: Any) -> Any:
    """Ground truth: d loss_row / d x over the model as it is, no layer patched, no copy."""
    plain = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(plain)
        loss = model.compute_loss(x=plain, y=tf.convert_to_tensor(y), y_pred=model(plain, training=False),
                                  training=False)
    grad = np.asarray(tape.gradient(loss, plain), dtype="float64") * len(x)
    return np.sqrt((grad ** 2).sum(axis=2)).mean(axis=0)


def rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))


def measure(name: str, build: Any, kind: str, options: dict[str, Any], seed: int, folder: str) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    model = build()
    model.set_weights([rng.normal(scale=0.6, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    x, y = data(kind, rng)
    path = os.path.join(folder, name + ".keras")
    model.save(path)
    model = keras.saving.load_model(path, compile=True, safe_mode=True)
    several = isinstance(x, list)
    probe = [part[64:] for part in x] if several else x[64:]
    targets = y[64:]
    first = [part[:worker.LOOK_ROWS] for part in probe] if several else probe[:worker.LOOK_ROWS]
    # phase B's order: the graded verdicts (counting twin forward passes), the predictions, then look-inside
    with counting_twin_passes() as twin_passes:
        started = time.process_time()
        layers = worker.mark_influence(model, probe, np, targets, keras)
        influence_cpu = time.process_time() - started
    before = np.asarray(model.predict_on_batch(probe))
    weights = [w.copy() for w in model.get_weights()]
    cap = recurrence.MAX_KEPT_BYTES
    if "cap" in options:
        recurrence.MAX_KEPT_BYTES = options["cap"]
    if "cap_layers" in options:  # room for the first n layers' peak bytes, not n + 1
        directions = worker.recurrent_layers(model, keras)
        cells = [worker.numpy_cell(d, keras) for d in directions]
        sizes = [recurrence.peak_bytes(c, worker.LOOK_ROWS, int(d.input.shape[1]), "float32")
                 for c, d in zip(cells, directions, strict=True)]
        recurrence.MAX_KEPT_BYTES = sum(sizes[:options["cap_layers"]])
    try:
        EAGER_STEPS["n"] = 0
        started = time.process_time()
        found = worker.look_inside(model, probe, targets[:worker.LOOK_ROWS], None, keras, np)
        look_cpu = time.process_time() - started
        eager_steps = EAGER_STEPS["n"]
    finally:
        recurrence.MAX_KEPT_BYTES = cap
    row: dict[str, Any] = {"name": name, "verdicts": verdicts(layers), "twin_passes": len(twin_passes),
                           "influence_cpu": round(influence_cpu, 3), "look_twins": found.get("twins", 0),
                           "eager_steps": eager_steps, "look_cpu": round(look_cpu, 3),
                           "figures": sorted(k for k in ("gradient", "hidden") if k in found)}
    # what look-inside left behind: every graded fact again
    row["same_after"] = bool(np.array_equal(before, np.asarray(model.predict_on_batch(probe)), equal_nan=True))
    row["weights_same_after"] = all(np.array_equal(a, b, equal_nan=True)
                                    for a, b in zip(weights, model.get_weights(), strict=True))
    row["verdicts_after"] = verdicts(worker.mark_influence(model, probe, np, targets, keras))
    row["left_patched"] = patched(model)
    # the figures against Keras's own eager pass and the plain gradient
    layer = worker.first_recurrent(model)
    EAGER_STEPS["n"] = 0
    own = worker.gradients_and_states(model, layer, first, targets[:worker.LOOK_ROWS], np)
    row["steps"] = EAGER_STEPS["n"]  # the eager steps of one Keras pass over the model
    if "hidden" in found and own.states is not None:
        row["states_abs"] = float(np.max(np.abs(np.asarray(found["hidden"]["states"], dtype="float64")
                                                - own.states[:worker.LOOK_MAX_UNITS])))
    if "gradient" in found:
        row["norms_rel"] = rel(found["gradient"]["norms"], own.norms)
        if not several and kind != "nan":
            row["norms_rel_plain"] = rel(found["gradient"]["norms"], plain_norms(model, first,
                                                                                 targets[:worker.LOOK_ROWS]))
    return row


def influence_cost() -> dict[str, Any]:
    """Phase B's graded integrity passes, Keras's own eager ones since 922f93e: per recurrent layer, two passes of
    the whole model (its output varies; replaced by its mean), so the eager steps grow with layers x layers x steps.
    Three stacked GRU(16) over 240 steps (a window of 12 upsampled 20 times), 64 probe rows, against one compiled
    prediction of the same rows."""
    rng = np.random.default_rng(11)
    stack = [L.GRU(16, return_sequences=True) for _ in range(2)]
    model = classify(L.UpSampling1D(20), *stack, L.GRU(16))
    x, y = rng.normal(size=(64, STEPS, 1)).astype("float32"), rng.integers(0, 4, size=64)
    model.predict_on_batch(x)
    started = time.process_time()
    model.predict_on_batch(x)
    predict = time.process_time() - started
    EAGER_STEPS["n"] = 0
    started = time.process_time()
    worker.mark_influence(model, x, np, y, keras)
    influence = time.process_time() - started
    return {"name": "influence_cost_3_gru_240_steps", "predict_cpu": round(predict, 4),
            "influence_cpu": round(influence, 3), "eager_steps": EAGER_STEPS["n"], "steps": 3 * 240,
            "ratio": round(influence / max(predict, 1e-4), 1)}


def main() -> None:
    only = set(sys.argv[1].split(",")) if len(sys.argv) > 1 and sys.argv[1] else None
    count_cell_calls()
    with tempfile.TemporaryDirectory() as folder:
        for name, (build, kind, options) in CASES.items():
            if only is None or name in only:
                try:  # a seed per name: adding a case changes no other case's weights
                    row = measure(name, build, kind, options, zlib.crc32(name.encode()) % 1000, folder)
                except Exception as exc:  # noqa: BLE001 - a case that cannot be built says so, the rest still run
                    row = {"name": name, "error": f"{type(exc).__name__}: {exc}"[:500]}
                print(json.dumps(row), flush=True)
    if only is None or "influence_cost" in only:
        print(json.dumps(influence_cost()), flush=True)


if __name__ == "__main__":
    main()
