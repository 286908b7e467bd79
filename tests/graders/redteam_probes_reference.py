"""Red team of the traced integrity probes (worker.LayerProbes, commit b460d27) in phase B's mark_influence.

Executed as a script by test_redteam_probes.py, so that the pytest process never imports TensorFlow. Each case is a
model a learner could save (built-in layers, initializers, dtype policies), saved and loaded with safe_mode, then
measured with the worker's own mark_influence and, as a baseline, with the eager passes it replaced (copied from
b460d27^: old_varies / old_matters / old_verdicts). One JSON line per case:
- verdicts (the graded `influential` of every layer, by name) and old (the eager baseline's);
- traced (LayerProbes traced the model: no eager fallback), switches_after (the switch Variable after the probes),
  left_patched (instance `call`s left on any layer), same_after (predict_on_batch bit for bit after mark_influence);
- for the memory case: recorded_bytes (float64 bytes of one run's recorded outputs), runs, largest_layer_bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
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
import worker  # noqa: E402

L = keras.layers
STEPS = 12
Constant = keras.initializers.Constant


def old_varies(model: Any, layer: Any, probe: Any) -> bool | None:
    """b460d27^'s layer_output_varies: one eager pass with the layer's call recording its output."""
    seen: list[Any] = []
    original = layer.call

    def recording(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        seen.append(out[0] if isinstance(out, (list, tuple)) else out)
        return out

    try:
        with worker.calling(layer, recording):
            model(probe, training=False)
        outputs = [np.asarray(out, dtype="float64") for out in seen]
    except Exception:  # noqa: BLE001
        return None
    if not outputs or any(out.ndim < 1 or out.shape[0] < 2 or not np.isfinite(out).all() for out in outputs):
        return None
    return any(float(np.ptp(out, axis=0).max(initial=0.0)) > 1e-6 * (1.0 + float(np.abs(out).max(initial=0.0)))
               for out in outputs)


def old_matters(model: Any, layer: Any, probe: Any, targets: Any, base: Any) -> bool | None:
    """b460d27^'s layer_matters: one eager pass with the layer's output replaced by keras.ops.mean over the rows."""
    y = worker._like_outputs(targets, base, np)
    if y is None:
        return None
    original = layer.call

    def mean_row(out: Any) -> Any:
        return keras.ops.broadcast_to(keras.ops.mean(out, axis=0, keepdims=True), keras.ops.shape(out))

    def ablated(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        return type(out)(mean_row(o) for o in out) if isinstance(out, (list, tuple)) else mean_row(out)

    try:
        with worker.calling(layer, ablated):
            moved = np.asarray(model(probe, training=False), dtype="float64")
    except Exception:  # noqa: BLE001
        return None
    if moved.shape != base.shape or not np.isfinite(moved).all():
        return None
    error = float(np.sqrt(np.mean((base - y) ** 2)))
    return bool(np.sqrt(np.mean((moved - base) ** 2)) >= worker.ABLATION_SHARE * error)


def old_verdicts(model: Any, probe: Any, targets: Any) -> dict[str, Any]:
    """The eager baseline's `influential` per layer name (recurrent: varies, matters, weight noise; claims: varies,
    matters), as b460d27^'s mark_influence and mark_regularisation decided it."""
    objects: list[Any] = []
    layers = worker.flatten_layers(model, objects)
    base = np.asarray(model.predict_on_batch(probe), dtype="float64")
    rng = np.random.default_rng(0)
    for entry, layer in zip(layers, objects, strict=True):
        if entry["class"] in worker.RECURRENT or entry.get("wraps") in worker.RECURRENT:
            if old_varies(model, layer, probe) is False or old_matters(model, layer, probe, targets, base) is False:
                entry["influential"] = False
                continue
            weights = list(layer.weights)
            saved = [w.numpy() for w in weights]
            try:
                for w, value in zip(weights, saved, strict=True):
                    w.assign(value + rng.normal(0.0, 1.0, value.shape).astype(value.dtype))
                moved = np.asarray(model.predict_on_batch(probe), dtype="float64")
                change = float(np.nanmax(np.abs(moved - base)))
                entry["influential"] = bool(change > 1e-4 * (1.0 + float(np.nanmax(np.abs(base)))))
            finally:
                for w, value in zip(weights, saved, strict=True):
                    w.assign(value)
        elif any(entry.get(key) for key in worker.REGULARISING):
            varies = old_varies(model, layer, probe)
            matters = old_matters(model, layer, probe, targets, base)
            entry["influential"] = None if varies is None else bool(varies and matters is not False)
    return {entry["name"]: entry.get("influential") for entry in layers}


