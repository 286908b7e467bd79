"""Held-out sequence regression: a windowed series or ready-made arrays, the two sandbox jobs, trusted scoring."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graders import wire
from graders.report import Check, GradeReport
from graders.spec import LessonGrading, SequencePredictionSpec, SpecError
from graders.tasks import model_checks
from graders.windowing import make_windows


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
class ArraySplit:
    """Ready-made (x, y) samples cut in order: train | validation | held-out."""

    x: np.ndarray
    y: np.ndarray
    validation_start: int
    heldout_start: int

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        bounds = {"train": (0, self.validation_start), "validation": (self.validation_start, self.heldout_start),
                  "heldout": (self.heldout_start, len(self.x))}[name]
        return self.x[bounds[0]:bounds[1]], self.y[bounds[0]:bounds[1]]


def load_arrays(path: Path, split_fractions: Any, classes: bool = False) -> ArraySplit:
    try:
        with np.load(path, allow_pickle=False) as data:
            x, y = np.asarray(data["x"], dtype="float32"), np.asarray(data["y"])
    except (OSError, KeyError, ValueError) as exc:
        raise SpecError(f"{path}: needs arrays 'x' (N, T, F) and 'y' (N, ...): {exc}") from None
    if x.ndim != 3 or len(x) != len(y):
        raise SpecError(f"{path}: x must be (N, timesteps, features) and y must have N rows; got {x.shape}, {y.shape}")
    y = y.astype("int64") if classes else y.astype("float32").reshape(len(y), -1)
    heldout_start = int(round(len(x) * (1 - split_fractions.heldout_fraction)))
    validation_start = int(round(heldout_start * (1 - split_fractions.validation_fraction)))
    return ArraySplit(x=x, y=y, validation_start=validation_start, heldout_start=heldout_start)


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
    assert spec.data.series is not None
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
    assert isinstance(grading.spec, SequencePredictionSpec)
    return grading.spec


Prepared = SequenceSplit | ArraySplit


def prepare(grading: LessonGrading, heldout_dir: Path | None = None) -> Prepared:
    spec = _spec(grading)
    if spec.data.arrays is not None:
        return load_arrays(grading.data_path(spec.data.arrays), spec.data)
    return split_series(grading, heldout_dir)


def reference_job(grading: LessonGrading, prepared: Prepared) -> None:
    return None


def train_job(grading: LessonGrading, prepared: Prepared, code: str, seed: int = 0) -> dict[str, Any]:
    """Phase A sees the learner's code and the public part only: never a held-out value."""
    spec = _spec(grading)
    contract = spec.contract
    constants = [["EPOCHS", 1, contract.epochs_max], ["BATCH_SIZE", 1, contract.batch_size_max]]
    job: dict[str, Any] = {"phase": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
                           "early_stopping_patience": spec.contract.early_stopping_patience,
                           "output_meaning": "the next value(s), no activation"}
    if isinstance(prepared, ArraySplit):
        steps, features = prepared.x.shape[1], prepared.x.shape[2]
        x_train, y_train = prepared.part("train")
        x_val, y_val = prepared.part("validation")
        job |= {"constants": constants, "build_args": [steps, features], "build_arg_names": ["timesteps", "n_features"],
                "input_shape": [None, steps, features], "output_shape": [None, prepared.y.shape[1]],
                "data": {"kind": "arrays", "x_train": wire.encode(x_train), "y_train": wire.encode(y_train),
                         "x_val": wire.encode(x_val), "y_val": wire.encode(y_val)}}
        return job
    job |= {
        "constants": [["WINDOW", contract.window_min, contract.window_max], *constants],
        "build_args": ["WINDOW", 1], "build_arg_names": ["window", "n_features"], "input_shape": [None, "WINDOW", 1],
        "output_shape": [None, contract.horizon],
        "data": {"kind": "series", "values": prepared.scaled[: prepared.heldout_start].tolist(),
                 "validation_start": prepared.validation_start, "horizon": contract.horizon},
    }
    return job


def evaluate_inputs(grading: LessonGrading, split: SequenceSplit, window: int) -> dict[str, np.ndarray]:
    horizon = _spec(grading).contract.horizon
    x_val, _ = make_windows(split.scaled[split.validation_start - window: split.heldout_start], window, horizon)
    x_test, _ = make_windows(split.scaled[split.heldout_start - window:], window, horizon)
    return {"validation": x_val, "heldout": x_test}


def validate(grading: LessonGrading, trained: dict[str, Any]) -> None:
    model_checks.validate_trained(trained, _spec(grading).contract)


def evaluate_job(grading: LessonGrading, prepared: Prepared, trained: dict[str, Any]) -> dict[str, Any]:
    """Phase B runs no learner code, so it may see held-out inputs (which contain earlier held-out targets)."""
    if isinstance(prepared, ArraySplit):
        inputs = {"validation": prepared.part("validation")[0], "heldout": prepared.part("heldout")[0]}
    else:
        inputs = evaluate_inputs(grading, prepared, int(trained["window"]))
    return {"phase": "evaluate", "model_b64": trained["model_b64"], "inputs": inputs}


def _error(metric: str, predictions: np.ndarray, targets: np.ndarray) -> float:
    diff = predictions - targets
    return float(np.sqrt(np.mean(diff**2))) if metric == "rmse" else float(np.mean(np.abs(diff)))


