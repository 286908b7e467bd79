"""seq2seq-dates through the real grader: the encoder-decoder reference passes, the starter (a decoder that never
hears the encoder) and a peeking Bidirectional decoder fail with their lessons; the scorer's baselines and checks
without a sandbox; and the held-out targets never reach a sandbox (only the held-out sources do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graders import HeldoutStore, Limits, WorkerPool, grade, load_grading
from graders.answers import Architecture, TrainAnswer, TrainingReport
from graders.check import check
from graders.pool import EventSink, PhaseOutcome
from graders.protocol import JobKind
from graders.report import Epoch, Failure, GradeReport, SandboxInfo
from graders.tasks import task_for
from graders.tasks.base import Evaluated
from graders.tasks.sequence_to_sequence import PairSplit, copy_guess, lookup_guess

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "seq2seq-dates"
SOLUTION = (LESSON / "solution.py").read_text()
DECODER = "steps = keras.layers.LSTM(64, return_sequences=True)(written, initial_state=[state_h, state_c])"
PEEKING = ("steps = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))"
           "(written, initial_state=[state_h, state_c, state_h, state_c])")
DEAF = "its decoder never hears from the encoder"
PEEKS = "learns to copy the next character from the input during training"


def checks(report: GradeReport) -> dict[str, tuple[bool, str]]:
    return {c.id: (c.passed, c.message) for c in report.checks}


def trained(val_loss: float = 1.0) -> TrainAnswer:
    reported = TrainingReport(constants={"EPOCHS": 5, "BATCH_SIZE": 32}, window=None, epochs=5, batch_size=32,
                              epochs_run=5, stopped_for_time=False, stopped_early=False,
                              history=[Epoch(epoch=1, loss=val_loss, val_loss=val_loss)])
    return TrainAnswer(diverged=False, reported=reported, model=np.zeros(4, dtype="uint8"))


def architecture(output: list[int | None]) -> Architecture:
    return Architecture.model_validate({
        "input_shape": [[None, 10], [None, 10]], "output_shape": output, "params": 50000,
        "layers": [{"class": "LSTM", "name": "encoder"}, {"class": "LSTM", "name": "decoder", "return_sequences": True},
                   {"class": "Dense", "name": "dense"}]})


def one_hot(prepared: PairSplit, guesses: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {part: np.eye(prepared.sizes[3])[g].astype("float32") for part, g in guesses.items()}


@pytest.fixture(scope="module")
def lesson() -> tuple[Any, PairSplit]:
    grading = load_grading(LESSON)
    return grading, task_for("sequence_to_sequence").prepare(grading, None)


def test_the_lessons_data_reads_as_dates(lesson: tuple[Any, PairSplit]) -> None:
    _, prepared = lesson
    assert prepared.sizes == (10, 89, 10, 13)
    targets = [prepared.decode(row) for row in prepared.part("train")[1][:50]]
    assert all(len(t) == 10 and t[4] == t[7] == "-" and t[:2] in ("19", "20") for t in targets)


def test_the_scorer_counts_whole_dates_and_characters(lesson: tuple[Any, PairSplit]) -> None:
    """One wrong character in every fifth date: exact match 80 %, characters 98 %."""
    grading, prepared = lesson
    task = task_for("sequence_to_sequence")
    guesses = {p: prepared.part(p)[1].copy() for p in ("validation", "heldout")}
    for g in guesses.values():
        g[::5, 9] = (g[::5, 9] - 2) % 10 + 3  # another digit
    report = task.score(grading, prepared, trained(0.05), Evaluated(architecture=architecture([None, 10, 13]),
                                                                    predictions=one_hot(prepared, guesses)))
    held = prepared.part("heldout")[1]
    assert report.metrics["heldout_accuracy"] == pytest.approx(1 - len(held[::5]) / len(held), abs=1e-4)
    assert report.metrics["heldout_char_accuracy"] == pytest.approx(1 - len(held[::5]) / held.size, abs=1e-4)
    assert {b.id for b in report.baselines} == {"copy", "lookup"}
    assert checks(report)["encoder_state"][0]
    passed, message = checks(report)["beats_baseline"]
    assert not passed and PEEKS not in message  # below 85 %, but no sign of peeking: loss and greedy agree


def test_copy_and_lookup_baselines_fail_the_bar(lesson: tuple[Any, PairSplit]) -> None:
    """Both are fit on training pairs only; their guesses, scored as a model's, earn nothing."""
    grading, prepared = lesson
    task = task_for("sequence_to_sequence")
    x, y = prepared.part("heldout")
    y_train = prepared.part("train")[1]
    template = np.asarray([np.bincount(col, minlength=13).argmax() for col in y_train.T])
    # "3 mar 1987" -> the digits 3 1 9 8 7 in order into the digit positions: 3198-7?-??
    source = np.asarray([[4, prepared.source_vocab.index("mar"), 2, 10, 9, 8, 0, 0, 0, 0]])
    assert prepared.decode(copy_guess(prepared, source, template)[0])[:7] == "3198-7" + prepared.decode(template)[6]
    for guess in (copy_guess(prepared, x, template), lookup_guess(prepared, x)):
        predictions = one_hot(prepared, {"validation": guess[:1].repeat(len(prepared.part("validation")[0]), 0),
                                         "heldout": guess})
        report = task.score(grading, prepared, trained(), Evaluated(architecture=architecture([None, 10, 13]),
                                                                    predictions=predictions))
        assert report.metrics["heldout_accuracy"] < 0.05 and 0.3 < report.metrics["heldout_char_accuracy"] < 0.8
        check = next(c for c in report.checks if c.id == "beats_baseline")
        assert not check.passed and check.points == 0
    bar = next(b for b in report.baselines if b.bar)
    assert bar.value is not None and bar.value < 0.05


