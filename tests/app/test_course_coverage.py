"""docs/course.md's coverage table is generated from lessons/course.toml: it says per concept what practises it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import coverage
from app.concepts import CONCEPTS
from app.course_file import parse_course_file
from graders.spec import load_grading

REPO_LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def test_docs_course_md_matches_the_course_file() -> None:
    assert coverage.main(["--check"]) == 0, "docs/course.md is stale: run `python -m app.coverage`"


def test_the_table_lists_every_concept_with_an_honest_status(tmp_path: Path) -> None:
    course = parse_course_file('[[parts]]\ntitle = "Foundations"\nlessons = ["what-is-an-rnn"]\n'
                               '[concepts]\nwhat-is-an-rnn = ["hidden-state"]\n'
                               '[explained]\nwhat-is-an-rnn = ["bptt"]\n', tmp_path / "course.toml")
    text = coverage.render_coverage(course, REPO_LESSONS)
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| concept")]
    assert len(rows) == len(CONCEPTS) == 50
    assert "| Hidden state (`hidden-state`) | practised | `what-is-an-rnn`: hidden cases of `rnn_forward` | – |" in rows
    assert "| Backpropagation through time (`bptt`) | explained only | – | `what-is-an-rnn` |" in rows
    assert "| Sequence to sequence (`seq2seq`) | **not yet** | – | – |" in rows
    assert "50 seed concepts: 1 practised by a graded check, 1 explained only, 48 not yet." in text
    assert "- **Foundations**: `what-is-an-rnn`" in text


@pytest.mark.parametrize(("slug", "expected"), [
    ("what-is-an-rnn", "hidden cases of `rnn_forward`"),
    ("gru-vs-lstm", "held-out RMSE ≤ 0.8 × the strongest baseline's; must use `GRU`; at most 1,000 parameters"),
    ("vanishing-gradients", "the optimizer must clip gradients"),
    ("rnns-in-practice", "held-out MAE ≤ 0.88 × the strongest baseline's; 6 steps ahead"),
    ("stacked-and-bidirectional", "full marks at 92%; must use `Bidirectional`; at most 20,000 parameters"),
    ("text-generation", "held-out bits per character ≤ 0.75 × the strongest baseline's"),
])
def test_each_lesson_check_is_described_from_its_grading_file(slug: str, expected: str) -> None:
    assert expected in coverage.describe_check(load_grading(REPO_LESSONS / slug).spec)


def test_the_generated_part_replaces_only_the_text_between_the_markers() -> None:
    doc = f"intro\n{coverage.START}\nold table\n{coverage.END}\nafter\n"
    assert coverage.updated_doc(doc, "new\n") == f"intro\n{coverage.START}\nnew\n{coverage.END}\nafter\n"
    with pytest.raises(ValueError, match="markers are missing"):
        coverage.updated_doc("no markers", "new\n")


def test_a_stale_document_fails_the_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "course.md"
    stale.write_text(coverage.DOC.read_text(encoding="utf-8").replace("| practised |", "| explained only |", 1),
                     encoding="utf-8")
    monkeypatch.setattr(coverage, "DOC", stale)
    assert coverage.main(["--check"]) == 1
    assert coverage.main([]) == 0 and coverage.main(["--check"]) == 0  # rewritten, now current