def targets_and_naive(grading: LessonGrading, prepared: Prepared, part: str, window: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Raw-unit targets of a part and the naive forecast for them (last value, or the training mean)."""
    spec = _spec(grading)
    horizon = spec.contract.horizon
    if isinstance(prepared, ArraySplit):
        x, y = prepared.part(part)
        y = y.astype("float64")
        if spec.scoring.baseline == "mean":
            naive = np.broadcast_to(prepared.part("train")[1].mean(axis=0), y.shape)
        else:
            naive = np.repeat(x[:, -1, :1], y.shape[1], axis=1)
        return y, naive.astype("float64")
    assert window is not None
    start, stop = (prepared.validation_start, prepared.heldout_start) if part == "validation" else (prepared.heldout_start, len(prepared.raw))
    xw, yw = make_windows(prepared.raw[start - window: stop], window, horizon)
    if spec.scoring.baseline == "mean":
        naive = np.full(yw.shape, prepared.mean)
    else:
        naive = np.repeat(xw[:, -1, :1], horizon, axis=1)
    return yw.astype("float64"), naive.astype("float64")


def score(grading: LessonGrading, prepared: Prepared, trained: dict[str, Any], evaluated: dict[str, Any]) -> GradeReport:
    """Trusted scoring: no learner code and no TensorFlow here, only numbers that came out of phase B."""
    spec = _spec(grading)
    window = trained.get("window")
    architecture = evaluated.get("architecture", {})
    horizon = spec.contract.horizon if isinstance(prepared, SequenceSplit) else prepared.y.shape[1]
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, "Input shape is (timesteps, features)",
        "matches the windows the grader feeds", [None, horizon], f"{horizon} number(s) per window, no activation")
    metric = spec.scoring.metric
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    if architecture.get("output_shape") == [None, horizon] and "predictions" in evaluated:
        preds = {k: np.asarray(v, dtype="float64").reshape(-1, horizon) for k, v in evaluated["predictions"].items()}
        if isinstance(prepared, SequenceSplit):
            preds = {k: prepared.unscale(v) for k, v in preds.items()}
        y_test, naive_test = targets_and_naive(grading, prepared, "heldout", window)
        y_val, naive_val = targets_and_naive(grading, prepared, "validation", window)
        test_pred, val_pred = preds["heldout"], preds["validation"]
        finite = bool(np.all(np.isfinite(test_pred)) and np.all(np.isfinite(val_pred)))
        model_err = _error(metric, test_pred, y_test) if finite else math.inf
        base_err = _error(metric, naive_test, y_test)
        raw = {
            f"heldout_{metric}": model_err, f"baseline_{metric}": base_err,
            f"validation_{metric}": _error(metric, val_pred, y_val) if finite else math.inf,
            f"validation_baseline_{metric}": _error(metric, naive_val, y_val),
            "ratio_to_baseline": model_err / base_err if base_err else math.inf,
            "heldout_samples": float(len(y_test)),
        }
        metrics = {k: (round(v, 6) if math.isfinite(v) else -1.0) for k, v in raw.items()}
        plots["validation"] = {"truth": y_val[:, 0].round(5).tolist(),
                               "prediction": val_pred[:, 0].round(5).tolist() if finite else []}
        spread = float(np.std(test_pred)) if finite else 0.0
        flat = spread < 0.1 * float(np.std(y_test))
        checks.append(Check(
            id="not_flat", title="Predictions follow the data", passed=not flat, points=0 if flat else 1,
            message=(f"Your predictions barely move (spread {spread:.3g} vs {float(np.std(y_test)):.3g} in the data): the "
                     "model predicts roughly a constant. Train longer, check the learning rate, and end with Dense(1) "
                     "without an activation (relu or sigmoid can clip the output).") if flat
            else "Predictions vary with the input."))
        checks.append(_baseline_check(spec, metric, model_err, base_err))
    else:
        checks.append(model_checks.skipped("not_flat", "Predictions follow the data"))
        checks.append(model_checks.skipped("beats_baseline", "Beats the naive baseline on held-out data",
                                           spec.scoring.baseline_points))
    report = model_checks.model_report(checks, trained, architecture, metrics, plots)
    if trained.get("stopped_for_time"):
        report.summary += (f" Training stopped at epoch {trained['epochs_run']} of {trained['epochs']} "
                           f"(time budget {spec.limits.train_seconds:.0f} s); the model so far was graded.")
    return report


def _baseline_check(spec: SequencePredictionSpec, metric: str, model_err: float, base_err: float) -> Check:
    margin = spec.scoring.margin
    title = "Beats the naive baseline on held-out data"
    naive = "predict the training mean" if spec.scoring.baseline == "mean" else "repeat the last value"
    if not math.isfinite(model_err):
        return Check(id="beats_baseline", title=title, passed=False, max_points=spec.scoring.baseline_points,
                     message="Your model predicted NaN or infinity on the held-out data, so it cannot be scored.")
    improvement = 1 - model_err / base_err
    passed = improvement >= margin
    head = (f"Held-out {metric.upper()} {model_err:.4g} vs {base_err:.4g} for '{naive}': "
            f"{improvement:+.0%} better (full marks at {margin:.0%}).")
    default = ("train more epochs, try 32–64 units, a window covering a whole cycle of the series, and the Adam "
               "optimizer with its default rate.")
    advice = "" if passed else f" To improve: {spec.scoring.advice or default}"
    points = round(model_checks.partial_credit(improvement, margin) * spec.scoring.baseline_points, 3)
    return Check(id="beats_baseline", title=title, passed=passed, points=points,
                 max_points=spec.scoring.baseline_points, message=head + advice)
