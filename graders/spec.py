"""GradingSpec: what a lesson's grading.toml says, validated, with errors naming file and field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator


class SpecError(Exception):
    """A lesson's grading file is wrong: the message names the file and the field."""


class Limits(BaseModel):
    """Resource limits for one sandboxed phase. Learner code never gets more than this."""

    model_config = ConfigDict(extra="forbid")

    train_seconds: float = Field(60.0, gt=0, description="Training budget in CPU seconds (so load on the machine does "
                                 "not cost epochs); training stops gracefully after it.")
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


class Split(BaseModel):
    """A chronological split: the tail is held out, the tail of the rest validates."""

    model_config = ConfigDict(extra="forbid")

    heldout_fraction: float = Field(0.2, gt=0, lt=0.5, description="Chronological tail kept for held-out scoring.")
    validation_fraction: float = Field(0.15, gt=0, lt=0.5, description="Tail of the public part used as validation.")


class SequenceData(Split):
    """A series CSV (windowed with the learner's WINDOW) or ready-made arrays (x: (N, T, F), y: (N,) or (N, h))."""

    series: str | None = Field(None, description="CSV file, relative to the lesson folder, one numeric column.")
    column: str = Field("value", description="Name of the column holding the series.")
    arrays: str | None = Field(None, description=".npz file with x (N, T, F) float and y (N,) or (N, horizon).")
    heldout_generator: str | None = Field(
        None, description="Script defining make_heldout(public, rng, size): each server generates its private "
                          "held-out part with it from a secret seed (the public file is then train + validation).")

    @model_validator(mode="after")
    def _one_source(self) -> SequenceData:
        if (self.series is None) == (self.arrays is None):
            raise ValueError("give exactly one of series (a CSV) or arrays (an .npz)")
        return self

    @property
    def files(self) -> list[str]:
        return [f for f in (self.series, self.arrays, self.heldout_generator) if f]


class ArrayData(Split):
    arrays: str = Field(description=".npz file with x (N, T, F) float and y (N,) integer class labels.")
    heldout_generator: str | None = Field(
        None, description="Script defining make_heldout(public, rng, size) -> (x, y): private held-out samples.")
    tokens: bool = Field(False, description="x holds token ids instead: integers (N, T), 0 for padding; the model "
                                            "reads (timesteps,) ids and build_model gets vocab_size for n_features.")

    @property
    def files(self) -> list[str]:
        return [f for f in (self.arrays, self.heldout_generator) if f]


class PairData(ArrayData):
    """Sequence-to-sequence pairs: x source token ids (N, S), y target ids (N, T), vocabularies in the same .npz."""

    arrays: str = Field(description=".npz file with x (N, S) source token ids (0 pads), y (N, T) target ids, and "
                                    "source_vocab / target_vocab: the token each id stands for.")
    heldout_generator: str | None = Field(
        None, description="Script defining make_heldout(public, rng, size) -> (x, y): private held-out pairs.")
    tokens: bool = Field(True, description="Always true: sources are token ids.")
    start_token: int = Field(1, ge=1, description="Target id of START, which the grader puts before the decoder's "
                                                  "input; it never occurs in a target.")

    @field_validator("tokens")
    @classmethod
    def _always_tokens(cls, tokens: bool) -> bool:
        if not tokens:
            raise ValueError("a sequence_to_sequence lesson's sources are token ids: data.tokens must be true")
        return tokens


class TextData(Split):
    text: str = Field(description="UTF-8 text file, relative to the lesson folder.")
    heldout_fraction: float = Field(0.1, gt=0, lt=0.5)
    validation_fraction: float = Field(0.1, gt=0, lt=0.5)
    stride: int = Field(3, ge=1, le=64, description="Step between training windows (keeps training small).")
    heldout_generator: str | None = Field(
        None, description="Script defining make_heldout(public_text, rng, size) -> str: `size` more characters "
                          "from the same process, drawn from a secret seed (the text file is then train + validation).")

    @property
    def files(self) -> list[str]:
        return [f for f in (self.text, self.heldout_generator) if f]


