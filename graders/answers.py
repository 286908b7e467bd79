"""Typed answers of the four job kinds, parsed once from an untrusted protocol.Answer on the trusted side.

Nothing downstream of the pool reads raw dicts: a malformed answer is a ProtocolError here, which the pool turns
into the learner's outcome (when learner code ran in that sandbox) or a fault of ours (when it did not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graders import look_inside, wire
from graders.protocol import Answer, JobKind, Outcome, ProtocolError
from graders.report import Epoch

MAX_LAYERS = 2000
MAX_EPOCHS = 10_000
MAX_CASES = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)


Rate = Annotated[float, Field(ge=-1e12, le=1e12)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
ClassName = Annotated[str, Field(max_length=200)]


class ScheduleFacts(_Strict):
    """A learning-rate schedule phase B rebuilt and trained with, read at every step of its run: lowest_rate and
    highest_rate are the rates at least a tenth of the steps were at or below / at or above (a rate that moves for
    a step or two does not move them)."""

    class_: ClassName = Field(alias="class")
    steps: int = Field(0, ge=0, le=10**9)  # optimizer steps phase B ran
    initial_rate: Rate | None = None
    final_rate: Rate | None = None
    lowest_rate: Rate | None = None
    highest_rate: Rate | None = None

    def acts(self) -> bool:
        """The rate moved during the grader's run: the lowest at most MIN_SCHEDULE_CHANGE of the highest. A
        schedule that is constant over those steps (decay_rate=1, boundaries past the end) is a constant rate."""
        low, high = self.lowest_rate, self.highest_rate
        return self.steps > 0 and low is not None and high is not None and high > 0 and low <= MIN_SCHEDULE_CHANGE * high


MIN_SCHEDULE_CHANGE = 0.8  # a schedule counts when the rate falls (or rises) by at least a fifth within the run


class OptimizerFacts(_Strict):
    """The compiled optimizer as the saved archive records it (read in phase B, never reported by learner code)."""

    class_: ClassName = Field(alias="class")
    clipnorm: float | None = None
    clipvalue: float | None = None
    global_clipnorm: float | None = None
    learning_rate: float | None = None
    schedule: ScheduleFacts | None = None

    def clipping(self) -> dict[str, float]:
        """Clip settings that can take effect: a threshold above MAX_USEFUL_CLIP never clips these small models."""
        values = {"clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}
        return {k: v for k, v in values.items() if v is not None and 0 < v <= MAX_USEFUL_CLIP}


MAX_USEFUL_CLIP = 100.0  # gradient norms of the lessons' models stay far below this; clipnorm=1e11 is no clipping


MIN_USEFUL_L2 = 1e-5  # below this an L2 penalty adds nothing measurable to these lessons' losses
MIN_USEFUL_DROPOUT = 0.01  # a rate that drops one unit in a hundred or more


class LayerFacts(_Strict):
    class_: ClassName = Field(alias="class")
    name: str = Field(max_length=400)
    return_sequences: bool | None = None
    wraps: ClassName | None = None
    stateful: bool = False
    # Recurrent layers, and layers with dropout or L2: does the layer take part in the prediction? (None: not
    # measured; a dropout or L2 counts only on a layer measured True)
    influential: bool | None = None
    # The training recipe as the loaded layer object holds it (a wrapper's: its inner layer's)
    kernel_initializer: ClassName | None = None
    recurrent_initializer: ClassName | None = None
    kernel_l2: Rate | None = None
    recurrent_l2: Rate | None = None
    bias_l2: Rate | None = None
    dropout: Share | None = None  # a Dropout layer's rate, or a recurrent layer's dropout of its inputs
    recurrent_dropout: Share | None = None

    def l2(self) -> dict[str, float]:
        """The L2 penalties that act: a factor of 0 (or below MIN_USEFUL_L2) penalises nothing."""
        found = {"kernel": self.kernel_l2, "recurrent": self.recurrent_l2, "bias": self.bias_l2}
        return {k: v for k, v in found.items() if v is not None and v >= MIN_USEFUL_L2}

    def dropouts(self) -> dict[str, float]:
        """The dropout rates that act (a rate of 0.0 drops nothing)."""
        found = {"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout}
        return {k: v for k, v in found.items() if v is not None and v >= MIN_USEFUL_DROPOUT}


Shape = list[int | None]


class Architecture(_Strict):
    """What phase B read from the archive it loaded with safe_mode=True: the facts every structure check uses."""

    input_shape: Shape | list[Shape]
    output_shape: Shape | list[Shape]
    layers: list[LayerFacts] = Field(max_length=MAX_LAYERS)
    params: int = Field(ge=0)
    constants: int = Field(0, ge=0)  # numbers stored in the structure, outside any weights (keras.ops arrays)
    optimizer: OptimizerFacts | None = None

    def layer_classes(self) -> set[str]:
        return {layer.class_ for layer in self.layers} | {layer.wraps for layer in self.layers if layer.wraps}

    def live_layers(self) -> list[LayerFacts]:
        """Layers that take part in the prediction: a recurrent layer whose output is thrown away does not."""
        return [layer for layer in self.layers if layer.influential is not False]

    def live_layer_classes(self) -> set[str]:
        live = self.live_layers()
        return {layer.class_ for layer in live} | {layer.wraps for layer in live if layer.wraps}

    def regularisation(self) -> list[str]:
        """Each L2 penalty and dropout that acts, on a layer phase B measured taking part in the prediction, e.g.
        "LSTM kernel L2 0.001", "Dropout 0.2" (unmeasured is not credited: a Dropout on a branch multiplied by 0)."""
        found = []
        for layer in self.layers:
            if layer.influential is not True:
                continue
            name = layer.wraps or layer.class_
            found += [f"{name} {part} L2 {factor:g}" for part, factor in layer.l2().items()]
            found += [f"{name} {'' if layer.class_.endswith('Dropout') else part.replace('_', ' ') + ' '}{rate:g}"
                      for part, rate in layer.dropouts().items()]
        return found


class TrainingReport(_Strict):
    """The training run: phase B trains the saved archive with the grader's callbacks (no learner code), so these
    are measured facts. Phase A's answer holds only its constants (validated against the contract) and no run."""

    constants: dict[str, int]
    window: int | None
    epochs: int = Field(ge=0)
    batch_size: int = Field(ge=0)
    epochs_run: int = Field(ge=0, le=MAX_EPOCHS)
    stopped_for_time: bool  # the model used the lesson's CPU budget: the learner's to fix
    stopped_for_load: bool = False  # the wall-clock cap came first on a busy machine: ours (phase B runs again)
    stopped_early: bool
    history: list[Epoch] = Field(max_length=MAX_EPOCHS)