def reload(model: keras.Model) -> keras.Model:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        return keras.saving.load_model(path, safe_mode=True)


def data(rows: int = 64, steps: int = STEPS) -> tuple[Any, Any]:
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 1.0, (rows, steps, 1)).astype("float32")
    return x, x[:, -3:, 0].sum(axis=1, keepdims=True)


def functional(build: Any, steps: int = STEPS) -> keras.Model:
    inputs = keras.Input((steps, 1))
    model = keras.Model(inputs, build(inputs))
    model.compile(optimizer="adam", loss="mse")
    return model


def zero(x: Any, name: str) -> Any:
    """A branch multiplied by 0: a frozen Dense with an all-zero kernel and no bias."""
    return L.Dense(1, kernel_initializer="zeros", use_bias=False, trainable=False, name=name)(x)


def real_path(inputs: Any) -> Any:
    return L.Dense(1, name="head")(L.GRU(8, name="real_gru")(inputs))


def float16_dropout_dead_branch(inputs: Any) -> Any:
    """A Dropout (claimed: dropout credit) on a branch multiplied by 0, computing in float16 (a per-layer dtype
    policy, as saved in the archive) on values near 2000: the sum of 64 rows passes float16's 65504, so
    tf.reduce_mean's mean is inf, 0 * inf is NaN, `matters` is None and the layer keeps its credit."""
    big = L.Dense(4, kernel_initializer=Constant(50.0), bias_initializer=Constant(2000.0), trainable=False,
                  name="big")(L.Flatten()(inputs))
    dead = zero(L.Dropout(0.3, dtype="mixed_float16", name="dead_dropout")(big), "times_zero")
    return L.Add()([real_path(inputs), L.Activation("linear", dtype="float32")(dead)])


def float16_relu_rnn_scaled(inputs: Any) -> Any:
    """A frozen relu SimpleRNN in float16 whose contribution is scaled down to 1e-6 beside a GRU that does the work
    (ablation must say it does not matter): its outputs near 2000 overflow the float16 mean, the ablated prediction
    is not finite, `matters` is None and the weight noise alone decides."""
    rnn = L.SimpleRNN(4, activation="relu", kernel_initializer=Constant(100.0), recurrent_initializer="zeros",
                      bias_initializer=Constant(2000.0), trainable=False, dtype="mixed_float16",
                      name="scaled_rnn")(inputs)
    tiny = L.Dense(1, kernel_initializer=Constant(1e-6), use_bias=False, trainable=False, dtype="float32",
                   name="times_tiny")(rnn)
    return L.Add()([real_path(inputs), tiny])


def float16_honest_gru(inputs: Any) -> Any:
    return L.Dense(1, dtype="float32", name="head")(L.GRU(8, dtype="mixed_float16", name="real_gru")(inputs))


def zero_times_gru(inputs: Any) -> Any:
    """The docstring's example: a GRU multiplied by 0 beside a linear path."""
    dead = zero(L.GRU(6, name="dead_gru")(inputs), "times_zero")
    return L.Add()([L.Dense(1, name="linear")(L.Flatten()(inputs)), dead])


def shared_gru_one_call_dead(inputs: Any) -> Any:
    """One GRU object called twice: on the input (real) and on the reversed input (multiplied by 0). Both calls are
    recorded and ablated together, as the eager passes did."""
    gru = L.GRU(6, name="shared_gru")
    other = L.Dense(1, name="scale_in", kernel_initializer=Constant(-1.0), use_bias=False, trainable=False)(inputs)
    dead = zero(gru(other), "times_zero")
    return L.Add()([L.Dense(1, name="head")(gru(inputs)), dead])


