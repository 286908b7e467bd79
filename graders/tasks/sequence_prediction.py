"""Held-out sequence prediction: chronological split, the two sandbox jobs, and the trusted scoring."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graders.report import Check, Failure, GradeReport
from graders.spec import LessonGrading, SequencePredictionSpec, SpecError
from graders.windowing import make_windows

RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D"}
TRAIN_CHECKS = ("contract", "input_shape", "return_sequences")


def read_series(path: Path, column: str) -> np.ndarray:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise SpecError(f"{path}: no column {column!r} (columns: {reader.fieldnames})")
        try:
            values = [float(row[column]) for row in reader]
        except ValueError as exc:
            raise SpecError(f"{path}: column {column!r} holds a non-number: {exc}") from None
    series = np.asarray(values, dtype="float64")
    if not np.all(np.isfinite(series)):
        raise SpecError(f"{path}: column {column!r} holds NaN or infinite values")
    return series


@dataclass
class SequenceSplit:
    """The series cut chronologically: train | validation | held-out tail, normalised by train statistics."""

    raw: np.ndarray
    scaled: np.ndarray
    validation_start: int
    heldout_start: int
    mean: float
    std: float

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean


def split_series(grading: LessonGrading, heldout_dir: Path | None = None) -> SequenceSplit:
    """The held-out tail is the lesson's own unless an instructor keeps it outside the repo (heldout_dir/<slug>.csv)."""
    spec = _spec(grading)
    public = read_series(grading.data_path(spec.data.series), spec.data.column)
    external = heldout_dir / f"{grading.slug}.csv" if heldout_dir else None
    if external is not None and external.is_file():
        tail = read_series(external, spec.data.column)
        raw = np.concatenate([public, tail])
        heldout_start = len(public)
    else:
        raw = public
        heldout_start = int(round(len(raw) * (1 - spec.data.heldout_fraction)))
    validation_start = int(round(heldout_start * (1 - spec.data.validation_fraction)))
    window_max = spec.contract.window_max
    if validation_start <= 2 * window_max or heldout_start - validation_start <= window_max // 2:
        raise SpecError(f"{grading.folder / 'grading.toml'}: data.series is too short for window_max={window_max}")
    # Statistics of the training part only: anything later would leak the future into the inputs.
    mean = float(raw[:validation_start].mean())
    std = float(raw[:validation_start].std()) or 1.0
    return SequenceSplit(raw=raw, scaled=(raw - mean) / std, validation_start=validation_start,
                         heldout_start=heldout_start, mean=mean, std=std)


def _spec(grading: LessonGrading) -> SequencePredictionSpec:
    return grading.spec


def train_job(grading: LessonGrading, split: SequenceSplit, code: str, seed: int = 0) -> dict[str, Any]:
    """Phase A sees the learner's code and the public part only: never a held-out value."""
    spec = _spec(grading)
    return {
        "phase": "train", "code": code, "seed": seed,
        "series": split.scaled[: split.heldout_start].tolist(),
        "validation_start": split.validation_start,
        "contract": spec.contract.model_dump(),
        "train_seconds": spec.limits.train_seconds,
    }


def evaluate_inputs(grading: LessonGrading, split: SequenceSplit, window: int) -> dict[str, np.ndarray]:
    horizon = _spec(grading).contract.horizon
    x_val, _ = make_windows(split.scaled[split.validation_start - window: split.heldout_start], window, horizon)
    x_test, _ = make_windows(split.scaled[split.heldout_start - window:], window, horizon)
    return {"validation": x_val, "heldout": x_test}


def evaluate_job(grading: LessonGrading, split: SequenceSplit, window: int, model_b64: str) -> dict[str, Any]:
    """Phase B runs no learner code, so it may see held-out inputs (which contain earlier held-out targets)."""
    inputs = evaluate_inputs(grading, split, window)
    return {"phase": "evaluate", "model_b64": model_b64, "inputs": {k: v.tolist() for k, v in inputs.items()}}


def _error(metric: str, predictions: np.ndarray, targets: np.ndarray) -> float:
    diff = predictions - targets
    return float(np.sqrt(np.mean(diff**2))) if metric == "rmse" else float(np.mean(np.abs(diff)))


