"""Token-id classification without a sandbox: loading padded ids, the bag-of-words bar, moving padding, the padding check."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from graders.answers import Architecture
from graders.heldout import HeldoutStore
from graders.spec import LessonGrading, SpecError, load_grading
from graders.tasks.sequence_classification import (
    PADDING_PROBE_ROWS,
    SequenceClassification,
    moved_padding,
    padding_check,
    vocab_size,
)

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "variable-length-sentiment"
TASK = SequenceClassification()


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_reviews", LESSON / "data" / "make_reviews.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_moved_padding_puts_the_same_tokens_at_the_other_end() -> None:
    x = np.array([[5, 0, 7, 0, 0],    # post-padded, with a 0 inside the tokens: kept where it is
                  [0, 0, 3, 4, 1],    # pre-padded
                  [1, 2, 3, 4, 5],    # no padding: nothing to move
                  [0, 0, 0, 0, 0]])   # nothing but padding
    moved, picked = moved_padding(x)
    assert picked.tolist() == [0, 1]
    assert moved.tolist() == [[0, 0, 5, 0, 7], [3, 4, 1, 0, 0]]


def test_moved_padding_takes_at_most_the_probe_size() -> None:
    x = np.zeros((PADDING_PROBE_ROWS + 50, 6), dtype="int32")
    x[:, 0] = 1
    moved, picked = moved_padding(x)
    assert len(moved) == len(picked) == PADDING_PROBE_ROWS
    assert np.all(moved[:, -1] == 1) and np.all(moved[:, :-1] == 0)


def test_the_lesson_loads_ids_and_sizes_the_vocabulary_from_the_public_part(tmp_path: Path) -> None:
    grading = load_grading(LESSON)
    split = TASK.prepare(grading, HeldoutStore(tmp_path / "private"))
    assert split.x.dtype == np.int32 and split.x.ndim == 2 and split.rows_independent
    assert vocab_size(split) == len(generator().VOCAB)
    job = TASK.train_job(grading, split, "", 0)
    assert job["input_shape"] == [None, split.x.shape[1]]
    assert job["build_args"] == [split.x.shape[1], len(generator().VOCAB), 2]
    assert job["build_arg_names"] == ["timesteps", "vocab_size", "n_classes"]
    rows = TASK.evaluation(grading, split, None)  # type: ignore[arg-type]
    assert set(rows.parts) == {"validation", "heldout", "padding_moved"}
    assert len(rows.parts["padding_moved"]) == PADDING_PROBE_ROWS


def test_counting_words_cannot_classify_the_reviews(tmp_path: Path) -> None:
    """The bar: a bag of words is no better than a coin: a negation flips the adjective after it, and after "but"
    the second clause decides, so the same words in another order have the opposite label."""
    from graders.tasks.sequence_classification import baseline_table

    split = TASK.prepare(load_grading(LESSON), HeldoutStore(tmp_path / "private"))
    table = {b.id: b.value for b in baseline_table(split, 2, "strongest", tokens=True)}
    assert set(table) == {"majority", "bag_of_words"}
    assert all(value is not None and 0.4 < value < 0.6 for value in table.values()), table


def test_the_generator_is_seeded_padded_at_the_end_and_matches_the_public_file() -> None:
    make = generator()
    public = dict(np.load(LESSON / "data" / "reviews.npz"))
    x, y = make.make_reviews()
    assert np.array_equal(x, public["x"]) and np.array_equal(y, public["y"])
    a = make.make_heldout(public, np.random.default_rng(9), 50)
    b = make.make_heldout(public, np.random.default_rng(9), 50)
    assert np.array_equal(a[0], b[0]) and a[0].shape == (50, public["x"].shape[1]) and a[1].dtype == public["y"].dtype
    lengths = (x > 0).sum(axis=1)
    assert lengths.min() >= 3 and lengths.max() <= x.shape[1]
    assert all(np.all(row[n:] == 0) and np.all(row[:n] > 0) for row, n in zip(x, lengths, strict=True))


def _evaluated_check(given: np.ndarray, moved: np.ndarray, split: object) -> object:
    predictions = {"validation": given, "heldout": given[:1], "padding_moved": moved}
    return padding_check(split, predictions, 5.0)  # type: ignore[arg-type]


def test_the_padding_check_passes_unchanged_answers_and_teaches_when_they_move(tmp_path: Path) -> None:
    split = TASK.prepare(load_grading(LESSON), HeldoutStore(tmp_path / "private"))
    x_val, _ = split.part("validation")
    _, picked = moved_padding(x_val)
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.99, len(x_val))
    given = np.stack([p, 1 - p], axis=1)
    same = _evaluated_check(given, given[picked] + 1e-7, split)
    assert same.passed and same.points == same.max_points == 5.0  # type: ignore[attr-defined]
    changed = given[picked].copy()
    changed[:10] = changed[:10, ::-1]  # ten answers flip
    failed = _evaluated_check(given, changed, split)
    assert not failed.passed and failed.points == 0  # type: ignore[attr-defined]
    message = failed.message  # type: ignore[attr-defined]
    assert "mask_zero=True" in message and f"{PADDING_PROBE_ROWS} validation sequences" in message
    nudged = given[picked] + 0.01  # every probability moves a little, no class changes
    assert not _evaluated_check(given, nudged, split).passed  # type: ignore[attr-defined]


def test_the_padding_check_waits_for_predictions(tmp_path: Path) -> None:
    grading = load_grading(LESSON)
    split = TASK.prepare(grading, HeldoutStore(tmp_path / "private"))
    check = padding_check(split, {}, 5.0)
    assert check.skipped and check.max_points == 5.0
    wrong = Architecture.model_validate({"input_shape": [None, 24], "output_shape": [None, 24, 2], "params": 1,
                                         "layers": [{"class": "Embedding", "name": "e"}]})
    from graders.tasks.base import Evaluated
    from tests.graders.test_checklist import trained

    report = TASK.score(grading, split, trained(4), Evaluated(architecture=wrong))
    ids = [c.id for c in report.checks]
    assert ids[-2:] == ["padding_invariant", "beats_baseline"]


def _copy(tmp_path: Path, toml: str, files: dict[str, str] | None = None) -> LessonGrading:
    folder = tmp_path / "lesson"
    shutil.copytree(LESSON / "data", folder / "data")
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    (folder / "grading.toml").write_text(toml)
    return load_grading(folder)


BASE = """task = "sequence_classification"
[data]
arrays = "data/reviews.npz"
{data}
[contract]
{contract}
[scoring]
{scoring}
advice = "mask the padding and read the words in order with an LSTM"
"""


@pytest.mark.parametrize(("data", "contract", "scoring", "words"), [
    ("", "padding_invariant = true", "", "needs token ids"),
    ("", "", 'bar = "bag_of_words"', "bag_of_words"),
    ("tokens = true", "", 'bar = "order_blind"', "order_blind"),
])
def test_the_spec_refuses_token_options_that_do_not_fit(tmp_path: Path, data: str, contract: str, scoring: str,
                                                        words: str) -> None:
    with pytest.raises(SpecError, match=words):
        _copy(tmp_path, BASE.format(data=data, contract=contract, scoring=scoring))


def test_a_padding_check_outside_token_classification_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "series"
    folder.mkdir()
    (folder / "s.csv").write_text("value\n" + "\n".join(str(i % 7) for i in range(400)))
    (folder / "grading.toml").write_text('task = "sequence_prediction"\n[data]\nseries = "s.csv"\n[contract]\n'
                                         'padding_invariant = true\n[scoring]\nadvice = "use an LSTM on the window"\n')
    with pytest.raises(SpecError, match="padding_invariant applies to sequence_classification"):
        load_grading(folder)


def test_held_out_ids_beyond_the_public_vocabulary_are_a_lesson_error(tmp_path: Path) -> None:
    bigger = ("import numpy as np\n"
              "def make_heldout(public, rng, size):\n"
              "    x = np.asarray(public['x'])[:size].copy()\n"
              "    x[:, 0] = x.max() + 1\n"
              "    return x, np.asarray(public['y'])[:size]\n")
    grading = _copy(tmp_path, BASE.format(data='tokens = true\nheldout_generator = "data/big.py"', contract="",
                                          scoring=""), {"data/big.py": bigger})
    with pytest.raises(SpecError, match="every token must occur in the public data"):
        TASK.prepare(grading, HeldoutStore(tmp_path / "private"))


def test_token_ids_must_be_whole_numbers(tmp_path: Path) -> None:
    grading = _copy(tmp_path, BASE.format(data="tokens = true", contract="", scoring=""))
    np.savez(grading.folder / "data" / "reviews.npz", x=np.full((20, 4), 0.5), y=np.zeros(20, dtype="int64"))
    with pytest.raises(SpecError, match="whole numbers"):
        TASK.prepare(grading, None)
