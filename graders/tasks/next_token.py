"""Held-out next-character prediction: bits per character vs a unigram baseline, plus a generated sample."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graders import baselines
from graders.answers import TrainAnswer, TypedAnswer
from graders.batching import EvalRows
from graders.heldout import HeldoutStore
from graders.report import Baseline, Check, GradeReport
from graders.spec import LessonGrading, NextTokenSpec
from graders.tasks import bars, model_checks
from graders.tasks.base import Evaluated, Task, as_trained
from graders.tasks.splits import TextSplit, split_text
from graders.windowing import make_windows

MAX_EVAL_WINDOWS = 3000  # keeps phase B's probability matrix small


def _spec(grading: LessonGrading) -> NextTokenSpec:
    assert isinstance(grading.spec, NextTokenSpec)
    return grading.spec


def _windows(prepared: TextSplit, start: int, stop: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows predicting stop-start characters (every step-th), their targets, and each row's span in the text."""
    x, y = make_windows(prepared.ids[start - window: stop], window)
    step = max(1, math.ceil(len(x) / MAX_EVAL_WINDOWS))
    first = np.arange(start - window, start - window + len(x))[::step]
    return x[::step, :, 0], y[::step, 0], np.stack([first, first + window + 1], axis=1)


def _seed_ids(spec: NextTokenSpec, prepared: TextSplit, window: int) -> list[int]:
    index = {ch: i for i, ch in enumerate(prepared.vocab)}
    ids = [index[ch] for ch in spec.scoring.seed_text if ch in index]
    padding = prepared.ids[:window].tolist()
    return (padding + ids)[-window:]


class NextToken(Task[TextSplit]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> TextSplit:
        return split_text(grading, _spec(grading).data, store)

    def train_job(self, grading: LessonGrading, prepared: TextSplit, code: str, seed: int = 0) -> dict[str, Any]:
        spec = _spec(grading)
        c = spec.contract
        return {
            "kind": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
            "early_stopping_patience": c.early_stopping_patience,
            "constants": [["WINDOW", c.window_min, c.window_max], ["EPOCHS", 1, c.epochs_max],
                          ["BATCH_SIZE", 1, c.batch_size_max]],
            "build_args": ["WINDOW", len(prepared.vocab)], "build_arg_names": ["window", "vocab_size"],
            "input_shape": [None, "WINDOW"], "output_shape": [None, len(prepared.vocab)],
            "output_meaning": "a probability for each character in the vocabulary",
            "data": {"kind": "series", "values": prepared.ids[: prepared.heldout_start], "dtype": "int32",
                     "validation_start": prepared.validation_start, "horizon": 1, "stride": spec.data.stride,
                     "squeeze_features": True},
        }

    def evaluation(self, grading: LessonGrading, prepared: TextSplit, trained: TypedAnswer) -> EvalRows:
        spec = _spec(grading)
        window = model_checks.reported_window(as_trained(trained), spec.contract)
        x_val, _, val_spans = _windows(prepared, prepared.validation_start, prepared.heldout_start, window)
        x_test, _, test_spans = _windows(prepared, prepared.heldout_start, len(prepared.ids), window)
        extra: dict[str, Any] = {}
        if spec.scoring.sample_length:
            extra["sample"] = {"seed_ids": _seed_ids(spec, prepared, window), "length": spec.scoring.sample_length,
                               "temperature": spec.scoring.temperature, "rng_seed": 0}
        return EvalRows(parts={"validation": x_val, "heldout": x_test},
                        spans={"validation": val_spans, "heldout": test_spans}, extra=extra)

    def output_shape(self, grading: LessonGrading, prepared: TextSplit) -> tuple[int, ...]:
        return (len(prepared.vocab),)

    def score(self, grading: LessonGrading, prepared: TextSplit, trained: TypedAnswer,
              evaluated: Evaluated | None) -> GradeReport:
        return score(grading, prepared, as_trained(trained), evaluated)


def _bits(probs: np.ndarray, targets: np.ndarray) -> float:
    """Cross-entropy in bits of the model's distribution: rows are renormalised, so outputs that are not
    probabilities (no softmax, all ones) cannot claim certainty for every character at once."""
    probs = np.clip(probs, 0.0, None)
    totals = probs.sum(axis=1, keepdims=True)
    probs = np.where(totals > 0, probs / np.where(totals > 0, totals, 1.0), 1.0 / probs.shape[1])
    picked = probs[np.arange(len(targets)), targets]
    return float(-np.mean(np.log2(np.clip(picked, 1e-12, 1.0))))


def score(grading: LessonGrading, prepared: TextSplit, trained: TrainAnswer, evaluated: Evaluated | None) -> GradeReport:
    assert evaluated is not None
    spec = _spec(grading)
    window = model_checks.reported_window(trained, spec.contract)
    vocab_size = len(prepared.vocab)
    architecture = evaluated.architecture
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, "Input is a window of character ids", f"{window} character ids per sample",
        [None, vocab_size], f"a probability for each of the {vocab_size} characters (softmax)", evaluated.predictions)
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    if evaluated.predictions:
        _, y_test, _ = _windows(prepared, prepared.heldout_start, len(prepared.ids), window)
        _, y_val, _ = _windows(prepared, prepared.validation_start, prepared.heldout_start, window)
        probs = evaluated.predictions["heldout"]
        val_probs = evaluated.predictions["validation"]
        finite = bool(np.all(np.isfinite(probs)) and np.all(np.isfinite(val_probs)))
        model_bits = _bits(probs, y_test) if finite else math.inf
        table = baseline_table(prepared, window, spec.scoring.bar)
        bar = next(b for b in table if b.bar)
        assert bar.value is not None
        metrics = {
            "heldout_bits_per_char": round(model_bits, 4) if finite else -1.0,
            "baseline_bits_per_char": round(bar.value, 4),
            "validation_bits_per_char": round(_bits(val_probs, y_val), 4) if finite else -1.0,
            "heldout_accuracy": round(float(np.mean(probs.argmax(axis=1) == y_test)), 4) if finite else 0.0,
            "heldout_samples": float(len(y_test)),
        }
        if evaluated.sample_ids is not None:
            seed = prepared.decode(_seed_ids(spec, prepared, window))
            plots["sample"] = {"seed": seed, "text": prepared.decode(evaluated.sample_ids),
                               "temperature": spec.scoring.temperature}
        improvement = 1 - model_bits / bar.value if finite and bar.value else -1.0
        margin = spec.scoring.margin
        passed = improvement >= margin
        change = f"{bars.percent(improvement)} {'fewer' if improvement >= 0 else 'more'}"
        checks.append(Check(
            id="beats_baseline", title=f"Beats '{bar.title}' on held-out text", passed=passed,
            points=round(model_checks.partial_credit(improvement, margin) * spec.scoring.baseline_points, 3),
            max_points=spec.scoring.baseline_points,
            message=(f"Held-out {model_bits:.3f} bits/char vs {bar.value:.3f} for '{bar.title}': {change} bits "
                     f"(full marks at {bars.percent(margin)} fewer)." + (f" {bar.meaning}" if passed else "")
                     if finite else
                     "Your model's outputs contain NaN or infinity on held-out text: training diverged. Lower the "
                     "learning rate or clip gradients (clipnorm=1.0).")
            + ("" if passed else f" To improve: {spec.scoring.advice}")))
    else:
        checks.append(model_checks.skipped("beats_baseline", "Beats the baseline on held-out text",
                                           spec.scoring.baseline_points))
        table = []
    report = model_checks.model_report(checks, trained, architecture, metrics, plots, evaluated.predictions)
    report.metric, report.baselines = "bits_per_char", table
    return report


