"""The checklist names every check a lesson's grader reports, in the scorer's own order, for every lesson."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from graders.answers import Architecture, CallAnswer, CaseResult, TrainAnswer, TrainingReport
from graders.checklist import lesson_checks
from graders.report import Epoch
from graders.spec import FunctionCasesSpec, LessonGrading, load_grading
from graders.tasks import task_for
from graders.tasks.base import Evaluated

LESSONS = sorted(p for p in (Path(__file__).resolve().parents[2] / "lessons").iterdir() if (p / "grading.toml").is_file())


def trained(window: int) -> TrainAnswer:
    reported = TrainingReport(constants={"WINDOW": window, "EPOCHS": 5, "BATCH_SIZE": 32}, window=window, epochs=5,
                              batch_size=32, epochs_run=5, stopped_for_time=False, stopped_early=False,
                              history=[Epoch(epoch=1, loss=1.0, val_loss=1.0)])
    return TrainAnswer(diverged=False, reported=reported, model=np.zeros(0, dtype="uint8"))


# A model whose output shape is wrong: phase B predicts nothing, and the scorer reports every check anyway.
WRONG_SHAPE = Architecture.model_validate({
    "input_shape": [None, 24, 1], "output_shape": [None, 24, 7], "params": 100,
    "layers": [{"class": "LSTM", "name": "lstm", "return_sequences": True}, {"class": "Dense", "name": "dense"}]})


def hidden_cases(grading: LessonGrading) -> list[dict]:  # type: ignore[type-arg]
    """What the lesson's reference run makes (in the sandbox when grading; the test trusts the lesson's code)."""
    spec = grading.spec
    assert isinstance(spec, FunctionCasesSpec)
    module_spec = importlib.util.spec_from_file_location(f"cases_{grading.slug}", grading.data_path(spec.cases.module))
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return list(module.make_cases(np.random.default_rng(spec.cases.seed)))


@pytest.mark.parametrize("folder", LESSONS, ids=[p.name for p in LESSONS])
def test_the_checklist_is_what_the_scorer_reports(folder: Path) -> None:
    grading = load_grading(folder)
    task = task_for(grading.spec.task)
    prepared = task.prepare(grading, None)
    if isinstance(grading.spec, FunctionCasesSpec):
        assert lesson_checks(grading, prepared) == []  # unknown until the reference run has made the cases
        prepared.cases = hidden_cases(grading)
        prepared.expected = [None] * len(prepared.cases)
        answer = CallAnswer(results=[CaseResult(ok=False, error="not run") for _ in prepared.cases])
        report = task.score(grading, prepared, answer, None)
    else:
        window = grading.spec.contract.window_min
        report = task.score(grading, prepared, trained(window), Evaluated(architecture=WRONG_SHAPE))
    listed = lesson_checks(grading, prepared)
    assert [c.id for c in listed] == [c.id for c in report.checks]
    assert [c.max_points for c in listed] == [c.max_points for c in report.checks]
    assert len({c.id for c in listed}) == len(listed) >= 3
    assert all(c.title for c in listed)


def test_a_contract_switches_its_checks_on(tmp_path: Path) -> None:
    folder = LESSONS[0].parent / "lstm-sequence-prediction"
    grading = load_grading(folder)
    assert grading.spec.task == "sequence_prediction"
    contract = grading.spec.contract.model_copy(update={"required_layers": [], "max_params": 5000,
                                                        "require_gradient_clipping": True})
    changed = grading.model_copy(update={"spec": grading.spec.model_copy(update={"contract": contract})})
    ids = [c.id for c in lesson_checks(changed)]
    assert ids == ["contract", "input_shape", "return_sequences", "output_shape", "max_params", "gradient_clipping",
                   "finite_predictions", "not_flat", "beats_baseline"]
