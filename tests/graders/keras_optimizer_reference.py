"""Run optimizers-by-hand's reference solution against Keras itself on every hidden case; prints one JSON report.

Executed as a script (`python tests/graders/keras_optimizer_reference.py`) by test_optimizer_lesson_matches_keras.py,
so that the pytest process never imports TensorFlow. For every case of the lesson's cases.py it runs the Keras object
the function reproduces (RMSprop / Adam on a variable whose slots are set to the case's state, ExponentialDecay,
CosineDecay, GlorotUniform, Orthogonal on the case's own normal draw) and records the largest difference from
solution.py, relative to the size of the answer; as controls it records how far typical mistakes are from Keras.

Keras computes in float64 here (floatx), except that it casts some Python floats to float32 on the way: Adam's betas
before the power β**t, ExponentialDecay's decay_rate, the Glorot limit before drawing. Those cost about 1e-7 of
relative precision. So every case is run twice: as it is (agreement to float32's precision), and with its numbers
rounded to float32 first, where any float32 cast is exact and the two must agree to float64 rounding: the formulas
are the same.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402 - after the environment that quiets TensorFlow
import numpy as np  # noqa: E402
from keras.src.initializers import random_initializers  # noqa: E402

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "optimizers-by-hand"
keras.config.set_floatx("float64")  # the cases are float64: compare the formulas, not float32 rounding


def load(name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": name}
    path = LESSON / f"{name}.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def keras_rmsprop(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, learning_rate: float, rho: float,
                  epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    variable = keras.Variable(param, dtype="float64")
    optimizer = keras.optimizers.RMSprop(learning_rate=learning_rate, rho=rho, epsilon=epsilon)
    optimizer.build([variable])
    optimizer._velocities[0].assign(velocity)
    optimizer.apply_gradients([(grad, variable)])
    return np.asarray(variable), np.asarray(optimizer._velocities[0])


def keras_adam(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, learning_rate: float,
               beta_1: float, beta_2: float, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    variable = keras.Variable(param, dtype="float64")
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    optimizer.build([variable])
    optimizer.iterations.assign(step)  # the updates done before this one
    optimizer._momentums[0].assign(m)
    optimizer._velocities[0].assign(v)
    optimizer.apply_gradients([(grad, variable)])
    return np.asarray(variable), np.asarray(optimizer._momentums[0]), np.asarray(optimizer._velocities[0])


def keras_exponential(step: int, initial: float, decay_steps: int, rate: float, staircase: bool) -> float:
    # A NumPy float64 initial rate makes the schedule compute in float64 (a Python float would be float32).
    schedule = keras.optimizers.schedules.ExponentialDecay(np.float64(initial), decay_steps, rate, staircase=staircase)
    return float(schedule(step))


def keras_cosine(step: int, initial: float, decay_steps: int, alpha: float) -> float:
    return float(keras.optimizers.schedules.CosineDecay(np.float64(initial), decay_steps, alpha=alpha)(step))


def keras_glorot_limit(fan_in: int, fan_out: int) -> float:
    """Keras's limit, read back from its own draw: GlorotUniform(seed) is U(-limit, limit) from the same stateless
    uniform draw as keras.random.uniform(-1, 1, seed), scaled by the limit."""
    shape, seed = (fan_in, fan_out), 1000 + fan_in * 37 + fan_out
    drawn = np.asarray(keras.initializers.GlorotUniform(seed=seed)(shape, dtype="float64")).ravel()
    unit = np.asarray(keras.random.uniform(shape, minval=-1.0, maxval=1.0, seed=seed, dtype="float64")).ravel()
    big = np.abs(unit) > 0.1  # away from 0, where the ratio would lose digits
    return float(np.median(drawn[big] / unit[big]))


@contextmanager
def normal_draw(value: np.ndarray) -> Iterator[None]:
    """Make keras.initializers.Orthogonal start from the case's own normal draw instead of drawing one."""
    module = random_initializers.random
    original = module.normal

    def given(shape: tuple[int, ...], *args: Any, **kwargs: Any) -> Any:
        assert tuple(shape) == value.shape, (shape, value.shape)  # Keras asks for exactly the draw the case gives
        return keras.ops.convert_to_tensor(value, dtype="float64")

    module.normal = given
    try:
        yield
    finally:
        module.normal = original


def keras_orthogonal(shape: tuple[int, int], normal: np.ndarray, gain: float) -> np.ndarray:
    with normal_draw(np.asarray(normal)):
        return np.asarray(keras.initializers.Orthogonal(gain=gain)(tuple(shape), dtype="float64"))


