"""Task types, one module each, all spoken to through the same functions by graders.grading.

Each module provides: prepare(grading, heldout_dir) -> prepared data; reference_job(grading, prepared) -> a
sandbox job or None; use_reference(prepared, result); train_job(grading, prepared, code, seed); validate(grading, trained)
(phase A ran learner code: its answer is untrusted, raise TamperedResult when malformed);
evaluate_job(grading, prepared, trained) -> a sandbox job or None (its "inputs" are NumPy arrays: the engine
shuffles their rows and encodes them); score(grading, prepared, trained, evaluated).
"""

from __future__ import annotations

from types import ModuleType

from graders.tasks import function_cases, next_token, sequence_classification, sequence_prediction

TASKS: dict[str, ModuleType] = {
    "sequence_prediction": sequence_prediction,
    "sequence_classification": sequence_classification,
    "next_token": next_token,
    "function_cases": function_cases,
}


def task_for(name: str) -> ModuleType:
    return TASKS[name]
