"""Phase B's batches: no forward pass holds two rows that share a held-out value, and a row's answer is its own.

A model built only from built-in Keras ops can still compare every row of its batch with every other row, so a
secret shuffle is not enough: consecutive windows of one series overlap (window i+1 holds window i's target).
The plan puts rows whose time spans overlap into different groups (interval partitioning: the fewest groups
possible), shuffles inside groups and the order of groups with a secret generator, and names held-out rows to
predict alone, in a batch of one: all of them when there are at most ALONE_LIMIT (every lesson but text).

The held-out score uses the answers predicted alone, so for those rows no other row can change the grade,
however small the influence: argmax scoring turns a 1e-6 nudge into a whole point, and no tolerance is small
enough for every output scale. The trusted parent also checks that each row's batched answer equals its answer
alone: a model whose output depends on other rows is not gradable, and is told so in its own words.
"""

from __future__ import annotations

import heapq
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_GROUP_ROWS = 256  # a subset of a disjoint group is still disjoint: this only bounds memory per pass
ALONE_LIMIT = 1000  # held-out parts up to this size are predicted row by row (~1-4 ms a row on one core)
ALONE_SAMPLE = 256  # larger parts (text): a secret sample, compared with the batched answers
RTOL, ATOL = 1e-3, 1e-4  # batch size changes float32 summation order a little; a copied answer changes it a lot


class BatchDependence(Exception):
    """A row's output changed with the other rows in its batch."""


class MalformedPredictions(Exception):
    """Phase B's arrays do not have one finite-or-not output row per input row."""


@dataclass
class EvalRows:
    """The rows phase B predicts, per part, and where each row lies in time (None: rows share no values)."""

    parts: dict[str, np.ndarray]
    spans: dict[str, np.ndarray] | None = None  # per part, (n, 2) [start, stop) on one timeline
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the text sample request


def disjoint_groups(spans: np.ndarray) -> list[list[int]]:
    """Interval partitioning: rows in one group never overlap; as few groups as the deepest overlap."""
    order = np.argsort(spans[:, 0], kind="stable")
    groups: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (stop of the group's last row, group index)
    for row in order:
        start, stop = int(spans[row, 0]), int(spans[row, 1])
        if free and free[0][0] <= start:
            _, index = heapq.heappop(free)
        else:
            index = len(groups)
            groups.append([])
        groups[index].append(int(row))
        heapq.heappush(free, (stop, index))
    return groups


def rows_overlap(x: np.ndarray, k: int = 4) -> bool:
    """Whether some row's first k steps reappear shifted inside another row (rows cut from one series).

    Steps that are all alike (padding) are skipped: they say nothing about sharing.
    """
    if x.ndim < 2 or x.shape[1] < 2:
        return False
    k = min(k, x.shape[1] - 1)
    heads: dict[bytes, int] = {}
    for i in range(len(x)):
        head = x[i, :k]
        if np.ptp(head.reshape(k, -1), axis=0).max() == 0:
            continue
        heads.setdefault(np.ascontiguousarray(head).tobytes(), i)
    for i in range(len(x)):
        for shift in range(1, x.shape[1] - k + 1):
            owner = heads.get(np.ascontiguousarray(x[i, shift:shift + k]).tobytes())
            if owner is not None and owner != i:
                return True
    return False


@dataclass
class BatchPlan:
    """Which rows go to phase B, in which secret order and groups, and which are predicted alone."""

    names: list[str]
    sizes: list[int]
    order: np.ndarray  # position in the sent rows -> index in the concatenated parts
    groups: list[int]  # sizes of consecutive forward passes over the sent rows
    alone: list[int]  # positions in the sent rows predicted in a batch of one
    rows: np.ndarray  # the rows as sent

    @classmethod
    def build(cls, evaluation: EvalRows, sample_part: str = "heldout") -> BatchPlan:
        rng = np.random.default_rng(secrets.randbits(128))
        names = list(evaluation.parts)
        sizes = [len(evaluation.parts[n]) for n in names]
        every = np.concatenate([evaluation.parts[n] for n in names])
        if evaluation.spans is None:
            groups = [list(rng.permutation(len(every)))]
        else:
            spans = np.concatenate([evaluation.spans[n] for n in names])
            groups = disjoint_groups(spans)
        chunks: list[np.ndarray] = []
        for group in groups:
            shuffled = rng.permutation(np.asarray(group, dtype=np.int64))
            chunks += [shuffled[i:i + MAX_GROUP_ROWS] for i in range(0, len(shuffled), MAX_GROUP_ROWS)]
        chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        order = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        start = sum(sizes[:names.index(sample_part)]) if sample_part in names else 0
        stop = start + (sizes[names.index(sample_part)] if sample_part in names else len(every))
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        candidates = np.arange(start, stop)
        count = len(candidates) if len(candidates) <= ALONE_LIMIT else ALONE_SAMPLE
        picked = rng.choice(candidates, size=count, replace=False)
        return cls(names=names, sizes=sizes, order=order, groups=[len(c) for c in chunks],
                   alone=[int(position[i]) for i in picked], rows=every[order])

    def job(self, model: np.ndarray, extra: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "evaluate", "model": model, "rows": self.rows,
                "groups": self.groups, "alone": self.alone, **extra}

    def restore(self, batched: np.ndarray, alone: np.ndarray, output_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """Per-part predictions in their natural order, after checking shapes and batch invariance.

        Rows predicted alone take their alone answer: within the tolerance a batch may still nudge a decision.
        """
        want = (len(self.order), *output_shape)
        if batched.shape != want or alone.shape != (len(self.alone), *output_shape):
            raise MalformedPredictions(f"got {batched.shape} outputs for {want}")
        batched = batched.astype("float64")
        alone = alone.astype("float64")
        mine = batched[self.alone]
        if not np.allclose(alone, mine, rtol=RTOL, atol=ATOL, equal_nan=True):
            worst = int(np.argmax(np.nan_to_num(np.abs(alone - mine), nan=np.inf).reshape(len(mine), -1).max(axis=1)))
            raise BatchDependence(f"{mine[worst].reshape(-1)[:3].round(4).tolist()} in a batch vs "
                                  f"{alone[worst].reshape(-1)[:3].round(4).tolist()} alone")
        natural = np.empty_like(batched)
        natural[self.order] = batched
        natural[self.order[self.alone]] = alone  # graded rows predicted alone: nothing else was in their pass
        bounds = np.cumsum([0, *self.sizes])
        return {name: natural[bounds[i]:bounds[i + 1]] for i, name in enumerate(self.names)}
