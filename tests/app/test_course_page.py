"""The course page shows the path: lessons grouped by part, objectives, the learner's progress and the concepts each
lesson practises; the lesson pages' previous and next links follow the same path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import course as course_module
from app.concepts import BY_ID, CONCEPTS, GROUPS, suggest
from app.config import Settings
from app.course_file import CourseFileError
from app.course_path import SLUG
from app.main import create_app
from tests.app.helpers import LSTM, SECOND, submit, wait_for

COURSE_TOML = f"""
[[parts]]
title = "Gated cells"
summary = "Gates that keep gradients alive."
lessons = ["{SECOND}"]

[concepts]
{SECOND} = ["gru-gates", "parameter-counting"]
{LSTM} = ["lstm-gates"]
"""


@pytest.fixture
def with_parts(lessons_dir: Path) -> Path:
    """The two test lessons, SECOND (order 4) in a part and LSTM (order 3) in none."""
    (lessons_dir / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    return lessons_dir


def cards(text: str) -> list[str]:
    return re.findall(r'<li class="lesson-card.*?</li>\s*(?=<li class="lesson-card|</ol>)', text, re.S)


def test_the_vocabulary_has_fifty_distinct_concepts_in_known_groups() -> None:
    assert len(CONCEPTS) == 50 and len(BY_ID) == 50
    assert len({concept.name for concept in CONCEPTS}) == 50
    assert all(SLUG.match(concept.id) and concept.group in GROUPS for concept in CONCEPTS)
    assert {"seq2seq", "teacher-forcing", "truncated-bptt", "masking", "l2-regularisation"} <= set(BY_ID)
    assert suggest("hiden-state") == "hidden-state" and suggest("zzzz") is None


def test_lessons_are_grouped_by_part_in_the_path_order(with_parts: Path, client: TestClient) -> None:
    text = client.get("/").text
    headings = re.findall(r'<h2 id="part-\d+">(.*?)</h2>', text)
    assert headings == ["Gated cells", "More lessons"]  # lessons in no part come last
    assert '<p class="part-summary">Gates that keep gradients alive.</p>' in text
    # SECOND has the larger `order` but its part comes first: the path wins, numbering follows it
    assert text.index("Swap the LSTM for a GRU") < text.index("Build an RNN for sequence prediction")
    first, second = cards(text)
    assert '<div class="lesson-number" aria-hidden="true">1</div>' in first and "Swap the LSTM" in first
    assert '<div class="lesson-number" aria-hidden="true">2</div>' in second
    assert '<ol class="lesson-list" start="2">' in text


def test_each_card_shows_objectives_open_and_folded_and_its_concept_tags(with_parts: Path, client: TestClient) -> None:
    gru, lstm = cards(client.get("/").text)
    assert re.findall(r'<li class="concept-tag">(.*?)</li>', gru) == ["GRU gates", "Counting parameters"]
    assert re.findall(r'<li class="concept-tag">(.*?)</li>', lstm) == ["LSTM gates"]
    assert f'aria-labelledby="concepts-{SECOND}"' in gru and f'id="concepts-{SECOND}"' in gru
    objectives = re.findall(r"<ul><li>(.*?)</ul>", lstm, re.S)
    assert len(objectives) == 2 and objectives[0] == objectives[1]  # the open list and the <details> one
    assert "<li>Explain what the LSTM's cell state and its forget, input and output gates do</li>" in objectives[0]
    assert re.search(r'<details class="card-objectives card-objectives-folded">\s*<summary>You will be able to \(4\)'
                     r"</summary>", lstm)


def test_a_lesson_without_concepts_shows_no_tag_list(lessons_dir: Path, client: TestClient) -> None:
    text = client.get("/").text
    assert "concept-tag" not in text and re.findall(r'<h2 id="part-\d+">(.*?)</h2>', text) == ["Lessons"]


def test_progress_shows_not_started_then_passed_with_best_score(with_parts: Path, client: TestClient) -> None:
    text = client.get("/").text
    assert text.count(">Not started</span>") == 2 and "You have passed" not in text
    wait_for(client, submit(client, "# FAIL\n", slug=SECOND))
    wait_for(client, submit(client, "# PASS\n", slug=LSTM))
    text = client.get("/").text
    gru, lstm = cards(text)
    assert ">Attempted</span>" in gru and "Best score 20%" in gru and "1 submission<" in gru
    assert ">Passed</span>" in lstm and "Best score 100%" in lstm and 'class="lesson-card state-passed"' in lstm
    assert '<p class="course-progress">You have passed 1 of 2 lessons.</p>' in text
    assert re.findall(r'<p class="part-progress">(.*?)</p>', text) == ["0 of 1 passed", "1 of 1 passed"]


def test_previous_and_next_follow_the_path(with_parts: Path, client: TestClient) -> None:
    gru = client.get(f"/lessons/{SECOND}").text
    assert f'href="/lessons/{LSTM}" rel="next"' in gru and 'rel="prev"' not in gru
    lstm = client.get(f"/lessons/{LSTM}").text
    assert f'href="/lessons/{SECOND}" rel="prev"' in lstm and "Back to the course" in lstm


def test_a_lesson_in_two_parts_stops_the_app_from_starting(lessons_dir: Path, settings: Settings) -> None:
    (lessons_dir / "course.toml").write_text(
        f'[[parts]]\ntitle = "A"\nlessons = ["{LSTM}"]\n[[parts]]\ntitle = "B"\nlessons = ["{LSTM}"]\n',
        encoding="utf-8")
    with pytest.raises(CourseFileError, match=f"parts.1.lessons: '{LSTM}' is already in part 0"):
        create_app(settings)


def test_an_edited_path_shows_on_the_next_load(with_parts: Path, client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course_module, "RECHECK_S", 0.0)
    (with_parts / "course.toml").write_text(f'[[parts]]\ntitle = "Renamed"\nlessons = ["{LSTM}", "{SECOND}"]\n',
                                            encoding="utf-8")
    text = client.get("/").text
    assert re.findall(r'<h2 id="part-\d+">(.*?)</h2>', text) == ["Renamed"] and "concept-tag" not in text
    assert f'href="/lessons/{SECOND}" rel="next"' in client.get(f"/lessons/{LSTM}").text