class ModelContract(BaseModel):
    """What a Keras exercise's module must define, and the bounds the grader accepts."""

    model_config = ConfigDict(extra="forbid")

    window_min: int = Field(4, ge=1)
    window_max: int = Field(96, ge=1)
    epochs_max: int = Field(200, ge=1)
    batch_size_max: int = Field(1024, ge=1)
    horizon: int = Field(1, ge=1, description="Steps ahead the model predicts (sequence_prediction).")
    required_layers: list[str] = Field(default_factory=list, description="Keras layer classes that must all appear.")
    required_any_layers: list[str] = Field(default_factory=list, description="At least one must appear.")
    max_params: int | None = Field(None, ge=1, description="Parameter budget.")
    require_gradient_clipping: bool = Field(False, description="Optimizer must set clipnorm/clipvalue/global_clipnorm.")
    requires_schedule: bool = Field(False, description="The optimizer's learning rate must follow a schedule "
                                    "(keras.optimizers.schedules) that changes it by a fifth or more during the "
                                    "grader's training run.")
    requires_regularisation: bool = Field(False, description="A layer that takes part in the prediction must have an "
                                          "L2 penalty (factor >= 1e-5) or dropout (rate >= 0.01): a Dropout layer or "
                                          "a recurrent layer's dropout / recurrent_dropout.")
    early_stopping_patience: int | None = Field(
        None, ge=1, description="Opt-in: stop when val_loss has not improved (by 1e-4) for this many epochs; keep the best weights.")
    padding_invariant: bool = Field(
        False, description="Token classification only: a check that moving a public sequence's padding zeros from its "
                           "end to its front does not change its prediction (the model masks padded steps).")
    require_recurrent: bool = Field(
        True, description="false: a model without any recurrent layer (a 1-D CNN, a Transformer block, a linear model) "
                          "is not failed for it; the return_sequences wiring check then applies only to models that "
                          "have one.")

    @model_validator(mode="after")
    def _window_range(self) -> ModelContract:
        if self.window_min > self.window_max:
            raise ValueError("window_min must not exceed window_max")
        return self


def _no_padding_check(contract: ModelContract) -> None:
    if contract.padding_invariant:
        raise ValueError("contract.padding_invariant applies to sequence_classification lessons with token ids only")


class _BarScoring(BaseModel):
    """What every scored section shares: the weight of the main check and the advice when it is missed."""

    model_config = ConfigDict(extra="forbid")

    baseline_points: float = Field(10.0, gt=0, description="Points of the beats-baseline check (partial credit).")
    # Required: a generic tip ("try 32-64 units") taught the wrong thing in lessons with a parameter budget.
    advice: str = Field(..., min_length=20, description="What to try when the bar is missed, in terms of this "
                                                        "lesson's idea (shown after 'To improve:').")


SERIES_BARS = ("last_value", "mean", "linear")
ARRAY_BARS = ("last_value", "mean", "linear_flat", "order_blind")


class Scoring(_BarScoring):
    metric: Literal["rmse", "mae"] = "rmse"
    margin: float = Field(0.2, gt=0, lt=1, description="Full marks when error <= (1 - margin) x the bar's error.")
    bar: str = Field("strongest", description="The baseline the pass mark is set against: 'strongest' (the best of "
                     "all, the default), or one of last_value, mean, linear, seasonal_<period> (series) / "
                     "last_value, mean, linear_flat, order_blind (arrays).")
    seasons: list[int] = Field(default_factory=list, description="Periods of the series' cycles, in steps: each "
                               "adds a seasonal-naive baseline ('the same hour one day earlier').")

    @field_validator("seasons")
    @classmethod
    def _positive(cls, seasons: list[int]) -> list[int]:
        if any(p < 1 for p in seasons) or len(set(seasons)) != len(seasons):
            raise ValueError("seasons must be distinct whole numbers of steps >= 1")
        return seasons

    def bar_ids(self, series: bool) -> tuple[str, ...]:
        return (*SERIES_BARS, *(f"seasonal_{p}" for p in self.seasons)) if series else ARRAY_BARS


class ClassificationScoring(_BarScoring):
    min_accuracy: float = Field(0.8, gt=0, le=1, description="Full marks at or above this held-out accuracy.")
    bar: Literal["strongest", "majority", "order_blind", "bag_of_words"] = Field(
        "strongest", description="Partial credit starts above this baseline's accuracy (strongest: the better one); "
                                 "bag_of_words for token ids, order_blind for feature sequences.")


class TaggingScoring(_BarScoring):
    min_accuracy: float = Field(0.8, gt=0, le=1, description="Full marks at or above this held-out per-step accuracy.")
    bar: Literal["strongest", "majority", "no_memory"] = Field(
        "strongest", description="Partial credit starts above this baseline's per-step accuracy (strongest: the "
                                 "better one).")


class SequenceToSequenceScoring(_BarScoring):
    min_accuracy: float = Field(0.85, gt=0, le=1, description="Full marks at or above this share of held-out targets "
                                                              "decoded exactly right (greedy decoding).")
    bar: Literal["strongest", "copy", "lookup"] = Field(
        "strongest", description="Partial credit starts above this baseline's exact-match accuracy (strongest: the "
                                 "better one).")


class NextTokenScoring(_BarScoring):
    margin: float = Field(0.15, gt=0, lt=1, description="Full marks when bits/char <= (1 - margin) x the bar's.")
    bar: Literal["strongest", "unigram", "ngram"] = Field(
        "strongest", description="The baseline the pass mark is set against (strongest: the better one).")
    sample_length: int = Field(200, ge=0, le=2000)
    temperature: float = Field(0.8, gt=0, le=5)
    seed_text: str = Field("", description="Text the generated sample starts from (padded/cut to WINDOW).")