def test_a_deaf_decoder_and_a_peeking_one_are_told_why(lesson: tuple[Any, PairSplit]) -> None:
    grading, prepared = lesson
    task = task_for("sequence_to_sequence")
    same = {p: np.tile(prepared.part(p)[1][0], (len(prepared.part(p)[1]), 1)) for p in ("validation", "heldout")}
    deaf = task.score(grading, prepared, trained(1.1), Evaluated(architecture=architecture([None, 10, 13]),
                                                                 predictions=one_hot(prepared, same)))
    passed, message = checks(deaf)["encoder_state"]
    assert not passed and DEAF in message and prepared.decode(prepared.part("validation")[1][0]) in message
    # Tiny teacher-forced loss, poor greedy decoding: the report names the shortcut.
    peeking = task.score(grading, prepared, trained(0.001), Evaluated(architecture=architecture([None, 10, 13]),
                                                                      predictions=one_hot(prepared, same)))
    passed, message = checks(peeking)["beats_baseline"]
    assert not passed and PEEKS in message and "validation loss fell to 0.001" in message
    assert message.index(PEEKS) < message.index("To improve:")


def test_the_scorer_explains_a_decoder_that_returns_one_state(lesson: tuple[Any, PairSplit]) -> None:
    grading, prepared = lesson
    report = task_for("sequence_to_sequence").score(grading, prepared, trained(),
                                                    Evaluated(architecture=architecture([None, 13])))
    assert report.status.value == "failed"
    assert checks(report)["return_sequences"] == (
        False, "Your output is (13,) per source but this task needs one character per target step (10, 13): set "
               "return_sequences=True on the decoder.")
    assert report.checks[-1].skipped and report.checks[-2].skipped


# ---------------------------------------------------------------- the held-out targets never enter a sandbox


class RecordingPool:
    """Phase A answers a built model; phase B only records the job it was sent."""

    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []
        self.closed = False

    def acquire(self, kind: JobKind = JobKind.train, timeout: float = 0) -> RecordingPool:
        self.kind = kind
        return self

    def run(self, job: dict[str, Any], limits: Limits, on_event: EventSink | None = None) -> PhaseOutcome:
        self.jobs.append(job)
        answer = trained() if self.kind is JobKind.train else None
        return PhaseOutcome(answer=answer, failure=None if answer else Failure.killed, message="stop here", log="",
                            seconds=0.0, sandbox=SandboxInfo(isolation="unconfined"))


def arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays_in(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in arrays_in(v)]
    return []


def grams(values: np.ndarray, n: int) -> set[bytes]:
    values = np.ascontiguousarray(values.astype("int64"))
    return {values[i:i + n].tobytes() for i in range(len(values) - n + 1)}


N = 9  # a target's first 9 characters: in the target itself and, behind START, in the decoder's input


def heldout_targets_in(job: dict[str, Any], prepared: PairSplit) -> int:
    """Runs of N characters that begin a held-out target (and begin no public one) inside any array of the job,
    read flat in whatever integer or float type it has."""
    y = prepared.arrays.y
    public = {row[:N].astype("int64").tobytes() for row in y[: prepared.arrays.heldout_start]}
    heldout = {row[:N].astype("int64").tobytes() for row in y[prepared.arrays.heldout_start:]} - public
    assert len(heldout) > 100
    return sum(len(grams(a.reshape(-1), N) & heldout) for a in arrays_in(job) if a.dtype.kind in "iuf" and a.size)


