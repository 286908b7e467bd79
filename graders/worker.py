"""The code that runs INSIDE the sandbox: imports TF once, then trains or evaluates one job. The only keras importer.

Protocol: the supervisor writes one JSON job on stdin; this process answers with JSON lines on its original
stdout (events, then one "result"). Learner prints and TF logs go to stderr, which is the capped log.
Phase "train" runs learner code on the public part only; phase "evaluate" runs no learner code: it loads
the saved model with safe_mode=True and predicts windows the supervisor built.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import io
import json
import math
import os
import re
import resource
import sys
import time
import traceback
from typing import Any, TextIO

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # inside the sandbox a copy of windowing sits beside us
from windowing import make_windows  # noqa: E402

SUBMISSION = "/tmp/submission.py"  # main() moves these into --workdir (the sandbox's private /tmp)
MODEL_PATH = "/tmp/model.keras"
MAX_MODEL_BYTES = 32 * 1024 * 1024
RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D"}
WRAPPERS = {"Bidirectional", "TimeDistributed"}


class Protocol:
    """JSON lines to the supervisor on a private duplicate of stdout."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def send(self, **message: Any) -> None:
        self.stream.write(json.dumps(message, allow_nan=False, default=_jsonable) + "\n")
        self.stream.flush()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


class ContractError(Exception):
    """The learner's module does not meet the lesson's contract; `check` names the failing check."""

    def __init__(self, check: str, message: str, outcome: str = "contract_error") -> None:
        super().__init__(message)
        self.check = check
        self.message = message
        self.outcome = outcome


def learner_frames(tb: Any) -> str:
    """Only the lines of the learner's own file: our harness frames would just be noise to them."""
    frames = [f for f in traceback.extract_tb(tb) if f.filename == SUBMISSION]
    return "".join(f"  line {f.lineno}, in {f.name}: {(f.line or '').strip()}\n" for f in frames[-3:])


def describe(exc: BaseException) -> str:
    where = learner_frames(exc.__traceback__)
    return f"{type(exc).__name__}: {exc}" + (f"\n{where}" if where else "")


# ---------------------------------------------------------------- train phase (learner code runs here)


def load_submission(code: str) -> Any:
    with open(SUBMISSION, "w", encoding="utf-8") as fh:
        fh.write(code)
    try:
        compiled = compile(code, SUBMISSION, "exec")
    except SyntaxError as exc:
        pointer = ""
        if exc.text:
            pointer = f"\n    {exc.text.rstrip()}\n    {' ' * max((exc.offset or 1) - 1, 0)}^"
        raise ContractError("contract", f"Syntax error on line {exc.lineno}: {exc.msg}{pointer}", "syntax_error") from None
    spec = importlib.util.spec_from_file_location("submission", SUBMISSION)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    try:
        exec(compiled, module.__dict__)
    except ModuleNotFoundError as exc:
        raise ContractError(
            "contract", f"Your code imports {exc.name!r}, which the grader does not have. Use keras and numpy.",
            "import_error",
        ) from None
    except Exception as exc:  # noqa: BLE001 - any learner exception becomes a teaching message
        raise ContractError("contract", f"Your module failed while loading: {describe(exc)}", "import_error") from None
    return module


