"""GradingSpec: what a lesson's grading.toml says, validated, with errors naming file and field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class SpecError(Exception):
    """A lesson's grading file is wrong: the message names the file and the field."""


class Limits(BaseModel):
    """Resource limits for one sandboxed phase. Learner code never gets more than this."""

    model_config = ConfigDict(extra="forbid")

    train_seconds: float = Field(60.0, gt=0, description="Training time budget; training stops gracefully after it.")
    wall_seconds: float = Field(150.0, gt=0, description="Hard wall-clock limit of one phase; the job is killed.")
    cpu_seconds: float = Field(300.0, gt=0, description="RLIMIT_CPU of one phase (all threads), after TF import.")
    memory_mb: int = Field(1536, ge=256, description="Memory limit of one phase (cgroup, RLIMIT_DATA fallback).")
    pids: int = Field(128, ge=16, description="Max processes/threads (cgroup pids.max).")
    disk_mb: int = Field(64, ge=8, description="Size of the private /tmp and the largest file.")
    output_kb: int = Field(1024, ge=16, description="Learner output kept for the log; 16x this kills the job.")

    @model_validator(mode="after")
    def _wall_covers_budget(self) -> Limits:
        if self.wall_seconds < self.train_seconds:
            raise ValueError("wall_seconds must be at least train_seconds, or training is killed instead of stopped")
        return self


class SequenceData(BaseModel):
    """Where the series comes from and how it is split chronologically."""

    model_config = ConfigDict(extra="forbid")

    series: str = Field(description="CSV file, relative to the lesson folder, one numeric column.")
    column: str = Field("value", description="Name of the column holding the series.")
    heldout_fraction: float = Field(0.2, gt=0, lt=0.5, description="Chronological tail kept for held-out scoring.")
    validation_fraction: float = Field(0.15, gt=0, lt=0.5, description="Tail of the public part used as validation.")


class SequenceContract(BaseModel):
    """What the learner's module must define, and the bounds the grader accepts."""

    model_config = ConfigDict(extra="forbid")

    window_min: int = Field(4, ge=1)
    window_max: int = Field(96, ge=1)
    epochs_max: int = Field(200, ge=1)
    batch_size_max: int = Field(1024, ge=1)
    horizon: int = Field(1, ge=1, description="Steps ahead the model predicts.")
    required_layers: list[str] = Field(default_factory=lambda: ["LSTM"], description="Keras layer class names.")

    @model_validator(mode="after")
    def _window_range(self) -> SequenceContract:
        if self.window_min > self.window_max:
            raise ValueError("window_min must not exceed window_max")
        return self


class Scoring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: Literal["rmse", "mae"] = "rmse"
    margin: float = Field(0.2, gt=0, lt=1, description="Full marks when error <= (1 - margin) x baseline error.")
    baseline_points: float = Field(4.0, gt=0, description="Points of the beats-baseline check (partial credit).")


class SequencePredictionSpec(BaseModel):
    """grading.toml of a held-out sequence-prediction lesson."""

    model_config = ConfigDict(extra="forbid")

    task: Literal["sequence_prediction"]
    data: SequenceData
    contract: SequenceContract = Field(default_factory=SequenceContract)
    scoring: Scoring = Field(default_factory=Scoring)
    limits: Limits = Field(default_factory=Limits)


GradingSpec = SequencePredictionSpec


class LessonGrading(BaseModel):
    """A lesson's grading spec together with the folder its paths are relative to."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    slug: str
    folder: Path
    spec: GradingSpec

    def data_path(self, relative: str) -> Path:
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise SpecError(f"{self.folder / 'grading.toml'}: data path {relative!r} leaves the lesson folder")
        return path


def describe_validation_error(path: Path, err: ValidationError) -> str:
    """'lessons/x/grading.toml: limits.memory_mb: Input should be ...' — one line per problem."""
    lines = []
    for problem in err.errors():
        where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        lines.append(f"{path}: {where}: {problem['msg']}")
    return "\n".join(lines)


def load_grading(folder: Path) -> LessonGrading:
    path = folder / "grading.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: missing; every lesson needs a grading.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    try:
        spec = GradingSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(describe_validation_error(path, exc)) from None
    grading = LessonGrading(slug=folder.name, folder=folder, spec=spec)
    series = grading.data_path(spec.data.series)
    if not series.is_file():
        raise SpecError(f"{path}: data.series: file {spec.data.series!r} not found in {folder}")
    return grading
