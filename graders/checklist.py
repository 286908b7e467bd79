"""The checklist: every check a lesson's grader defines, in the order it reports them, whatever a submission reaches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graders.protocol import CHECK_TITLES
from graders.spec import FunctionCasesSpec, LessonGrading, ModelContract, SequencePredictionSpec

# After the structure checks every Keras task shares, what each task type's scorer adds (graders/tasks/*.score).
SCORED_CHECKS = {
    "sequence_prediction": ("not_flat", "beats_baseline"),
    "sequence_classification": ("beats_baseline",),
    "sequence_tagging": ("beats_baseline",),
    "sequence_to_sequence": ("encoder_state", "beats_baseline"),
    "next_token": ("beats_baseline",),
}


@dataclass(frozen=True)
class ListedCheck:
    id: str
    title: str
    max_points: float = 1.0


def lesson_checks(grading: LessonGrading, prepared: Any = None) -> list[ListedCheck]:
    """The lesson's checks in report order. A function-cases lesson's checks are the `check` groups of its hidden
    cases, known once its reference run has made them (`prepared.cases`, filled by the first grading); before
    that the list is empty. Model tasks' checks follow from grading.toml alone."""
    spec = grading.spec
    if isinstance(spec, FunctionCasesSpec):
        seen: dict[str, str] = {}
        for case in getattr(prepared, "cases", None) or []:
            check_id = str(case.get("check", "values"))
            seen.setdefault(check_id, str(case.get("title", check_id)))
        return [ListedCheck(check_id, title) for check_id, title in seen.items()]
    checks = structure_checks(spec.contract)
    scored = SCORED_CHECKS[spec.task]
    if spec.contract.padding_invariant:  # after the structure checks, before the score (sequence_classification)
        scored = ("padding_invariant", *scored)
    titles = {"beats_baseline": "Beats the baseline on held-out data" if isinstance(spec, SequencePredictionSpec)
              else "Held-out accuracy" if spec.task in ("sequence_classification", "sequence_tagging")
              else "Held-out targets decoded exactly right" if spec.task == "sequence_to_sequence"
              else "Beats the baseline on held-out text"}
    points = {"beats_baseline": spec.scoring.baseline_points, "padding_invariant": spec.scoring.baseline_points / 2}
    return checks + [ListedCheck(check_id, titles.get(check_id, CHECK_TITLES[check_id]), points.get(check_id, 1.0))
                     for check_id in scored]


def structure_checks(contract: ModelContract) -> list[ListedCheck]:
    """graders.tasks.model_checks.structure_checks's list: the checks a contract switches on, in its order."""
    ids = ["contract", "input_shape"]
    titles = dict(CHECK_TITLES)
    if contract.required_layers:
        ids.append("layers")
        titles["layers"] = f"Uses {' and '.join(contract.required_layers)}"
    if contract.required_any_layers:
        ids.append("layer_choice")
        titles["layer_choice"] = f"Uses one of {', '.join(contract.required_any_layers)}"
    ids += ["return_sequences", "output_shape"]
    if contract.max_params is not None:
        ids.append("max_params")
        titles["max_params"] = f"At most {contract.max_params:,} parameters"
    if contract.require_gradient_clipping:
        ids.append("gradient_clipping")
    if contract.requires_schedule:
        ids.append("schedule")
    if contract.requires_regularisation:
        ids.append("regularisation")
    ids.append("finite_predictions")
    return [ListedCheck(check_id, titles[check_id]) for check_id in ids]
