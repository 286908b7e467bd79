"""The code that runs INSIDE the sandbox: imports TF once, then trains or evaluates one job. The only keras importer.

Protocol (graders/protocol.py): the supervisor writes one job message on stdin; this process answers with
framed messages on its original stdout (events, then one "result"). Learner prints and TF logs go to stderr,
which is the capped log. Job "train" runs learner code on the public part only; job "evaluate" runs no learner
code: it loads the saved model with safe_mode=True and predicts rows in the batches the supervisor chose.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import re
import resource
import signal
import sys
import time
import traceback
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # inside the sandbox copies of these sit beside us
import protocol  # noqa: E402
from windowing import make_windows  # noqa: E402
from wire import pack, unpack  # noqa: E402

SUBMISSION = "/tmp/submission.py"  # main() moves these into --workdir (the sandbox's private /tmp)
MODEL_PATH = "/tmp/model.keras"
MAX_MODEL_BYTES = 32 * 1024 * 1024
RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D"}
WRAPPERS = {"Bidirectional", "TimeDistributed"}


class Protocol:
    """Framed messages to the supervisor on a private duplicate of stdout."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def send(self, blobs: list[bytes] | tuple[bytes, ...] = (), **message: Any) -> None:
        protocol.write_message(self.stream, message, blobs)


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


def syntax_error(lineno: int | None, msg: str, text: str | None = None, offset: int | None = None) -> ContractError:
    pointer = f"\n    {text.rstrip()}\n    {' ' * max((offset or 1) - 1, 0)}^" if text else ""
    return ContractError("contract", f"Syntax error on line {lineno}: {msg}{pointer}", "syntax_error")


def load_submission(code: str) -> Any:
    if "\x00" in code:  # compile() raises ValueError, not SyntaxError, for this: say where it is
        line = code.count("\n", 0, code.index("\x00")) + 1
        raise syntax_error(line, "the file contains a NUL byte (\\x00); remove it (was the file saved as text?)")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate (e.g. "\ud800" sent as JSON) is not text
        line = code.count("\n", 0, exc.start) + 1
        raise syntax_error(line, "the file contains a character that is not valid Unicode text (a lone surrogate); "
                                 "retype that line") from None
    with open(SUBMISSION, "w", encoding="utf-8") as fh:
        fh.write(code)
    try:
        compiled = compile(code, SUBMISSION, "exec")
    except SyntaxError as exc:
        raise syntax_error(exc.lineno, exc.msg, exc.text, exc.offset) from None
    except ValueError as exc:  # e.g. surrogates a decoder let through
        raise syntax_error(1, str(exc)) from None
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


def read_constants(module: Any, constants: list[list[Any]]) -> dict[str, int]:
    """The module-level ints the lesson asks for (WINDOW, EPOCHS, BATCH_SIZE...), each within its range."""
    values: dict[str, int] = {}
    for name, low, high in constants:
        if not hasattr(module, name):
            raise ContractError("contract", f"Define {name} at the top of your file (an int between {low} and {high}).")
        value = getattr(module, name)
        if type(value) is not int:  # an int subclass can lie about its value; bool is one too
            shown = repr(value) if type(value) in (float, str, bool) else "…"
            raise ContractError("contract", f"{name} must be a plain int, not {type(value).__name__} ({shown[:40]}).")
        if not low <= value <= high:
            raise ContractError("contract", f"{name} = {value} is outside the range the grader accepts: {low}..{high}.")
        values[name] = value
    return values


def resolve(template: list[Any], constants: dict[str, int]) -> list[Any]:
    """["WINDOW", 1] -> [24, 1]: job templates name the learner's constants."""
    return [constants[v] if isinstance(v, str) and v in constants else v for v in template]


_NDIM = re.compile(r"expected ndim=3, found ndim=2\. Full shape received: \(([^)]*)\)")


def explain_build_error(exc: Exception, input_shape: tuple[Any, ...]) -> ContractError:
    if isinstance(exc, NotImplementedError):
        return ContractError("contract", "build_model() still raises NotImplementedError: replace the TODO in the "
                             "starter with your model and return it compiled.")
    match = _NDIM.search(str(exc))
    if match:
        received = match.group(1).strip()
        dims = [d.strip() for d in received.split(",") if d.strip()]
        steps, features = (input_shape[1], input_shape[2]) if len(input_shape) == 3 else (input_shape[1], 1)
        if len(dims) == 2 and dims[1] == str(steps):
            return ContractError(
                "input_shape",
                f"Your model's input is ({steps},) but an LSTM needs (timesteps, features) = ({steps}, {features}): "
                f"add a features axis, e.g. keras.Input(shape=({steps}, {features})). A batch of windows has the "
                "shape (samples, timesteps, features).",
            )
        return ContractError(
            "return_sequences",
            f"A recurrent layer received ({received}): the recurrent layer before it returned only its last output. "
            "When you stack recurrent layers, every one that feeds another recurrent layer needs "
            "return_sequences=True so it passes on the whole sequence (samples, timesteps, units).",
        )
    return ContractError("contract", f"build_model raised {describe(exc)}")


def flatten_layers(model: Any, objects: list[Any] | None = None) -> list[dict[str, Any]]:
    """Every layer, nested models and wrappers included, as plain facts (class, return_sequences); `objects`, if
    given, receives the layer objects in the same order."""
    found: list[dict[str, Any]] = []
    trained = {id(v) for v in getattr(model, "trainable_weights", [])}  # what fit changes (and penalises)

    def visit(layer: Any) -> None:
        cls = type(layer).__name__
        entry: dict[str, Any] = {"class": cls[:200], "name": str(layer.name)[:200]}  # facts clamped at the source
        if hasattr(layer, "return_sequences"):
            entry["return_sequences"] = bool(layer.return_sequences)
        if getattr(layer, "stateful", False):
            entry["stateful"] = True
        inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
        if cls in WRAPPERS and inner is not None:
            entry["wraps"] = type(inner).__name__[:200]
            if hasattr(inner, "return_sequences"):
                entry["return_sequences"] = bool(inner.return_sequences)
            if getattr(inner, "stateful", False):
                entry["stateful"] = True
        entry.update(recipe_facts(inner if cls in WRAPPERS and inner is not None else layer))
        if not any(id(v) in trained for v in layer.weights):  # frozen: Keras adds no L2 loss for it, fit changes nothing
            for key in ("kernel_l2", "recurrent_l2", "bias_l2"):
                entry.pop(key, None)
        found.append(entry)
        if objects is not None:
            objects.append(layer)
        for child in getattr(layer, "layers", []) or []:
            visit(child)

    for layer in model.layers:
        visit(layer)
    return found


def shape_of(value: Any) -> Any:
    if isinstance(value, list):
        return [shape_of(v) for v in value]
    return list(value) if value is not None else None


def check_model(keras: Any, model: Any, input_shape: list[Any]) -> None:
    if model is None:
        raise ContractError("contract", "build_model() returned None; expected a keras.Model. Did you forget `return model`?")
    if not isinstance(model, keras.Model):
        raise ContractError("contract", f"build_model() returned a {type(model).__name__}; expected a keras.Model.")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ContractError("contract", "Your model is not compiled: call model.compile(optimizer='adam', loss=...) "
                            "before returning it, so the grader knows how to train it.")
    want = tuple(input_shape)
    if not model.built:
        try:
            model.build(want)
        except Exception as exc:  # noqa: BLE001
            raise explain_build_error(exc, want) from None
    got = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    if got != want:
        if got is not None and len(want) == 3 and len(got) == 2:
            raise explain_build_error(ValueError(f"expected ndim=3, found ndim=2. Full shape received: {got}"), want)
        raise ContractError("input_shape", f"Your model's input shape is {got}, but the grader feeds batches of shape "
                            f"{want}: build the model from build_model's arguments, e.g. "
                            f"keras.Input(shape={tuple(want[1:])}).")


def check_output(model: Any, want: list[Any], meaning: str) -> None:
    """Catch a wrong output before training: the loss would fail with an error that teaches nothing."""
    got = shape_of(model.output_shape)
    if got == want:
        return
    recurrent = [layer for layer in flatten_layers(model) if layer.get("return_sequences") is not None]
    if recurrent and recurrent[-1]["return_sequences"] and isinstance(got, list) and len(got) == 3:
        raise ContractError("return_sequences", f"Your model outputs {tuple(got)}: one value per time step, because "
                            "its last recurrent layer has return_sequences=True. Keep return_sequences=True only on "
                            "layers that feed another recurrent layer.")
    raise ContractError("output_shape", f"Your model outputs {tuple(got) if isinstance(got, list) else got}, but the "
                        f"grader needs {tuple(want)}: {meaning}. End with keras.layers.Dense({want[-1]}"
                        + (", activation='softmax')." if "probabilit" in meaning else ")."))


