"""Held-out next-character prediction: bits per character vs a unigram baseline, plus a generated sample."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graders.report import Check, GradeReport
from graders.spec import LessonGrading, NextTokenSpec, SpecError
from graders.tasks import model_checks
from graders.windowing import make_windows

MAX_EVAL_WINDOWS = 3000  # keeps phase B's probability matrix small


@dataclass
class TextSplit:
    vocab: list[str]
    ids: np.ndarray
    validation_start: int
    heldout_start: int
    unigram: np.ndarray  # Laplace-smoothed character frequencies of the training part

    def decode(self, ids: list[int]) -> str:
        return "".join(self.vocab[i] for i in ids if 0 <= i < len(self.vocab))


def _spec(grading: LessonGrading) -> NextTokenSpec:
    assert isinstance(grading.spec, NextTokenSpec)
    return grading.spec


def prepare(grading: LessonGrading, heldout_dir: Path | None = None) -> TextSplit:
    spec = _spec(grading)
    path = grading.data_path(spec.data.text)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text: {exc}") from None
    vocab = sorted(set(text))  # the whole corpus, so ids are stable and held-out chars are known
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.asarray([index[ch] for ch in text], dtype="int32")
    heldout_start = int(round(len(ids) * (1 - spec.data.heldout_fraction)))
    validation_start = int(round(heldout_start * (1 - spec.data.validation_fraction)))
    counts = np.bincount(ids[:validation_start], minlength=len(vocab)).astype("float64") + 1.0
    return TextSplit(vocab=vocab, ids=ids, validation_start=validation_start, heldout_start=heldout_start,
                     unigram=counts / counts.sum())


def reference_job(grading: LessonGrading, prepared: TextSplit) -> None:
    return None


def train_job(grading: LessonGrading, prepared: TextSplit, code: str, seed: int = 0) -> dict[str, Any]:
    spec = _spec(grading)
    c = spec.contract
    return {
        "phase": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
        "early_stopping_patience": spec.contract.early_stopping_patience,
        "constants": [["WINDOW", c.window_min, c.window_max], ["EPOCHS", 1, c.epochs_max],
                      ["BATCH_SIZE", 1, c.batch_size_max]],
        "build_args": ["WINDOW", len(prepared.vocab)], "build_arg_names": ["window", "vocab_size"],
        "input_shape": [None, "WINDOW"], "output_shape": [None, len(prepared.vocab)], "output_meaning": "a probability for each character in the vocabulary",
        "data": {"kind": "series", "values": prepared.ids[: prepared.heldout_start].tolist(), "dtype": "int32",
                 "validation_start": prepared.validation_start, "horizon": 1, "stride": spec.data.stride,
                 "squeeze_features": True},
    }


def _windows(prepared: TextSplit, start: int, stop: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = make_windows(prepared.ids[start - window: stop], window)
    step = max(1, math.ceil(len(x) / MAX_EVAL_WINDOWS))
    return x[::step, :, 0], y[::step, 0]


def _seed_ids(spec: NextTokenSpec, prepared: TextSplit, window: int) -> list[int]:
    index = {ch: i for i, ch in enumerate(prepared.vocab)}
    ids = [index[ch] for ch in spec.scoring.seed_text if ch in index]
    padding = prepared.ids[:window].tolist()
    return (padding + ids)[-window:]


def validate(grading: LessonGrading, trained: dict[str, Any]) -> None:
    model_checks.validate_trained(trained, _spec(grading).contract)


def evaluate_job(grading: LessonGrading, prepared: TextSplit, trained: dict[str, Any]) -> dict[str, Any]:
    spec = _spec(grading)
    window = int(trained["window"])
    x_val, _ = _windows(prepared, prepared.validation_start, prepared.heldout_start, window)
    x_test, _ = _windows(prepared, prepared.heldout_start, len(prepared.ids), window)
    job: dict[str, Any] = {"phase": "evaluate", "model_b64": trained["model_b64"],
                           "inputs": {"validation": x_val, "heldout": x_test}}
    if spec.scoring.sample_length:
        job["sample"] = {"seed_ids": _seed_ids(spec, prepared, window), "length": spec.scoring.sample_length,
                         "temperature": spec.scoring.temperature, "rng_seed": 0}
    return job


def _bits(probs: np.ndarray, targets: np.ndarray) -> float:
    picked = probs[np.arange(len(targets)), targets]
    return float(-np.mean(np.log2(np.clip(picked, 1e-12, 1.0))))


def score(grading: LessonGrading, prepared: TextSplit, trained: dict[str, Any], evaluated: dict[str, Any]) -> GradeReport:
    spec = _spec(grading)
    window = int(trained["window"])
    vocab_size = len(prepared.vocab)
    architecture = evaluated.get("architecture", {})
    checks = model_checks.structure_checks(
        spec.contract, trained, architecture, "Input is a window of character ids", f"{window} character ids per sample",
        [None, vocab_size], f"a probability for each of the {vocab_size} characters (softmax)")
    metrics: dict[str, float] = {}
    plots: dict[str, Any] = {}
    if architecture.get("output_shape") == [None, vocab_size] and "predictions" in evaluated:
        _, y_test = _windows(prepared, prepared.heldout_start, len(prepared.ids), window)
        _, y_val = _windows(prepared, prepared.validation_start, prepared.heldout_start, window)
        probs = np.asarray(evaluated["predictions"]["heldout"], dtype="float64")
        val_probs = np.asarray(evaluated["predictions"]["validation"], dtype="float64")
        finite = bool(np.all(np.isfinite(probs)))
        model_bits = _bits(probs, y_test) if finite else math.inf
        unigram_bits = _bits(np.broadcast_to(prepared.unigram, (len(y_test), vocab_size)), y_test)
        metrics = {
            "heldout_bits_per_char": round(model_bits, 4) if finite else -1.0,
            "baseline_bits_per_char": round(unigram_bits, 4),
            "validation_bits_per_char": round(_bits(val_probs, y_val), 4) if finite else -1.0,
            "heldout_accuracy": round(float(np.mean(probs.argmax(axis=1) == y_test)), 4) if finite else 0.0,
            "heldout_samples": float(len(y_test)),
        }
        if "sample_ids" in evaluated:
            seed = prepared.decode(_seed_ids(spec, prepared, window))
            plots["sample"] = {"seed": seed, "text": prepared.decode(evaluated["sample_ids"]),
                               "temperature": spec.scoring.temperature}
        improvement = 1 - model_bits / unigram_bits if finite else -1.0
        margin = spec.scoring.margin
        passed = improvement >= margin
        checks.append(Check(
            id="beats_baseline", title="Beats the unigram baseline on held-out text", passed=passed,
            points=round(model_checks.partial_credit(improvement, margin) * spec.scoring.baseline_points, 3),
            max_points=spec.scoring.baseline_points,
            message=(f"Held-out {model_bits:.3f} bits/char vs {unigram_bits:.3f} for letter frequencies alone: "
                     f"{improvement:+.0%} better (full marks at {margin:.0%})." if finite else
                     "Your model produced NaN probabilities on held-out text.")
            + ("" if passed else " To improve: " + (spec.scoring.advice or "a longer WINDOW, an Embedding of "
                                 "16–32 dimensions, 64–128 LSTM units, and more epochs."))))
    else:
        checks.append(model_checks.skipped("beats_baseline", "Beats the unigram baseline", spec.scoring.baseline_points))
    return model_checks.model_report(checks, trained, architecture, metrics, plots)