@dataclass
class TrainAnswer:
    diverged: bool
    reported: TrainingReport
    model: np.ndarray  # the .keras archive's bytes (uint8, uncopied), handed to phase B untouched


@dataclass
class EvaluateAnswer:
    architecture: Architecture
    training: TrainingReport | None  # phase B's own training run (None: the job had nothing to train)
    diverged: bool
    batched: np.ndarray  # one output row per input row, in the order the rows were sent
    alone: np.ndarray  # the same model on the sampled rows, each in a batch of its own
    sample_ids: list[int] | None
    look_inside: look_inside.LookInside | None = None  # bounded on its own: a malformed figure is dropped


@dataclass
class CaseResult:
    ok: bool
    error: str = ""
    value: Any = None


@dataclass
class CallAnswer:
    results: list[CaseResult]


@dataclass
class CasesAnswer:
    cases: list[dict[str, Any]]
    expected: list[CaseResult]


TypedAnswer = TrainAnswer | EvaluateAnswer | CallAnswer | CasesAnswer


def _model(cls: type[BaseModel], data: Any) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(f"malformed {cls.__name__}: {exc.error_count()} problem(s)") from None


def _array(data: dict[str, Any], key: str, ndim: int | None = None) -> np.ndarray:
    value = data.get(key)
    if not isinstance(value, np.ndarray) or (ndim is not None and value.ndim != ndim):
        raise ProtocolError(f"{key} is not an array of the expected rank")
    return value


def _case_results(raw: Any) -> list[CaseResult]:
    if not isinstance(raw, list) or len(raw) > MAX_CASES:
        raise ProtocolError("results must be a list")
    results = []
    for item in raw:
        if not isinstance(item, dict) or type(item.get("ok")) is not bool or set(item) - {"ok", "error", "value"}:
            raise ProtocolError("malformed case result")
        error = item.get("error", "")
        if not isinstance(error, str):
            raise ProtocolError("malformed case error")
        results.append(CaseResult(ok=item["ok"], error=error[:2000], value=item.get("value") if item["ok"] else None))
    return results


def parse_typed(kind: JobKind, answer: Answer) -> TypedAnswer:
    """The typed answer of a job of this kind whose outcome is ok (or diverged, for training)."""
    try:
        data = wire.unpack(answer.body.get("data"), answer.blobs)
    except wire.WireError as exc:
        raise ProtocolError(str(exc)) from None
    if not isinstance(data, dict):
        raise ProtocolError("an answer's data must be an object")
    if kind is JobKind.train:
        if answer.outcome not in (Outcome.ok, Outcome.diverged):
            raise ProtocolError("unexpected outcome")
        model = _array(data, "model", ndim=1)
        if model.dtype != np.uint8:
            raise ProtocolError("the model must be bytes")
        return TrainAnswer(diverged=answer.outcome is Outcome.diverged,
                           reported=_model(TrainingReport, data.get("reported")), model=model)
    if answer.outcome is not Outcome.ok:
        raise ProtocolError("unexpected outcome")
    if kind is JobKind.evaluate:
        sample = data.get("sample_ids")
        if sample is not None and (not isinstance(sample, list) or not all(type(i) is int for i in sample)):
            raise ProtocolError("sample_ids must be a list of ints")
        training = data.get("training")
        if type(data.get("diverged", False)) is not bool:
            raise ProtocolError("diverged must be a bool")
        return EvaluateAnswer(architecture=_model(Architecture, data.get("architecture")),
                              training=_model(TrainingReport, training) if training is not None else None,
                              diverged=bool(data.get("diverged", False)),
                              batched=_array(data, "batched"), alone=_array(data, "alone"), sample_ids=sample,
                              look_inside=look_inside.parse(data.get("look_inside")))
    if kind is JobKind.call:
        return CallAnswer(results=_case_results(data.get("results")))
    cases = data.get("cases")
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise ProtocolError("cases must be a list of dicts")
    return CasesAnswer(cases=cases, expected=_case_results(data.get("expected")))
