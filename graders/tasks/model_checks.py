"""Checks every Keras exercise shares: contract, layers, output shape, parameter budget, clipping, finite loss."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graders.answers import MAX_USEFUL_CLIP, Architecture, TrainAnswer
from graders.report import Check, Failure, GradeReport
from graders.spec import ModelContract

RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D"}


class TamperedResult(ValueError):
    """Phase A's answer is not what our harness writes: learner code changed the harness or wrote to its pipe."""


REPORTED = "measured by the grader, which trained your saved model itself (none of your code ran there)"


def reported_window(trained: TrainAnswer, contract: ModelContract) -> int:
    """The window phase A says it used: it only sizes phase B's inputs, and a model whose input does not match
    them cannot predict, so a forged window earns nothing; one outside the contract was never ours."""
    window = trained.reported.window
    if window is None or not contract.window_min <= window <= contract.window_max:
        raise TamperedResult("the training run reported a window outside the lesson's contract")
    return window


def predictions_finite(predictions: dict[str, np.ndarray]) -> bool:
    return all(bool(np.all(np.isfinite(v))) for v in predictions.values())


def structure_checks(contract: ModelContract, trained: TrainAnswer, architecture: Architecture,
                     input_title: str, input_meaning: str, output: list[Any], output_meaning: str,
                     predictions: dict[str, np.ndarray]) -> list[Check]:
    """The checks every Keras task starts with, in the order a learner should fix them. All from trusted facts:
    the archive phase B loaded, and the predictions it made."""
    checks = [contract_check(trained),
              Check(id="input_shape", title=input_title, passed=True, points=1,
                    message=f"Input {architecture.input_shape}: {input_meaning}.")]
    checks += layer_checks(contract, architecture)
    checks += output_checks(architecture, output, output_meaning, require_recurrent=contract.require_recurrent)
    checks += budget_checks(contract, architecture)
    checks.append(finite_check(trained, predictions))
    return checks


def model_report(checks: list[Check], trained: TrainAnswer, architecture: Architecture,
                 metrics: dict[str, float], plots: dict[str, Any], predictions: dict[str, np.ndarray]) -> GradeReport:
    report = GradeReport.from_checks(checks, metrics=metrics, plots=plots, history=list(trained.reported.history),
                                     training=training_facts(trained, architecture))
    if predictions and not predictions_finite(predictions):
        report.failure = Failure.diverged
    reported = trained.reported
    if reported.stopped_early:
        report.summary += (f" Early stopping ended training at epoch {reported.epochs_run} of {reported.epochs} "
                           "(validation loss had stopped improving) and kept the best epoch's weights.")
    return report


def contract_check(trained: TrainAnswer) -> Check:
    constants = ", ".join(f"{k}={v}" for k, v in trained.reported.constants.items())
    return Check(id="contract", title="Module meets the contract", passed=True, points=1,
                 message=f"{constants}; build_model() returned a compiled keras.Model that the grader saved, "
                         "reloaded safely and could predict with.")


def layer_classes(architecture: Architecture) -> set[str]:
    return architecture.layer_classes()


def layer_checks(contract: ModelContract, architecture: Architecture) -> list[Check]:
    classes = architecture.live_layer_classes()
    have = ", ".join(sorted(c for c in classes if c != "InputLayer")) or "no layers"
    dead = sorted(layer_classes(architecture) - classes)
    if dead:  # present, but its output never reaches the prediction: a name, not a memory
        have += (f" (and a {', '.join(dead)} whose output does not change your model's prediction: it is multiplied "
                 "away or scaled down to a whisper beside another path, not connected to the output, or the same "
                 "for every input, so its memory is never used)")
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


