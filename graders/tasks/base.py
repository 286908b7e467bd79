"""Task: the steps every task type provides to grade(), with no-op defaults for the steps a type does not need."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from graders.answers import Architecture, CasesAnswer, TrainAnswer, TypedAnswer
from graders.batching import EvalRows
from graders.heldout import HeldoutMode, HeldoutStore
from graders.look_inside import LookInside
from graders.report import GradeReport
from graders.spec import LessonGrading

P = TypeVar("P")


@dataclass
class Evaluated:
    """Phase B's trusted facts: the archive's architecture and the predictions, per part, in natural order."""

    architecture: Architecture
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    sample_ids: list[int] | None = None
    look_inside: LookInside | None = None  # figures for the report only: never scored


class Task(ABC, Generic[P]):
    """One task type. grade() calls prepare (once, at catalog load), then the jobs, then score."""

    @abstractmethod
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> P:
        """Load and split the lesson's data; raise SpecError (a lesson error) when it is broken."""

    def heldout_mode(self, prepared: P) -> HeldoutMode | None:
        return getattr(prepared, "heldout_mode", None)

    def reference_job(self, grading: LessonGrading, prepared: P) -> dict[str, Any] | None:
        """A sandboxed job that runs only the lesson's own code (e.g. to make hidden cases), or None."""
        return None

    def use_reference(self, prepared: P, answer: CasesAnswer) -> None:
        """Keep what the reference job produced."""

    @abstractmethod
    def train_job(self, grading: LessonGrading, prepared: P, code: str, seed: int) -> dict[str, Any]:
        """Phase A's job: the learner's code and public data only."""

    def evaluation(self, grading: LessonGrading, prepared: P, trained: TypedAnswer) -> EvalRows | None:
        """The rows phase B predicts (None: no phase B)."""
        return None

    def output_shape(self, grading: LessonGrading, prepared: P) -> tuple[int, ...]:
        """The shape of one row's prediction (without the batch axis)."""
        return ()

    @abstractmethod
    def score(self, grading: LessonGrading, prepared: P, trained: TypedAnswer, evaluated: Evaluated | None) -> GradeReport:
        """Trusted scoring: no learner code and no TensorFlow here."""


def as_trained(answer: TypedAnswer) -> TrainAnswer:
    assert isinstance(answer, TrainAnswer)
    return answer