class _ModelTaskSpec(BaseModel):
    """What every Keras task's grading.toml shares: the module contract and the limits."""

    model_config = ConfigDict(extra="forbid")

    contract: ModelContract = Field(default_factory=ModelContract)
    limits: Limits = Field(default_factory=Limits)


class SequencePredictionSpec(_ModelTaskSpec):
    """grading.toml of a held-out sequence-regression lesson."""

    task: Literal["sequence_prediction"]
    data: SequenceData
    scoring: Scoring

    @model_validator(mode="after")
    def _known_bar(self) -> SequencePredictionSpec:
        series = self.data.series is not None
        allowed = ("strongest", *self.scoring.bar_ids(series))
        if self.scoring.bar not in allowed:
            raise ValueError(f"scoring.bar = {self.scoring.bar!r} is not a baseline of this lesson; choose one of "
                             f"{', '.join(allowed)}" + ("" if series else " (seasons apply to series only)"))
        if self.scoring.seasons and not series:
            raise ValueError("scoring.seasons only applies to a series (data.series), not to arrays")
        _no_padding_check(self.contract)
        return self


class SequenceClassificationSpec(_ModelTaskSpec):
    task: Literal["sequence_classification"]
    data: ArrayData
    scoring: ClassificationScoring

    @model_validator(mode="after")
    def _tokens_fit(self) -> SequenceClassificationSpec:
        if self.contract.padding_invariant and not self.data.tokens:
            raise ValueError("contract.padding_invariant needs token ids (data.tokens = true): only they have padding "
                             "zeros the grader can move")
        wrong = "order_blind" if self.data.tokens else "bag_of_words"
        if self.scoring.bar == wrong:
            raise ValueError(f"scoring.bar = {wrong!r} is not a baseline of this lesson; with data.tokens = "
                             f"{str(self.data.tokens).lower()} choose strongest, majority or "
                             + ("bag_of_words" if self.data.tokens else "order_blind"))
        return self


class SequenceTaggingSpec(_ModelTaskSpec):
    """grading.toml of a many-to-many lesson: x (N, T, F), y (N, T) integer tags, one prediction per step."""

    task: Literal["sequence_tagging"]
    data: ArrayData
    scoring: TaggingScoring

    @model_validator(mode="after")
    def _features(self) -> SequenceTaggingSpec:
        _no_padding_check(self.contract)
        if self.data.tokens:
            raise ValueError("data.tokens applies to sequence_classification only: a tagging lesson's x is (N, T, F)")
        return self


class SequenceToSequenceSpec(_ModelTaskSpec):
    """grading.toml of an encoder-decoder lesson: token-id sources, target ids, greedy decoding on held-out sources."""

    task: Literal["sequence_to_sequence"]
    data: PairData
    scoring: SequenceToSequenceScoring

    @model_validator(mode="after")
    def _no_padding(self) -> SequenceToSequenceSpec:
        _no_padding_check(self.contract)
        return self


class NextTokenSpec(_ModelTaskSpec):
    task: Literal["next_token"]
    data: TextData
    scoring: NextTokenScoring

    @model_validator(mode="after")
    def _no_padding(self) -> NextTokenSpec:
        _no_padding_check(self.contract)
        return self


class Cases(BaseModel):
    model_config = ConfigDict(extra="forbid")

    module: str = Field("cases.py", description="Instructor code defining make_cases(rng) -> list of case dicts.")
    seed: int = Field(1234, description="Seed of the hidden cases.")
    functions: list[str] = Field(min_length=1, description="Functions the learner must define.")
    rtol: float = Field(1e-5, ge=0)
    atol: float = Field(1e-6, ge=0)

    @property
    def files(self) -> list[str]:
        return [self.module]


class FunctionCasesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: Literal["function_cases"]
    cases: Cases
    limits: Limits = Field(default_factory=lambda: Limits(train_seconds=20, wall_seconds=30, cpu_seconds=30))


GradingSpec = Annotated[
    SequencePredictionSpec | SequenceClassificationSpec | SequenceTaggingSpec | SequenceToSequenceSpec | NextTokenSpec
    | FunctionCasesSpec,
    Field(discriminator="task"),
]
_SPEC = TypeAdapter(GradingSpec)


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
        spec = _SPEC.validate_python(raw)
    except ValidationError as exc:
        raise SpecError(describe_validation_error(path, exc)) from None
    grading = LessonGrading(slug=folder.name, folder=folder, spec=spec)
    section = spec.cases if isinstance(spec, FunctionCasesSpec) else spec.data
    for name in section.files:
        if not grading.data_path(name).is_file():
            where = "cases.module" if isinstance(spec, FunctionCasesSpec) else "data"
            raise SpecError(f"{path}: {where}: file {name!r} not found in {folder}")
    return grading
