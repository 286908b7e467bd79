"""Checks every Keras exercise shares: contract, layers, output shape, parameter budget, clipping, finite loss."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graders.report import Check, Epoch, Failure, GradeReport
from graders.spec import ModelContract

RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D"}


class TamperedResult(ValueError):
    """Phase A's answer is not what our harness writes: the learner's code wrote to the protocol pipe itself."""


class OptimizerFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    class_: str = Field(alias="class")
    clipnorm: float | None = None
    clipvalue: float | None = None
    global_clipnorm: float | None = None
    learning_rate: float | None = None


class TrainedResult(BaseModel):
    """Exactly what graders/worker.py's train() answers; anything else was written by learner code."""

    model_config = ConfigDict(extra="forbid")

    event: Literal["result"]
    outcome: Literal["ok", "diverged"]
    constants: dict[str, int]
    window: int | None
    epochs: int
    batch_size: int
    epochs_run: int
    stopped_for_time: bool
    stopped_early: bool
    optimizer: OptimizerFacts
    history: list[Epoch]
    model_b64: str
    seconds: float


def validate_trained(trained: dict[str, Any], contract: ModelContract) -> None:
    """Phase A ran learner code, so its answer is untrusted input: check every field the scorer relies on."""
    try:
        result = TrainedResult.model_validate(trained)
    except ValidationError:
        raise TamperedResult("the training phase's result was malformed") from None
    if result.window is not None and not contract.window_min <= result.window <= contract.window_max:
        raise TamperedResult("the training phase's result was malformed")


def layer_classes(architecture: dict[str, Any]) -> set[str]:
    layers = architecture.get("layers", [])
    return {layer["class"] for layer in layers} | {layer["wraps"] for layer in layers if layer.get("wraps")}


def structure_checks(contract: ModelContract, trained: dict[str, Any], architecture: dict[str, Any],
                     input_title: str, input_meaning: str, output: list[Any], output_meaning: str) -> list[Check]:
    """The checks every Keras task starts with, in the order a learner should fix them."""
    checks = [contract_check(trained),
              Check(id="input_shape", title=input_title, passed=True, points=1,
                    message=f"Input {architecture.get('input_shape')}: {input_meaning}.")]
    checks += layer_checks(contract, architecture)
    checks += output_checks(architecture, output, output_meaning)
    checks += budget_checks(contract, architecture, trained)
    checks.append(finite_loss_check(trained))
    return checks


def model_report(checks: list[Check], trained: dict[str, Any], architecture: dict[str, Any],
                 metrics: dict[str, float], plots: dict[str, Any]) -> GradeReport:
    report = GradeReport.from_checks(checks, metrics=metrics, plots=plots, history=history_of(trained),
                                     training=training_facts(trained, architecture))
    if trained.get("outcome") == "diverged":
        report.failure = Failure.diverged
    if trained.get("stopped_early"):
        report.summary += (f" Early stopping ended training at epoch {trained['epochs_run']} of {trained['epochs']} "
                           "(validation loss had stopped improving) and kept the best epoch's weights.")
    return report


def contract_check(trained: dict[str, Any]) -> Check:
    constants = ", ".join(f"{k}={v}" for k, v in trained.get("constants", {}).items())
    return Check(id="contract", title="Module meets the contract", passed=True, points=1,
                 message=f"{constants}; build_model() returned a compiled keras.Model.")


def layer_checks(contract: ModelContract, architecture: dict[str, Any]) -> list[Check]:
    classes = layer_classes(architecture)
    have = ", ".join(sorted(c for c in classes if c != "InputLayer")) or "no layers"
    checks = []
    if contract.required_layers:
        missing = [name for name in contract.required_layers if name not in classes]
        title = f"Uses {' and '.join(contract.required_layers)}"
        checks.append(Check(
            id="layers", title=title, passed=not missing, points=0 if missing else 1,
            message=(f"This lesson asks for a {', '.join(missing)} layer; your model has {have}. Add e.g. "
                     f"keras.layers.{missing[0]}(32) after the input, so the model keeps a memory across time steps.")
            if missing else f"Your model has {have}."))
    if contract.required_any_layers:
        found = [name for name in contract.required_any_layers if name in classes]
        title = f"Uses one of {', '.join(contract.required_any_layers)}"
        checks.append(Check(
            id="layer_choice", title=title, passed=bool(found), points=1 if found else 0,
            message=f"Uses {found[0]}." if found else
            f"This lesson asks for at least one of {', '.join(contract.required_any_layers)}; your model has {have}."))
    return checks