def nested_bidirectional_return_state(inputs: Any) -> Any:
    """A Bidirectional GRU inside a nested model, then a return_state GRU used only through its state, then a
    dead Dropout claimed for credit (multiplied by 0) and a live Dropout on the head."""
    inner_in = keras.Input((STEPS, 1))
    inner = keras.Model(inner_in, L.Bidirectional(L.GRU(4, return_sequences=True), name="bi")(inner_in),
                        name="inner")
    _, state = L.GRU(5, return_state=True, name="state_gru")(inner(inputs))
    live = L.Dropout(0.2, name="live_dropout")(state)
    dead = zero(L.Dropout(0.2, name="dead_dropout")(L.Dense(3, name="side")(state)), "times_zero")
    return L.Add()([L.Dense(1, name="head")(live), dead])


def masked_return_sequences(inputs: Any) -> Any:
    """Masking, then a return_sequences GRU whose mask must survive its ablated (tf.where) output into the next
    GRU, and an L2 Dense claimed for credit on the live path."""
    masked = L.Masking(0.0)(inputs)
    every = L.GRU(6, return_sequences=True, name="first_gru")(masked)
    last = L.GRU(6, name="second_gru")(every)
    return L.Dense(1, kernel_regularizer=keras.regularizers.L2(1e-3), name="l2_head")(last)


def one_unprobeable_claim(inputs: Any) -> Any:
    """A GRU whispering at 1e-3 beside a Dense network that does the work (only the ablation probe catches it), and
    a claimed Dropout on the working path whose output the probes' wrapper cannot read (simulated in measure():
    worker.spread raises for that layer's output): that layer alone must go unmeasured; the whisper must still be
    caught. Before the probes isolated a layer they cannot read, its error broke the one trace and every eager
    pass, every layer's probes said "unknown", and the weight noise alone credited the whisper."""
    whisper = L.Rescaling(1e-3)(L.Dense(1)(L.GRU(6, name="whisper_gru")(inputs)))
    hidden = L.Dense(16, activation="tanh")(L.Flatten()(inputs))
    work = L.Dense(1)(L.Dropout(0.2, name="unreadable")(hidden))
    return L.Add()([work, whisper])


@contextlib.contextmanager
def unreadable_output(model: keras.Model, name: str) -> Any:
    """worker.spread raises for the output of the layer called `name` (its call marks the next spread)."""
    layer = next(layer for layer in model.layers if layer.name == name)
    marked = {"next": False}
    true_call, true_spread = layer.call, worker.spread

    def call(*args: Any, **kwargs: Any) -> Any:
        marked["next"] = True
        return true_call(*args, **kwargs)

    def spread(output: Any) -> Any:
        if marked["next"]:
            marked["next"] = False
            raise TypeError("an output the probes cannot read")
        return true_spread(output)

    worker.spread = spread
    try:
        with worker.calling(layer, call):
            yield
    finally:
        worker.spread = true_spread


CASES = {
    "one_unprobeable_claim": one_unprobeable_claim,
    "float16_dropout_dead_branch": float16_dropout_dead_branch,
    "float16_relu_rnn_scaled": float16_relu_rnn_scaled,
    "float16_honest_gru": float16_honest_gru,
    "zero_times_gru": zero_times_gru,
    "shared_gru_one_call_dead": shared_gru_one_call_dead,
    "nested_bidirectional_return_state": nested_bidirectional_return_state,
    "masked_return_sequences": masked_return_sequences,
}


# cases whose targets are close to the model's own predictions, so that a live layer matters (the float16 holes keep
# the plain targets: there the eager baseline's verdict of a 1e-6 contribution must be "does not matter")
NEAR_TARGETS = {"one_unprobeable_claim", "float16_honest_gru", "zero_times_gru", "shared_gru_one_call_dead", "nested_bidirectional_return_state",
                "masked_return_sequences"}


def patched(model: keras.Model) -> list[str]:
    objects: list[Any] = []
    worker.flatten_layers(model, objects)
    return [str(layer.name) for layer in objects if "call" in layer.__dict__]


