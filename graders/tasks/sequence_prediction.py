"""Held-out sequence regression: a windowed series or ready-made arrays, the two sandbox jobs, trusted scoring."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graders import baselines
from graders.answers import TrainAnswer, TypedAnswer
from graders.batching import EvalRows
from graders.heldout import HeldoutStore
from graders.report import Baseline, Check, GradeReport
from graders.spec import LessonGrading, SequencePredictionSpec
from graders.tasks import bars, model_checks
from graders.tasks.base import Evaluated, Task, as_trained
from graders.tasks.splits import ArraySplit, SequenceSplit, load_arrays, split_series
from graders.windowing import make_windows

Prepared = SequenceSplit | ArraySplit


def _spec(grading: LessonGrading) -> SequencePredictionSpec:
    assert isinstance(grading.spec, SequencePredictionSpec)
    return grading.spec


def array_evaluation(split: ArraySplit) -> EvalRows:
    """Independent samples share no values: any batches will do. Rows cut from one series: each row alone."""
    parts = {"validation": split.part("validation")[0], "heldout": split.part("heldout")[0]}
    if split.rows_independent:
        return EvalRows(parts=parts)
    return EvalRows(parts=parts, spans={k: np.tile([0, 1], (len(v), 1)) for k, v in parts.items()})


def window_spans(start: int, count: int, length: int) -> np.ndarray:
    """[first step, last step + 1) of `count` consecutive windows starting at `start`, each `length` long."""
    first = np.arange(start, start + count)
    return np.stack([first, first + length], axis=1)


class SequencePrediction(Task[Prepared]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> Prepared:
        spec = _spec(grading)
        if spec.data.arrays is not None:
            return load_arrays(grading, spec.data, store)
        return split_series(grading, spec.data, spec.contract.window_max, store)

    def train_job(self, grading: LessonGrading, prepared: Prepared, code: str, seed: int = 0) -> dict[str, Any]:
        """Phase A sees the learner's code and the public part only: never a held-out value."""
        spec = _spec(grading)
        contract = spec.contract
        constants = [["EPOCHS", 1, contract.epochs_max], ["BATCH_SIZE", 1, contract.batch_size_max]]
        job: dict[str, Any] = {"kind": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
                               "early_stopping_patience": contract.early_stopping_patience,
                               "output_meaning": "the next value(s), no activation"}
        if isinstance(prepared, ArraySplit):
            steps, features = prepared.x.shape[1], prepared.x.shape[2]
            x_train, y_train = prepared.part("train")
            x_val, y_val = prepared.part("validation")
            return job | {"constants": constants, "build_args": [steps, features],
                          "build_arg_names": ["timesteps", "n_features"], "input_shape": [None, steps, features],
                          "output_shape": [None, prepared.y.shape[1]],
                          "data": {"kind": "arrays", "x_train": x_train, "y_train": y_train, "x_val": x_val,
                                   "y_val": y_val}}
        return job | {
            "constants": [["WINDOW", contract.window_min, contract.window_max], *constants],
            "build_args": ["WINDOW", 1], "build_arg_names": ["window", "n_features"], "input_shape": [None, "WINDOW", 1],
            "output_shape": [None, contract.horizon],
            "data": {"kind": "series", "values": prepared.scaled[: prepared.heldout_start].astype("float32"),
                     "validation_start": prepared.validation_start, "horizon": contract.horizon},
        }

    def evaluation(self, grading: LessonGrading, prepared: Prepared, trained: TypedAnswer) -> EvalRows:
        """Phase B runs no learner code, so it may see held-out inputs (which contain earlier held-out targets)."""
        if isinstance(prepared, ArraySplit):
            return array_evaluation(prepared)
        spec = _spec(grading)
        window = model_checks.reported_window(as_trained(trained), spec.contract)
        horizon = spec.contract.horizon
        split = prepared
        x_val, _ = make_windows(split.scaled[split.validation_start - window: split.heldout_start], window, horizon)
        x_test, _ = make_windows(split.scaled[split.heldout_start - window:], window, horizon)
        # A row sees its window and (through other rows) could see its targets: span = window + horizon steps.
        spans = {"validation": window_spans(split.validation_start - window, len(x_val), window + horizon),
                 "heldout": window_spans(split.heldout_start - window, len(x_test), window + horizon)}
        return EvalRows(parts={"validation": x_val, "heldout": x_test}, spans=spans)

    def output_shape(self, grading: LessonGrading, prepared: Prepared) -> tuple[int, ...]:
        return (prepared.y.shape[1],) if isinstance(prepared, ArraySplit) else (_spec(grading).contract.horizon,)

    def score(self, grading: LessonGrading, prepared: Prepared, trained: TypedAnswer,
              evaluated: Evaluated | None) -> GradeReport:
        return score(grading, prepared, as_trained(trained), evaluated)


def _error(metric: str, predictions: np.ndarray, targets: np.ndarray) -> float:
    diff = predictions - targets
    return float(np.sqrt(np.mean(diff**2))) if metric == "rmse" else float(np.mean(np.abs(diff)))