def test_no_heldout_target_reaches_phase_b(tmp_path: Path) -> None:
    """Grading sends phase B the held-out sources to decode and public pairs to train on: no held-out target, as a
    target or as a decoder input. The control plants them in the same job and the scan finds them."""
    grading = load_grading(LESSON)
    task = task_for("sequence_to_sequence")
    prepared = task.prepare(grading, HeldoutStore(tmp_path))
    assert prepared.heldout_mode.value == "private"
    pool = RecordingPool()
    report = grade(grading, SOLUTION, pool, prepared=prepared)  # type: ignore[arg-type]
    assert [job["kind"] for job in pool.jobs] == ["train", "evaluate"], report.summary
    evaluate = pool.jobs[1]
    assert evaluate["greedy"] == {"start": 1, "steps": 10}
    sources = prepared.part("heldout")[0]
    assert {r.tobytes() for r in sources} <= {r.tobytes() for r in evaluate["rows"].astype(sources.dtype)}
    for job in pool.jobs:
        assert heldout_targets_in(job, prepared) == 0

    targets = prepared.part("heldout")[1]
    decoder_inputs = np.concatenate([np.ones((len(targets), 1), dtype=targets.dtype), targets[:, :-1]], axis=1)
    assert heldout_targets_in({**evaluate, "planted": targets}, prepared) > 100
    assert heldout_targets_in({**evaluate, "planted": [decoder_inputs.astype("float32")]}, prepared) > 100


# ---------------------------------------------------------------- through the sandbox


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_reference_encoder_decoder_passes(pool: WorkerPool, lesson: tuple[Any, PairSplit]) -> None:
    report = grade(load_grading(LESSON), SOLUTION, pool)
    assert report.status.value == "passed", report.summary
    assert report.metrics["heldout_accuracy"] >= 0.85 > 0.05 > report.metrics["baseline_accuracy"]
    assert report.metrics["heldout_char_accuracy"] > 0.95
    # Look inside the encoder: the teacher-forced loss's gradient at every source step, and the encoder's state.
    look = report.plots["look_inside"]
    source_len = lesson[1].part("train")[0].shape[1]
    assert look["gradient"]["layer"] == "LSTM" and look["gradient"]["embedded"] is True
    assert look["gradient"]["steps"] == list(range(1, source_len + 1))
    assert all(v >= 0 for v in look["gradient"]["norms"]) and max(look["gradient"]["norms"]) > 0
    assert look["hidden"]["units"] == 64 and all(len(row) == source_len for row in look["hidden"]["states"])
    assert 0 < report.timings["look_inside"] < 1.0 < report.timings["evaluate"]


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_starter_decoder_never_hears_the_encoder(pool: WorkerPool) -> None:
    code = (LESSON / "starter.py").read_text().replace("EPOCHS = 12", "EPOCHS = 2")
    report = grade(load_grading(LESSON), code, pool)
    assert report.status.value == "failed"
    passed, message = checks(report)["encoder_state"]
    assert not passed and DEAF in message
    assert report.metrics["heldout_accuracy"] < 0.05


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_peeking_decoder_trains_well_and_decodes_badly(pool: WorkerPool) -> None:
    """A Bidirectional decoder reads the next character of its teacher-forced input: a tiny loss, then greedy
    decoding has nothing to read and fails; the report says so."""
    code = SOLUTION.replace(DECODER, PEEKING).replace("EPOCHS = 12", "EPOCHS = 4")
    assert code != SOLUTION
    report = grade(load_grading(LESSON), code, pool)
    assert report.status.value == "failed"
    passed, message = checks(report)["beats_baseline"]
    assert not passed and PEEKS in message
    assert report.metrics["teacher_forced_probability"] > 0.9 > 0.2 > report.metrics["heldout_accuracy"]


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_practice_check_trains_and_decodes_public_sources(pool: WorkerPool) -> None:
    """`check` (never a grade) trains on a slice of the public pairs with teacher forcing and decodes a few public
    sources greedily: the reference's check is clean."""
    report = check(load_grading(LESSON), SOLUTION, pool)
    assert report.status.value == "ok", report.summary
    assert report.training is not None and report.training.epochs_run >= 1
