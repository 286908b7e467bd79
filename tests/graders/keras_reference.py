"""Run the gate and parameter-count lessons' reference solutions against Keras itself; prints one JSON report.

Executed as a script (`python tests/graders/keras_reference.py`) by test_gate_lessons_match_keras.py, so that the
pytest process never imports TensorFlow. For every lstm_step / gru_step case of the lessons' own cases.py it builds
keras.layers.LSTM / GRU, sets the case's weights, runs one step (a sequence of length 1 with initial_state) and
records the largest difference from solution.py; for count-parameters it builds random stacked models and records
Keras's counts next to the solution's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402 - after the environment that quiets TensorFlow
import numpy as np  # noqa: E402

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
keras.config.set_floatx("float64")  # the cases are float64: compare the formulas, not float32 rounding


def load(slug: str, name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": name}
    path = LESSONS / slug / f"{name}.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def keras_lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, *weights: np.ndarray) -> tuple[np.ndarray, ...]:
    layer = keras.layers.LSTM(h.shape[1], return_state=True)
    _, h_new, c_new = layer(x[:, None, :], initial_state=[h, c])  # builds the layer; the weights are set next
    layer.set_weights(list(weights))
    _, h_new, c_new = layer(x[:, None, :], initial_state=[h, c])
    return np.asarray(h_new), np.asarray(c_new)


def keras_gru_step(x: np.ndarray, h: np.ndarray, *weights: np.ndarray) -> np.ndarray:
    layer = keras.layers.GRU(h.shape[1])  # Keras 3 defaults: reset_after=True, bias of shape (2, 3*units)
    layer(x[:, None, :], initial_state=h)
    layer.set_weights(list(weights))
    return np.asarray(layer(x[:, None, :], initial_state=h))


def flat(value: Any) -> np.ndarray:
    """(h_new, c_new) or h_new -> one vector, so that both steps compare the same way."""
    parts = value if isinstance(value, tuple) else (value,)
    return np.concatenate([np.ravel(np.asarray(part, dtype="float64")) for part in parts])


def swap_blocks(weights: list[np.ndarray], blocks: int, a: int, b: int) -> list[np.ndarray]:
    """The weights with gate blocks a and b exchanged along the last axis: what a wrong gate order reads."""
    swapped = []
    for weight in weights:
        parts = np.split(weight, blocks, axis=-1)
        parts[a], parts[b] = parts[b], parts[a]
        swapped.append(np.concatenate(parts, axis=-1))
    return swapped


def step_differences(slug: str, function: str) -> dict[str, Any]:
    """The largest difference between solution.py and Keras over the lesson's cases, and, as a control that the
    comparison can tell gate orders apart, the smallest per-case difference when the solution reads two blocks
    swapped (LSTM: c and o; GRU: z and r)."""
    cases = [c for c in load(slug, "cases")["make_cases"](np.random.default_rng(1234)) if c["function"] == function]
    solution = load(slug, "solution")[function]
    keras_step, states, blocks, (a, b) = ((keras_lstm_step, 3, 4, (2, 3)) if function == "lstm_step"
                                          else (keras_gru_step, 2, 3, (0, 1)))
    worst, control = 0.0, float("inf")
    for case in cases:
        args = case["args"]
        theirs = flat(keras_step(*args))
        ours = flat(solution(*args))
        swapped = flat(solution(*args[:states], *swap_blocks(list(args[states:]), blocks, a, b)))
        worst = max(worst, float(np.max(np.abs(ours - theirs))) if ours.shape == theirs.shape else float("inf"))
        control = min(control, float(np.max(np.abs(swapped - theirs))))
    return {"cases": len(cases), "max_abs_diff": worst, "swapped_min_diff": control}


def keras_layer(spec: dict[str, Any]) -> keras.layers.Layer:
    kind = spec["type"]
    if kind == "Bidirectional":
        return keras.layers.Bidirectional(keras_layer(spec["layer"]), merge_mode=spec.get("merge_mode", "concat"))
    if kind == "Dense":
        return keras.layers.Dense(spec["units"])
    if kind == "Dropout":
        return keras.layers.Dropout(spec["rate"])
    options: dict[str, Any] = {"return_sequences": spec.get("return_sequences", False)}
    if kind == "GRU" and "reset_after" in spec:
        options["reset_after"] = spec["reset_after"]
    return getattr(keras.layers, kind)(spec["units"], **options)


def count_comparisons() -> list[dict[str, Any]]:
    """Every case of count-parameters' cases.py, plus a few random stacks drawn with the same vocabulary."""
    namespace = load("count-parameters", "cases")
    stacks = [case["args"] for case in namespace["make_cases"](np.random.default_rng(1234))]
    rng = np.random.default_rng(99)
    stacks += [namespace["random_stack"](rng) for _ in range(6)]
    count = load("count-parameters", "solution")["count_params"]
    results = []
    for layers, features in stacks:
        model = keras.Sequential([keras.Input((7, features)), *[keras_layer(spec) for spec in layers]])
        per_layer, total = count(layers, features)
        results.append({"layers": layers, "features": features, "ours": [list(per_layer), int(total)],
                        "keras": [[int(layer.count_params()) for layer in model.layers], int(model.count_params())]})
    return results


if __name__ == "__main__":
    report = {
        "lstm": step_differences("lstm-step", "lstm_step"),
        "gru": step_differences("gru-step", "gru_step"),
        "counts": count_comparisons(),
    }
    json.dump(report, sys.stdout)