def epoch_callback(keras: Any, proto: Protocol, epochs: int, budget_s: float, wall_cap_s: float) -> Any:
    class Progress(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        """Streams each epoch out and stops training gracefully when a budget would be overrun.

        The lesson's budget is CPU seconds of this process (all threads), so a grade does not depend on how busy
        the machine is: a model that needs more than its budget is stopped (stopped_for_time, the learner's to
        fix). The wall-clock cap only keeps the phase inside its hard limit; when it stops training before the
        CPU budget is spent, the machine was busy (stopped_for_load, ours: the grader runs the phase again).
        """

        def __init__(self) -> None:
            super().__init__()
            self.start, self.cpu_start = time.monotonic(), time.process_time()
            self.stopped_for_time = self.stopped_for_load = False
            self.epochs_run = 0

        def _over(self, share: float = 0.0) -> None:
            """Stop when a budget is spent, or (share > 0) would be by the end of one more epoch like the last."""
            wall, cpu = time.monotonic() - self.start, time.process_time() - self.cpu_start
            if cpu + cpu * share > budget_s:
                self.model.stop_training = self.stopped_for_time = True
            elif wall + wall * share > wall_cap_s:
                self.model.stop_training = self.stopped_for_load = True

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self._over()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = logs or {}
            self.epochs_run = epoch + 1
            loss = logs.get("loss")
            proto.send(event="epoch", epoch=epoch + 1, epochs=epochs,
                       loss=_finite(loss), val_loss=_finite(logs.get("val_loss")))
            if loss is None or not math.isfinite(loss):
                self.model.stop_training = True  # diverged: more epochs cannot bring it back
                return
            if epoch + 1 < epochs:
                self._over(share=1.0 / (epoch + 1))

    return Progress()


def training_arrays(data: dict[str, Any], constants: dict[str, int], np: Any) -> tuple[Any, Any, Any, Any]:
    """Windows of a series (sized by the learner's WINDOW) or the ready-made arrays of the job."""
    if data["kind"] == "teacher_forcing":
        return teacher_forcing(data, np)
    if data["kind"] == "arrays":
        return data["x_train"], data["y_train"], data["x_val"], data["y_val"]
    window = constants["WINDOW"]
    values = np.asarray(data["values"], dtype=data.get("dtype", "float32"))
    start, horizon, stride = int(data["validation_start"]), int(data.get("horizon", 1)), int(data.get("stride", 1))
    x_train, y_train = make_windows(values[:start], window, horizon)
    x_val, y_val = make_windows(values[start - window:], window, horizon)
    x_train, y_train, x_val, y_val = x_train[::stride], y_train[::stride], x_val[::stride], y_val[::stride]
    if data.get("squeeze_features"):  # token ids: (samples, window), for an Embedding layer
        x_train, x_val = x_train[..., 0], x_val[..., 0]
    return x_train, y_train, x_val, y_val


def teacher_forcing(data: dict[str, Any], np: Any) -> tuple[Any, Any, Any, Any]:
    """Sequence to sequence: inputs [source ids, decoder input], where the decoder's input is the target shifted
    right behind START (teacher forcing: at step t it reads the true character t-1, not its own guess). Built here,
    by the grader, from the job's public pairs only."""
    start = int(data["start"])

    def shifted(y: Any) -> Any:
        y = np.asarray(y)
        return np.concatenate([np.full((len(y), 1), start, dtype=y.dtype), y[:, :-1]], axis=1)

    return ([data["x_train"], shifted(data["y_train"])], data["y_train"],
            [data["x_val"], shifted(data["y_val"])], data["y_val"])


def check_inputs(keras: Any, model: Any, input_shapes: list[Any]) -> None:
    """check_model for a model of several inputs (an encoder-decoder's source and decoder input): one shape each."""
    if model is None or not isinstance(model, keras.Model) or not getattr(model, "compiled", False) \
            or model.optimizer is None:
        check_model(keras, model, input_shapes[0])  # raises its message for these
    got = shape_of(model.input_shape)
    got = got if isinstance(got, list) and got and isinstance(got[0], list) else [got]
    want = [list(shape) for shape in input_shapes]
    if got != want:
        shown = ", ".join(str(tuple(shape)) if isinstance(shape, list) else str(shape) for shape in got)
        raise ContractError("input_shape", f"Your model's inputs are {shown}, but the grader feeds {len(want)} inputs "
                            f"of shapes {', '.join(str(tuple(s)) for s in want)}: build it as keras.Model(["
                            + ", ".join(f"keras.Input(shape={tuple(s[1:])})" for s in want) + "], outputs).")


def build(job: dict[str, Any], proto: Protocol, keras: Any, np: Any) -> dict[str, Any]:
    """Phase A, the only Keras phase that runs learner code: build and compile the model, then save it untrained.

    Training happens in phase B, where no learner code runs, from what this archive records (layers, weights,
    the compiled optimizer and loss). So every training fact the report shows (the optimizer and its clipping,
    the epochs run, the loss history) is what really happened, not what learner code says happened: code here
    can patch anything in this interpreter, including this harness.
    """
    module = load_submission(job["code"])
    constants = read_constants(module, job["constants"])
    build_model = getattr(module, "build_model", None)
    arg_names = ", ".join(a for a in job.get("build_arg_names", []))
    if not callable(build_model):
        raise ContractError("contract", f"Define a function build_model({arg_names}) that returns a compiled keras.Model.")
    keras.utils.set_random_seed(job.get("seed", 0))
    input_shape = resolve(job["input_shape"], constants)
    proto.send(event="phase", phase="build")
    try:
        model = build_model(*resolve(job["build_args"], constants))
    except Exception as exc:  # noqa: BLE001
        raise explain_build_error(exc, tuple(input_shape)) from None
    if input_shape and isinstance(input_shape[0], list):  # several inputs (sequence to sequence)
        check_inputs(keras, model, input_shape)
    else:
        check_model(keras, model, input_shape)
    if job.get("output_shape"):
        check_output(model, resolve(job["output_shape"], constants), job.get("output_meaning", ""))
    try:
        model.save(MODEL_PATH)
    except OSError as exc:  # ENOSPC / EFBIG: the private disk is small on purpose
        raise ContractError("contract", f"Your model could not be saved ({exc.strerror}): it is too big for "
                            "the grader. Use fewer units or layers.") from None
    except Exception as exc:  # noqa: BLE001 - e.g. a custom object Keras cannot serialise
        raise ContractError("safe_model", f"Your model could not be saved: {describe(exc)} Use built-in Keras "
                            "layers, losses and optimizers: the grader trains what the saved model records.") from None
    size = os.path.getsize(MODEL_PATH)
    if size > MAX_MODEL_BYTES:
        raise ContractError("contract", f"The saved model is {size >> 20} MiB; the limit is {MAX_MODEL_BYTES >> 20} MiB. "
                            "Use fewer units or layers.")
    with open(MODEL_PATH, "rb") as fh:
        model_bytes = fh.read()
    reported = {"constants": constants, "window": constants.get("WINDOW"), "epochs": constants["EPOCHS"],
                "batch_size": constants["BATCH_SIZE"], "epochs_run": 0, "stopped_for_time": False,
                "stopped_early": False, "history": []}
    return {"outcome": "ok", "reported": reported, "model": np.frombuffer(model_bytes, dtype="uint8")}


def fit(model: Any, training: dict[str, Any], constants: dict[str, int], proto: Protocol, keras: Any,
        np: Any) -> tuple[dict[str, Any], bool, Any, Any]:
    """Phase B's training of the loaded archive, with the grader's callbacks only: its facts are measured. Also
    returns the public validation inputs and targets, which the influence probe reuses."""
    keras.utils.set_random_seed(int(training.get("seed", 0)))
    x_train, y_train, x_val, y_val = training_arrays(training["data"], constants, np)
    epochs, batch_size = constants["EPOCHS"], constants["BATCH_SIZE"]
    budget = float(training["train_seconds"])
    progress = epoch_callback(keras, proto, epochs, budget, float(training.get("train_wall_seconds", budget)))
    callbacks = [progress]
    early = None
    if training.get("early_stopping_patience"):  # the lesson opts in: learners cannot pass callbacks themselves
        early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(training["early_stopping_patience"]),
                                              min_delta=1e-4, restore_best_weights=True)
        callbacks.append(early)
    proto.send(event="phase", phase="train", epochs=epochs, batch_size=batch_size, samples=len(x_train))
    try:
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
                            shuffle=True, verbose=0, callbacks=callbacks)
    except Exception as exc:  # noqa: BLE001 - public data only: Keras's own words help the learner
        raise ContractError("contract", f"Training failed: {describe(exc)}") from None
    losses = [_finite(float(v)) for v in history.history.get("loss", [])]
    val_losses = [_finite(float(v)) for v in history.history.get("val_loss", [])]
    diverged = any(v is None for v in losses + val_losses)
    reported = {
        "constants": constants, "window": constants.get("WINDOW"), "epochs": epochs, "batch_size": batch_size,
        "epochs_run": progress.epochs_run, "stopped_for_time": progress.stopped_for_time,
        "stopped_for_load": progress.stopped_for_load,
        "stopped_early": bool(early is not None and early.stopped_epoch > 0),
        "history": [{"epoch": i + 1, "loss": v, "val_loss": val_losses[i] if i < len(val_losses) else None}
                    for i, v in enumerate(losses)],
    }
    return reported, diverged, x_val, y_val


# ---------------------------------------------------------------- function cases (no Keras model)


def call_functions(job: dict[str, Any]) -> dict[str, Any]:
    """Call the module's functions on each case; every learner exception becomes that case's message."""
    module = load_submission(job["code"])
    for name in job["functions"]:
        if not callable(getattr(module, name, None)):
            raise ContractError("contract", f"Define a function {name}(...) (see the starter for its signature).")
    results = []
    for case in job["cases"]:
        try:
            value = getattr(module, case["function"])(*case.get("args", []), **case.get("kwargs", {}))
        except NotImplementedError:
            results.append({"ok": False, "error": f"{case['function']}() still raises NotImplementedError: "
                                                  "replace the TODO with your implementation."})
            continue
        except Exception as exc:  # noqa: BLE001
            results.append({"ok": False, "error": f"{case['function']}() raised {describe(exc)}"})
            continue
        results.append({"ok": True, "value": value})
    return {"outcome": "ok", "results": results}


