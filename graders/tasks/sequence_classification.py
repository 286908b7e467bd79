"""Held-out sequence classification: (N, T, F) arrays with integer labels, scored by accuracy vs the majority class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from graders import wire
from graders.report import Check, GradeReport
from graders.spec import LessonGrading, SequenceClassificationSpec
from graders.tasks import model_checks
from graders.tasks.sequence_prediction import ArraySplit, load_arrays


def _spec(grading: LessonGrading) -> SequenceClassificationSpec:
    assert isinstance(grading.spec, SequenceClassificationSpec)
    return grading.spec


def prepare(grading: LessonGrading, heldout_dir: Path | None = None) -> ArraySplit:
    spec = _spec(grading)
    return load_arrays(grading.data_path(spec.data.arrays), spec.data, classes=True)


def reference_job(grading: LessonGrading, prepared: ArraySplit) -> None:
    return None


def n_classes(prepared: ArraySplit) -> int:
    return int(prepared.y.max()) + 1


def train_job(grading: LessonGrading, prepared: ArraySplit, code: str, seed: int = 0) -> dict[str, Any]:
    spec = _spec(grading)
    steps, features = prepared.x.shape[1], prepared.x.shape[2]
    x_train, y_train = prepared.part("train")
    x_val, y_val = prepared.part("validation")
    return {
        "phase": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
        "early_stopping_patience": spec.contract.early_stopping_patience,
        "constants": [["EPOCHS", 1, spec.contract.epochs_max], ["BATCH_SIZE", 1, spec.contract.batch_size_max]],
        "build_args": [steps, features, n_classes(prepared)],
        "build_arg_names": ["timesteps", "n_features", "n_classes"],
        "input_shape": [None, steps, features], "output_shape": [None, n_classes(prepared)], "output_meaning": "one probability per class",
        "data": {"kind": "arrays", "x_train": wire.encode(x_train), "y_train": wire.encode(y_train),
                 "x_val": wire.encode(x_val), "y_val": wire.encode(y_val)},
    }


def validate(grading: LessonGrading, trained: dict[str, Any]) -> None:
    model_checks.validate_trained(trained, _spec(grading).contract)


def evaluate_job(grading: LessonGrading, prepared: ArraySplit, trained: dict[str, Any]) -> dict[str, Any]:
    inputs = {"validation": prepared.part("validation")[0], "heldout": prepared.part("heldout")[0]}
    return {"phase": "evaluate", "model_b64": trained["model_b64"], "inputs": inputs}


def score(grading: LessonGrading, prepared: ArraySplit, trained: dict[str, Any], evaluated: dict[str, Any]) -> GradeReport:
    spec = _spec(grading)
    k = n_classes(prepared)
    architecture = evaluated.get("architecture", {})
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, "Input shape is (timesteps, features)", "matches the sequences",
        [None, k], f"one probability per class (softmax over {k})")
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    if architecture.get("output_shape") == [None, k] and "predictions" in evaluated:
        _, y_train = prepared.part("train")
        majority = int(np.bincount(y_train, minlength=k).argmax())
        results = {}
        for part in ("validation", "heldout"):
            probs = np.asarray(evaluated["predictions"][part], dtype="float64")
            _, y = prepared.part(part)
            guess = probs.argmax(axis=1) if np.all(np.isfinite(probs)) else np.full(len(y), -1)
            results[part] = (guess, y)
        guess, y = results["heldout"]
        accuracy = float(np.mean(guess == y))
        baseline = float(np.mean(y == majority))
        metrics = {"heldout_accuracy": round(accuracy, 4), "baseline_accuracy": round(baseline, 4),
                   "validation_accuracy": round(float(np.mean(results["validation"][0] == results["validation"][1])), 4),
                   "heldout_samples": float(len(y))}
        confusion = np.zeros((k, k), dtype=int)
        for truth, predicted in zip(y, guess, strict=True):
            if predicted >= 0:
                confusion[truth, predicted] += 1
        plots["confusion"] = {"labels": list(range(k)), "matrix": confusion.tolist()}
        target = spec.scoring.min_accuracy
        credit = model_checks.partial_credit(accuracy - baseline, target - baseline)
        passed = accuracy >= target
        checks.append(Check(
            id="beats_baseline", title=f"Held-out accuracy of at least {target:.0%}", passed=passed,
            points=round(credit * spec.scoring.baseline_points, 3), max_points=spec.scoring.baseline_points,
            message=f"Held-out accuracy {accuracy:.1%} vs {baseline:.1%} for always guessing the most common class "
                    f"(full marks at {target:.0%})." + ("" if passed else " To improve: " + (spec.scoring.advice or
                    "train longer, stack a second recurrent layer (return_sequences=True on the first), or wrap it in "
                    "keras.layers.Bidirectional so it reads the sequence both ways."))))
    else:
        checks.append(model_checks.skipped("beats_baseline", "Held-out accuracy", spec.scoring.baseline_points))
    return model_checks.model_report(checks, trained, architecture, metrics, plots)
