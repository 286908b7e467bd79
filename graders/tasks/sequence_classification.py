"""Held-out sequence classification: (N, T, F) arrays or padded token ids with integer labels, scored by accuracy vs
the majority class and an order-blind model; for token ids, optionally a check that padding does not change a
prediction."""

from __future__ import annotations

from typing import Any

import numpy as np

from graders import baselines
from graders.answers import TrainAnswer, TypedAnswer
from graders.batching import ATOL, RTOL, EvalRows
from graders.heldout import HeldoutStore
from graders.protocol import CHECK_TITLES
from graders.report import Baseline, Check, GradeReport
from graders.spec import LessonGrading, SequenceClassificationSpec
from graders.tasks import bars, model_checks
from graders.tasks.base import Evaluated, Task, as_trained
from graders.tasks.sequence_prediction import array_evaluation
from graders.tasks.splits import ArraySplit, load_arrays


def _spec(grading: LessonGrading) -> SequenceClassificationSpec:
    assert isinstance(grading.spec, SequenceClassificationSpec)
    return grading.spec


PADDING_PROBE_ROWS = 128  # public validation rows whose padding the check moves


def n_classes(prepared: ArraySplit) -> int:
    return int(prepared.y.max()) + 1


def vocab_size(prepared: ArraySplit) -> int:
    """Token ids run from 0 (padding) to the largest public id; held-out ids never exceed it (splits.load_arrays)."""
    return int(prepared.x[:prepared.heldout_start].max()) + 1


