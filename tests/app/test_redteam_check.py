"""Red team of the Check: for every lesson that trains a model (series, ready-made arrays, text), no held-out sample
reaches any job a Check sends to a sandbox, even when the lesson's held-out data is private; the detector is shown to
find them in the same lesson's grading job, so the check can fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import HeldoutStore, LessonGrading, Limits, load_grading, prepare
from graders.answers import TrainAnswer, TrainingReport
from graders.batching import BatchPlan
from graders.check import check
from graders.pool import EventSink, PhaseOutcome
from graders.protocol import JobKind
from graders.report import Failure, SandboxInfo
from graders.tasks import task_for
from graders.tasks.sequence_to_sequence import PairSplit
from graders.tasks.splits import ArraySplit, SequenceSplit, TextSplit
from tests.conftest import LESSONS

MODEL_LESSONS = sorted(p.parent.name for p in LESSONS.glob("*/grading.toml")
                       if 'task = "function_cases"' not in p.read_text(encoding="utf-8"))
NGRAM = 24  # a run of this many held-out token ids is held-out text, not a coincidence


def constants_for(train_job: dict[str, Any]) -> dict[str, int]:
    return {name: 1 if name == "EPOCHS" else min(high, max(low, 16)) for name, low, high in train_job["constants"]}


def trained_answer(train_job: dict[str, Any]) -> TrainAnswer:
    constants = constants_for(train_job)
    reported = TrainingReport(constants=constants, window=constants.get("WINDOW"), epochs=1,
                              batch_size=constants["BATCH_SIZE"], epochs_run=0, stopped_for_time=False,
                              stopped_early=False, history=[])
    return TrainAnswer(diverged=False, reported=reported, model=np.zeros(4, dtype=np.uint8))


class FakeWorker:
    """Phase A answers a built model; phase B only records what it was sent (and ends the check)."""

    def __init__(self, jobs: list[dict[str, Any]], kind: JobKind) -> None:
        self.jobs, self.kind = jobs, kind

    def run(self, job: dict[str, Any], limits: Limits, on_event: EventSink | None = None) -> PhaseOutcome:
        self.jobs.append(job)
        answer = trained_answer(job) if self.kind is JobKind.train else None
        return PhaseOutcome(answer=answer, failure=None if answer else Failure.killed, message="stop here", log="",
                            seconds=0.0, sandbox=SandboxInfo(isolation="unconfined"))


class FakePool:
    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []
        self.closed = False

    def acquire(self, kind: JobKind = JobKind.train, timeout: float = 0) -> FakeWorker:
        return FakeWorker(self.jobs, kind)


def arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays_in(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in arrays_in(v)]
    return []


def grams(values: np.ndarray, n: int) -> set[bytes]:
    values = np.ascontiguousarray(values)
    return {values[i:i + n].tobytes() for i in range(len(values) - n + 1)}


def sequences_in(a: np.ndarray) -> list[np.ndarray]:
    """The array read flat, and each of its rows (a window) read flat."""
    flat = a.reshape(-1)
    return [flat] + ([row.reshape(-1) for row in a] if a.ndim > 1 else [])


def heldout_found(jobs: list[dict[str, Any]], split: Any) -> int:
    """Held-out samples (ones that do not also occur in the public part) inside any array of the jobs: rows of
    ready-made arrays, and runs of NGRAM consecutive values of a series or of token ids (a rounded series repeats
    single values, a run of them does not)."""
    found = arrays_in(jobs)
    if isinstance(split, PairSplit):  # sources: the rows phase B decodes (targets: tests/graders/test_seq2seq_lesson.py)
        split = split.arrays
    if isinstance(split, ArraySplit):
        rows = split.x.astype("float32")  # token ids too: compared as the jobs' arrays are read below
        public = {row.tobytes() for row in rows[: split.heldout_start]}
        heldout = {row.tobytes() for row in rows[split.heldout_start:]} - public
        assert len(heldout) > 10
        return sum(1 for a in found if a.ndim >= 2 and a.shape[1:] == split.x.shape[1:]
                   for row in a.astype("float32") if row.tobytes() in heldout)
    if isinstance(split, SequenceSplit):
        series, kinds, n = split.scaled.astype("float32"), "f", 8
    else:
        assert isinstance(split, TextSplit)
        series, kinds, n = split.ids.astype("int64"), "iu", NGRAM
    heldout = grams(series[split.heldout_start:], n) - grams(series[: split.heldout_start], n)
    assert len(heldout) > 50
    dtype = series.dtype
    return sum(len(grams(seq.astype(dtype), n) & heldout)
               for a in found if a.dtype.kind in kinds and a.ndim > 0 for seq in sequences_in(a))


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[LessonGrading, Any]]:
    """Every model lesson with private held-out data, as a server's catalog prepares it."""
    store = HeldoutStore(tmp_path_factory.mktemp("private"))
    return {slug: (grading, prepare(grading, store))
            for slug in MODEL_LESSONS for grading in [load_grading(LESSONS / slug)]}


def test_every_task_type_is_covered() -> None:
    kinds = {task_for_slug(slug) for slug in MODEL_LESSONS}
    assert kinds == {"sequence_prediction", "sequence_classification", "sequence_tagging", "sequence_to_sequence",
                     "next_token"}, kinds


def task_for_slug(slug: str) -> str:
    return str(load_grading(LESSONS / slug).spec.task)


@pytest.mark.parametrize("slug", MODEL_LESSONS)
def test_no_heldout_sample_reaches_a_check(slug: str, private: dict[str, tuple[LessonGrading, Any]]) -> None:
    grading, split = private[slug]
    assert split.heldout_mode.value == "private"
    code = (LESSONS / slug / "solution.py").read_text(encoding="utf-8")
    pool = FakePool()
    report = check(grading, code, pool, prepared=split)  # type: ignore[arg-type]
    assert [job["kind"] for job in pool.jobs] == ["train", "evaluate"], report.summary
    assert report.graded is False and report.heldout_used is False
    assert heldout_found(pool.jobs, split) == 0

    # The control: the same lesson's grading job (phase B of a submission) does hold held-out samples.
    task = task_for(grading.spec.task)
    trained = trained_answer(pool.jobs[0])
    evaluation = task.evaluation(grading, split, trained)
    assert evaluation is not None
    assert heldout_found([BatchPlan.build(evaluation).job(trained.model, {})], split) > 0


def test_the_lessons_folder_has_model_lessons() -> None:
    assert len(MODEL_LESSONS) >= 5 and Path(LESSONS / MODEL_LESSONS[0] / "solution.py").exists()