def make_cases(job: dict[str, Any], np: Any) -> dict[str, Any]:
    """Instructor code: generate the hidden cases, then the reference solution's answers to them."""
    namespace: dict[str, Any] = {"__name__": "cases"}
    exec(compile(job["cases_code"], "cases.py", "exec"), namespace)
    cases = namespace["make_cases"](np.random.default_rng(int(job["seed"])))
    answers = call_functions({"code": job["solution_code"], "functions": job["functions"], "cases": cases})
    return {"outcome": "ok", "cases": cases, "expected": answers["results"]}


# ---------------------------------------------------------------- NumPy twins of the stock recurrent layers

# Eager TensorFlow runs a recurrent layer one Python-dispatched step at a time (~4 ms a step for a GRU on 32 rows);
# look-inside's gradient pass runs each stock SimpleRNN/GRU/LSTM as one op computed by graders/recurrence.py instead,
# and believes the figures only when the model through the twins has predicted what Keras's own compiled model
# predicts on the same rows. A layer a twin declines runs as Keras's.
# Never for a graded fact: the integrity checks (mark_influence) run Keras's own layers. A float32 sum added in
# another order than TensorFlow's can differ, and a model can be built (frozen Constant initializers, a cancelling
# bias) whose layer is a constant in Keras's arithmetic and a function of the input in another; whatever checks
# the twin passed, such a layer must not earn credit through it. Look-inside figures are feedback on the learner's
# own model: at worst a wrong plot of it, and the checks below make that unlikely too.
ROUNDING_TOLERANCE = 1e-5  # recurrence.rounding_gap past which a layer's output hangs on rounding: Keras's own runs


@contextlib.contextmanager
def calling(layer: Any, call: Any) -> Iterator[None]:
    """`layer.call` is `call` for the block, then what it was before (the class's, or an outer block's)."""
    outer = layer.__dict__.get("call")
    layer.call = call
    try:
        yield
    finally:
        if outer is None:
            del layer.call
        else:
            layer.call = outer


def numpy_cell(direction: Any, keras: Any) -> Any:
    """The NumPy twin (graders/recurrence.py) of a stock SimpleRNN/GRU/LSTM layer, or None: a subclass, ConvLSTM,
    a custom cell, stateful, an activation it does not know, or a dtype policy other than plain float32 / float64
    (bfloat16 and mixed float16 round in ways the twin does not reproduce) run as Keras's own."""
    import recurrence

    kinds = {keras.layers.SimpleRNN: "SimpleRNN", keras.layers.GRU: "GRU", keras.layers.LSTM: "LSTM"}
    kind = kinds.get(type(direction))
    if kind is None or not direction.built:
        return None
    if direction.compute_dtype not in recurrence.DTYPES or direction.variable_dtype != direction.compute_dtype:
        return None
    try:
        config = {**direction.get_config(), "zero_output_for_mask": bool(direction.zero_output_for_mask)}
        return recurrence.cell_from_config(kind, config, direction.get_weights())
    except Exception:  # noqa: BLE001 - recurrence.Unsupported, or a config we cannot read: Keras's own path
        return None


def numpy_sequences(cell: Any, sequences: Any, mask: Any, initial: list[Any] | None, dtype: str,
                    budget: dict[str, Any]) -> tuple[Any, list[Any]]:
    """Every step's output of `cell` over `sequences` (reading order) and its final states, starting from
    `initial` (zeros when None), computed in `dtype`, as one TensorFlow op whose gradient with respect to the
    sequences and the initial states is recurrence.backward: the tape sees one op per layer instead of ~70 per step.
    recurrence.Unsupported (Keras's own path answers) when the output hangs on rounding (ROUNDING_TOLERANCE);
    LookTooCostly when what it holds (recurrence.peak_bytes) would pass what is left of budget["kept"] (bytes, all
    layers of the pass together)."""
    import numpy as np
    import recurrence
    import tensorflow as tf

    keep = None if mask is None else np.asarray(mask)
    starts = [] if initial is None else [tf.convert_to_tensor(v) for v in initial]
    values = np.asarray(sequences)
    kept = recurrence.peak_bytes(cell, values.shape[0], values.shape[1] if values.ndim > 1 else 0, dtype)
    if kept > budget["kept"]:  # Keras's eager pass would keep more still: no figure rather than either
        raise LookTooCostly(f"the recurrent layers would keep more than {recurrence.MAX_KEPT_BYTES >> 20} MiB")
    with np.errstate(all="ignore"):  # a diverged model's overflow is the check's to catch, not the log's to show
        start_values = [v.numpy() for v in starts] or None
        outputs, finals, run = recurrence.forward(cell, values, keep, start_values, dtype=dtype)
        if dtype != "float64" and not recurrence.rounding_gap(cell, values, keep, start_values, outputs,
                                                              finals) <= ROUNDING_TOLERANCE:
            raise recurrence.Unsupported("an output that hangs on rounding")
    budget["kept"] -= kept

    @tf.custom_gradient
    def through(seq: Any, *start: Any) -> Any:
        def grad(*upstream: Any) -> Any:
            d_outputs, *d_finals = (None if u is None else u.numpy() for u in upstream)
            if d_outputs is None:
                d_outputs = np.zeros(outputs.shape)
            with np.errstate(all="ignore"):
                d_seq, d_start = recurrence.backward(run, d_outputs, d_finals)
            return [tf.convert_to_tensor(d_seq, dtype=seq.dtype),
                    *(tf.convert_to_tensor(d, dtype=v.dtype) for d, v in zip(d_start, start, strict=False))]

        return [tf.convert_to_tensor(v, dtype=dtype) for v in (outputs, *finals)], grad

    every, *finals = through(sequences, *starts)
    return every, finals


def recurrent_layers(model: Any, keras: Any) -> list[Any]:
    """Every recurrent layer object of the model (any keras.layers.RNN: SimpleRNN/GRU/LSTM, ConvLSTM, a generic RNN
    of cells), the directions of a Bidirectional and nested models' layers included, once each."""
    objects: list[Any] = []
    flatten_layers(model, objects)
    found: dict[int, Any] = {}
    for layer in objects:
        for candidate in (getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None), layer):
            if isinstance(candidate, keras.layers.RNN):
                found[id(candidate)] = candidate
    return list(found.values())


class LookTooCostly(Exception):
    """Look-inside's pass would cost more than its budget (Keras's eager steps, or the twins' memory): no figure."""


@dataclass
class EagerSteps:
    """The recurrent steps Keras's eager pass may still run in one look-inside (both of its passes together)."""

    left: int

    def spend(self, sequences: Any) -> None:
        steps = int(sequences.shape[1]) if len(sequences.shape) > 1 else 1
        if steps > self.left:
            raise LookTooCostly(f"more than {LOOK_EAGER_STEPS} recurrent steps run by Keras's eager pass")
        self.left -= steps


def call_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, list[Any] | None, Any]:
    """(sequences, initial states or None, mask or None) of a call to a Keras RNN layer's `call(sequences,
    initial_state=None, mask=None, training=False)`, however they were passed."""
    sequences = args[0] if args else kwargs.get("sequences", kwargs.get("inputs"))
    initial = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
    if initial is not None and not isinstance(initial, (list, tuple)):
        initial = [initial]
    return sequences, None if initial is None else list(initial), kwargs.get("mask", args[2] if len(args) > 2 else None)


def twin_call(direction: Any, keras: Any, original: Any, seen: dict[str, Any]) -> Any:
    """A `call` for `direction` that computes with its NumPy twin (its weights read at each call) when seen["try"],
    or with `original` (Keras's eager steps, spent from seen["eager"]) when the twin declines (a layer
    graders/recurrence.py does not know, an output that hangs on rounding). LookTooCostly when the eager steps or
    the twins' memory budget would be passed. seen["twins"] counts the calls a twin answered."""
    import recurrence

    def call(*args: Any, **kwargs: Any) -> Any:
        sequences, initial, mask = call_arguments(args, kwargs)
        cell = numpy_cell(direction, keras) if seen["try"] else None
        if cell is not None:
            try:
                every, finals = numpy_sequences(cell, sequences, mask, initial, direction.compute_dtype, seen)
            except recurrence.Unsupported:
                cell = None
        if cell is None:
            if seen["eager"] is not None:
                seen["eager"].spend(sequences)
            return original(*args, **kwargs)
        seen["twins"] = seen.get("twins", 0) + 1
        seen.setdefault("every", {})[id(direction)] = every  # every step's output, for a caller that records
        output = every if direction.return_sequences else every[:, -1]
        return (output, *finals) if direction.return_state else output

    return call


@contextlib.contextmanager
def numpy_twins(model: Any, keras: Any, twins: bool = True,
                eager: EagerSteps | None = None) -> Iterator[dict[str, Any]]:
    """For the block's eager calls, the model's stock recurrent layers compute with their NumPy twins (when
    `twins`), and every recurrent layer a twin does not answer for spends its steps from `eager` (None: no
    limit). Never around a call that may trace a tf.function: a twin reads concrete values. Yields the counter of
    twin calls; the block's twins hold at most recurrence.MAX_KEPT_BYTES together."""
    import recurrence

    seen: dict[str, Any] = {"twins": 0, "kept": recurrence.MAX_KEPT_BYTES, "try": twins, "eager": eager}
    with contextlib.ExitStack() as stack:
        for direction in recurrent_layers(model, keras):
            stack.enter_context(calling(direction, twin_call(direction, keras, direction.call, seen)))
        yield seen


