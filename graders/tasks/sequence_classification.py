"""Held-out sequence classification: (N, T, F) arrays with integer labels, scored by accuracy vs the majority class."""

from __future__ import annotations

from typing import Any

import numpy as np

from graders import baselines
from graders.answers import TrainAnswer, TypedAnswer
from graders.batching import EvalRows
from graders.heldout import HeldoutStore
from graders.report import Baseline, Check, GradeReport
from graders.spec import LessonGrading, SequenceClassificationSpec
from graders.tasks import bars, model_checks
from graders.tasks.base import Evaluated, Task, as_trained
from graders.tasks.sequence_prediction import array_evaluation
from graders.tasks.splits import ArraySplit, load_arrays


def _spec(grading: LessonGrading) -> SequenceClassificationSpec:
    assert isinstance(grading.spec, SequenceClassificationSpec)
    return grading.spec


def n_classes(prepared: ArraySplit) -> int:
    return int(prepared.y.max()) + 1


class SequenceClassification(Task[ArraySplit]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> ArraySplit:
        return load_arrays(grading, _spec(grading).data, store, classes=True)

    def train_job(self, grading: LessonGrading, prepared: ArraySplit, code: str, seed: int = 0) -> dict[str, Any]:
        spec = _spec(grading)
        steps, features = prepared.x.shape[1], prepared.x.shape[2]
        x_train, y_train = prepared.part("train")
        x_val, y_val = prepared.part("validation")
        return {
            "kind": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
            "early_stopping_patience": spec.contract.early_stopping_patience,
            "constants": [["EPOCHS", 1, spec.contract.epochs_max], ["BATCH_SIZE", 1, spec.contract.batch_size_max]],
            "build_args": [steps, features, n_classes(prepared)],
            "build_arg_names": ["timesteps", "n_features", "n_classes"],
            "input_shape": [None, steps, features], "output_shape": [None, n_classes(prepared)],
            "output_meaning": "one probability per class",
            "data": {"kind": "arrays", "x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val},
        }

    def evaluation(self, grading: LessonGrading, prepared: ArraySplit, trained: TypedAnswer) -> EvalRows:
        return array_evaluation(prepared)

    def output_shape(self, grading: LessonGrading, prepared: ArraySplit) -> tuple[int, ...]:
        return (n_classes(prepared),)

    def score(self, grading: LessonGrading, prepared: ArraySplit, trained: TypedAnswer,
              evaluated: Evaluated | None) -> GradeReport:
        return score(grading, prepared, as_trained(trained), evaluated)


def score(grading: LessonGrading, prepared: ArraySplit, trained: TrainAnswer, evaluated: Evaluated | None) -> GradeReport:
    assert evaluated is not None
    spec = _spec(grading)
    k = n_classes(prepared)
    architecture = evaluated.architecture
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, "Input shape is (timesteps, features)", "matches the sequences",
        [None, k], f"one probability per class (softmax over {k})", evaluated.predictions)
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    table: list[Baseline] = []
    if evaluated.predictions:
        results = {}
        for part in ("validation", "heldout"):
            probs = evaluated.predictions[part]
            _, y = prepared.part(part)
            guess = probs.argmax(axis=1) if np.all(np.isfinite(probs)) else np.full(len(y), -1)
            results[part] = (guess, y)
        guess, y = results["heldout"]
        accuracy = float(np.mean(guess == y))
        table = baseline_table(prepared, k, spec.scoring.bar)
        bar = next(b for b in table if b.bar)
        assert bar.value is not None
        baseline = bar.value
        metrics = {"heldout_accuracy": round(accuracy, 4), "baseline_accuracy": round(baseline, 4),
                   "validation_accuracy": round(float(np.mean(results["validation"][0] == results["validation"][1])), 4),
                   "heldout_samples": float(len(y))}
        confusion = np.zeros((k, k), dtype=int)
        for truth, predicted in zip(y, guess, strict=True):
            if predicted >= 0:
                confusion[truth, predicted] += 1
        plots["confusion"] = {"labels": list(range(k)), "matrix": confusion.tolist()}
        target = spec.scoring.min_accuracy
        # Partial credit starts above the bar: an order-blind guess earns nothing in a lesson about order.
        credit = model_checks.partial_credit(accuracy - baseline, target - baseline)
        passed = accuracy >= target and accuracy > baseline
        checks.append(Check(
            id="beats_baseline", title=f"Held-out accuracy of at least {target:.0%}", passed=passed,
            points=round(credit * spec.scoring.baseline_points, 3), max_points=spec.scoring.baseline_points,
            message=f"Held-out accuracy {accuracy:.1%} vs {baseline:.1%} for '{bar.title}' "
                    f"(credit starts above it; full marks at {target:.0%})."
                    + (f" {bar.meaning}" if passed else f" To improve: {spec.scoring.advice}")))
    else:
        checks.append(model_checks.skipped("beats_baseline", "Held-out accuracy", spec.scoring.baseline_points))
    report = model_checks.model_report(checks, trained, architecture, metrics, plots, evaluated.predictions)
    report.metric, report.baselines = "accuracy", table
    return report


def baseline_table(prepared: ArraySplit, classes: int, bar: str) -> list[Baseline]:
    """Majority class and an order-blind logistic model, fit on the training part, scored on the held-out part."""
    cached = prepared.cache.get(("baselines", bar))
    if cached is None:
        x_train, y_train = prepared.part("train")
        x, y = prepared.part("heldout")
        majority = int(np.bincount(y_train, minlength=classes).argmax())
        probs = baselines.logistic_regression(baselines.bag_of_steps(x_train), y_train, baselines.bag_of_steps(x),
                                              classes)
        cached = [bars.describe("majority", float(np.mean(y == majority))),
                  bars.describe("order_blind", float(np.mean(probs.argmax(axis=1) == y)))]
        bars.resolve(bar, cached, higher_is_better=True)
        prepared.cache[("baselines", bar)] = cached
    return [b.model_copy() for b in cached]
