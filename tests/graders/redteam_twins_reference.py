"""Red team of the NumPy twins (graders/recurrence.py) in phase B's integrity checks and look-inside figures.

Executed as a script by test_redteam_twins.py, so that the pytest process never imports TensorFlow. Each case is a
model a learner could save (built-in layers, initializers, dtype policies); it is saved, loaded with safe_mode, and
measured with the worker's own functions: the integrity verdicts (mark_influence, counting the twins' forward
passes it makes: none), look-inside (the twins where they are believed) against Keras's own eager pass and against
the plain gradient. One JSON line per case: the verdicts, the twin passes in them, how many layers look-inside ran
as twins, the look-inside figures' largest differences, and for the robustness cases the time and whether every
patched `call` was put back.
"""

from __future__ import annotations

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


def cancelling(dtype: str | None = None, big: float = 2.0**23, units: int = 2) -> Any:
    """A frozen SimpleRNN, initializers only, whose float32 arithmetic erases its input: h_t = relu(w x_t + B - h_{t-1})
    with B = 2^23 (float32 spacing 1) and |w x| < 0.5, so Keras computes B at odd steps and B - B = 0 at even ones:
    after 12 steps every row's output is exactly 0. The float64 twin keeps w x (the spacing at 2^23 is 2e-9): its output
    is relu of an alternating sum of the inputs, about 0.1 on average. Two units of recurrent weight -1/2 each (the
    same arithmetic): the integrity check's weight noise then has cross terms that move the output (Keras's own
    compiled pass) as for any live layer. (Identity(gain=-1) would be simpler, but phase B's rebuild loses the gain.)"""
    return L.SimpleRNN(units, activation="relu", kernel_initializer=Constant(0.05),
                       recurrent_initializer=Constant(-1.0 / units), bias_initializer=Constant(big),
                       trainable=False, dtype=dtype)


def regression_beside(rnn: Any, dropout: bool = False, side: float = 0.1) -> keras.Model:
    """A linear network that does the work (predictions about 100), plus the recurrent layer through a small frozen
    Dense: in Keras it adds exactly 0."""
    inputs = keras.Input((STEPS, 1))
    sequence = L.Dropout(0.5)(inputs) if dropout else inputs
    whisper = L.Dense(1, kernel_initializer=Constant(side), use_bias=False, trainable=False)(rnn(sequence))
    main = L.Dense(1, kernel_initializer="ones", bias_initializer=Constant(100.0))(L.Flatten()(inputs))
    model = keras.Model(inputs, L.Add()([main, whisper]))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def quantised() -> keras.Model:
    """The cancelling layer's even-step output (Keras: exactly 0; the twin: v = relu of an alternating sum of the
    inputs, 0 on about half the rows) read by a second frozen SimpleRNN, h = tanh(1e6 v) (no bias, no recurrence):
    Keras's output is exactly 0 on every row, the twin's exactly 0 or 1 (float32). The prediction adds
    10 g(h), g(h) = |h| - 2 relu(|h| - 1/2), which is 0 at 0 and at 1: exactly nothing through Keras and through
    the twins alike on every probe row, so the twins agree with Keras to the last bit whatever the model's scale and
    error. Replacing the twin's output by its mean over the rows (0 < m < 1) moves the prediction by 10 g(m):
    "matters". The integrity check's weight noise (Keras's own compiled pass) makes the pre-activation nonzero, so
    g(tanh) > 0: "moves". Keras's own eager pass: the output never varies, "not influential"."""
    inputs = keras.Input((STEPS, 1))
    frozen = {"trainable": False}
    sequence = L.SimpleRNN(2, activation="relu", kernel_initializer=Constant(0.05),
                           recurrent_initializer=Constant(-0.5), bias_initializer=Constant(2.0**23),
                           return_sequences=True, **frozen)(inputs)
    h = L.SimpleRNN(1, activation="tanh", kernel_initializer=Constant(1e6), recurrent_initializer="zeros",
                    bias_initializer="zeros", **frozen)(sequence)
    size = L.Add()([L.Dense(1, activation="relu", kernel_initializer=Constant(sign), use_bias=False, **frozen)(h)
                    for sign in (1.0, -1.0)])
    over_half = L.Dense(1, activation="relu", kernel_initializer="ones", bias_initializer=Constant(-0.5),
                        **frozen)(size)
    bump = L.Add()([size, L.Dense(1, kernel_initializer=Constant(-2.0), use_bias=False, **frozen)(over_half)])
    gap = L.Dense(1, kernel_initializer=Constant(10.0), use_bias=False, **frozen)(bump)
    main = L.Dense(1)(L.Flatten()(inputs))
    model = keras.Model(inputs, L.Add()([main, gap]))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