def same_prediction(ours: Any, keras_own: Any, np: Any) -> bool:
    """Whether a prediction equals Keras's own compiled one up to float32 rounding (every output of the model)."""
    import tensorflow as tf

    mine, theirs = tf.nest.flatten(ours), tf.nest.flatten(keras_own)
    if len(mine) != len(theirs):
        return False
    for a, b in zip(mine, theirs, strict=True):
        a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
        scale = 1.0 + float(np.max(np.abs(b))) if b.size and np.isfinite(b).all() else 1.0
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-4 * scale):
            return False
    return True


# ---------------------------------------------------------------- evaluate phase (no learner code here)


def archive_config(path: str) -> dict[str, Any] | None:
    """config.json of the learner's archive, read before Keras sees it (None if missing, huge or not JSON)."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > 8 * 1024 * 1024:
                return None
            config = json.loads(archive.read(info))
    except Exception:  # noqa: BLE001 - Keras's loader will say what is wrong with it
        return None
    return config if isinstance(config, dict) else None


def walk(config: Any) -> Any:
    """Every dict and list inside a JSON value (iteratively: a learner's archive may nest deeply)."""
    stack = [config]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def declares_state(config: dict[str, Any]) -> bool:
    """A stateful layer anywhere, however deeply wrapped: its state would carry rows from one predict to the next."""
    return any(isinstance(node, dict) and node.get("stateful") not in (None, False) for node in walk(config))


VALUE_HOLDERS = {"__numpy__", "__tensor__", "Constant"}  # serialised arrays and array-valued initializers
REFERENCES = {"__keras_tensor__"}  # another layer's output: a link in the graph, not a number


def _holds_dict(node: Any) -> bool:
    return any(isinstance(item, dict) for item in walk(node))


def _numbers_in(node: Any) -> int:
    """Scalars inside a value (numbers, and strings or bools that could stand for them), links excluded."""
    count = 0
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            cls = item.get("class_name")
            if cls in REFERENCES:
                continue
            inner = item.get("config")
            if cls in VALUE_HOLDERS and isinstance(inner, dict):
                stack.append(inner.get("value"))
                continue
            stack.extend(v for k, v in item.items() if k not in ("class_name", "module", "registered_name", "dtype"))
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            count += 1
    return count


def stored_constants(config: dict[str, Any]) -> int:
    """Numbers the archive's structure carries outside any layer's weights: arrays handed to keras.ops, scalar
    operands of operations, array-valued initializers and any array in a layer's config, in whatever nesting or
    JSON type they were written. A parameter budget counts them, or a model could hide capacity there (or carry
    weights trained in phase A through an initializer, since phase B rebuilds the weights from the config)."""
    total = 0
    stack: list[Any] = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            cls = node.get("class_name")
            if cls in REFERENCES:
                continue
            inner = node.get("config")
            if cls in VALUE_HOLDERS and isinstance(inner, dict):
                total += _numbers_in(inner.get("value"))
                continue
            for key, value in node.items():
                if key in ("args", "kwargs"):  # an operation's operands: every number there is a constant
                    total += _numbers_in(value)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            if _holds_dict(node):
                stack.extend(node)
            else:  # an array written as (nested) lists: small ones are shapes, big ones are data
                numbers = _numbers_in(node)
                total += numbers if numbers >= 16 else 0
    return total


def _clamp(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) < 1e12 else None


def optimizer_facts(model: Any, np: Any) -> dict[str, Any] | None:
    """The optimizer phase B really trains with, rebuilt by Keras from the archive (a learner's get_config
    cannot change what this object does). Read again after training, when its schedule's rates over the steps
    phase B ran are known."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    rate = getattr(optimizer, "learning_rate", None)
    try:
        rate = float(np.asarray(rate)) if rate is not None else None
    except Exception:  # noqa: BLE001 - a schedule: no single rate
        rate = None
    return {"class": type(optimizer).__name__[:200], "clipnorm": _clamp(getattr(optimizer, "clipnorm", None)),
            "clipvalue": _clamp(getattr(optimizer, "clipvalue", None)),
            "global_clipnorm": _clamp(getattr(optimizer, "global_clipnorm", None)), "learning_rate": _clamp(rate),
            "schedule": schedule_facts(optimizer, np)}


SCHEDULE_STEPS = 20_000  # rates read at every step of the run up to this many (evenly spaced beyond)
SCHEDULE_SHARE = 0.1  # lowest/highest: the rate at least this share of the steps is at or below / at or above
SCHEDULE_CHUNK = 1024  # steps per compiled call
SCHEDULE_SECONDS = 5.0  # a schedule slower to read than this (thousands of boundaries) has no facts: no credit


def schedule_facts(optimizer: Any, np: Any) -> dict[str, Any] | None:
    """The learning-rate schedule object Keras rebuilt (None: a constant rate), called at every step this optimizer
    ran (compiled, in chunks, for at most SCHEDULE_SECONDS). Its lowest and highest rates are those of at least a tenth of the steps: a schedule
    that never moves within the run (decay_rate=1, boundaries past the end), or moves only for a step or two (a
    drop at the last step, a comb of drops at the steps an evenly spaced reading would look at), reads flat."""
    schedule = getattr(optimizer, "_learning_rate", None)
    if schedule is None or not callable(schedule) or hasattr(schedule, "assign"):  # a variable: a constant rate
        return None
    try:
        import tensorflow as tf

        steps = int(np.asarray(optimizer.iterations))
        at = np.unique(np.round(np.linspace(0, max(steps - 1, 0), min(max(steps, 1), SCHEDULE_STEPS)))).astype("int64")
        read = tf.function(lambda s: tf.map_fn(lambda i: tf.cast(schedule(i), tf.float32), s,
                                               fn_output_signature=tf.float32))
        deadline, rates = time.monotonic() + SCHEDULE_SECONDS, []
        for first in range(0, len(at), SCHEDULE_CHUNK):  # one traced shape: the last chunk is padded
            chunk = at[first:first + SCHEDULE_CHUNK]
            padded = np.concatenate([chunk, np.full(min(SCHEDULE_CHUNK, len(at)) - len(chunk), chunk[-1], dtype="int64")])
            rates += [_clamp(r) for r in np.asarray(read(tf.constant(padded)), dtype="float64")[:len(chunk)]]
            if time.monotonic() > deadline:
                raise TimeoutError
    except Exception:  # noqa: BLE001 - a schedule that cannot be read (or only slowly) has no facts
        return {"class": type(schedule).__name__[:200], "steps": 0, "initial_rate": None, "final_rate": None,
                "lowest_rate": None, "highest_rate": None}
    finite = sorted(r for r in rates if r is not None)
    k = max(1, math.ceil(SCHEDULE_SHARE * len(finite))) - 1
    return {"class": type(schedule).__name__[:200], "steps": min(steps, 10**9), "initial_rate": rates[0],
            "final_rate": rates[-1], "lowest_rate": finite[k] if finite else None,
            "highest_rate": finite[-1 - k] if finite else None}


def _l2_of(regularizer: Any) -> float | None:
    """The L2 factor a regularizer object applies (L2, L1L2); None when there is none."""
    if regularizer is None:
        return None
    return _clamp(getattr(regularizer, "l2", None))


def recipe_facts(layer: Any) -> dict[str, Any]:
    """A layer's training recipe as its loaded object holds it (a recurrent layer's settings sit on its cell):
    initializer classes, L2 factors, dropout rates. Only the fields the layer has."""
    facts: dict[str, Any] = {}
    holders = [layer, getattr(layer, "cell", None)]
    for field in ("kernel_initializer", "recurrent_initializer"):
        found = next((getattr(h, field) for h in holders if getattr(h, field, None) is not None), None)
        if found is not None:
            facts[field] = type(found).__name__[:200]
    for field, key in (("kernel_regularizer", "kernel_l2"), ("recurrent_regularizer", "recurrent_l2"),
                       ("bias_regularizer", "bias_l2")):
        factor = next((_l2_of(getattr(h, field)) for h in holders if getattr(h, field, None) is not None), None)
        if factor is not None:
            facts[key] = factor
    name = type(layer).__name__
    if name in RECURRENT or "Dropout" in name:
        rate = _clamp(getattr(layer, "dropout" if name in RECURRENT else "rate", None))
        if rate is not None:
            facts["dropout"] = min(max(rate, 0.0), 1.0)
        recurrent = _clamp(getattr(layer, "recurrent_dropout", None))
        if recurrent is not None:
            facts["recurrent_dropout"] = min(max(recurrent, 0.0), 1.0)
    return facts


def unsafe_model_message(text: str) -> str:
    if "Lambda" in text or "lambda" in text:
        return ("Your model contains a Lambda layer. The grader loads models with safe_mode=True, which refuses "
                "Lambda layers because they carry arbitrary Python code. Use built-in layers instead "
                "(e.g. keras.layers.Reshape, Rescaling, or an activation argument).")
    return ("The grader could not load your saved model with safe_mode=True, usually because it uses a custom "
            f"layer, loss or object. Use built-in Keras layers. Details: {text[:400]}")


class HeldoutFailure(Exception):
    """The model failed on rows that include held-out ones. Its text is fixed: a count or an exception message
    computed from held-out inputs would carry their values out to the learner."""


HELDOUT_FAILURE = ("Your model could not predict every window the grader gave it (some of them held out), so it "
                   "cannot be scored. Every input row must produce exactly one output row, computed from that row "
                   "alone, with built-in layers only. For held-out data the grader does not say more: details "
                   "would reveal values your code must never see.")


def predict_rows(model: Any, x: Any, np: Any) -> Any:
    """One forward pass over exactly these rows; the answer must have one output row per input row."""
    try:
        out = model.predict_on_batch(x)
    except Exception:  # noqa: BLE001
        raise HeldoutFailure from None
    if isinstance(out, (list, tuple, dict)):
        raise ContractError("output_shape", "Your model has several outputs; this lesson needs exactly one.")
    out = np.asarray(out, dtype="float64")
    if out.ndim < 1 or out.shape[0] != len(x):
        raise HeldoutFailure
    return out


def spread(output: Any) -> Any:
    """What `LayerProbes.varies` needs of one recorded output, computed in the graph so that no pass returns whole
    outputs (17 probed layers of 400 steps held 111 MB as arrays): (every value finite, rows, largest spread over
    the rows, largest size), as float64 scalars (0 rows for an output without a rows axis)."""
    import tensorflow as tf

    if output.shape.rank is None or output.shape.rank < 1:
        zero = tf.constant(0.0, tf.float64)
        return zero, zero, zero, zero
    values = tf.cast(output, tf.float64)
    finite = tf.cast(tf.reduce_all(tf.math.is_finite(values)), tf.float64)
    rows = tf.cast(tf.shape(values)[0], tf.float64)
    width = tf.reduce_max(tf.reduce_max(values, axis=0) - tf.reduce_min(values, axis=0))
    return finite, rows, width, tf.reduce_max(tf.abs(values))


class LayerProbes:
    """The integrity probes' passes over the public probe rows: each probed layer's output (recorded), and the
    model's prediction with one layer's output replaced by its mean over the rows (ablated).

    All of them are calls of one traced graph of the model (tf.function), in which every probed layer's `call` is
    wrapped once: it records its output and, where a switch (a tf.Variable, one entry per layer) says so, returns
    the mean over the rows instead. So the 1 + n passes cost one trace and n + 1 compiled calls of Keras's own graph
    arithmetic, as predict_on_batch computes; eager passes run every recurrent step as Python calls (three stacked
    GRUs over 240 steps: 11.3 s of eager probes against a 0.34 s trace). Wrapping `call` reaches layers inside nested
    models and wrappers alike. If the model cannot be traced that way, each pass runs eagerly instead (the same
    wrappers, one pass at a time).
    """

    def __init__(self, model: Any, layers: list[Any], probe: Any, np: Any) -> None:
        import tensorflow as tf

        self.model, self.layers, self.np = model, layers, np
        self.index = {id(layer): i for i, layer in enumerate(layers)}
        self.switches = tf.Variable(tf.zeros([max(len(layers), 1)]), trainable=False)
        self.recorded: list[list[Any]] = [[] for _ in layers]
        self.unprobed: set[int] = set()  # layers whose output the wrapper cannot read or replace: None, not a verdict
        self.inputs = tf.nest.map_structure(tf.convert_to_tensor, probe)
        self.unablated: tuple[Any, list[list[Any]]] | None = None
        self.compiled: Any = None
        if layers:
            try:
                with self.wrapped():
                    self.compiled = tf.function(self._pass).get_concrete_function(self.inputs)
            except Exception:  # noqa: BLE001 - not traceable this way: eager passes, one at a time
                self.compiled = None

    @contextlib.contextmanager
    def wrapped(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for i, layer in enumerate(self.layers):
                stack.enter_context(calling(layer, self._wrap(i, layer.call)))
            yield

    def _wrap(self, i: int, original: Any) -> Any:
        import tensorflow as tf

        def mean_row(o: Any) -> Any:
            # summed in float32 (float64 for a float64 layer) and cast back: 64 rows of a float16 layer near 2000
            # sum past float16's largest number, and an infinite "mean" would make the ablated pass say nothing
            wide = tf.float64 if o.dtype == tf.float64 else tf.float32
            mean = tf.cast(tf.reduce_mean(tf.cast(o, wide), axis=0, keepdims=True), o.dtype)
            return tf.broadcast_to(mean, tf.shape(o))

        def call(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            parts = list(out) if isinstance(out, (list, tuple)) else [out]
            try:
                facts = spread(parts[0])
                on = self.switches[i] > 0.5
                # tf.where, not a blend: where the switch is off the output is the layer's own, bit for bit
                means = [tf.where(on, mean_row(o), o) for o in parts]
            except Exception:  # noqa: BLE001 - this layer alone is not observable: the other layers' probes stand
                self.unprobed.add(i)
                return out
            self.recorded[i].append(facts)
            return type(out)(means) if isinstance(out, (list, tuple)) else means[0]

        return call

    def _pass(self, inputs: Any) -> Any:
        for seen in self.recorded:
            seen.clear()
        return self.model(inputs, training=False), [list(seen) for seen in self.recorded]

    def run(self, ablate: int | None) -> tuple[Any, list[list[Any]]]:
        """The prediction and, per probed layer, the `spread` of each output it gave, with layer `ablate`'s output
        replaced by its mean over the rows (None: nothing replaced)."""
        import tensorflow as tf

        self.switches.assign(tf.one_hot(-1 if ablate is None else ablate, int(self.switches.shape[0])))
        try:
            if self.compiled is not None:
                predicted, recorded = self.compiled(self.inputs)
            else:
                with self.wrapped():
                    predicted, recorded = self._pass(self.inputs)
        finally:
            self.switches.assign(tf.zeros_like(self.switches))
        np = self.np
        return (np.asarray(predicted, dtype="float64"),
                [[tuple(float(v) for v in facts) for facts in outs] for outs in recorded])

    def varies(self, layer: Any) -> bool | None:
        """Whether the layer's output differs between the probe's rows (None when it cannot be observed). A layer
        whose output is the same for every input carries no information about the input, whatever its weights would
        do if disturbed: a GRU with all-zero frozen weights outputs 0 for every sequence, yet noise on those weights
        makes the output move."""
        try:
            if self.unablated is None:
                self.unablated = self.run(None)
            index = self.index[id(layer)]
            outputs = self.unablated[1][index]
        except Exception:  # noqa: BLE001 - not observable this way: the weight disturbance alone decides
            return None
        if index in self.unprobed:
            return None
        if not outputs or any(rows < 2 or not finite for finite, rows, _, _ in outputs):
            return None
        return any(width > 1e-6 * (1.0 + size) for _, _, width, size in outputs)

    def matters(self, layer: Any, targets: Any, base: Any) -> bool | None:
        """Whether the predictions move by ABLATION_SHARE of the model's error on the probe when the layer's output
        is replaced by its mean over the rows (the same for every input: no memory of this one). None when it cannot
        be observed."""
        np = self.np
        y = _like_outputs(targets, base, np)
        if y is None:
            return None
        try:
            index = self.index[id(layer)]
            if index in self.unprobed:  # its output was never replaced: the prediction could not move
                return None
            moved, _ = self.run(index)
        except Exception:  # noqa: BLE001 - not observable this way: the other probes decide
            return None
        if moved.shape != base.shape:
            return None
        if not np.isfinite(moved).all():  # the mean broke the arithmetic downstream (an overflow, 0 * inf): no
            return False  # evidence that the layer's information matters, and "unknown" must not earn credit
        error = float(np.sqrt(np.mean((base - y) ** 2)))
        return bool(np.sqrt(np.mean((moved - base) ** 2)) >= ABLATION_SHARE * error)


# Replacing a recurrent layer's output by its mean over the probe's rows must move the predictions by at least this
# share of the model's own error there. A layer that is what beats a simple baseline moves them by far more (the
# baseline is about where the ablated model lands); a GRU scaled by 1e-3 beside a Dense network that does the work
# moves them by about 1e-3 of it, and passed with full marks before this check.
ABLATION_SHARE = 0.05


def _like_outputs(targets: Any, base: Any, np: Any) -> Any:
    """The probe's targets in the shape of the model's outputs (class ids one-hot), or None."""
    y = np.asarray(targets)
    if y.shape == base.shape:
        return y.astype("float64")
    if base.ndim == y.ndim + 1 and y.shape == base.shape[:-1] and np.issubdtype(y.dtype, np.integer) \
            and y.size and 0 <= y.min() and y.max() < base.shape[-1]:
        return np.eye(base.shape[-1])[y]
    return y.reshape(base.shape).astype("float64") if y.size == base.size else None


REGULARISED_PROBES = 16  # layers whose dropout / L2 phase B measures; any beyond are not credited
REGULARISING = ("dropout", "recurrent_dropout", "kernel_l2", "recurrent_l2", "bias_l2")


def mark_influence(model: Any, probe: Any, np: Any, targets: Any = None, keras: Any = None) -> list[dict[str, Any]]:
    """Layer facts where each recurrent layer says whether it matters. Its output must differ between public
    rows (a constant carries nothing), when its weights are disturbed (noise of sd 1) the model's output on
    those rows must move, and with its output replaced by its mean over the rows the predictions must move by a
    share of the model's error (LayerProbes). A GRU multiplied by 0 beside a linear path fails the second, a
    GRU frozen at all-zero weights the first, a GRU scaled by 1e-3 beside a network that does the work the third;
    none earns "uses a recurrent layer" credit. Every pass is Keras's own (never the NumPy twins: see above)."""
    objects: list[Any] = []
    layers = flatten_layers(model, objects)
    try:
        base = np.asarray(model.predict_on_batch(probe), dtype="float64")
    except Exception:  # noqa: BLE001 - not measurable: leave influence unknown
        return layers
    if not np.isfinite(base).all():  # a diverged model: the finite-predictions check speaks for it
        return layers
    pairs = list(zip(layers, objects, strict=True))
    recurrent = [(entry, layer) for entry, layer in pairs
                 if entry["class"] in RECURRENT or entry.get("wraps") in RECURRENT]
    claims = [(entry, layer) for entry, layer in pairs if any(entry.get(key) for key in REGULARISING)]
    probed = {id(layer): layer for _, layer in recurrent}
    cap = len(probed) + REGULARISED_PROBES  # layer objects: one listed twice (a shared nested model) is one
    for _, layer in claims:
        if len(probed) >= cap:
            break
        probed.setdefault(id(layer), layer)
    probes = LayerProbes(model, list(probed.values()), probe, np)
    rng = np.random.default_rng(0)
    for entry, layer in recurrent:
        unused = probes.varies(layer) is False or (
            targets is not None and probes.matters(layer, targets, base) is False)
        if unused:
            entry["influential"] = False
            continue
        weights = list(layer.weights)
        saved = [w.numpy() for w in weights]
        try:
            for w, value in zip(weights, saved, strict=True):
                w.assign(value + rng.normal(0.0, 1.0, value.shape).astype(value.dtype))
            moved = np.asarray(model.predict_on_batch(probe), dtype="float64")
            change = float(np.nanmax(np.abs(moved - base))) if base.size else 0.0
            entry["influential"] = bool(change > 1e-4 * (1.0 + float(np.nanmax(np.abs(base)))))
        except Exception:  # noqa: BLE001
            pass
        finally:
            for w, value in zip(weights, saved, strict=True):
                w.assign(value)
    mark_regularisation(claims, probes, targets, base)
    return layers