def output_checks(architecture: Architecture, want: list[Any], what: str, *,
                  require_recurrent: bool = True) -> list[Check]:
    """The wiring and output-shape checks. With require_recurrent=False (a lesson comparing model families) a model
    without a recurrent layer has nothing to wire, so it gets the shape check alone."""
    output = architecture.output_shape
    recurrent = [layer for layer in architecture.live_layers() if layer.class_ in RECURRENT or layer.wraps in RECURRENT]
    last_returns_sequences = bool(recurrent) and bool(recurrent[-1].return_sequences)
    title = "Recurrent layers pass sequences correctly"
    shape = (Check(id="output_shape", title=f"Output shape is {tuple(want)}", passed=True, points=1,
                   message=f"Output {output}: {what}.") if output == want else
             Check(id="output_shape", title=f"Output shape is {tuple(want)}", passed=False,
                   message=f"Your model outputs {output}, but the grader needs {tuple(want)}: {what}. "
                           f"End with keras.layers.Dense({want[-1]})."))
    if not recurrent and not require_recurrent:
        return [shape]
    if output == want:
        if not recurrent:  # nothing to wire: say so rather than pass a check that could not fail
            wiring = Check(id="return_sequences", title=title, passed=False, points=0,
                           message="Your model has no recurrent layer, so nothing carries a memory from one time "
                                   "step to the next. Add an LSTM, GRU or SimpleRNN layer after the input.")
        else:
            wiring = Check(id="return_sequences", title=title, passed=True, points=1,
                           message=("Stacked recurrent layers return sequences; the last one returns its final state."
                                    if len(recurrent) > 1 else "The recurrent layer returns its final state."))
        return [wiring, shape]
    sequence = Check(id="return_sequences", title=title, passed=not last_returns_sequences,
                     points=0 if last_returns_sequences else 1,
                     message=("Your last recurrent layer has return_sequences=True, so the model outputs one value per "
                              f"time step ({output}). Keep return_sequences=True only on layers that feed another "
                              "recurrent layer.") if last_returns_sequences else "Recurrent layers are wired correctly.")
    return [sequence, shape]


def budget_checks(contract: ModelContract, architecture: Architecture) -> list[Check]:
    checks = []
    if contract.max_params is not None:
        params = architecture.params + architecture.constants  # numbers kept outside weights count too
        ok = params <= contract.max_params
        checks.append(Check(
            id="max_params", title=f"At most {contract.max_params:,} parameters", passed=ok, points=1 if ok else 0,
            message=(f"{params:,} parameters." if ok else
                     f"Your model has {params:,} parameters; the budget is {contract.max_params:,}. Use fewer units, or "
                     "a GRU (3 gate blocks) instead of an LSTM (4).")
            + (f" This counts {architecture.constants:,} numbers your model stores as constants outside its layers' "
               "weights." if architecture.constants else "")))
    if contract.require_gradient_clipping:
        # The optimizer phase B rebuilt from the archive and trained with: what clipping it has is what was used.
        optimizer = architecture.optimizer
        clip = optimizer.clipping() if optimizer else {}
        name = optimizer.class_ if optimizer else "not recorded in the saved model"
        checks.append(Check(
            id="gradient_clipping", title="Gradient clipping is configured", passed=bool(clip), points=1 if clip else 0,
            message=f"{name} with {', '.join(f'{k}={v:g}' for k, v in clip.items())}." if clip else
            f"Your optimizer ({name}) does not clip gradients (a threshold above {MAX_USEFUL_CLIP:g} never takes "
            "effect here). Pass clipnorm=1.0 (or clipvalue / global_clipnorm), e.g. "
            "keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)."))
    return checks + recipe_checks(contract, architecture)


def recipe_checks(contract: ModelContract, architecture: Architecture) -> list[Check]:
    """The lesson's training-recipe contract, read from the optimizer and layers phase B rebuilt and trained:
    a schedule, an L2 factor or a dropout rate counts only when it acts during that run."""
    checks = []
    if contract.requires_schedule:
        optimizer = architecture.optimizer
        schedule = optimizer.schedule if optimizer else None
        acts = schedule is not None and schedule.acts()
        if schedule is not None and acts:
            message = (f"{schedule.class_} took the learning rate from {_fmt(schedule.initial_rate)} to "
                       f"{_fmt(schedule.final_rate)} over the grader's {schedule.steps} training steps.")
        elif schedule is not None:
            message = (f"Your {schedule.class_} kept the learning rate at about {_fmt(schedule.initial_rate)} for all "
                       f"{schedule.steps} of the grader's training steps, so it is a constant rate. Make it decay within "
                       "the run: e.g. decay_steps about the number of steps in a few epochs, or decay_rate well below 1.")
        else:
            message = (f"Your optimizer ({optimizer.class_ if optimizer else 'none recorded'}) uses a constant learning "
                       "rate. Pass a schedule instead of a number, e.g. keras.optimizers.Adam(keras.optimizers."
                       "schedules.ExponentialDecay(1e-2, decay_steps=100, decay_rate=0.5)): large steps early, small "
                       "steps once the loss is near its minimum. (Callbacks such as ReduceLROnPlateau do not run in "
                       "the grader's training.)")
        checks.append(Check(id="schedule", title="The learning rate follows a schedule", passed=acts,
                            points=1 if acts else 0, message=message))
    if contract.requires_regularisation:
        found = architecture.regularisation()
        checks.append(Check(
            id="regularisation", title="The model is regularised (L2 or dropout)", passed=bool(found),
            points=1 if found else 0,
            message=f"Acting on your model: {'; '.join(found)}." if found else
            "No L2 penalty or dropout acts on your model (a factor or rate of 0, or one on a layer whose output never "
            "reaches the prediction, does nothing). Add e.g. kernel_regularizer=keras.regularizers.L2(1e-3) to a "
            "layer, dropout=0.2 on the recurrent layer, or a keras.layers.Dropout(0.2) before the output."))
    return checks


