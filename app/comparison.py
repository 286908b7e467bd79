"""The comparison of a learner's submissions to one lesson: one typed row per graded submission, and each column's best."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.store import Submission, SubmissionStatus
from graders.tasks.model_checks import RECURRENT  # the classes the grader counts as recurrent

CONVOLUTIONAL = {"Conv1D", "SeparableConv1D", "DepthwiseConv1D"}
ATTENTION = {"MultiHeadAttention", "Attention", "AdditiveAttention", "GroupedQueryAttention"}
DENSE = {"Dense", "EinsumDense"}
GRADED = {SubmissionStatus.passed, SubmissionStatus.failed, SubmissionStatus.not_gradable}


class _Lenient(BaseModel):
    """Stored reports come from every version of the grader: read what is there, ignore the rest."""

    model_config = ConfigDict(extra="ignore")


class _Schedule(_Lenient):
    class_: str = Field("", alias="class")
    initial_rate: float | None = None
    final_rate: float | None = None


class _Optimizer(_Lenient):
    class_: str = Field("", alias="class")
    learning_rate: float | None = None
    schedule: _Schedule | None = None


class _LayerRecipe(_Lenient):
    class_: str = Field("", alias="class")
    wraps: str | None = None
    kernel_initializer: str | None = None
    recurrent_initializer: str | None = None


class _Training(_Lenient):
    epochs_run: int | None = None
    params: int | None = None
    layers: list[str] = Field(default_factory=list)
    optimizer: _Optimizer | None = None
    recipe: list[_LayerRecipe] = Field(default_factory=list)
    regularisation: list[str] = Field(default_factory=list)


class _Epoch(_Lenient):
    loss: float | None = None
    val_loss: float | None = None


class _StoredReport(_Lenient):
    metric: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    history: list[_Epoch] = Field(default_factory=list)
    training: _Training = Field(default_factory=_Training)


class ComparisonRow(BaseModel):
    """One submission as the comparison table shows it, from its stored report (None: not measured)."""

    id: int
    created: datetime
    status: SubmissionStatus
    score: float | None
    metric: str = Field("", description="The held-out metric this row's report is scored in (rmse, accuracy, ...).")
    metric_value: float | None = Field(None, description="The held-out metric's value on the private rows.")
    train_loss: float | None = Field(None, description="Training loss at the last epoch.")
    val_loss: float | None = Field(None, description="Validation loss at the last epoch.")
    gap: float | None = Field(None, description="val_loss - train_loss: large when the model overfits.")
    lowest_val_loss: float | None = Field(None, description="The lowest validation loss of any epoch.")
    epochs: int | None = None
    params: int | None = None
    family: str = Field("", description="recurrent, convolutional, attention or linear / dense (joined with "
                                        "' + ' when a model mixes them), from the model's layer classes.")
    optimizer: str = Field("", description="e.g. 'Adam 0.001'.")
    schedule: str = Field("", description="e.g. 'ExponentialDecay 0.01 → 0.0012'; empty: a constant rate.")
    initializers: list[str] = Field(default_factory=list, description="e.g. 'LSTM kernel HeNormal'.")
    l2: list[str] = Field(default_factory=list, description="The L2 penalties that acted.")
    dropout: list[str] = Field(default_factory=list, description="The dropout rates that acted.")

    @classmethod
    def from_submission(cls, submission: Submission) -> ComparisonRow:
        try:
            report = _StoredReport.model_validate(submission.report or {})
        except ValidationError:  # a report this reader cannot follow: the row keeps what the submission says
            report = _StoredReport()
        training = report.training
        metric = report.metrics.get(f"heldout_{report.metric}") if report.metric else None
        last = report.history[-1] if report.history else _Epoch()
        train_loss, val_loss = _finite(last.loss), _finite(last.val_loss)
        val_losses = [v for v in (_finite(e.val_loss) for e in report.history) if v is not None]
        regularisation = training.regularisation
        return cls(
            id=submission.id, created=submission.created, status=submission.status, score=submission.score,
            metric=report.metric, metric_value=_finite(metric) if metric is not None and metric >= 0 else None,
            train_loss=train_loss, val_loss=val_loss,
            gap=_finite(val_loss - train_loss) if val_loss is not None and train_loss is not None else None,
            lowest_val_loss=min(val_losses) if val_losses else None,
            epochs=training.epochs_run, params=training.params, family=model_family(training.layers),
            optimizer=_optimizer(training.optimizer), schedule=_schedule(training.optimizer),
            initializers=_initializers(training.recipe),
            l2=[r for r in regularisation if " L2 " in r], dropout=[r for r in regularisation if " L2 " not in r])


class Comparison(BaseModel):
    """A learner's submissions to a lesson side by side, newest first, with the best value of each column."""

    metric: str = Field(description="The held-out metric the rows' metric_value is in: rmse, mae, accuracy, ...")
    higher_is_better: bool = Field(description="For the metric: accuracy is better higher, errors lower.")
    rows: list[ComparisonRow]
    best: dict[str, list[int]] = Field(
        description="Per column (score, metric_value, val_loss, gap), the ids of the rows that hold its best value.")

    @classmethod
    def from_submissions(cls, submissions: list[Submission]) -> Comparison:
        rows = [ComparisonRow.from_submission(s) for s in submissions if s.status in GRADED]
        metric = next((row.metric for row in rows if row.metric), "")
        higher = metric == "accuracy"
        # The columns a best value is marked in, True where higher is better. Not the training loss: the lowest
        # training loss is often the most overfitted model.
        columns = {"score": True, "metric_value": higher, "val_loss": False, "gap": False}
        best = {}
        for column, up in columns.items():
            values = {row.id: _best_key(column, getattr(row, column)) for row in rows
                      if column != "metric_value" or row.metric == metric}
            known = {i: v for i, v in values.items() if v is not None}
            if len(known) >= 2:  # one row has no rival: nothing to mark
                target = max(known.values()) if up else min(known.values())
                best[column] = [i for i, v in known.items() if math.isclose(v, target, rel_tol=1e-9, abs_tol=1e-12)]
        return cls(metric=metric, higher_is_better=higher, rows=rows, best=best)