def mark_regularisation(claims: list[tuple[dict[str, Any], Any]], probes: LayerProbes, targets: Any,
                        base: Any) -> None:
    """A dropout rate or L2 factor acts only on a layer that takes part in the prediction: its output differs
    between rows and replacing it by its mean moves the predictions, as for recurrent layers (a Dropout or an L2
    Dense on a branch multiplied by 0 does not). Such a layer's `influential` is measured here (recurrent ones
    already are), for the first REGULARISED_PROBES of them. A node's training=False does not stop a dropout: fit's
    training=True overrides it."""
    budget = REGULARISED_PROBES
    for entry, layer in claims:
        if entry.get("influential") is not None:  # measured (recurrent)
            continue
        if budget == 0:
            break
        budget -= 1
        varies = probes.varies(layer)
        matters = probes.matters(layer, targets, base) if targets is not None else None
        entry["influential"] = None if varies is None else bool(varies and matters is not False)


def fresh_model(model: Any, seed: int, keras: Any) -> Any:
    """The learner's architecture with new weights from its initializers (under the grader's seed) and a new
    optimizer of the same class and settings: weights or optimizer state prepared in phase A, where learner code
    ran without the lesson's limits, never reach the graded model. Only the optimizer and loss are taken from the
    learner's compile call; run_eagerly, steps_per_execution and jit_compile are the grader's."""
    keras.utils.set_random_seed(seed)
    try:
        fresh = keras.models.clone_model(model)
        optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
        fresh.compile(optimizer=optimizer, loss=model.loss, run_eagerly=False, steps_per_execution=1)
    except Exception as exc:  # noqa: BLE001 - the learner's archive: their outcome
        raise ContractError("safe_model", f"The grader could not rebuild your model to train it: {describe(exc)} "
                            "Use built-in Keras layers, losses and optimizers.") from None
    return fresh


