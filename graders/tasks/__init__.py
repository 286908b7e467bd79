"""Task types: each a graders.tasks.base.Task subclass, looked up by the `task` name in grading.toml."""

from __future__ import annotations

from typing import Any

from graders.tasks.base import Task
from graders.tasks.function_cases import FunctionCases
from graders.tasks.next_token import NextToken
from graders.tasks.sequence_classification import SequenceClassification
from graders.tasks.sequence_prediction import SequencePrediction
from graders.tasks.sequence_tagging import SequenceTagging
from graders.tasks.sequence_to_sequence import SequenceToSequence

TASKS: dict[str, Task[Any]] = {
    "sequence_prediction": SequencePrediction(),
    "sequence_classification": SequenceClassification(),
    "sequence_tagging": SequenceTagging(),
    "sequence_to_sequence": SequenceToSequence(),
    "next_token": NextToken(),
    "function_cases": FunctionCases(),
}


def task_for(name: str) -> Task[Any]:
    return TASKS[name]
