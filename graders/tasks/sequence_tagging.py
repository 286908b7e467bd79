"""Held-out sequence tagging (many-to-many): (N, T, F) arrays with one integer tag per step, scored by per-step accuracy."""

from __future__ import annotations

from typing import Any

import numpy as np

from graders import baselines
from graders.answers import Architecture, TrainAnswer, TypedAnswer
from graders.batching import EvalRows
from graders.heldout import HeldoutStore
from graders.report import Baseline, Check, GradeReport
from graders.spec import LessonGrading, SequenceTaggingSpec, SpecError
from graders.tasks import bars, model_checks
from graders.tasks.base import Evaluated, Task, as_trained
from graders.tasks.sequence_prediction import array_evaluation
from graders.tasks.splits import ArraySplit, load_arrays

NO_MEMORY = ("Each step's own input alone (no memory)",
             "Your network tags a step by what came before it, which no per-step rule can: that is what "
             "return_sequences=True passes on at every step.")


def _spec(grading: LessonGrading) -> SequenceTaggingSpec:
    assert isinstance(grading.spec, SequenceTaggingSpec)
    return grading.spec


def n_tags(prepared: ArraySplit) -> int:
    return int(prepared.y.max()) + 1


def output_meaning(k: int) -> str:
    return f"one probability per tag ({k}) at every time step"