def recipe_facts(architecture: Architecture) -> dict[str, Any]:
    """What the learner's submissions are compared by, beside the optimizer: per layer its initializers, L2 factors
    and dropout rates (only layers that have any)."""
    layers = []
    for layer in architecture.layers:
        facts = layer.model_dump(by_alias=True, exclude_none=True,
                                 include={"class_", "wraps", "kernel_initializer", "recurrent_initializer", "kernel_l2",
                                          "recurrent_l2", "bias_l2", "dropout", "recurrent_dropout"})
        if set(facts) - {"class", "wraps"}:
            layers.append(facts)
    return {"recipe": layers, "regularisation": architecture.regularisation()}


def finite_check(trained: TrainAnswer, predictions: dict[str, np.ndarray]) -> Check:
    title = "Predictions are finite numbers"
    if not predictions:
        return skipped("finite_predictions", title)
    if not predictions_finite(predictions):
        return Check(id="finite_predictions", title=title, passed=False,
                     message="Your model's outputs contain NaN or infinity: training diverged. Lower the learning "
                             "rate (e.g. keras.optimizers.Adam(1e-3)) or clip gradients (clipnorm=1.0).")
    history = trained.reported.history
    loss = f" Loss went from {_fmt(history[0].loss)} to {_fmt(history[-1].loss)} ({REPORTED})." if history else ""
    return Check(id="finite_predictions", title=title, passed=True, points=1,
                 message="Every prediction is a finite number." + loss)


def skipped(check_id: str, title: str, max_points: float = 1.0) -> Check:
    return Check(id=check_id, title=title, passed=False, skipped=True, max_points=max_points,
                 message="Not run: fix the model's output shape first.")


def training_facts(trained: TrainAnswer, architecture: Architecture) -> dict[str, Any]:
    reported = trained.reported
    return {"reported_by": REPORTED, "epochs_run": reported.epochs_run, "epochs": reported.epochs,
            "stopped_for_time": reported.stopped_for_time, "batch_size": reported.batch_size,
            "stopped_early": reported.stopped_early, "constants": reported.constants,
            "diverged": trained.diverged, "params": architecture.params,
            # Read from the loaded archive in phase B: what the learner's submissions are compared by (model family)
            "layers": sorted(architecture.layer_classes()),
            "optimizer": architecture.optimizer.model_dump(by_alias=True) if architecture.optimizer else {},
            **recipe_facts(architecture)}


def confusion_plot(truth: np.ndarray, guess: np.ndarray, k: int) -> dict[str, Any]:
    """Counts of (true class, predicted class) over every sample or step; a guess of -1 (no finite answer) is left out."""
    confusion = np.zeros((k, k), dtype=int)
    for true, predicted in zip(truth.ravel(), guess.ravel(), strict=True):
        if predicted >= 0:
            confusion[true, predicted] += 1
    return {"labels": list(range(k)), "matrix": confusion.tolist()}


def accuracy_bar_check(accuracy: float, baseline: float, target: float, max_points: float, *, title: str,
                       measured: str, bar_title: str, bar_meaning: str, advice: str) -> Check:
    """Held-out accuracy against the lesson's bar: credit starts above the bar (a guess that ignores what the lesson
    teaches earns nothing), full marks at the target. `measured` names the accuracy, e.g. "Held-out accuracy 91.0 %"."""
    credit = partial_credit(accuracy - baseline, target - baseline)
    passed = accuracy >= target and accuracy > baseline
    return Check(id="beats_baseline", title=title, passed=passed, points=round(credit * max_points, 3),
                 max_points=max_points,
                 message=f"{measured} vs {baseline:.1%} for '{bar_title}' (credit starts above it; full marks at "
                         f"{target:.0%})." + (f" {bar_meaning}" if passed else f" To improve: {advice}"))


def partial_credit(improvement: float, target: float) -> float:
    """0 at no improvement over the baseline, 1 at the target, linear in between."""
    return min(max(improvement / target, 0.0), 1.0) if target > 0 else 0.0


def _fmt(value: float | None) -> str:
    return "NaN" if value is None or not math.isfinite(value) else f"{value:.4g}"