def classify(*layers: Any, tokens: bool = False) -> keras.Model:
    inputs = keras.Input((STEPS,), dtype="int32") if tokens else keras.Input((STEPS, 1))
    model = keras.Sequential([inputs, *layers, L.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def functional(build: Any, loss: str = "sparse_categorical_crossentropy") -> keras.Model:
    inputs = keras.Input((STEPS, 1))
    model = keras.Model(inputs, build(inputs))
    model.compile(optimizer="adam", loss=loss)
    return model


def initial_state(inputs: Any) -> Any:
    summary = L.Flatten()(inputs)
    h, c = L.Dense(5, activation="tanh")(summary), L.Dense(5, activation="tanh")(summary)
    return L.Dense(4, activation="softmax")(L.LSTM(5)(inputs, initial_state=[h, c]))


def shared_twice(inputs: Any) -> Any:
    gru = L.GRU(5)
    return L.Dense(4, activation="softmax")(L.Concatenate()([gru(inputs), gru(L.Multiply()([inputs, inputs]))]))


def nested(inputs: Any) -> Any:
    inner = keras.Sequential([keras.Input((STEPS, 1)), L.GRU(5, return_sequences=True), L.LSTM(4)])
    return L.Dense(4, activation="softmax")(inner(inputs))


def return_state_used(inputs: Any) -> Any:
    out, h = L.GRU(5, return_state=True)(inputs)
    return L.Dense(4, activation="softmax")(L.Concatenate()([out, h]))


def masked_return_state_backwards(inputs: Any) -> Any:
    out, h, c = L.LSTM(5, return_state=True, go_backwards=True)(L.Masking(0.0)(inputs))
    return L.Dense(4, activation="softmax")(L.Concatenate()([out, h, c]))


def masked_initial_state(inputs: Any) -> Any:
    start = L.Dense(5, activation="tanh")(L.Flatten()(inputs))
    return L.Dense(4, activation="softmax")(L.GRU(5)(L.Masking(0.0)(inputs), initial_state=start))


# name -> (builder, kind of data): the cases whose twin must equal Keras (or decline), and the three attacks
CASES: dict[str, Any] = {
    # attacks: a layer Keras computes as a constant, the twin as a function of the input
    "cancelling_rnn": (lambda: regression_beside(cancelling()), "offset"),
    "cancelling_rnn_dropout_credit": (lambda: regression_beside(cancelling(), dropout=True), "offset"),
    "cancelling_rnn_bfloat16": (lambda: regression_beside(cancelling("bfloat16", big=256.0)), "offset"),
    "quantised_cancelling_rnn": (quantised, "unit"),
    # what held (or declined)
    "gru_bfloat16": (lambda: classify(L.GRU(6, recurrent_initializer="glorot_uniform", dtype="bfloat16")),
                     "numbers"),
    "gru_mixed_float16": (lambda: classify(L.GRU(6, dtype="mixed_float16")), "numbers"),
    "lstm_float64": (lambda: classify(L.LSTM(6, dtype="float64")), "numbers"),
    "masking_mid_sequence_gru": (lambda: classify(L.Masking(0.0), L.GRU(6)), "holes"),
    "embedding_prepadded_lstm": (lambda: classify(L.Embedding(VOCAB, 4, mask_zero=True), L.LSTM(6), tokens=True),
                                 "prepadded"),
    "embedding_prepadded_bidirectional_ave": (
        lambda: classify(L.Embedding(VOCAB, 4, mask_zero=True),
                         L.Bidirectional(L.GRU(5, return_sequences=True), merge_mode="ave"), L.GRU(4), tokens=True),
        "prepadded"),
    "zero_output_for_mask_gru_last": (lambda: classify(L.Masking(0.0), L.GRU(6, zero_output_for_mask=True)), "holes"),
    "initial_state_from_dense": (lambda: functional(initial_state), "numbers"),
    "shared_gru_twice": (lambda: functional(shared_twice), "numbers"),
    "nested_model": (lambda: functional(nested), "numbers"),
    "return_state_used": (lambda: functional(return_state_used), "numbers"),
    "masked_return_state_lstm_backwards": (lambda: functional(masked_return_state_backwards), "holes"),
    "masked_initial_state_gru": (lambda: functional(masked_initial_state), "holes"),
    "unrolled_lstm": (lambda: classify(L.LSTM(6, unroll=True)), "numbers"),
    "saturated_lstm": (lambda: classify(L.LSTM(6)), "numbers"),  # weights scaled by 30 below
}


def data(kind: str, rng: np.random.Generator, rows: int = 96) -> tuple[np.ndarray, np.ndarray]:
    if kind in ("prepadded",):
        x = rng.integers(1, VOCAB, size=(rows, STEPS)).astype("int32")
        for i, length in enumerate(rng.integers(3, STEPS + 1, size=rows)):
            x[i, :STEPS - length] = 0  # padding in front: the last step is real
        return x, rng.integers(0, 4, size=rows)
    x = rng.normal(size=(rows, STEPS, 1)).astype("float32")
    if kind == "holes":
        x[rng.random(size=(rows, STEPS)) < 0.3] = 0.0  # masked steps anywhere, the last one included
    if kind == "unit":  # a normalised regression: predictions and errors of order 1
        return x, (0.3 * x.sum(axis=(1, 2)) + rng.normal(0.0, 0.5, rows)).astype("float32")[:, None]
    if kind == "offset":  # a target the linear path predicts to within 0.1: predictions about 100
        return x, (100.0 + x.sum(axis=(1, 2)) + rng.normal(0.0, 0.1, rows)).astype("float32")[:, None]
    return x, rng.integers(0, 4, size=rows)


def patched(model: keras.Model) -> list[str]:
    """Layers that still carry an instance `call` (a twin or a probe left behind)."""
    objects: list[Any] = []
    worker.flatten_layers(model, objects)
    inner = [getattr(o, name, None) for o in objects for name in ("forward_layer", "backward_layer", "layer")]
    return [o.name for o in [*objects, *inner] if o is not None and "call" in o.__dict__]


def verdicts(layers: list[dict[str, Any]]) -> list[Any]:
    return [[e["class"], e.get("influential")] for e in layers if "influential" in e]


def measure(name: str, build: Any, kind: str, seed: int, folder: str) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    model = build()
    if "cancelling" not in name:
        scale = 30.0 if name == "saturated_lstm" else 0.6
        model.set_weights([rng.normal(scale=scale, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    x, y = data(kind, rng)
    path = os.path.join(folder, name + ".keras")
    model.save(path)
    model = keras.saving.load_model(path, compile=True, safe_mode=True)
    if "cancelling" in name:  # phase B's own path: fresh weights from the initializers, then a fit
        model = worker.fresh_model(model, 0, keras)
        model.fit(x[:64], y[:64], epochs=2, batch_size=16, verbose=0, shuffle=False)
    probe, targets = x[64:], y[64:]
    base = np.asarray(model.predict_on_batch(probe), dtype="float64")
    with counting_twin_passes() as twin_passes:
        started = time.process_time()
        layers = worker.mark_influence(model, probe, np, targets, keras)
        cpu = time.process_time() - started
    row: dict[str, Any] = {"name": name, "verdicts": verdicts(layers), "twin_passes": len(twin_passes),
                           "cpu": round(cpu, 3),
                           "rmse": float(np.sqrt(np.mean((base - worker._like_outputs(targets, base, np)) ** 2))),
                           "scale": float(np.abs(base).max())}
    layer = worker.first_recurrent(model)
    found = worker.look_inside(model, probe, targets[:worker.LOOK_ROWS], None, keras, np)
    norms, states, _, _ = worker.gradients_and_states(model, layer, probe[:worker.LOOK_ROWS],
                                                      targets[:worker.LOOK_ROWS], np)
    row["look_twins"] = found.get("twins", 0)
    if kind != "prepadded":  # numbers in: the plain Keras gradient, no layer patched, is the ground truth
        plain = tf.convert_to_tensor(probe[:worker.LOOK_ROWS])
        with tf.GradientTape() as tape:
            tape.watch(plain)
            loss = model.compute_loss(x=plain, y=tf.convert_to_tensor(targets[:worker.LOOK_ROWS]),
                                      y_pred=model(plain, training=False), training=False)
        grad = np.asarray(tape.gradient(loss, plain), dtype="float64") * worker.LOOK_ROWS
        truth = np.sqrt((grad ** 2).sum(axis=2)).mean(axis=0)
        if "gradient" in found:
            row["norms_rel_plain"] = float(np.max(np.abs(np.asarray(found["gradient"]["norms"], dtype="float64")
                                                         - truth)) / max(float(np.max(np.abs(truth))), 1e-30))
        row["fallback_norms_rel_plain"] = float(np.max(np.abs(norms - truth)) / max(float(np.max(np.abs(truth))),
                                                                                   1e-30))
    if "gradient" in found:
        ours_norms = np.asarray(found["gradient"]["norms"], dtype="float64")
        row["norms_rel"] = float(np.max(np.abs(ours_norms - norms)) / max(float(np.max(np.abs(norms))), 1e-30))
    if "hidden" in found and states is not None:
        row["states_abs"] = float(np.max(np.abs(np.asarray(found["hidden"]["states"], dtype="float64")
                                                - states[:worker.LOOK_MAX_UNITS])))
    row["left_patched"] = patched(model)
    return row


def robustness(folder: str) -> list[dict[str, Any]]:
    rows = []
    rng = np.random.default_rng(7)
    # thousands of steps from a 12-step input: the twins' Python loop in look-inside's pass
    for size in (400,):
        model = classify(L.UpSampling1D(size), L.GRU(4))
        x, y = data("numbers", rng)
        started, cpu = time.monotonic(), time.process_time()
        found = worker.look_inside(model, x[:64], y[:64], None, keras, np)
        rows.append({"name": f"upsampled_{size * STEPS}_steps", "look_twins": found.get("twins", 0),
                     "steps": len(found.get("gradient", {}).get("norms", [])) + found.get("gradient", {}).get(
                         "first_step", 0),
                     "seconds": round(time.monotonic() - started, 2), "cpu": round(time.process_time() - cpu, 2),
                     "left_patched": patched(model)})
    # NaN weights: nothing crashes, nothing is left patched
    model = classify(L.GRU(4))
    model.set_weights([np.full(w.shape, np.nan, dtype=w.dtype) for w in model.get_weights()])
    x, y = data("numbers", rng)
    layers = worker.mark_influence(model, x[:64], np, y[:64], keras)
    rows.append({"name": "nan_weights", "verdicts": verdicts(layers), "left_patched": patched(model)})
    # a twin that raises mid-pass (its input has the wrong rank for the twin): the patched call is put back
    model = classify(L.GRU(4))
    direction = model.layers[0]
    try:
        with worker.numpy_twins(model, keras):
            direction(np.zeros((2, 3), dtype="float32"))
    except Exception:  # noqa: BLE001 - the point: what is left behind
        pass
    rows.append({"name": "twin_raises", "left_patched": patched(model)})
    return rows


def kept_bytes() -> dict[str, Any]:
    """What one look-inside pass through the twins keeps for its backward pass, over all layers, against the cap
    recurrence.MAX_KEPT_BYTES (scaled down here, so the case costs megabytes: the arithmetic is the same). Measured
    at full scale before the cap was one per pass: 4 stacked GRU(16) over 2280 steps (UpSampling1D(190) of 12) grew
    the peak RSS by 541 MiB, one by 165 MiB; phase B's lessons allow 1536 MiB in all. `estimates`: what each layer
    would hold (recurrence.peak_bytes), so that the premise (one fits the cap, all four do not) is checked; then the
    same pass with room for all four (`twins_with_room`)."""
    cap, true_forward, kept = recurrence.MAX_KEPT_BYTES, recurrence.forward, []

    def counting(cell: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        out = true_forward(cell, x, *args, **kwargs)
        run = out[-1]
        if run.x is None:  # a pass that keeps nothing (the rounding check's exact arithmetic)
            return out
        kept.append(sum(a.nbytes for a in (run.x, run.mask, *run.states, *run.carries)
                        for a in ([a] if hasattr(a, "nbytes") else []))
                    + sum(a.nbytes for cache in run.caches for a in cache))
        return out

    stack = [L.GRU(16, return_sequences=True) for _ in range(3)]
    model = classify(L.UpSampling1D(12), *stack, L.GRU(16))
    x, y = data("numbers", np.random.default_rng(3), rows=32)
    layer = worker.first_recurrent(model)
    estimates = [recurrence.peak_bytes(worker.numpy_cell(gru, keras), 32, 12 * STEPS, "float32")
                 for gru in model.layers if isinstance(gru, L.GRU)]
    recurrence.forward, recurrence.MAX_KEPT_BYTES = counting, 8 * 2**20
    try:
        worker.gradients_and_states(model, layer, x, y, np, keras)
        refused = False
    except worker.LookTooCostly:
        refused = True
    finally:
        recurrence.forward, recurrence.MAX_KEPT_BYTES = true_forward, cap
    with_room = worker.gradients_and_states(model, layer, x, y, np, keras)
    return {"name": "kept_bytes", "refused": refused, "layers_kept": kept, "total": sum(kept),
            "estimates": estimates, "cap": 8 * 2**20, "twins_with_room": with_room.twins}


def main() -> None:
    only = set(sys.argv[1].split(",")) if len(sys.argv) > 1 and sys.argv[1] else None
    with tempfile.TemporaryDirectory() as folder:
        for name, (build, kind) in CASES.items():
            if only is None or name in only:
                try:  # a seed per name: adding a case changes no other case's weights
                    print(json.dumps(measure(name, build, kind, zlib.crc32(name.encode()) % 1000, folder)), flush=True)
                except Exception as exc:  # noqa: BLE001 - a case that cannot be built says so, the rest still run
                    print(json.dumps({"name": name, "error": f"{type(exc).__name__}: {exc}"[:500]}), flush=True)
        if only is None or "robustness" in only:
            for row in robustness(folder):
                print(json.dumps(row), flush=True)
            print(json.dumps(kept_bytes()), flush=True)


if __name__ == "__main__":
    main()