def _targets(split: SequenceSplit, start: int, stop: int, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw-unit targets and the naive 'repeat the last value' forecasts for windows ending in [start, stop)."""
    x, y = make_windows(split.raw[start - window: stop], window, horizon)
    return y.astype("float64"), np.repeat(x[:, -1, :1], horizon, axis=1).astype("float64")


def structural_checks(grading: LessonGrading, architecture: dict[str, Any], window: int) -> list[Check]:
    spec = _spec(grading)
    horizon = spec.contract.horizon
    layers = architecture.get("layers", [])
    classes = {layer["class"] for layer in layers} | {layer.get("wraps", "") for layer in layers}
    missing = [name for name in spec.contract.required_layers if name not in classes]
    checks = [
        Check(id="input_shape", title="Input shape is (window, features)", passed=True, points=1,
              message=f"Input {architecture.get('input_shape')} matches windows of {window} steps with 1 feature."),
    ]
    if missing:
        checks.append(Check(
            id="layers", title=f"Uses {' and '.join(spec.contract.required_layers)}", passed=False,
            message=f"This lesson asks for a {', '.join(missing)} layer; your model has "
                    f"{', '.join(sorted(c for c in classes if c)) or 'no layers'}. Add e.g. keras.layers.LSTM(32) "
                    "as the first layer after the input, so the model keeps a memory across time steps."))
    else:
        checks.append(Check(id="layers", title=f"Uses {' and '.join(spec.contract.required_layers)}", passed=True,
                            points=1, message="The required recurrent layer is there."))
    output = architecture.get("output_shape")
    want = [None, horizon]
    recurrent = [layer for layer in layers if layer["class"] in RECURRENT or layer.get("wraps") in RECURRENT]
    last_returns_sequences = bool(recurrent) and recurrent[-1].get("return_sequences", False)
    if output == want:
        checks.append(Check(id="return_sequences", title="Recurrent layers pass sequences correctly", passed=True,
                            points=1, message="Stacked layers return sequences; the last one returns its final state."))
        checks.append(Check(id="output_shape", title=f"Output shape is (batch, {horizon})", passed=True, points=1,
                            message=f"Output {output}: one prediction per window."))
    else:
        seq_msg = ("Your last recurrent layer has return_sequences=True, so the model outputs one value per time step "
                   f"({output}). Keep return_sequences=True only on layers that feed another recurrent layer.")
        checks.append(Check(id="return_sequences", title="Recurrent layers pass sequences correctly",
                            passed=not last_returns_sequences,
                            points=0 if last_returns_sequences else 1,
                            message=seq_msg if last_returns_sequences else "Recurrent layers are wired correctly."))
        checks.append(Check(id="output_shape", title=f"Output shape is (batch, {horizon})", passed=False,
                            message=f"Your model outputs {output}, but each window needs {horizon} number(s): end with "
                                    f"keras.layers.Dense({horizon}) and no activation."))
    return checks


def score(grading: LessonGrading, split: SequenceSplit, trained: dict[str, Any],
          evaluated: dict[str, Any]) -> GradeReport:
    """Trusted scoring: no learner code and no TensorFlow here, only numbers that came out of phase B."""
    spec = _spec(grading)
    window = int(trained["window"])
    horizon = spec.contract.horizon
    architecture = evaluated.get("architecture", {})
    checks = [Check(id="contract", title="Module meets the contract", passed=True, points=1,
                    message=f"WINDOW={window}, EPOCHS={trained['epochs']}, BATCH_SIZE={trained['batch_size']}; "
                            "build_model() returned a compiled keras.Model.")]
    checks += structural_checks(grading, architecture, window)
    history = trained.get("history", [])
    diverged = trained.get("outcome") == "diverged"
    checks.append(Check(
        id="finite_loss", title="Training loss stayed finite", passed=not diverged, points=0 if diverged else 1,
        message=("Training diverged: the loss became NaN or infinite. Lower the learning rate (e.g. "
                 "keras.optimizers.Adam(1e-3)) or clip gradients (clipnorm=1.0).") if diverged
        else f"Loss went from {_fmt(history[0]['loss'])} to {_fmt(history[-1]['loss'])}." if history else "No epochs ran."))

    output_ok = architecture.get("output_shape") == [None, horizon]
    metric = spec.scoring.metric
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    if output_ok and "predictions" in evaluated:
        preds = {k: split.unscale(np.asarray(v, dtype="float64").reshape(-1, horizon)) for k, v in evaluated["predictions"].items()}
        y_test, naive_test = _targets(split, split.heldout_start, len(split.raw), window, horizon)
        y_val, naive_val = _targets(split, split.validation_start, split.heldout_start, window, horizon)
        test_pred, val_pred = preds["heldout"], preds["validation"]
        finite = bool(np.all(np.isfinite(test_pred)))
        model_err = _error(metric, test_pred, y_test) if finite else math.inf
        base_err = _error(metric, naive_test, y_test)
        metrics = {
            f"heldout_{metric}": model_err, f"baseline_{metric}": base_err,
            f"validation_{metric}": _error(metric, val_pred, y_val) if finite else math.inf,
            f"validation_baseline_{metric}": _error(metric, naive_val, y_val),
            "ratio_to_baseline": model_err / base_err if base_err else math.inf,
            "heldout_windows": float(len(y_test)),
        }
        metrics = {k: (round(v, 6) if math.isfinite(v) else -1.0) for k, v in metrics.items()}
        plots["validation"] = {"truth": y_val[:, 0].round(5).tolist(),
                               "prediction": val_pred[:, 0].round(5).tolist() if finite else []}
        spread = float(np.std(test_pred)) if finite else 0.0
        flat = spread < 0.1 * float(np.std(y_test))
        checks.append(Check(
            id="not_flat", title="Predictions follow the series", passed=not flat, points=0 if flat else 1,
            message=(f"Your predictions barely move (spread {spread:.3g} vs {float(np.std(y_test)):.3g} in the data): the "
                     "model predicts roughly a constant. Train longer, check the learning rate, and end with Dense(1) "
                     "without an activation (relu or sigmoid can clip the output).") if flat
            else "Predictions vary with the input."))
        checks.append(_baseline_check(spec, metric, model_err, base_err))
    else:
        checks.append(Check(id="not_flat", title="Predictions follow the series", passed=False, skipped=True,
                            message="Not run: the model's output shape must be fixed first."))
        checks.append(Check(id="beats_baseline", title="Beats the naive baseline on held-out data", passed=False,
                            skipped=True, max_points=spec.scoring.baseline_points,
                            message="Not run: the model's output shape must be fixed first."))
    report = GradeReport.from_checks(
        checks, metrics=metrics, plots=plots,
        history=history,
        training={"epochs_run": trained.get("epochs_run", 0), "epochs": trained["epochs"],
                  "stopped_for_time": trained.get("stopped_for_time", False), "window": window,
                  "batch_size": trained["batch_size"], "params": architecture.get("params")},
    )
    if diverged:
        report.failure = Failure.diverged
    if trained.get("stopped_for_time"):
        report.summary += (f" Training stopped at epoch {trained['epochs_run']} of {trained['epochs']} "
                           f"(time budget {spec.limits.train_seconds:.0f} s); the model so far was graded.")
    return report


def _baseline_check(spec: SequencePredictionSpec, metric: str, model_err: float, base_err: float) -> Check:
    margin = spec.scoring.margin
    title = "Beats the naive baseline on held-out data"
    if not math.isfinite(model_err):
        return Check(id="beats_baseline", title=title, passed=False, max_points=spec.scoring.baseline_points,
                     message="Your model predicted NaN or infinity on the held-out data, so it cannot be scored.")
    improvement = 1 - model_err / base_err
    credit = min(max(improvement / margin, 0.0), 1.0)
    passed = improvement >= margin
    name = metric.upper()
    head = (f"Held-out {name} {model_err:.4g} vs {base_err:.4g} for 'repeat the last value': "
            f"{improvement:+.0%} better (full marks at {margin:.0%}).")
    advice = "" if passed else (" To improve: train more epochs, try 32–64 LSTM units, a window covering a whole "
                                "cycle of the series (e.g. 24), and the Adam optimizer with its default rate.")
    return Check(id="beats_baseline", title=title, passed=passed, points=round(credit * spec.scoring.baseline_points, 3),
                 max_points=spec.scoring.baseline_points, message=head + advice)


def _fmt(value: float | None) -> str:
    return "NaN" if value is None else f"{value:.4g}"