KERAS: dict[str, Callable[..., Any]] = {
    "rmsprop_step": keras_rmsprop, "adam_step": keras_adam, "exponential_decay": keras_exponential,
    "cosine_decay": keras_cosine, "glorot_uniform_limit": keras_glorot_limit, "orthogonal": keras_orthogonal,
}


def parts(value: Any) -> list[np.ndarray]:
    return [np.asarray(p, dtype="float64") for p in (value if isinstance(value, tuple) else (value,))]


def relative_difference(ours: Any, theirs: Any) -> float:
    """max |ours − theirs| / (1 + |theirs|) over every returned array: float rounding is about 1e-16 here."""
    worst = 0.0
    for a, b in zip(parts(ours), parts(theirs), strict=True):
        if a.shape != b.shape:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(a - b) / (1.0 + np.abs(b)))))
    return worst


# Controls: a typical mistake, and the checks on whose cases it must differ from Keras.
CONTROLS = {
    "adam_no_bias_correction": ("_adam", "no_bias_correction", ("adam_bias_correction", "adam_late_steps")),
    "adam_paper_epsilon": ("_adam", "paper_epsilon", ("adam_epsilon",)),
    "rmsprop_eps_outside": ("_rmsprop", "eps_outside", ("rmsprop_epsilon",)),
    "staircase_ignored": ("_exponential", "staircase_ignored", ("exponential_staircase",)),
}


def seeded_orthogonal(solution: Callable[..., np.ndarray]) -> float:
    """Without any patching: Keras's Orthogonal(seed) against the solution on keras.random.normal(seed)."""
    worst = 0.0
    for seed, (shape, gain) in enumerate([((4, 4), 1.0), ((6, 3), 1.0), ((3, 12), 0.5), ((32, 128), 1.0)]):
        rows, cols = shape
        normal = np.asarray(keras.random.normal((max(rows, cols), min(rows, cols)), seed=seed, dtype="float64"))
        theirs = np.asarray(keras.initializers.Orthogonal(gain=gain, seed=seed)(shape, dtype="float64"))
        worst = max(worst, relative_difference(solution(shape, normal, gain), theirs))
    return worst


def float32_numbers(args: list[Any]) -> list[Any]:
    """The case's Python floats rounded to float32 (arrays, ints and bools unchanged): Keras's casts become exact."""
    return [float(np.float32(a)) if isinstance(a, float) else a for a in args]


def main() -> dict[str, Any]:
    seed = tomllib.loads((LESSON / "grading.toml").read_text(encoding="utf-8"))["cases"]["seed"]
    namespace = load("cases")
    cases = namespace["make_cases"](np.random.default_rng(seed))
    solution = load("solution")
    functions: dict[str, dict[str, Any]] = {}
    controls = {name: float("inf") for name in CONTROLS}
    counted = {name: 0 for name in CONTROLS}
    for case in cases:
        function, args = case["function"], case["args"]
        theirs = KERAS[function](*args)
        found = functions.setdefault(function, {"cases": 0, "max_rel_diff": 0.0, "max_rel_diff_float32_numbers": 0.0})
        found["cases"] += 1
        found["max_rel_diff"] = max(found["max_rel_diff"], relative_difference(solution[function](*args), theirs))
        rounded = float32_numbers(args)
        ours = solution[function](*rounded)
        if function == "glorot_uniform_limit":
            ours = float(np.float32(ours))  # Keras hands the limit to its uniform draw as a float32
        found["max_rel_diff_float32_numbers"] = max(found["max_rel_diff_float32_numbers"],
                                                    relative_difference(ours, KERAS[function](*rounded)))
        for name, (variant, bug, checks) in CONTROLS.items():
            with np.errstate(all="ignore"):
                wrong = namespace[variant](*args, bug=bug) if case["check"] in checks else None
            # Only where the mistake changes the answer at all (at step 1000 of decay_steps 1000 a staircase and a
            # smooth decay agree): there it must be far from Keras too.
            if wrong is not None and namespace["_differs"](wrong, namespace[variant](*args)):
                controls[name] = min(controls[name], relative_difference(wrong, theirs))
                counted[name] += 1
    return {"seed": seed, "cases": len(cases), "functions": functions, "controls": controls, "control_cases": counted,
            "seeded_orthogonal_max_rel_diff": seeded_orthogonal(solution["orthogonal"])}


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