def targets_and_baselines(grading: LessonGrading, prepared: Prepared, part: str,
                          window: int | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Raw-unit targets of a part and every baseline's forecast for them, each fit on the training part only."""
    spec = _spec(grading)
    if isinstance(prepared, ArraySplit):
        x, y = prepared.part(part)
        y = y.astype("float64").reshape(len(y), -1)
        x_train, y_train = prepared.part("train")
        y_train = y_train.astype("float64").reshape(len(y_train), -1)
        forecasts = {
            "last_value": np.repeat(x[:, -1, :1].astype("float64"), y.shape[1], axis=1),
            "mean": np.broadcast_to(y_train.mean(axis=0), y.shape).copy(),
            "linear_flat": baselines.linear_regression(baselines.flattened(x_train), y_train, baselines.flattened(x)),
            "order_blind": baselines.linear_regression(baselines.bag_of_steps(x_train), y_train,
                                                       baselines.bag_of_steps(x)),
        }
        return y, forecasts
    assert window is not None
    horizon = spec.contract.horizon
    start, stop = ((prepared.validation_start, prepared.heldout_start) if part == "validation"
                   else (prepared.heldout_start, len(prepared.raw)))
    origins = np.arange(start, stop - horizon + 1)
    found = baselines.series_forecasts(prepared.raw, prepared.validation_start, origins, window, horizon,
                                       tuple(spec.scoring.seasons))
    forecasts = {"last_value": found.last_value, "mean": found.mean, "linear": found.linear,
                 **{f"seasonal_{p}": v for p, v in found.seasonal.items()}}
    return baselines.ahead(prepared.raw, origins, horizon), forecasts


def baseline_table(metric: str, targets: np.ndarray, forecasts: dict[str, np.ndarray], bar: str) -> list[Baseline]:
    table = [bars.describe(name, _error(metric, pred, targets) if np.all(np.isfinite(pred)) else None)
             for name, pred in forecasts.items()]
    bars.resolve(bar, table, higher_is_better=False)
    return table


def score(grading: LessonGrading, prepared: Prepared, trained: TrainAnswer, evaluated: Evaluated | None) -> GradeReport:
    """Trusted scoring: no learner code and no TensorFlow here, only numbers that came out of phase B."""
    assert evaluated is not None
    spec = _spec(grading)
    window = trained.reported.window
    architecture = evaluated.architecture
    horizon = spec.contract.horizon if isinstance(prepared, SequenceSplit) else prepared.y.shape[1]
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, "Input shape is (timesteps, features)",
        "matches the windows the grader feeds", [None, horizon], f"{horizon} number(s) per window, no activation",
        evaluated.predictions)
    metric = spec.scoring.metric
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    if evaluated.predictions:
        preds = {k: v.reshape(-1, horizon) for k, v in evaluated.predictions.items()}
        if isinstance(prepared, SequenceSplit):
            preds = {k: prepared.unscale(v) for k, v in preds.items()}
        y_test, test_baselines = targets_and_baselines(grading, prepared, "heldout", window)
        y_val, val_baselines = targets_and_baselines(grading, prepared, "validation", window)
        table = baseline_table(metric, y_test, test_baselines, spec.scoring.bar)
        bar = next(b for b in table if b.bar)
        test_pred, val_pred = preds["heldout"], preds["validation"]
        finite = bool(np.all(np.isfinite(test_pred)) and np.all(np.isfinite(val_pred)))
        model_err = _error(metric, test_pred, y_test) if finite else math.inf
        assert bar.value is not None
        base_err = bar.value
        raw = {
            f"heldout_{metric}": model_err, f"baseline_{metric}": base_err,
            f"validation_{metric}": _error(metric, val_pred, y_val) if finite else math.inf,
            f"validation_baseline_{metric}": _error(metric, val_baselines[bar.id], y_val),
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
                     "model predicts roughly a constant. Train longer, check the learning rate, and end with "
                     f"Dense({horizon}) "
                     "without an activation (relu or sigmoid can clip the output).") if flat
            else "Predictions vary with the input."))
        checks.append(_baseline_check(spec, metric, model_err, bar))
    else:
        checks.append(model_checks.skipped("not_flat", "Predictions follow the data"))
        checks.append(model_checks.skipped("beats_baseline", "Beats the baseline on held-out data",
                                           spec.scoring.baseline_points))
        table = []
    report = model_checks.model_report(checks, trained, architecture, metrics, plots, evaluated.predictions)
    report.metric, report.baselines = metric, table
    if trained.reported.stopped_for_time:
        report.summary += (f" Training stopped at epoch {trained.reported.epochs_run} of {trained.reported.epochs} "
                           f"(budget {spec.limits.train_seconds:.0f} s of computing time); the model so far was graded.")
    return report


def _baseline_check(spec: SequencePredictionSpec, metric: str, model_err: float, bar: Baseline) -> Check:
    margin = spec.scoring.margin
    title = f"Beats '{bar.title}' on held-out data"
    if not math.isfinite(model_err):
        return Check(id="beats_baseline", title=title, passed=False, max_points=spec.scoring.baseline_points,
                     message="Your model predicted NaN or infinity on the held-out data, so it cannot be scored.")
    assert bar.value is not None
    improvement = 1 - model_err / bar.value if bar.value else -math.inf
    passed = improvement >= margin
    change = (f"{bars.percent(improvement)} lower" if improvement > 0 else
              "no lower" if improvement == 0 else f"{bars.percent(improvement)} higher")
    head = (f"Held-out {metric.upper()} {model_err:.4g} vs {bar.value:.4g} for '{bar.title}': {change} "
            f"(full marks at {bars.percent(margin)} lower). {bar.meaning if passed else ''}").rstrip()
    advice = "" if passed else f" To improve: {spec.scoring.advice}"
    points = round(model_checks.partial_credit(improvement, margin) * spec.scoring.baseline_points, 3)
    return Check(id="beats_baseline", title=title, passed=passed, points=points,
                 max_points=spec.scoring.baseline_points, message=head + advice)
