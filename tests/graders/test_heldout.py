"""Held-out data is secret by default: generated from a per-instance secret, kept private, never derivable from the repo."""

from __future__ import annotations

import importlib.util
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from graders import HeldoutMode, HeldoutStore, LessonGrading, SpecError
from graders.spec import load_grading
from graders.tasks.next_token import NextToken
from graders.tasks.sequence_prediction import SequencePrediction
from graders.tasks.splits import read_series

REPO = Path(__file__).resolve().parents[2]
TASK = SequencePrediction()


def test_private_directory_and_secret_are_readable_by_the_server_user_only(lstm_lesson: LessonGrading,
                                                                           tmp_path: Path) -> None:
    store = HeldoutStore(tmp_path / "private")
    split = TASK.prepare(lstm_lesson, store)
    assert split.heldout_mode is HeldoutMode.private
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o700
    for path in (tmp_path / "private").rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_generated_tail_continues_the_public_series_and_is_not_in_the_repository(lstm_lesson: LessonGrading,
                                                                                 tmp_path: Path) -> None:
    public = read_series(lstm_lesson.folder / "data/series.csv", "value")
    split = TASK.prepare(lstm_lesson, HeldoutStore(tmp_path / "a"))
    tail = split.raw[split.heldout_start:]
    assert split.heldout_start == len(public) and np.array_equal(split.raw[: len(public)], public)
    assert len(tail) == round(len(public) * 0.2 / 0.8)
    # What a learner can compute from the repository: the generator re-run with its public seed and longer.
    spec = importlib.util.spec_from_file_location("gen", lstm_lesson.folder / "data/make_series.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    regenerated = module.make_series(steps=len(public) + len(tail))[len(public):]
    assert np.abs(regenerated - tail).mean() > 0.1, "the private tail is what the public generator makes"
    assert abs(tail[0] - public[-1]) < 3.0  # one series across the seam


def test_each_instance_has_its_own_tail_and_keeps_it(lstm_lesson: LessonGrading, tmp_path: Path) -> None:
    first = TASK.prepare(lstm_lesson, HeldoutStore(tmp_path / "a")).raw
    again = TASK.prepare(lstm_lesson, HeldoutStore(tmp_path / "a")).raw
    other = TASK.prepare(lstm_lesson, HeldoutStore(tmp_path / "b")).raw
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    cached = tmp_path / "a" / "heldout" / "lstm-sequence-prediction.npz"
    assert cached.is_file()


def test_without_a_store_the_public_tail_is_used_and_flagged(lstm_lesson: LessonGrading) -> None:
    assert TASK.prepare(lstm_lesson, None).heldout_mode is HeldoutMode.public


def test_a_broken_generator_is_a_lesson_error(tmp_path: Path) -> None:
    folder = tmp_path / "broken-gen"
    (folder / "data").mkdir(parents=True)
    source = REPO / "lessons" / "lstm-sequence-prediction"
    (folder / "data" / "series.csv").write_text((source / "data" / "series.csv").read_text())
    (folder / "data" / "gen.py").write_text("def make_heldout(public, rng, size):\n    raise ValueError('nope')\n")
    (folder / "grading.toml").write_text('task = "sequence_prediction"\n[data]\nseries = "data/series.csv"\n'
                                         'heldout_generator = "data/gen.py"\n[scoring]\n'
                                         'advice = "give the LSTM a window of one whole cycle."\n')
    grading = load_grading(folder)
    with pytest.raises(SpecError, match="make_heldout"):
        TASK.prepare(grading, HeldoutStore(tmp_path / "private"))


def _text_lesson(tmp_path: Path, generator: str) -> LessonGrading:
    folder = tmp_path / "lesson"
    shutil.copytree(REPO / "tests/graders/lessons/abc-text", folder)
    (folder / "gen.py").write_text(generator, encoding="utf-8")
    toml = (folder / "grading.toml").read_text(encoding="utf-8")
    (folder / "grading.toml").write_text(toml.replace("[data]\n", '[data]\nheldout_generator = "gen.py"\n', 1),
                                         encoding="utf-8")
    return load_grading(folder)


def test_a_text_generator_makes_a_private_tail_from_the_secret_seed(tmp_path: Path) -> None:
    lesson = _text_lesson(tmp_path, "def make_heldout(public, rng, size):\n"
                                    "    letters = sorted(set(public))\n"
                                    "    return ''.join(letters[i] for i in rng.integers(0, len(letters), size))\n")
    task = NextToken()
    first = task.prepare(lesson, HeldoutStore(tmp_path / "a"))
    other = task.prepare(lesson, HeldoutStore(tmp_path / "b"))
    public = (lesson.folder / "corpus.txt").read_text(encoding="utf-8")
    assert first.heldout_mode is HeldoutMode.private
    assert first.heldout_start == len(public)  # the whole file is train + validation
    assert not np.array_equal(first.ids[first.heldout_start:], other.ids[other.heldout_start:])


def test_a_text_generator_must_stay_in_the_public_alphabet(tmp_path: Path) -> None:
    lesson = _text_lesson(tmp_path, "def make_heldout(public, rng, size):\n    return '\\u2603' * size\n")
    with pytest.raises(SpecError, match="alphabet"):
        NextToken().prepare(lesson, HeldoutStore(tmp_path / "a"))