def moved_padding(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first PADDING_PROBE_ROWS padded rows of token ids, each with its padding moved to the other end (zeros
    after the tokens go before them, zeros before go after), and the rows' indices: the same tokens, in the same
    order, padded the other way. A model that masks padded steps predicts the same for both."""
    moved, picked = [], []
    for i, row in enumerate(x):
        filled = np.flatnonzero(row)
        if len(filled) == 0 or len(filled) == len(row) or (row[0] != 0 and row[-1] != 0):
            continue  # nothing to move
        tokens = row[filled[0]:filled[-1] + 1]
        out = np.zeros_like(row)
        if row[-1] == 0:
            out[len(row) - len(tokens):] = tokens
        else:
            out[:len(tokens)] = tokens
        moved.append(out)
        picked.append(i)
        if len(picked) == PADDING_PROBE_ROWS:
            break
    return (np.stack(moved) if moved else np.zeros((0, x.shape[1]), dtype=x.dtype)), np.asarray(picked, dtype=np.int64)


class SequenceClassification(Task[ArraySplit]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> ArraySplit:
        return load_arrays(grading, _spec(grading).data, store, classes=True)

    def train_job(self, grading: LessonGrading, prepared: ArraySplit, code: str, seed: int = 0) -> dict[str, Any]:
        spec = _spec(grading)
        steps = prepared.x.shape[1]
        x_train, y_train = prepared.part("train")
        x_val, y_val = prepared.part("validation")
        if spec.data.tokens:  # (samples, timesteps) ids for an Embedding, which needs the vocabulary's size
            build_args, names, shape = [steps, vocab_size(prepared)], ["timesteps", "vocab_size"], [None, steps]
        else:
            features = prepared.x.shape[2]
            build_args, names, shape = [steps, features], ["timesteps", "n_features"], [None, steps, features]
        return {
            "kind": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
            "early_stopping_patience": spec.contract.early_stopping_patience,
            "constants": [["EPOCHS", 1, spec.contract.epochs_max], ["BATCH_SIZE", 1, spec.contract.batch_size_max]],
            "build_args": [*build_args, n_classes(prepared)],
            "build_arg_names": [*names, "n_classes"],
            "input_shape": shape, "output_shape": [None, n_classes(prepared)],
            "output_meaning": "one probability per class",
            "data": {"kind": "arrays", "x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val},
        }

    def evaluation(self, grading: LessonGrading, prepared: ArraySplit, trained: TypedAnswer) -> EvalRows:
        rows = array_evaluation(prepared)
        if _spec(grading).contract.padding_invariant:
            # Public rows only, predicted beside the others: their answers are compared with the rows as given.
            moved, _ = moved_padding(prepared.part("validation")[0])
            rows.parts["padding_moved"] = moved
            if rows.spans is not None:
                rows.spans["padding_moved"] = np.tile([0, 1], (len(moved), 1))
        return rows

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
    input_title, input_meaning = (("Input is a sequence of token ids", "one token id per time step, 0 for padding")
                                  if spec.data.tokens else ("Input shape is (timesteps, features)", "matches the sequences"))
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, input_title, input_meaning,
        [None, k], f"one probability per class (softmax over {k})", evaluated.predictions)
    if spec.contract.padding_invariant:
        checks.append(padding_check(prepared, evaluated.predictions, spec.scoring.baseline_points / 2))
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
        table = baseline_table(prepared, k, spec.scoring.bar, spec.data.tokens)
        bar = next(b for b in table if b.bar)
        assert bar.value is not None
        baseline = bar.value
        metrics = {"heldout_accuracy": round(accuracy, 4), "baseline_accuracy": round(baseline, 4),
                   "validation_accuracy": round(float(np.mean(results["validation"][0] == results["validation"][1])), 4),
                   "heldout_samples": float(len(y))}
        plots["confusion"] = model_checks.confusion_plot(y, guess, k)
        target = spec.scoring.min_accuracy
        # An order-blind guess earns nothing in a lesson about order.
        checks.append(model_checks.accuracy_bar_check(
            accuracy, baseline, target, spec.scoring.baseline_points,
            title=f"Held-out accuracy of at least {target:.0%}", measured=f"Held-out accuracy {accuracy:.1%}",
            bar_title=bar.title, bar_meaning=bar.meaning, advice=spec.scoring.advice))
    else:
        checks.append(model_checks.skipped("beats_baseline", "Held-out accuracy", spec.scoring.baseline_points))
    report = model_checks.model_report(checks, trained, architecture, metrics, plots, evaluated.predictions)
    report.metric, report.baselines = "accuracy", table
    return report


def padding_check(prepared: ArraySplit, predictions: dict[str, np.ndarray], points: float) -> Check:
    """The same public rows, padded at the other end, must get the same answers (to float rounding, as in the batch
    check): a model that masks padded steps never sees where the zeros are."""
    title = CHECK_TITLES["padding_invariant"]
    moved = predictions.get("padding_moved")
    if moved is None or "validation" not in predictions:
        return model_checks.skipped("padding_invariant", title, points)
    _, picked = moved_padding(prepared.part("validation")[0])
    given = predictions["validation"][picked]
    if not (np.all(np.isfinite(given)) and np.all(np.isfinite(moved))):
        return Check(id="padding_invariant", title=title, passed=False, points=0, max_points=points,
                     message="Your model's outputs are not finite numbers, so the grader could not compare them "
                             "(see the finite-predictions check).")
    change = np.abs(given - moved).reshape(len(given), -1).max(axis=1) if len(given) else np.zeros(0)
    same = np.isclose(given, moved, rtol=RTOL, atol=ATOL).reshape(len(given), -1).all(axis=1)
    flipped = int(np.sum(given.argmax(axis=1) != moved.argmax(axis=1)))
    n, largest = len(given), float(change.max(initial=0.0))
    if bool(same.all()):
        return Check(id="padding_invariant", title=title, passed=True, points=points, max_points=points,
                     message=f"{n} validation sequences padded at the other end get the same predictions (largest "
                             f"change of a probability {largest:.1e}): where the padding sits does not change your "
                             "model's answers.")
    return Check(
        id="padding_invariant", title=title, passed=False, points=0, max_points=points,
        message=f"The grader moved the padding zeros of {n} validation sequences to the other end (the same tokens in "
                f"the same order) and {n - int(same.sum())} of them got other predictions: probabilities moved by up "
                f"to {largest:.2f}, and {flipped} changed class. Your model reads the padding as if it were part of "
                "the sequence, so its answer depends on how long the longest sequence in the data happens to be. "
                "Give the Embedding mask_zero=True: every layer after it then receives a mask, and a recurrent "
                "layer skips the padded steps, carrying its state over them unchanged. (A Masking layer after an "
                "Embedding masks nothing: the padding's embedding vector is not all zeros.)")


def baseline_table(prepared: ArraySplit, classes: int, bar: str, tokens: bool = False) -> list[Baseline]:
    """Majority class and an order-blind logistic model (on per-step statistics, or on word counts for token ids),
    fit on the training part, scored on the held-out part."""
    cached = prepared.cache.get(("baselines", bar))
    if cached is None:
        x_train, y_train = prepared.part("train")
        x, y = prepared.part("heldout")
        majority = int(np.bincount(y_train, minlength=classes).argmax())
        if tokens:
            size = vocab_size(prepared)
            blind, train_features, features = ("bag_of_words", baselines.bag_of_words(x_train, size),
                                               baselines.bag_of_words(x, size))
        else:
            blind, train_features, features = "order_blind", baselines.bag_of_steps(x_train), baselines.bag_of_steps(x)
        probs = baselines.logistic_regression(train_features, y_train, features, classes)
        cached = [bars.describe("majority", float(np.mean(y == majority))),
                  bars.describe(blind, float(np.mean(probs.argmax(axis=1) == y)))]
        bars.resolve(bar, cached, higher_is_better=True)
        prepared.cache[("baselines", bar)] = cached
    return [b.model_copy() for b in cached]
