"""grading.toml validation: errors name the file and the field."""

from pathlib import Path

import pytest

from graders.spec import SpecError, load_grading

GOOD = """
task = "sequence_prediction"
[data]
series = "s.csv"
[scoring]
advice = "give the LSTM a window of one whole cycle."
"""


def write_lesson(tmp_path: Path, toml: str, csv: str = "value\n" + "\n".join("1" for _ in range(400))) -> Path:
    folder = tmp_path / "my-lesson"
    folder.mkdir()
    (folder / "grading.toml").write_text(toml)
    (folder / "s.csv").write_text(csv)
    return folder


def test_minimal_spec_gets_defaults(tmp_path: Path) -> None:
    grading = load_grading(write_lesson(tmp_path, GOOD))
    assert grading.slug == "my-lesson"
    assert grading.spec.contract.required_layers == []
    assert grading.spec.limits.memory_mb == 1536


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (GOOD + "[limits]\nmemory_mb = 10\n", "limits.memory_mb"),
        (GOOD.replace("[scoring]", "[scoring]\nmetric = 'accuracy'"), "scoring.metric"),
        (GOOD.split("[scoring]")[0], "scoring: Field required"),  # every lesson says what to try in its own terms
        (GOOD.replace("give the LSTM a window of one whole cycle.", "train more"), "scoring.advice"),
        (GOOD + "surprise = 1\n", "surprise: Extra inputs are not permitted"),
        (GOOD + "[limits]\ntrain_seconds = 100\nwall_seconds = 50\n", "wall_seconds must be at least"),
        ('task = "sequence_prediction"\n', "data: Field required"),
        ("task = [", "not valid TOML"),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, toml: str, expected: str) -> None:
    folder = write_lesson(tmp_path, toml)
    with pytest.raises(SpecError) as err:
        load_grading(folder)
    assert str(folder / "grading.toml") in str(err.value)
    assert expected in str(err.value)


def test_data_path_may_not_leave_the_lesson(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, GOOD.replace("s.csv", "../../etc/passwd"))
    with pytest.raises(SpecError, match="leaves the lesson folder"):
        load_grading(folder)


def test_missing_series_file_is_named(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, GOOD.replace("s.csv", "nope.csv"))
    with pytest.raises(SpecError, match="data: file 'nope.csv' not found"):
        load_grading(folder)