class SequenceTagging(Task[ArraySplit]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> ArraySplit:
        prepared = load_arrays(grading, _spec(grading).data, store, classes=True)
        if prepared.y.ndim != 2 or prepared.y.shape[1] != prepared.x.shape[1] or prepared.y.min() < 0:
            raise_spec(grading, prepared)
        return prepared

    def train_job(self, grading: LessonGrading, prepared: ArraySplit, code: str, seed: int = 0) -> dict[str, Any]:
        spec = _spec(grading)
        steps, features, k = prepared.x.shape[1], prepared.x.shape[2], n_tags(prepared)
        x_train, y_train = prepared.part("train")
        x_val, y_val = prepared.part("validation")
        return {
            "kind": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
            "early_stopping_patience": spec.contract.early_stopping_patience,
            "constants": [["EPOCHS", 1, spec.contract.epochs_max], ["BATCH_SIZE", 1, spec.contract.batch_size_max]],
            "build_args": [steps, features, k],
            "build_arg_names": ["timesteps", "n_features", "n_tags"],
            # No "output_shape" here: phase A would refuse a many-to-one model as not gradable, while phase B skips
            # it and the structure checks grade it failed with the lesson's point (return_sequences=True).
            "input_shape": [None, steps, features],
            "data": {"kind": "arrays", "x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val},
        }

    def evaluation(self, grading: LessonGrading, prepared: ArraySplit, trained: TypedAnswer) -> EvalRows:
        return array_evaluation(prepared)

    def output_shape(self, grading: LessonGrading, prepared: ArraySplit) -> tuple[int, ...]:
        return (prepared.x.shape[1], n_tags(prepared))

    def score(self, grading: LessonGrading, prepared: ArraySplit, trained: TypedAnswer,
              evaluated: Evaluated | None) -> GradeReport:
        return score(grading, prepared, as_trained(trained), evaluated)


def raise_spec(grading: LessonGrading, prepared: ArraySplit) -> None:
    raise SpecError(f"{grading.folder / 'grading.toml'}: data.arrays: a tagging lesson needs y of shape (N, timesteps) "
                    f"with tags 0..K-1 for x of shape (N, timesteps, features); got x {prepared.x.shape}, "
                    f"y {prepared.y.shape}")


def per_row(shape: list[Any]) -> str:
    """(24, 3) for [None, 24, 3]: the shape of one sequence's prediction, as a learner reads it."""
    rest = tuple(shape[1:])
    return f"({rest[0]},)" if len(rest) == 1 else str(rest)


def output_checks(architecture: Architecture, want: list[Any], k: int) -> list[Check]:
    """The shared output checks say the last recurrent layer returns its final state: here it must return every step."""
    output = architecture.output_shape
    recurrent = [layer for layer in architecture.live_layers()
                 if layer.class_ in model_checks.RECURRENT or layer.wraps in model_checks.RECURRENT]
    every_step = bool(recurrent) and bool(recurrent[-1].return_sequences)
    title = "The last recurrent layer returns every step"
    if not recurrent:
        wiring = Check(id="return_sequences", title=title, passed=False, points=0,
                       message="Your model has no recurrent layer, so no step's tag can depend on the steps before "
                               "it. Add an LSTM or GRU with return_sequences=True after the input.")
    elif every_step or len(output) == len(want):  # per-step output either way (e.g. RepeatVector): accuracy decides
        wiring = Check(id="return_sequences", title=title, passed=True, points=1,
                       message="The last recurrent layer has return_sequences=True: one state per time step, so "
                               "every step gets its own prediction." if every_step else
                               f"Your model outputs {per_row(output)} per sequence: one prediction per step.")
    else:
        wiring = Check(id="return_sequences", title=title, passed=False, points=0,
                       message=f"Your model outputs {per_row(output)} per sequence but this task needs one "
                               f"prediction per step {per_row(want)}: set return_sequences=True on the last "
                               "recurrent layer.")
    ok = output == want
    shape = Check(id="output_shape", title=f"Output shape is {tuple(want)}", passed=ok, points=1 if ok else 0,
                  message=f"Output {output}: {output_meaning(k)}." if ok else
                  f"Your model outputs {output}, but the grader needs {tuple(want)}: {output_meaning(k)}. Return "
                  f"sequences from the last recurrent layer and end with keras.layers.Dense({k}, "
                  "activation='softmax') (applied to every step).")
    return [wiring, shape]


def score(grading: LessonGrading, prepared: ArraySplit, trained: TrainAnswer, evaluated: Evaluated | None) -> GradeReport:
    assert evaluated is not None
    spec = _spec(grading)
    k, steps = n_tags(prepared), prepared.x.shape[1]
    architecture = evaluated.architecture
    want: list[Any] = [None, steps, k]
    checks = [model_checks.contract_check(trained),
              Check(id="input_shape", title="Input shape is (timesteps, features)", passed=True, points=1,
                    message=f"Input {architecture.input_shape}: matches the sequences.")]
    checks += model_checks.layer_checks(spec.contract, architecture)
    checks += output_checks(architecture, want, k)
    checks += model_checks.budget_checks(spec.contract, architecture)
    checks.append(model_checks.finite_check(trained, evaluated.predictions))
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    table: list[Baseline] = []
    if evaluated.predictions and architecture.output_shape == want:
        accuracy: dict[str, float] = {}
        guess = np.zeros(0, dtype=int)
        y = np.zeros(0, dtype=int)
        for part in ("validation", "heldout"):
            probs = evaluated.predictions[part]
            _, y = prepared.part(part)
            guess = probs.argmax(axis=-1) if np.all(np.isfinite(probs)) else np.full(y.shape, -1)
            accuracy[part] = float(np.mean(guess == y))
        table = baseline_table(prepared, k, spec.scoring.bar)
        bar = next(b for b in table if b.bar)
        assert bar.value is not None
        baseline = bar.value
        metrics = {"heldout_accuracy": round(accuracy["heldout"], 4), "baseline_accuracy": round(baseline, 4),
                   "validation_accuracy": round(accuracy["validation"], 4), "heldout_samples": float(len(y)),
                   "heldout_steps": float(y.size)}
        plots["confusion"] = model_checks.confusion_plot(y, guess, k)  # the held-out steps (the loop's last part)
        target = spec.scoring.min_accuracy
        held = accuracy["heldout"]
        # A tagger without memory earns nothing in a lesson about per-step memory.
        checks.append(model_checks.accuracy_bar_check(
            held, baseline, target, spec.scoring.baseline_points,
            title=f"Held-out accuracy per step of at least {target:.0%}",
            measured=f"Held-out accuracy {held:.1%} of {y.size:,} tagged steps", bar_title=bar.title,
            bar_meaning=bar.meaning, advice=spec.scoring.advice))
    else:
        checks.append(model_checks.skipped("beats_baseline", "Held-out accuracy", spec.scoring.baseline_points))
    report = model_checks.model_report(checks, trained, architecture, metrics, plots, evaluated.predictions)
    report.metric, report.baselines = "accuracy", table
    return report


def step_features(x: np.ndarray) -> np.ndarray:
    """One row per step: its features and their squares (so 'flat' between two values is learnable), nothing else."""
    flat = x.reshape(-1, x.shape[-1]).astype("float64")
    return np.hstack([flat, flat ** 2])


def baseline_table(prepared: ArraySplit, tags: int, bar: str) -> list[Baseline]:
    """The majority tag and a per-step logistic model of each step's own input, fit on the training steps and scored
    on the held-out steps."""
    cached = prepared.cache.get(("baselines", bar))
    if cached is None:
        x_train, y_train = prepared.part("train")
        x, y = prepared.part("heldout")
        majority = int(np.bincount(y_train.ravel(), minlength=tags).argmax())
        probs = baselines.logistic_regression(step_features(x_train), y_train.ravel(), step_features(x), tags)
        cached = [bars.describe("majority", float(np.mean(y == majority))),
                  Baseline(id="no_memory", title=NO_MEMORY[0], meaning=NO_MEMORY[1],
                           value=float(np.mean(probs.argmax(axis=1) == y.ravel())))]
        bars.resolve(bar, cached, higher_is_better=True)
        prepared.cache[("baselines", bar)] = cached
    return [b.model_copy() for b in cached]