NGRAM_ORDERS = (2, 3, 4, 5)


def baseline_table(prepared: TextSplit, window: int, bar: str) -> list[Baseline]:
    """Letter frequencies and the smoothed n-gram whose order did best on validation, both fit on training text.

    Scored on the same held-out rows as the learner's model. An n-gram's context is never longer than the
    learner's window, so it sees no more than the network does.
    """
    key = ("baselines", window, bar)
    cached = prepared.cache.get(key)
    if cached is None:
        _, y_val, val_spans = _windows(prepared, prepared.validation_start, prepared.heldout_start, window)
        _, y_test, test_spans = _windows(prepared, prepared.heldout_start, len(prepared.ids), window)
        train = prepared.ids[:prepared.validation_start]
        vocab = len(prepared.vocab)

        def contexts(spans: np.ndarray, order: int) -> np.ndarray:
            ends = spans[:, 1] - 1  # the target's index; its context is the order-1 ids before it
            return prepared.ids[ends[:, None] - (order - 1) + np.arange(order - 1)[None, :]]

        orders = [n for n in NGRAM_ORDERS if n - 1 <= window]
        models = {n: baselines.NGram(train, vocab, n) for n in orders}
        best = min(orders, key=lambda n: _bits(models[n].predict(contexts(val_spans, n)), y_val))
        ngram_bits = _bits(models[best].predict(contexts(test_spans, best)), y_test)
        unigram_bits = _bits(np.broadcast_to(prepared.unigram, (len(y_test), vocab)), y_test)
        cached = [bars.describe("unigram", unigram_bits), bars.describe("ngram", ngram_bits, order=best)]
        bars.resolve(bar, cached, higher_is_better=False)
        prepared.cache[key] = cached
    return [b.model_copy() for b in cached]
