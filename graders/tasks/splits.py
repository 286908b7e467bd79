"""The lessons' data, split train | validation | held-out, with the held-out part from the instance's private store.

Loaded once when the catalog loads, so a broken data file is a lesson error (the app refuses to start), not a
system error on some learner's first submission.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graders.batching import rows_overlap
from graders.heldout import HeldoutMode, HeldoutStore
from graders.spec import ArrayData, LessonGrading, SequenceData, SpecError, TextData


def read_series(path: Path, column: str) -> np.ndarray:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise SpecError(f"{path}: no column {column!r} (columns: {reader.fieldnames})")
        try:
            values = [float(row[column]) for row in reader]
        except (TypeError, ValueError) as exc:
            raise SpecError(f"{path}: column {column!r} holds a non-number: {exc}") from None
    return _finite(np.asarray(values, dtype="float64"), f"{path}: column {column!r}")


def _finite(values: np.ndarray, where: str) -> np.ndarray:
    if values.dtype.kind not in "biuf" or not np.all(np.isfinite(values)):
        raise SpecError(f"{where} holds NaN, infinite or non-numeric values")
    return values


def _tail_size(public: int, fraction: float) -> int:
    """A private tail as long, relative to the public part, as the public file's own held-out tail would be."""
    return max(1, int(round(public * fraction / (1 - fraction))))


@dataclass
class SequenceSplit:
    """A series cut chronologically: train | validation | held-out tail, normalised by train statistics."""

    raw: np.ndarray
    scaled: np.ndarray
    validation_start: int
    heldout_start: int
    mean: float
    std: float
    heldout_mode: HeldoutMode

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean


def split_series(grading: LessonGrading, data: SequenceData, window_max: int,
                 store: HeldoutStore | None) -> SequenceSplit:
    assert data.series is not None
    public = read_series(grading.data_path(data.series), data.column)
    mode = HeldoutMode.private
    supplied = store.supplied(grading.slug, ".csv") if store else None
    if supplied is not None:
        tail = read_series(supplied, data.column)
    elif store is not None and data.heldout_generator is not None:
        made = store.generated(grading.slug, grading.data_path(data.heldout_generator), public,
                               _tail_size(len(public), data.heldout_fraction))
        tail = _finite(np.asarray(made.get("series", np.zeros(0))).reshape(-1), f"{data.heldout_generator} output")
    else:
        tail, mode = public[int(round(len(public) * (1 - data.heldout_fraction))):], HeldoutMode.public
        public = public[: len(public) - len(tail)]
    raw = np.concatenate([public, tail])
    heldout_start = len(public)
    validation_start = int(round(heldout_start * (1 - data.validation_fraction)))
    if validation_start <= 2 * window_max or heldout_start - validation_start <= window_max // 2 or len(tail) <= window_max:
        raise SpecError(f"{grading.folder / 'grading.toml'}: data.series is too short for window_max={window_max}")
    # Statistics of the training part only: anything later would leak the future into the inputs.
    mean = float(raw[:validation_start].mean())
    std = float(raw[:validation_start].std()) or 1.0
    return SequenceSplit(raw=raw, scaled=(raw - mean) / std, validation_start=validation_start,
                         heldout_start=heldout_start, mean=mean, std=std, heldout_mode=mode)


@dataclass
class ArraySplit:
    """Ready-made (x, y) samples in order: train | validation | held-out."""

    x: np.ndarray
    y: np.ndarray
    validation_start: int
    heldout_start: int
    heldout_mode: HeldoutMode
    rows_independent: bool  # validation and held-out rows share no values (else phase B predicts each alone)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # baselines, computed once

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        bounds = {"train": (0, self.validation_start), "validation": (self.validation_start, self.heldout_start),
                  "heldout": (self.heldout_start, len(self.x))}[name]
        return self.x[bounds[0]:bounds[1]], self.y[bounds[0]:bounds[1]]


def _read_arrays(path: Path, classes: bool, tokens: bool = False) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            x, y = np.asarray(data["x"], dtype=None if tokens else "float32"), np.asarray(data["y"])
    except (OSError, KeyError, ValueError) as exc:
        raise SpecError(f"{path}: needs arrays 'x' (N, T, F) and 'y' (N, ...): {exc}") from None
    return _shape_arrays(x, y, classes, str(path), tokens)


def _token_ids(x: np.ndarray, where: str) -> np.ndarray:
    """Token ids (N, T): whole numbers from 0 (padding) up, as the int32 an Embedding layer reads."""
    if x.ndim != 2 or x.dtype.kind not in "biuf" or not np.all(np.isfinite(x)) or np.any(x < 0) \
            or np.any(x != np.round(x)) or (x.size and x.max() >= 2**31):
        raise SpecError(f"{where}: token ids must be whole numbers >= 0 (0 for padding) of shape (N, timesteps); "
                        f"got {x.dtype} {x.shape}")
    return x.astype("int32")