def output_checks(architecture: dict[str, Any], want: list[Any], what: str) -> list[Check]:
    output = architecture.get("output_shape")
    layers = architecture.get("layers", [])
    recurrent = [layer for layer in layers if layer["class"] in RECURRENT or layer.get("wraps") in RECURRENT]
    last_returns_sequences = bool(recurrent) and bool(recurrent[-1].get("return_sequences"))
    title = "Recurrent layers pass sequences correctly"
    if output == want:
        return [
            Check(id="return_sequences", title=title, passed=True, points=1,
                  message="Stacked layers return sequences; the last one returns its final state."),
            Check(id="output_shape", title=f"Output shape is {tuple(want)}", passed=True, points=1,
                  message=f"Output {output}: {what}."),
        ]
    sequence = Check(id="return_sequences", title=title, passed=not last_returns_sequences,
                     points=0 if last_returns_sequences else 1,
                     message=("Your last recurrent layer has return_sequences=True, so the model outputs one value per "
                              f"time step ({output}). Keep return_sequences=True only on layers that feed another "
                              "recurrent layer.") if last_returns_sequences else "Recurrent layers are wired correctly.")
    shape = Check(id="output_shape", title=f"Output shape is {tuple(want)}", passed=False,
                  message=f"Your model outputs {output}, but the grader needs {tuple(want)}: {what}. "
                          f"End with keras.layers.Dense({want[-1]}).")
    return [sequence, shape]


def budget_checks(contract: ModelContract, architecture: dict[str, Any], trained: dict[str, Any]) -> list[Check]:
    checks = []
    if contract.max_params is not None:
        params = int(architecture.get("params") or 0)
        ok = params <= contract.max_params
        checks.append(Check(
            id="max_params", title=f"At most {contract.max_params:,} parameters", passed=ok, points=1 if ok else 0,
            message=f"{params:,} parameters." if ok else
            f"Your model has {params:,} parameters; the budget is {contract.max_params:,}. Use fewer units, or a GRU "
            "(3 gate blocks) instead of an LSTM (4)."))
    if contract.require_gradient_clipping:
        optimizer = trained.get("optimizer", {})
        clip = {k: optimizer.get(k) for k in ("clipnorm", "clipvalue", "global_clipnorm") if optimizer.get(k)}
        checks.append(Check(
            id="gradient_clipping", title="Gradient clipping is configured", passed=bool(clip), points=1 if clip else 0,
            message=f"{optimizer.get('class')} with {', '.join(f'{k}={v:g}' for k, v in clip.items())}." if clip else
            f"Your optimizer ({optimizer.get('class')}) does not clip gradients. Pass clipnorm=1.0 (or clipvalue / "
            "global_clipnorm), e.g. keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)."))
    return checks


def finite_loss_check(trained: dict[str, Any]) -> Check:
    history = trained.get("history", [])
    diverged = trained.get("outcome") == "diverged"
    if diverged:
        message = ("Training diverged: the loss became NaN or infinite. Lower the learning rate (e.g. "
                   "keras.optimizers.Adam(1e-3)) or clip gradients (clipnorm=1.0).")
    elif history:
        message = f"Loss went from {_fmt(history[0]['loss'])} to {_fmt(history[-1]['loss'])}."
    else:
        message = "No epochs ran."
    return Check(id="finite_loss", title="Training loss stayed finite", passed=not diverged,
                 points=0 if diverged else 1, message=message)


def skipped(check_id: str, title: str, max_points: float = 1.0) -> Check:
    return Check(id=check_id, title=title, passed=False, skipped=True, max_points=max_points,
                 message="Not run: fix the model's output shape first.")


def training_facts(trained: dict[str, Any], architecture: dict[str, Any]) -> dict[str, Any]:
    return {"epochs_run": trained.get("epochs_run", 0), "epochs": trained["epochs"],
            "stopped_for_time": trained.get("stopped_for_time", False), "batch_size": trained["batch_size"],
            "stopped_early": trained.get("stopped_early", False),
            "constants": trained.get("constants", {}), "params": architecture.get("params"),
            "optimizer": trained.get("optimizer", {})}


def history_of(trained: dict[str, Any]) -> list[Epoch]:
    return [Epoch.model_validate(h) for h in trained.get("history", [])]


def partial_credit(improvement: float, target: float) -> float:
    """0 at no improvement over the baseline, 1 at the target, linear in between."""
    return min(max(improvement / target, 0.0), 1.0) if target > 0 else 0.0


def _fmt(value: float | None) -> str:
    return "NaN" if value is None or not math.isfinite(value) else f"{value:.4g}"