def measure(name: str, build: Any) -> dict[str, Any]:
    x, y = data()
    if name == "masked_return_sequences":
        x[:16, :4] = 0.0  # leading padding on a quarter of the rows
    model = reload(functional(build))
    before = model.predict_on_batch(x)
    if name in NEAR_TARGETS:  # an untrained model's error would hide any live layer: targets 0.05 from its predictions
        y = before + np.random.default_rng(1).normal(0.0, 0.05, before.shape).astype("float32")
    started = time.process_time()
    with unreadable_output(model, "unreadable") if name == "one_unprobeable_claim" else contextlib.nullcontext():
        layers = worker.mark_influence(model, x, np, y, keras)
    cpu = time.process_time() - started
    verdicts = {entry["name"]: entry.get("influential") for entry in layers if "influential" in entry}
    objects: list[Any] = []
    worker.flatten_layers(model, objects)
    probed = [layer for entry, layer in zip(layers, objects, strict=True) if "influential" in entry]
    probes = worker.LayerProbes(model, probed, x, np)
    traced = probes.compiled is not None
    probes.run(0)
    row = {"name": name, "verdicts": verdicts, "old": {k: v for k, v in old_verdicts(model, x, y).items() if k in verdicts},
           "traced": traced, "switches_after": float(np.abs(probes.switches.numpy()).sum()),
           "left_patched": patched(model), "same_after": bool(np.array_equal(before, model.predict_on_batch(x))),
           "cpu": round(cpu, 3)}
    return row


def recorded_memory() -> dict[str, Any]:
    """A return_sequences GRU over a long sequence, then 16 Dropouts (each claimed) on the sequence: every run of
    the probes converts every probed layer's recorded output to float64 (1 + n runs), and the unablated run's
    copies are kept for the whole of mark_influence. The eager passes held one layer's outputs at a time."""
    steps = 400
    x, y = data(steps=steps)

    def build(inputs: Any) -> Any:
        h = L.GRU(16, return_sequences=True, name="gru")(inputs)
        for i in range(worker.REGULARISED_PROBES):
            h = L.Dropout(0.1, name=f"dropout_{i}")(h)
        return L.Dense(1, name="head")(L.GlobalAveragePooling1D()(h))

    model = reload(functional(build, steps))
    converted = {"bytes": 0, "runs": 0, "peak": 0}
    original = worker.LayerProbes.run

    def nbytes(recorded: Any) -> int:  # arrays (before the fix) or tuples of float scalars (LayerProbes' spread)
        return sum(a.nbytes if hasattr(a, "nbytes") else 8 * len(a) for outs in recorded for a in outs)

    def counting(self: Any, ablate: int | None) -> Any:
        out = original(self, ablate)
        size = nbytes(out[1])
        kept = nbytes(self.unablated[1]) if self.unablated is not None else 0
        converted["bytes"] += size
        converted["runs"] += 1
        converted["peak"] = max(converted["peak"], size + kept)
        return out

    worker.LayerProbes.run = counting  # type: ignore[method-assign]
    try:
        started = time.process_time()
        worker.mark_influence(model, x, np, y, keras)
        cpu = time.process_time() - started
    finally:
        worker.LayerProbes.run = original  # type: ignore[method-assign]
    largest = 64 * steps * 16 * 8
    return {"name": "recorded_memory", "converted_bytes": converted["bytes"], "runs": converted["runs"],
            "peak_bytes": converted["peak"], "largest_layer_bytes": largest, "cpu": round(cpu, 3)}


def main() -> None:
    keras.utils.set_random_seed(3)
    for name, build in CASES.items():
        try:
            row = measure(name, build)
        except Exception as exc:  # noqa: BLE001 - a case that breaks is reported, the others still run
            row = {"name": name, "error": f"{type(exc).__name__}: {exc}"[:800]}
        print(json.dumps(row), flush=True)
    try:
        print(json.dumps(recorded_memory()), flush=True)
    except Exception as exc:  # noqa: BLE001
        print(json.dumps({"name": "recorded_memory", "error": f"{type(exc).__name__}: {exc}"[:800]}), flush=True)


if __name__ == "__main__":
    main()