def read_constants(module: Any, contract: dict[str, Any]) -> tuple[int, int, int]:
    values = []
    for name, low, high in (
        ("WINDOW", contract["window_min"], contract["window_max"]),
        ("EPOCHS", 1, contract["epochs_max"]),
        ("BATCH_SIZE", 1, contract["batch_size_max"]),
    ):
        if not hasattr(module, name):
            raise ContractError("contract", f"Define {name} at the top of your file (an int between {low} and {high}).")
        value = getattr(module, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContractError("contract", f"{name} must be an int, not {type(value).__name__} ({value!r}).")
        if not low <= value <= high:
            raise ContractError("contract", f"{name} = {value} is outside the range the grader accepts: {low}..{high}.")
        values.append(value)
    return values[0], values[1], values[2]


_NDIM = re.compile(r"expected ndim=3, found ndim=2\. Full shape received: \(([^)]*)\)")


def explain_build_error(exc: Exception, window: int, n_features: int) -> ContractError:
    if isinstance(exc, NotImplementedError):
        return ContractError("contract", "build_model() still raises NotImplementedError: replace the TODO in the "
                             "starter with your model (an LSTM layer, then a Dense(1) output) and return it compiled.")
    match = _NDIM.search(str(exc))
    if match:
        received = match.group(1).strip()
        dims = [d.strip() for d in received.split(",") if d.strip()]
        if len(dims) == 2 and dims[1] == str(window):
            return ContractError(
                "input_shape",
                f"Your model's input is ({window},) but an LSTM needs (timesteps, features) = ({window}, {n_features}): "
                f"add a features axis, e.g. keras.Input(shape=(window, n_features)). A batch of windows has the shape "
                f"(samples, timesteps, features).",
            )
        return ContractError(
            "return_sequences",
            f"A recurrent layer received ({received}): the recurrent layer before it returned only its last output. "
            "When you stack recurrent layers, every one that feeds another recurrent layer needs "
            "return_sequences=True so it passes on the whole sequence (samples, timesteps, units).",
        )
    return ContractError("contract", f"build_model({window}, {n_features}) raised {describe(exc)}")


def flatten_layers(model: Any) -> list[dict[str, Any]]:
    """Every layer, nested models and wrappers included, as plain facts (class, return_sequences)."""
    found: list[dict[str, Any]] = []

    def visit(layer: Any) -> None:
        cls = type(layer).__name__
        entry: dict[str, Any] = {"class": cls, "name": layer.name}
        if hasattr(layer, "return_sequences"):
            entry["return_sequences"] = bool(layer.return_sequences)
        inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
        if cls in WRAPPERS and inner is not None:
            entry["wraps"] = type(inner).__name__
            if hasattr(inner, "return_sequences"):
                entry["return_sequences"] = bool(inner.return_sequences)
        found.append(entry)
        for child in getattr(layer, "layers", []) or []:
            visit(child)

    for layer in model.layers:
        visit(layer)
    return found


def shape_of(value: Any) -> Any:
    if isinstance(value, list):
        return [shape_of(v) for v in value]
    return list(value) if value is not None else None


def check_model(keras: Any, model: Any, window: int, n_features: int) -> None:
    if model is None:
        raise ContractError("contract", "build_model() returned None; expected a keras.Model. Did you forget `return model`?")
    if not isinstance(model, keras.Model):
        raise ContractError("contract", f"build_model() returned a {type(model).__name__}; expected a keras.Model.")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ContractError("contract", "Your model is not compiled: call model.compile(optimizer='adam', loss='mse') "
                            "before returning it, so the grader knows how to train it.")
    if not model.built:
        model.build((None, window, n_features))
    got = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    want = (None, window, n_features)
    if got != want:
        if got is not None and len(got) == 2:
            raise explain_build_error(ValueError(f"expected ndim=3, found ndim=2. Full shape received: (None, {window})"),
                                      window, n_features)
        raise ContractError("input_shape", f"Your model's input shape is {got}, but the windows are {want}: build the "
                            "model from the window and n_features arguments, e.g. keras.Input(shape=(window, n_features)).")


def epoch_callback(keras: Any, proto: Protocol, epochs: int, budget_s: float) -> Any:
    class Progress(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        """Streams each epoch out and stops training gracefully when the time budget would be overrun."""

        def __init__(self) -> None:
            super().__init__()
            self.start = time.monotonic()
            self.stopped_for_time = False
            self.epochs_run = 0

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if time.monotonic() - self.start > budget_s:
                self.model.stop_training = True
                self.stopped_for_time = True

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = logs or {}
            self.epochs_run = epoch + 1
            loss = logs.get("loss")
            proto.send(event="epoch", epoch=epoch + 1, epochs=epochs,
                       loss=_finite(loss), val_loss=_finite(logs.get("val_loss")))
            if loss is None or not math.isfinite(loss):
                self.model.stop_training = True  # diverged: more epochs cannot bring it back
                return
            elapsed = time.monotonic() - self.start
            if epoch + 1 < epochs and elapsed + elapsed / (epoch + 1) > budget_s:
                self.model.stop_training = True
                self.stopped_for_time = True

    return Progress()


def train(job: dict[str, Any], proto: Protocol, keras: Any, np: Any) -> dict[str, Any]:
    contract = job["contract"]
    n_features = 1
    module = load_submission(job["code"])
    window, epochs, batch_size = read_constants(module, contract)
    build = getattr(module, "build_model", None)
    if not callable(build):
        raise ContractError("contract", "Define a function build_model(window, n_features) that returns a compiled keras.Model.")
    keras.utils.set_random_seed(job.get("seed", 0))
    proto.send(event="phase", phase="build")
    try:
        model = build(window, n_features)
    except Exception as exc:  # noqa: BLE001
        raise explain_build_error(exc, window, n_features) from None
    check_model(keras, model, window, n_features)

    series = np.asarray(job["series"], dtype="float32")
    val_start = int(job["validation_start"])
    x_train, y_train = make_windows(series[:val_start], window, contract["horizon"])
    x_val, y_val = make_windows(series[val_start - window:], window, contract["horizon"])
    progress = epoch_callback(keras, proto, epochs, float(job["train_seconds"]))
    proto.send(event="phase", phase="train", epochs=epochs, window=window, batch_size=batch_size)
    try:
        history = model.fit(
            x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
            shuffle=True, verbose=0, callbacks=[progress],
        )
    except Exception as exc:  # noqa: BLE001
        raise ContractError("contract", f"Training failed: {describe(exc)}") from None
    losses = history.history.get("loss", [])
    val_losses = history.history.get("val_loss", [])
    diverged = any(not math.isfinite(v) for v in losses + val_losses)
    model.save(MODEL_PATH)
    size = os.path.getsize(MODEL_PATH)
    if size > MAX_MODEL_BYTES:
        raise ContractError("contract", f"The saved model is {size >> 20} MiB; the limit is {MAX_MODEL_BYTES >> 20} MiB. "
                            "Use fewer units or layers.")
    with open(MODEL_PATH, "rb") as fh:
        model_b64 = base64.b64encode(fh.read()).decode("ascii")
    return {
        "outcome": "diverged" if diverged else "ok",
        "window": window, "epochs": epochs, "batch_size": batch_size,
        "epochs_run": progress.epochs_run, "stopped_for_time": progress.stopped_for_time,
        "history": [{"epoch": i + 1, "loss": _finite(v), "val_loss": _finite(val_losses[i] if i < len(val_losses) else None)}
                    for i, v in enumerate(losses)],
        "model_b64": model_b64,
    }


# ---------------------------------------------------------------- evaluate phase (no learner code here)


def evaluate(job: dict[str, Any], proto: Protocol, keras: Any, np: Any) -> dict[str, Any]:
    with open(MODEL_PATH, "wb") as fh:
        fh.write(base64.b64decode(job["model_b64"]))
    try:
        model = keras.saving.load_model(MODEL_PATH, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - refusing an unsafe model is an expected outcome
        text = str(exc)
        if "Lambda" in text or "lambda" in text:
            message = ("Your model contains a Lambda layer. The grader loads models with safe_mode=True, which refuses "
                       "Lambda layers because they carry arbitrary Python code. Use built-in layers instead "
                       "(e.g. keras.layers.Reshape, Rescaling, or an activation argument).")
        else:
            message = ("The grader could not load your saved model with safe_mode=True, usually because it uses a custom "
                       f"layer, loss or object. Use built-in Keras layers. Details: {text[:400]}")
        return {"outcome": "unsafe_model", "check": "safe_model", "message": message}
    architecture = {
        "input_shape": shape_of(model.input_shape),
        "output_shape": shape_of(model.output_shape),
        "layers": flatten_layers(model),
        "params": int(model.count_params()),
    }
    proto.send(event="phase", phase="predict")
    names = list(job["inputs"])
    arrays = [np.asarray(job["inputs"][name], dtype="float32") for name in names]
    x = np.concatenate(arrays)  # one predict call: one trace, one pass
    try:
        out = np.asarray(model.predict(x, verbose=0, batch_size=256), dtype="float64")
    except Exception as exc:  # noqa: BLE001
        return {"outcome": "contract_error", "check": "output_shape", "architecture": architecture,
                "message": f"Your model could not predict on windows of shape {list(x.shape[1:])}: {exc}"}
    bounds = np.cumsum([0] + [len(a) for a in arrays])
    predictions = {name: out[bounds[i]:bounds[i + 1]].tolist() for i, name in enumerate(names)}
    return {"outcome": "ok", "architecture": architecture, "predictions": predictions}


# ---------------------------------------------------------------- process entry


def warm_up(keras: Any, np: Any) -> None:
    """Pay TF's one-time costs (kernel set-up, tf.function machinery, saving) before a learner is waiting."""
    model = keras.Sequential([keras.Input(shape=(4, 1)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((8, 4, 1), dtype="float32")
    model.fit(x, np.zeros((8, 1), dtype="float32"), validation_data=(x, np.zeros((8, 1))), epochs=1, verbose=0)
    path = os.path.join(os.path.dirname(MODEL_PATH), "warmup.keras")
    model.save(path)
    keras.saving.load_model(path, compile=False, safe_mode=True).predict(x, verbose=0)
    os.remove(path)
    keras.backend.clear_session()



def apply_job_limits(job: dict[str, Any]) -> None:
    """Tighten our own rlimits to this job's limits before any learner code runs (the ceiling was set at spawn)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    cpu = spent + int(job["cpu_seconds"])
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or cpu + 5 <= hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir", default="/tmp")
    args = parser.parse_args()
    global SUBMISSION, MODEL_PATH
    os.chdir(args.workdir)
    SUBMISSION = os.path.join(args.workdir, "submission.py")
    MODEL_PATH = os.path.join(args.workdir, "model.keras")
    # Learner prints and library chatter must never be mistaken for protocol messages.
    proto = Protocol(io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), encoding="utf-8", write_through=True))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    started = time.monotonic()
    import numpy as np
    import tensorflow as tf

    # TF ignores CPU quotas; match its thread pools to the cores we give the job.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    warm_up(keras, np)
    proto.send(event="ready", import_s=round(time.monotonic() - started, 3), keras=keras.__version__)
    line = sys.stdin.readline()
    if not line:
        return 0  # the pool shut down before giving us work
    job = json.loads(line)
    apply_job_limits(job)
    started = time.monotonic()
    try:
        if job["phase"] == "train":
            result = train(job, proto, keras, np)
        else:
            result = evaluate(job, proto, keras, np)
    except ContractError as exc:
        result = {"outcome": exc.outcome, "check": exc.check, "message": exc.message}
    except MemoryError:
        result = {"outcome": "out_of_memory", "message": "Python raised MemoryError."}
    except BaseException as exc:  # noqa: BLE001 - learner code may raise SystemExit or anything else
        where = learner_frames(exc.__traceback__)
        if where:
            result = {"outcome": "contract_error", "check": "contract", "message": describe(exc)}
        else:
            result = {"outcome": "harness_error", "message": traceback.format_exc(limit=8)}
    result["seconds"] = round(time.monotonic() - started, 3)
    proto.send(event="result", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