def _best_key(column: str, value: float | None) -> float | None:
    """The gap is best nearest zero (a negative gap is noise, not a virtue)."""
    if value is None:
        return None
    return abs(value) if column == "gap" else value


def model_family(layers: list[str]) -> str:
    """What kind of model the layer classes make; Dense alone (with reshaping, dropout...) is linear / dense."""
    classes = set(layers)
    families = [name for name, members in (("recurrent", RECURRENT), ("convolutional", CONVOLUTIONAL),
                                            ("attention", ATTENTION)) if classes & members]
    if families:
        return " + ".join(families)
    return "linear / dense" if classes & DENSE else ("other" if classes else "")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _rate(value: float | None) -> str:
    return f"{value:.2g}" if value is not None else "?"


def _optimizer(optimizer: _Optimizer | None) -> str:
    if optimizer is None or not optimizer.class_:
        return ""
    if optimizer.schedule is not None:
        return optimizer.class_
    return f"{optimizer.class_} {_rate(optimizer.learning_rate)}" if optimizer.learning_rate is not None else optimizer.class_


def _schedule(optimizer: _Optimizer | None) -> str:
    if optimizer is None or optimizer.schedule is None:
        return ""
    schedule = optimizer.schedule
    return f"{schedule.class_} {_rate(schedule.initial_rate)} → {_rate(schedule.final_rate)}"


def _initializers(recipe: list[_LayerRecipe]) -> list[str]:
    found = []
    for layer in recipe:
        name = layer.wraps or layer.class_
        if layer.kernel_initializer:
            found.append(f"{name} kernel {layer.kernel_initializer}")
        if layer.recurrent_initializer:
            found.append(f"{name} recurrent {layer.recurrent_initializer}")
    return list(dict.fromkeys(found))