def evaluate(job: dict[str, Any], proto: Protocol, keras: Any, np: Any) -> dict[str, Any]:
    """Load the archive safely, train it (when the job says so), then predict each of the supervisor's groups as
    its own forward pass.

    No learner code runs here: the archive is loaded with safe_mode=True (built-in layers only). Training uses
    the archive's own compiled optimizer and loss and the grader's callbacks. The supervisor put rows that share
    a held-out value into different groups (and in a secret order), so no forward pass ever holds another row's
    answer; it also names rows to predict alone, to check that a row's output depends on that row only.
    Everything after the bytes are written depends on the learner's archive: any failure is theirs, never ours.
    """
    with open(MODEL_PATH, "wb") as fh:
        fh.write(job["model"].tobytes())
    config = archive_config(MODEL_PATH)
    if config is None:  # everything below reads it: an archive we cannot read is refused, never waved through
        return {"outcome": "unsafe_model", "check": "safe_model",
                "message": "The grader could not read your saved model's configuration (it is missing, not JSON, "
                           "or over 8 MiB: models for this lesson need a few kilobytes). Build the model from "
                           "built-in layers and keep big arrays out of it."}
    if declares_state(config):
        return {"outcome": "contract_error", "check": "batch_invariant",
                "message": "Your model has a stateful layer (stateful=True, possibly inside a wrapper): it carries "
                           "its state from one batch into the next, so a window's prediction would depend on the "
                           "windows graded before it. Remove stateful=True; the grader gives each window its own "
                           "fresh state."}
    training = job.get("training")
    try:
        model = keras.saving.load_model(MODEL_PATH, compile=training is not None, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - refusing an unsafe model is an expected outcome
        return {"outcome": "unsafe_model", "check": "safe_model", "message": unsafe_model_message(str(exc))}
    try:
        architecture = {
            "input_shape": shape_of(model.input_shape), "output_shape": shape_of(model.output_shape),
            "layers": flatten_layers(model), "params": int(model.count_params()),
            "constants": stored_constants(config), "optimizer": optimizer_facts(model, np),
        }
    except Exception as exc:  # noqa: BLE001
        return {"outcome": "contract_error", "check": "safe_model",
                "message": f"The grader could not inspect your saved model: {str(exc)[:400]}"}
    reported, diverged = None, False
    want = job.get("output_shape")
    if want is not None and architecture["output_shape"] != [None, *want]:
        # The parent's structure checks explain the shape; predicting would only send back rows it cannot use.
        return {"outcome": "ok", "architecture": architecture, "batched": np.zeros((0,)), "alone": np.zeros((0,)),
                "training": None, "diverged": False}
    if training is not None:
        if architecture["optimizer"] is None or getattr(model, "loss", None) is None:
            raise ContractError("contract", "Your saved model has no optimizer or loss: call model.compile(optimizer="
                                "..., loss=...) in build_model, so the grader knows how to train it.")
        model = fresh_model(model, int(training.get("seed", 0)), keras)
        reported, diverged, x_val, y_val = fit(model, training, job["constants"], proto, keras, np)
        probe = [part[:64] for part in x_val] if isinstance(x_val, list) else x_val[:64]  # public validation rows
        architecture["layers"] = mark_influence(model, probe, np, y_val[:64], keras)
        architecture["optimizer"] = optimizer_facts(model, np)  # the trained optimizer: its schedule's steps
    proto.send(event="phase", phase="predict")
    x = job["rows"]
    bounds = np.cumsum([0, *job["groups"]])
    predict = greedy_decoder(job["greedy"]) if job.get("greedy") else predict_rows
    try:
        batched = [predict(model, x[bounds[i]:bounds[i + 1]], np) for i in range(len(job["groups"]))]
        alone = [predict(model, x[i:i + 1], np) for i in job["alone"]]
        outputs = np.concatenate(batched)
        alone_out = np.concatenate(alone) if alone else np.zeros((0, *outputs.shape[1:]))
        result: dict[str, Any] = {"outcome": "ok", "architecture": architecture, "batched": outputs,
                                  "alone": alone_out, "training": reported, "diverged": diverged}
        if job.get("sample"):
            result["sample_ids"] = sample_tokens(model, job["sample"], np)
    except ContractError:
        raise
    except Exception:  # noqa: BLE001 - HeldoutFailure, or anything odd (a huge output, a failing sample)
        return {"outcome": "contract_error", "check": "output_shape", "message": HELDOUT_FAILURE}
    # After the predictions: it cannot change them.
    if job.get("look_inside") and training is not None:
        result["look_inside"] = look_inside(model, probe, y_val[:LOOK_ROWS], job.get("sample"), keras, np)
    return result


def greedy_decoder(greedy: dict[str, Any]) -> Any:
    """predict_rows for an encoder-decoder, [source ids, decoder input] -> (steps, classes), at inference: the decoder
    input starts as [START, 0, ...]; step t's output is predicted from the inputs so far and its argmax is written
    at t+1, so the decoder reads its own guesses, never a target. Returns each step's probabilities from the pass
    that decided it (a decoder that looks at later inputs sees only zeros there). One compiled graph per model."""
    import tensorflow as tf

    start, steps = int(greedy["start"]), int(greedy["steps"])
    compiled: dict[int, Any] = {}

    def decoding(model: Any) -> Any:
        source_type, target_type = (tf.as_dtype(tensor.dtype) for tensor in model.inputs)

        @tf.function(input_signature=[tf.TensorSpec([None, None], source_type)])
        def decode(source: Any) -> Any:
            n = tf.shape(source)[0]
            target = tf.concat([tf.fill([n, 1], tf.cast(start, target_type)), tf.zeros([n, steps - 1], target_type)],
                               axis=1)
            chosen = []
            for t in range(steps):
                probs = model([source, target], training=False)[:, t]
                chosen.append(probs)
                if t + 1 < steps:
                    guess = tf.cast(tf.argmax(probs, axis=-1), target_type)[:, None]
                    target = tf.concat([target[:, :t + 1], guess, target[:, t + 2:]], axis=1)
            return tf.stack(chosen, axis=1)

        return decode

    def predict(model: Any, x: Any, np: Any) -> Any:
        try:
            if id(model) not in compiled:
                compiled[id(model)] = decoding(model)
            decode = compiled[id(model)]
            out = np.asarray(decode(tf.constant(np.asarray(x), dtype=decode.input_signature[0].dtype)),
                             dtype="float64")
        except Exception:  # noqa: BLE001
            raise HeldoutFailure from None
        if out.ndim < 1 or out.shape[0] != len(x):
            raise HeldoutFailure
        return out

    return predict


def sample_tokens(model: Any, sample: dict[str, Any], np: Any) -> list[int]:
    """Generate ids one at a time, drawing from the softmax sharpened or flattened by the temperature.

    Stops early (a shorter sample) when the model's output is not a usable distribution (NaN, all zero): a
    diverged model must not crash the grader; the scorer reports its NaN outputs.
    """
    rng = np.random.default_rng(int(sample.get("rng_seed", 0)))
    window = list(sample["seed_ids"])
    out: list[int] = []
    for _ in range(int(sample["length"])):
        # predict_on_batch reuses one compiled predict function: ~30x faster than eager model(x) calls
        probs = np.asarray(model.predict_on_batch(np.asarray([window[-len(sample["seed_ids"]):]], dtype="int32")))
        probs = probs.reshape(-1).astype("float64")
        if not np.all(np.isfinite(probs)):
            break
        logits = np.log(np.clip(probs, 1e-12, 1.0)) / float(sample["temperature"])
        weights = np.exp(logits - logits.max())
        total = weights.sum()
        if not np.isfinite(total) or total <= 0:
            break
        choice = int(rng.choice(len(weights), p=weights / total))
        out.append(choice)
        window.append(choice)
    return out


# ---------------------------------------------------------------- look inside (phase B, public validation rows only)

# What phase B measures for the report's look-inside plots, after the predictions (it cannot change a grade). The
# parent bounds everything again (graders/look_inside.py); these keep the answer small at the source.
LOOK_ROWS = 32  # public validation rows for the gradient norms
LOOK_MAX_STEPS = 200
# Recurrent steps look-inside lets Keras's eager pass run (a layer the twins decline: ~5-10 ms a step on 32 rows,
# forward and backward): past it, no gradient or state figure, so that feedback never costs a grade its time limit.
LOOK_EAGER_STEPS = 160
LOOK_MAX_UNITS = 64
LOOK_TEMPERATURES = (0.5, 1.0)
LOOK_SAMPLE_LENGTH = 80


def first_recurrent(model: Any) -> Any:
    """The first recurrent layer (a Bidirectional wrapper stands for its pair), or None."""
    objects: list[Any] = []
    for entry, layer in zip(flatten_layers(model, objects), objects, strict=True):
        if entry["class"] in RECURRENT or (entry["class"] == "Bidirectional" and entry.get("wraps") in RECURRENT):
            return layer
    return None


def sequence_copy(direction: Any) -> Any:
    """The recurrent layer itself when it returns every state, else a copy with the same weights that does: called
    with the same initial state and mask, its final step is the original's output (a masked step repeats the last
    output, or is zeros where zero_output_for_mask says so, in the copy as in the original)."""
    if direction.return_sequences and not direction.return_state:
        return direction
    config = {**direction.get_config(), "return_sequences": True, "return_state": False, "stateful": False,
              "zero_output_for_mask": bool(direction.zero_output_for_mask)}
    config.pop("name", None)
    return type(direction).from_config(config)


class InsidePass(NamedTuple):
    """What gradients_and_states measured."""

    norms: Any  # (steps,) mean over rows of |d loss_row / d x_t|
    states: Any  # (units, steps) the first recurrent layer's state over the first row, or None
    predicted: Any  # the model's prediction in this pass
    twins: int  # recurrent layers run by their NumPy twin


def gradients_and_states(model: Any, layer: Any, x: Any, y: Any, np: Any, keras: Any = None, twins: bool = True,
                         eager: EagerSteps | None = None) -> InsidePass:
    """One forward and backward pass over public rows: the gradient norm of the loss per input time step, the
    first recurrent layer's state after every step of the first row, (units, steps), and the model's prediction
    in this pass.

    The gradient is taken with respect to the model's input when it is numbers, else (token ids) with respect to
    the sequence the recurrent layer reads (the embedded ids). The batch's mean loss is scaled back to one row's
    loss, so the norms do not depend on the batch size: norms[t] is the mean over rows of |d loss_row / d x_t|.

    With `keras` given, the stock recurrent layers run as their NumPy twins when `twins` (numpy_twins): milliseconds
    instead of eager TensorFlow's second; the caller checks the prediction against Keras's own before believing the
    figures. The recurrent steps Keras's eager pass runs are then spent from `eager` (LookTooCostly past
    it, or past the twins' memory budget). Without `keras`: every layer Keras's own, no budget (a reference).
    A layer that runs as Keras's and returns only its last state is run, in this pass, as a copy with
    return_sequences=True and the same weights, whose last step it returns (each direction of a Bidirectional, the
    backward one put back in time order): the model computes the same function, and every state is seen."""
    import tensorflow as tf

    # A model of one numeric input: the gradient with respect to it. Token ids, or several inputs (an encoder and a
    # decoder): with respect to the sequence the first recurrent layer reads.
    several = isinstance(x, list)
    x = [tf.convert_to_tensor(part) for part in x] if several else tf.convert_to_tensor(x)
    on_input = not several and x.dtype.is_floating
    directions = [layer.forward_layer, layer.backward_layer] if hasattr(layer, "forward_layer") else [layer]
    states: list[tuple[Any, bool]] = []
    originals = [direction.call for direction in directions]  # the class's own, before any twin

    with contextlib.ExitStack() as stack, tf.GradientTape() as tape:
        if on_input:
            tape.watch(x)
        seen = stack.enter_context(numpy_twins(model, keras, twins, eager)) if keras is not None else {
            "twins": 0}
        watched: list[Any] = []

        def reading(direction: Any, original: Any) -> Any:
            copy = sequence_copy(direction)

            def keras_path(*args: Any, **kwargs: Any) -> Any:
                if copy is direction:
                    out = original(*args, **kwargs)
                    states.append((out, direction.go_backwards))
                    return out
                sequences, initial, mask = call_arguments(args, kwargs)
                if not copy.built:
                    copy.build(tuple(sequences.shape))
                    copy.set_weights(direction.get_weights())
                if direction.return_state:  # rare: the original answers, the copy only shows its states
                    if seen.get("eager") is not None:  # two eager runs of this layer: both spend steps
                        seen["eager"].spend(sequences)
                    states.append((copy(sequences, mask=mask, initial_state=initial), direction.go_backwards))
                    return original(*args, **kwargs)
                every = copy(sequences, mask=mask, initial_state=initial)
                states.append((every, direction.go_backwards))
                return every[:, -1]

            answer = twin_call(direction, keras, keras_path, seen) if keras is not None else keras_path

            def call(*args: Any, **kwargs: Any) -> Any:
                if not watched:
                    sequences = args[0] if args else kwargs.get("sequences", kwargs.get("inputs"))
                    if not on_input:
                        tape.watch(sequences)
                    watched.append(sequences)
                twins = seen["twins"]
                out = answer(*args, **kwargs)
                if seen["twins"] > twins:  # the twin answered, and kept every step's output
                    states.append((seen["every"][id(direction)], direction.go_backwards))
                return out

            return call

        # on top of numpy_twins' own wrapper of these directions: `reading` calls twin_call itself, with the
        # class's own call (taken above, before any wrapper) under keras_path
        for direction, original in zip(directions, originals, strict=True):
            stack.enter_context(calling(direction, reading(direction, original)))
        predicted = model(x, training=False)
        loss = model.compute_loss(x=x, y=tf.convert_to_tensor(y), y_pred=predicted, training=False)
    grad = tape.gradient(loss, x if on_input else watched[0])
    if grad is None:
        raise ValueError("no gradient reaches the input")
    grad = np.asarray(grad, dtype="float64") * int((x[0] if several else x).shape[0])
    axes = tuple(range(2, grad.ndim))
    norms = (np.sqrt((grad**2).sum(axis=axes)) if axes else np.abs(grad)).mean(axis=0)
    rows = []
    for every, backwards in states[:len(directions)]:
        first = np.asarray(every[0], dtype="float64")
        if first.ndim != 2:  # e.g. ConvLSTM's maps: not a vector per step
            return InsidePass(norms, None, predicted, seen["twins"])
        rows.append(first[::-1] if backwards else first)
    return InsidePass(norms, np.concatenate(rows, axis=-1).T, predicted, seen["twins"])


def look_inside(model: Any, x_val: Any, y_val: Any, sample: dict[str, Any] | None, keras: Any,
                np: Any) -> dict[str, Any]:
    """The look-inside figures of a trained model, on public validation rows only: the gradient norm of the loss
    per input time step, the first recurrent layer's hidden state over one sequence, and for text, samples at two
    temperatures from the lesson's public seed. Each is measured on its own; one that fails is left out."""
    started, cpu = time.monotonic(), time.process_time()
    found: dict[str, Any] = {}
    layer = first_recurrent(model)
    if layer is not None:
        found["layer"] = type(layer).__name__[:200]
        inner = getattr(layer, "forward_layer", None)
        if inner is not None:
            found["wraps"] = type(inner).__name__[:200]
        several = isinstance(x_val, list)  # an encoder-decoder: [source ids, decoder input]
        rows = min(LOOK_ROWS, len(x_val[0] if several else x_val))
        x_rows = [part[:rows] for part in x_val] if several else x_val[:rows]
        norms = states = None
        try:
            # the whole probe, as the influence checks already predicted it: no new trace of the predict function
            keras_own = keras.tree.map_structure(lambda out: out[:rows], model.predict_on_batch(x_val))
            # The NumPy twins where they answer, Keras's eager pass for the rest; if a twin answered and the
            # prediction is not Keras's own, the pass once more with Keras's layers only. Either pass's figures
            # are shown only when its prediction is the model's.
            eager = EagerSteps(LOOK_EAGER_STEPS)  # for both passes together
            for twins in (True, False):
                try:
                    measured = gradients_and_states(model, layer, x_rows, y_val[:rows], np, keras, twins, eager)
                except LookTooCostly:
                    break  # the other pass costs as much or more
                except Exception:  # noqa: BLE001 - a twin that fails: Keras's own pass answers
                    continue
                if same_prediction(measured.predicted, keras_own, np):
                    norms, states = measured.norms, measured.states
                    if measured.twins:
                        found["twins"] = measured.twins
                    break
                if not measured.twins:  # that was Keras's own pass already: nothing to try again
                    break
        except Exception:  # noqa: BLE001 - a figure we cannot draw for this model is left out, never a grade
            norms = states = None
        if norms is not None and np.isfinite(norms).all():
            found["gradient"] = {"norms": norms[-LOOK_MAX_STEPS:].astype("float32"), "rows": rows,
                                 "first_step": int(max(len(norms) - LOOK_MAX_STEPS, 0)),
                                 "embedded": several or not np.issubdtype(np.asarray(x_val).dtype, np.floating)}
        if states is not None and np.isfinite(states).all():
            found["hidden"] = {"states": states[:LOOK_MAX_UNITS, -LOOK_MAX_STEPS:].astype("float32"),
                               "units": int(states.shape[0]), "first_step": int(max(states.shape[1] - LOOK_MAX_STEPS, 0))}
    if sample:
        texts = []
        for temperature in LOOK_TEMPERATURES:
            try:
                ids = sample_tokens(model, {**sample, "temperature": temperature, "length": LOOK_SAMPLE_LENGTH}, np)
            except Exception:  # noqa: BLE001
                break
            texts.append({"temperature": temperature, "ids": ids})
        if texts:
            found["samples"] = texts
    found["seconds"] = round(time.monotonic() - started, 4)
    found["cpu_seconds"] = round(time.process_time() - cpu, 4)
    return found


# ---------------------------------------------------------------- process entry


def warm_up(keras: Any, np: Any, fit: bool) -> None:
    """Pay TF's one-time costs (kernel set-up, tf.function machinery, saving) before a learner is waiting.

    A builder (phase A) only builds, compiles and saves, so it skips the fit: that would cost CPU on every
    submission for nothing. The evaluator trains, and pays the fit once for many jobs."""
    model = keras.Sequential([keras.Input(shape=(4, 1)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((8, 4, 1), dtype="float32")
    if fit:
        model.fit(x, np.zeros((8, 1), dtype="float32"), validation_data=(x, np.zeros((8, 1))), epochs=1, verbose=0)
    path = os.path.join(os.path.dirname(MODEL_PATH), "warmup.keras")
    model.save(path)
    if fit:
        keras.saving.load_model(path, compile=False, safe_mode=True).predict(x, verbose=0)
    os.remove(path)
    keras.backend.clear_session()


def _out_of_cpu(signum: int, frame: object) -> None:
    os._exit(128 + signal.SIGXCPU)


def apply_job_limits(job: dict[str, Any], keep_hard: bool = False) -> None:
    """Tighten our own rlimits to this job's limits before any learner code runs (the ceiling was set at spawn).

    The worker is pid 1 of its namespace, and the kernel drops default-action signals sent to a namespace's init,
    so SIGXCPU at the soft limit would be ignored and the hard limit's SIGKILL would read as "killed". A handler
    turns it into the exit status bwrap reports for SIGXCPU. Code stuck in C past the soft limit still dies by
    SIGKILL at the hard limit; the trusted side classifies that from the phase's CPU time.

    keep_hard: the evaluator serves many jobs, and an unprivileged process can never raise a hard limit again,
    so it moves only the soft limit (the parent also watches each job's CPU in the cgroup and kills past it).
    """
    signal.signal(signal.SIGXCPU, _out_of_cpu)
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    cpu = spent + int(job["cpu_seconds"])
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if keep_hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
    elif hard == resource.RLIM_INFINITY or cpu + 5 <= hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def forbid_exec(program_path: str) -> None:
    """From here on no program can be started: stack the exec-ban filter the trusted side compiled.

    What a noexec /tmp is for (nothing the learner writes can run as a program), and more: see
    graders/seccomp.py exec_ban_program. TF and Keras are already imported and never exec. A filter can only be
    added, never removed; bwrap already set no_new_privs, set again so this works on its own.
    """
    import ctypes

    with open(program_path, "rb") as fh:
        program = fh.read()
    if not program or len(program) % 8:
        raise RuntimeError(f"{program_path} is not a BPF program ({len(program)} bytes)")

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    code = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(pr_set_seccomp, ctypes.c_ulong(seccomp_mode_filter), ctypes.byref(fprog), ctypes.c_ulong(0),
                  ctypes.c_ulong(0)):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


# What each flavour of worker may run. A builder and a numpy worker run learner code and serve one job; the
# evaluator runs no learner code (only the grader's training and predictions of a safe_mode archive) and serves
# many, so a submission pays one TensorFlow start-up (its builder's), not two.
FLAVOURS = {
    "builder": {protocol.JobKind.train},
    "evaluator": {protocol.JobKind.evaluate},
    "numpy": {protocol.JobKind.call, protocol.JobKind.cases},
}


def run_job(job: dict[str, Any], proto: Protocol, allowed: set[protocol.JobKind], keras: Any, np: Any) -> None:
    started = time.monotonic()
    try:
        kind = protocol.JobKind(job["kind"])
        if kind not in allowed:
            raise RuntimeError(f"this worker does not run {kind.value} jobs")
        if kind is protocol.JobKind.train:
            result = build(job, proto, keras, np)
        elif kind is protocol.JobKind.evaluate:
            result = evaluate(job, proto, keras, np)
        elif kind is protocol.JobKind.call:
            result = call_functions(job)
        else:
            result = make_cases(job, np)
    except ContractError as exc:
        result = {"outcome": exc.outcome, "check": exc.check, "message": exc.message}
    except MemoryError:
        result = {"outcome": "out_of_memory", "message": "Out of memory: your code asked for more memory than the "
                  "grader allows. Use fewer units, a smaller batch size, or avoid building huge arrays."}
    except BaseException as exc:  # noqa: BLE001 - learner code may raise SystemExit or anything else
        where = learner_frames(exc.__traceback__)
        if where:
            result = {"outcome": "contract_error", "check": "contract", "message": describe(exc)}
        else:
            result = {"outcome": "harness_error", "message": traceback.format_exc(limit=8)}
    envelope = {key: result.pop(key) for key in ("outcome", "check", "message") if key in result}
    tree, blobs = pack(result)
    proto.send(blobs, event="result", seconds=round(time.monotonic() - started, 3), data=tree, **envelope)


def forget_job(keras: Any) -> None:
    """Between two evaluator jobs: nothing of the last archive, its graph or its data may shape the next grade."""
    import gc

    for path in (MODEL_PATH,):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    keras.backend.clear_session()
    gc.collect()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir", default="/tmp")
    parser.add_argument("--flavour", choices=sorted(FLAVOURS), default="builder")
    parser.add_argument("--forbid-exec", metavar="BPF", help="stack this seccomp program once warm (no execve)")
    args = parser.parse_args()
    global SUBMISSION, MODEL_PATH
    os.chdir(args.workdir)
    SUBMISSION = os.path.join(args.workdir, "submission.py")
    MODEL_PATH = os.path.join(args.workdir, "model.keras")
    # Learner prints and library chatter must never be mistaken for protocol messages.
    proto = Protocol(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    started = time.monotonic()
    import numpy as np

    keras: Any = None
    version = ""
    if args.flavour != "numpy":  # function lessons never need TensorFlow: 0.1 s to start instead of 2.5 s
        import tensorflow as tf

        # TF ignores CPU quotas; match its thread pools to the cores we give the job.
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        import keras

        warm_up(keras, np, fit=args.flavour == "evaluator")
        version = keras.__version__
    if args.forbid_exec:
        forbid_exec(args.forbid_exec)
    proto.send(event="ready", import_s=round(time.monotonic() - started, 3), keras=version)
    allowed = FLAVOURS[args.flavour]
    serves_many = args.flavour == "evaluator"
    while True:
        message = protocol.read_message(sys.stdin.buffer, protocol.TRUSTED_INPUT)  # the supervisor's job: trusted
        if message is None:
            return 0  # the pool shut down (or retired us) before giving us more work
        job = unpack(message.body["job"], message.blobs)
        apply_job_limits(job, keep_hard=serves_many)
        run_job(job, proto, allowed, keras, np)
        if not serves_many:
            return 0
        forget_job(keras)


if __name__ == "__main__":
    sys.exit(main())