def _shape_arrays(x: Any, y: Any, classes: bool, where: str, tokens: bool = False) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if tokens:
        if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
            raise SpecError(f"{where}: x must be token ids (N, timesteps) and y must have N rows; got {x.shape}, "
                            f"{y.shape}")
        return _token_ids(x, f"{where}: x"), _finite(y, f"{where}: y").astype("int64")
    if x.ndim != 3 or len(x) != len(y) or len(x) == 0:
        raise SpecError(f"{where}: x must be (N, timesteps, features) and y must have N rows; got {x.shape}, {y.shape}")
    x = _finite(x.astype("float32"), f"{where}: x")
    y = _finite(y, f"{where}: y")
    return x, (y.astype("int64") if classes else y.astype("float32").reshape(len(y), -1))


def load_arrays(grading: LessonGrading, data: SequenceData | ArrayData, store: HeldoutStore | None,
                classes: bool = False) -> ArraySplit:
    assert data.arrays is not None
    tokens = isinstance(data, ArrayData) and data.tokens
    x, y = _read_arrays(grading.data_path(data.arrays), classes, tokens)
    mode = HeldoutMode.private
    supplied = store.supplied(grading.slug, ".npz") if store else None
    if supplied is not None:
        tail_x, tail_y = _read_arrays(supplied, classes, tokens)
    elif store is not None and data.heldout_generator is not None:
        made = store.generated(grading.slug, grading.data_path(data.heldout_generator), {"x": x, "y": y},
                               _tail_size(len(x), data.heldout_fraction))
        tail_x, tail_y = _shape_arrays(made.get("x"), made.get("y"), classes, f"{data.heldout_generator} output",
                                       tokens)
    else:
        cut = int(round(len(x) * (1 - data.heldout_fraction)))
        (x, tail_x), (y, tail_y), mode = (x[:cut], x[cut:]), (y[:cut], y[cut:]), HeldoutMode.public
    if tail_x.shape[1:] != x.shape[1:] or tail_y.shape[1:] != y.shape[1:]:
        raise SpecError(f"{grading.folder}: held-out samples {tail_x.shape}/{tail_y.shape} do not match the public "
                        f"ones {x.shape}/{y.shape}")
    if tokens and tail_x.size and tail_x.max() > x.max():
        # The model's Embedding is sized from the public ids: a larger held-out id would have no row in it.
        raise SpecError(f"{grading.folder}: held-out token ids go up to {tail_x.max()}, the public ones only to "
                        f"{x.max()}: every token must occur in the public data")
    heldout_start = len(x)
    validation_start = int(round(heldout_start * (1 - data.validation_fraction)))
    every_x = np.concatenate([x, tail_x])
    # Token rows are separate texts: a phrase two reviews share is no value of one series that a batch-mate could
    # reveal (rows_overlap would see one in every "the movie was"), so any batches will do.
    return ArraySplit(x=every_x, y=np.concatenate([y, tail_y]), validation_start=validation_start,
                      heldout_start=heldout_start, heldout_mode=mode,
                      rows_independent=tokens or not rows_overlap(every_x[validation_start:]))


@dataclass
class TextSplit:
    vocab: list[str]
    ids: np.ndarray
    validation_start: int
    heldout_start: int
    unigram: np.ndarray  # Laplace-smoothed character frequencies of the training part
    heldout_mode: HeldoutMode
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # baselines, computed once

    def decode(self, ids: list[int]) -> str:
        return "".join(self.vocab[i] for i in ids if 0 <= i < len(self.vocab))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text: {exc}") from None


def split_text(grading: LessonGrading, data: TextData, store: HeldoutStore | None) -> TextSplit:
    text = _read_text(grading.data_path(data.text))
    vocab = sorted(set(text))  # the public corpus: ids are stable whatever the held-out text holds
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.asarray([index[ch] for ch in text], dtype="int32")
    supplied = store.supplied(grading.slug, ".txt") if store else None
    if supplied is not None:
        tail = np.asarray([index[ch] for ch in _read_text(supplied) if ch in index], dtype="int32")
        if len(tail) < 200:
            raise SpecError(f"{supplied}: needs at least 200 characters of the public corpus's alphabet")
        mode = HeldoutMode.private
    elif store is not None and data.heldout_generator is not None:
        made = store.generated(grading.slug, grading.data_path(data.heldout_generator), {"text": np.asarray(text)},
                               _tail_size(len(text), data.heldout_fraction))
        extra = str(made.get("text", ""))
        unknown = sorted(set(extra) - set(index))
        if unknown or len(extra) < 200:
            raise SpecError(f"{data.heldout_generator}: make_heldout must return at least 200 characters of the public "
                            f"text's alphabet (got {len(extra)}, unknown {unknown[:5]})")
        tail = np.asarray([index[ch] for ch in extra], dtype="int32")
        mode = HeldoutMode.private
    else:
        cut = int(round(len(ids) * (1 - data.heldout_fraction)))
        ids, tail, mode = ids[:cut], ids[cut:], HeldoutMode.public
    heldout_start = len(ids)
    validation_start = int(round(heldout_start * (1 - data.validation_fraction)))
    counts = np.bincount(ids[:validation_start], minlength=len(vocab)).astype("float64") + 1.0
    return TextSplit(vocab=vocab, ids=np.concatenate([ids, tail]), validation_start=validation_start,
                     heldout_start=heldout_start, unigram=counts / counts.sum(), heldout_mode=mode)
