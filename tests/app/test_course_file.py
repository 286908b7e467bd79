"""lessons/course.toml: every field validated; every error names the file and the field; deadlines in the course's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.course_file import (
    COURSE_FILE,
    DEFAULT_COURSE,
    Counts,
    CourseFile,
    CourseFileError,
    LatePolicy,
    Part,
    add_days,
    check_course_file,
    days_between,
    describe,
    load_course_file,
    parse_course_file,
)

REPO_LESSONS = Path(__file__).resolve().parents[2] / "lessons"
PATH = Path("lessons/course.toml")
SLUGS = ["lstm-sequence-prediction", "gru-vs-lstm", "sequence-windows"]
BERLIN = ZoneInfo("Europe/Berlin")


def repo_slugs() -> list[str]:
    return sorted(p.name for p in REPO_LESSONS.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def parse(text: str, slugs: list[str] | None = SLUGS) -> CourseFile:
    return parse_course_file(text, PATH, slugs)


def error(text: str, slugs: list[str] | None = SLUGS) -> str:
    with pytest.raises(CourseFileError) as err:
        parse(text, slugs)
    return str(err.value)


# --- the repository's own file ---------------------------------------------------------------------------------------

def test_the_repository_course_file_validates_against_the_lesson_folders() -> None:
    assert check_course_file(REPO_LESSONS, repo_slugs()) == []
    course = load_course_file(REPO_LESSONS, repo_slugs())
    assert course.title == "RNN Lab" and course.timezone == "UTC"


def test_the_repository_example_deadlines_validate_once_uncommented() -> None:
    text = (REPO_LESSONS / COURSE_FILE).read_text(encoding="utf-8")
    uncommented = re.sub(r"(?m)^# ([a-z0-9-]+ = \d{4}-)", r"\1", text)
    assert uncommented != text
    course = parse_course_file(uncommented, REPO_LESSONS / COURSE_FILE, repo_slugs())
    assert set(course.deadlines) == set(repo_slugs())


# --- absent file, defaults -------------------------------------------------------------------------------------------

def test_absent_file_gives_the_default_course(tmp_path: Path) -> None:
    assert load_course_file(tmp_path, SLUGS) is DEFAULT_COURSE
    assert check_course_file(tmp_path, SLUGS) == []
    assert DEFAULT_COURSE.title == "RNN Lab" and DEFAULT_COURSE.timezone == "UTC"
    assert DEFAULT_COURSE.counts is Counts.best and DEFAULT_COURSE.deadlines == {}
    assert DEFAULT_COURSE.late.penalty_per_day == 0 and DEFAULT_COURSE.late.last_accepted is None
    assert DEFAULT_COURSE.late.grace_minutes == 0


def test_empty_file_is_the_default_course() -> None:
    assert parse("") == DEFAULT_COURSE


def test_a_full_file_parses() -> None:
    course = parse("""
title = "RNN Lab, spring 2027"
timezone = "Europe/Berlin"
counts = "last"
[deadlines]
lstm-sequence-prediction = 2027-01-15T23:59:00
gru-vs-lstm = "2027-01-22T23:59"
sequence-windows = 2027-01-08
[late]
penalty_per_day = 0.25
last_accepted = 3
grace_minutes = 10
""")
    assert course.title == "RNN Lab, spring 2027" and course.counts is Counts.last
    assert course.due("lstm-sequence-prediction") == datetime(2027, 1, 15, 23, 59, tzinfo=BERLIN)
    assert course.due("gru-vs-lstm") == datetime(2027, 1, 22, 23, 59, tzinfo=BERLIN)
    assert course.due("sequence-windows") == datetime(2027, 1, 8, 23, 59, 59, tzinfo=BERLIN)  # a bare date: end of day
    assert course.due("what-is-an-rnn") is None
    assert course.late.penalty_per_day == 0.25 and course.late.last_accepted == 3 and course.late.grace_minutes == 10
    assert describe(course)["deadlines"]["gru-vs-lstm"] == "2027-01-22T23:59:00+01:00"


# --- error messages: file, field, what to write ----------------------------------------------------------------------

def test_bad_deadline_names_file_field_and_example() -> None:
    text = '[deadlines]\nlstm-sequence-prediction = "2026-13-01"\n'
    assert error(text) == ("lessons/course.toml: deadlines.lstm-sequence-prediction: "
                           "'2026-13-01' is not a date-time (use 2027-01-15T23:59)")


@pytest.mark.parametrize("value", ['"next friday"', "12", "true", "23:59:00", "[2027]", '""'])
def test_deadline_that_is_not_a_date_time(value: str) -> None:
    assert "deadlines.gru-vs-lstm: " in error(f"[deadlines]\ngru-vs-lstm = {value}\n")
    assert "is not a date-time (use 2027-01-15T23:59)" in error(f"[deadlines]\ngru-vs-lstm = {value}\n")


def test_unquoted_time_without_seconds_gets_a_toml_hint() -> None:
    message = error("[deadlines]\ngru-vs-lstm = 2027-01-15T23:59\n")
    assert message.startswith("lessons/course.toml: not valid TOML:")
    assert "2027-01-15T23:59:00" in message and '"2027-01-15T23:59"' in message


def test_unknown_top_level_key_is_refused_with_the_allowed_list() -> None:
    assert error('titel = "x"\n') == ("lessons/course.toml: titel: Extra inputs are not permitted "
                                      "(allowed: title, timezone, deadlines, late, counts, parts, concepts, "
                                      "explained)")


def test_unknown_late_key_is_refused_with_the_allowed_list() -> None:
    assert error("[late]\npenalty = 0.1\n") == ("lessons/course.toml: late.penalty: Extra inputs are not permitted "
                                                "(allowed: penalty_per_day, last_accepted, grace_minutes)")


@pytest.mark.parametrize(("text", "expected"), [
    ('title = ""', "title: String should have at least 1 character"),
    ('title = "   "', "title: the title is blank"),
    ("title = 3", "title: Input should be a valid string"),
    ('title = "' + "x" * 201 + '"', "title: String should have at most 200 characters"),
    ('timezone = "Mars/Olympus_Mons"', "timezone: 'Mars/Olympus_Mons' is not an IANA time zone"),
    ('timezone = "../../etc/passwd"', "timezone: '../../etc/passwd' is not an IANA time zone"),
    ('timezone = ""', "timezone: '' is not an IANA time zone"),
    ('timezone = 1', "timezone: Input should be a valid string"),
    ('counts = "first"', "counts: Input should be 'best' or 'last'"),
    ('counts = 1', "counts: Input should be 'best' or 'last'"),
    ('deadlines = "soon"', "deadlines: Input should be a valid dictionary"),
    ('late = 3', "late: Input should be a valid dictionary or instance of LatePolicy"),
    ("[late]\npenalty_per_day = 1.5", "late.penalty_per_day: Input should be less than or equal to 1"),
    ("[late]\npenalty_per_day = -0.1", "late.penalty_per_day: Input should be greater than or equal to 0"),
    ('[late]\npenalty_per_day = "0.1"', "late.penalty_per_day: Input should be a valid number"),
    ("[late]\npenalty_per_day = true", "late.penalty_per_day: Input should be a valid number"),
    ("[late]\ngrace_minutes = -1", "late.grace_minutes: Input should be greater than or equal to 0"),
    ("[late]\ngrace_minutes = 1441", "late.grace_minutes: Input should be less than or equal to 1440"),
    ("[late]\ngrace_minutes = 2.5", "late.grace_minutes: Input should be a valid integer"),
    ("[late]\nlast_accepted = -1", "late.last_accepted: -1 days: use 0 to 366 days after the due date"),
    ("[late]\nlast_accepted = 400", "late.last_accepted: 400 days: use 0 to 366 days after the due date"),
    ("[late]\nlast_accepted = 2.5", "late.last_accepted: 2.5: use a whole number of days"),
    ("[late]\nlast_accepted = true", "late.last_accepted: True is neither a number of days nor a date-time"),
    ('[late]\nlast_accepted = "never"', "late.last_accepted: 'never' is not a date-time (use 2027-01-15T23:59)"),
    ('[deadlines]\n"Not_A_Slug" = 2027-01-15', "deadlines: 'Not_A_Slug' is not a lesson slug"),
    ("[deadlines]\ngru-vs-lstm = 1027-01-15", "deadlines.gru-vs-lstm: '1027-01-15T23:59': the year 1027 is out of range"),
    ('[deadlines]\ngru-vs-lstm = "9999-12-31T23:59"', "deadlines.gru-vs-lstm: '9999-12-31T23:59': the year 9999 is out"),
    ('[deadlines]\ngru-vs-lstm = "' + "x" * 100 + '"', "deadlines.gru-vs-lstm: '" + "x" * 56 + "... is not a date-time"),
])
def test_every_field_is_validated_with_file_and_field(text: str, expected: str) -> None:
    assert f"lessons/course.toml: {expected}" in error(text + "\n").splitlines()[0]


def test_every_problem_is_listed_at_once() -> None:
    lines = error('counts = "most"\ntimezone = "Nowhere"\n[late]\npenalty_per_day = 2\n').splitlines()
    assert [line.split(": ")[1] for line in lines] == ["timezone", "late.penalty_per_day", "counts"]


def test_deadline_for_an_unknown_lesson_is_refused_with_a_suggestion() -> None:
    message = error("[deadlines]\ngru-vs-lstmm = 2027-01-15\n")
    assert message == ("lessons/course.toml: deadlines.gru-vs-lstmm: no lesson folder is called 'gru-vs-lstmm' "
                       "(did you mean 'gru-vs-lstm'?)")
    assert "(lessons: gru-vs-lstm, lstm-sequence-prediction, sequence-windows)" in error(
        "[deadlines]\ntransformers = 2027-01-15\n")


def test_unknown_lessons_pass_when_no_slugs_are_given() -> None:
    assert parse("[deadlines]\ntransformers = 2027-01-15\n", slugs=None).due("transformers") is not None


def test_check_course_file_returns_one_line_per_problem(tmp_path: Path) -> None:
    (tmp_path / COURSE_FILE).write_text('counts = "most"\n[deadlines]\nnope = 2027-01-01\n', encoding="utf-8")
    problems = check_course_file(tmp_path, SLUGS)
    assert problems == [f"{tmp_path / COURSE_FILE}: counts: Input should be 'best' or 'last'"]
    (tmp_path / COURSE_FILE).write_text("[deadlines]\nnope = 2027-01-01\nalso-nope = 2027-01-02\n", encoding="utf-8")
    assert len(check_course_file(tmp_path, SLUGS)) == 2


def test_unreadable_course_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / COURSE_FILE).write_bytes(b'title = "\xff\xfe"\n')
    assert check_course_file(tmp_path, SLUGS) == [f"{tmp_path / COURSE_FILE}: not UTF-8 text"]
    (tmp_path / COURSE_FILE).unlink()
    (tmp_path / COURSE_FILE).mkdir()
    assert check_course_file(tmp_path, SLUGS) == [f"{tmp_path / COURSE_FILE}: not a file"]


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / COURSE_FILE).write_text("title = \n", encoding="utf-8")
    [problem] = check_course_file(tmp_path, SLUGS)
    assert problem.startswith(f"{tmp_path / COURSE_FILE}: not valid TOML:")


# --- time zones -----------------------------------------------------------------------------------------------------

def test_naive_deadlines_are_in_the_course_zone_and_offsets_are_kept() -> None:
    course = parse('timezone = "America/New_York"\n[deadlines]\ngru-vs-lstm = 2027-07-01T17:00:00\n'
                   "sequence-windows = 2027-07-01T17:00:00Z\nlstm-sequence-prediction = 2027-07-01T17:00:00+02:00\n")
    assert course.due("gru-vs-lstm") == datetime(2027, 7, 1, 21, 0, tzinfo=UTC)  # EDT is UTC-4
    assert course.due("sequence-windows") == datetime(2027, 7, 1, 17, 0, tzinfo=UTC)
    assert course.due("lstm-sequence-prediction") == datetime(2027, 7, 1, 15, 0, tzinfo=UTC)


def test_the_zone_follows_daylight_saving_time() -> None:
    course = parse('timezone = "Europe/Berlin"\n[deadlines]\ngru-vs-lstm = 2027-01-15T12:00:00\n'
                   "sequence-windows = 2027-07-15T12:00:00\n")
    assert course.due("gru-vs-lstm") == datetime(2027, 1, 15, 11, 0, tzinfo=UTC)
    assert course.due("sequence-windows") == datetime(2027, 7, 15, 10, 0, tzinfo=UTC)


def test_a_wall_time_the_clocks_skip_is_refused() -> None:
    message = error('timezone = "Europe/Berlin"\n[deadlines]\ngru-vs-lstm = 2027-03-28T02:30:00\n')
    assert message == ("lessons/course.toml: deadlines.gru-vs-lstm: 2027-03-28T02:30 does not exist in Europe/Berlin "
                       "(the clocks skip it); pick another time or add an offset")


def test_a_wall_time_that_happens_twice_is_refused_with_an_offset_to_use() -> None:
    message = error('timezone = "Europe/Berlin"\n[deadlines]\ngru-vs-lstm = 2027-10-31T02:30:00\n')
    assert "deadlines.gru-vs-lstm: 2027-10-31T02:30 happens twice in Europe/Berlin" in message
    assert "2027-10-31T02:30:00+02:00" in message
    assert parse('timezone = "Europe/Berlin"\n[deadlines]\ngru-vs-lstm = 2027-10-31T02:30:00+01:00\n')


def test_an_absolute_last_accepted_date_before_a_deadline_is_refused() -> None:
    message = error("[deadlines]\ngru-vs-lstm = 2027-02-01T12:00:00\n[late]\nlast_accepted = 2027-01-31\n")
    assert message == ("lessons/course.toml: late.last_accepted: 2027-01-31T23:59 is before the deadline of "
                       "gru-vs-lstm (2027-02-01T12:00)")
    course = parse("[deadlines]\ngru-vs-lstm = 2027-02-01T12:00:00\n[late]\nlast_accepted = 2027-02-28T23:59:00\n")
    assert course.late.last_accepted == datetime(2027, 2, 28, 23, 59)


# --- calendar days ---------------------------------------------------------------------------------------------------

def test_days_are_counted_on_the_wall_clock_across_a_spring_forward() -> None:
    due = datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN)  # the clocks skip 02:00-03:00 on the 28th: that day has 23 hours
    assert add_days(due, 1, BERLIN) == datetime(2027, 3, 28, 12, 0, tzinfo=BERLIN)
    assert add_days(due, 1, BERLIN) - due.astimezone(UTC) == timedelta(hours=23)
    assert days_between(due, datetime(2027, 3, 28, 11, 59, tzinfo=BERLIN), BERLIN) == 1  # only 22h59m later
    assert days_between(due, datetime(2027, 3, 28, 12, 0, tzinfo=BERLIN), BERLIN) == 1
    assert days_between(due, datetime(2027, 3, 28, 12, 1, tzinfo=BERLIN), BERLIN) == 2  # 23h01m: the next day started


def test_days_are_counted_on_the_wall_clock_across_a_fall_back() -> None:
    due = datetime(2027, 10, 30, 12, 0, tzinfo=BERLIN)  # the 31st has 25 hours
    just_in = datetime(2027, 10, 31, 12, 0, tzinfo=BERLIN)
    assert just_in.astimezone(UTC) - due.astimezone(UTC) == timedelta(hours=25)
    assert days_between(due, just_in, BERLIN) == 1  # 25 hours, but the same wall-clock time the next day
    assert days_between(due, just_in + timedelta(minutes=1), BERLIN) == 2


def test_days_between_is_zero_until_after_the_start() -> None:
    due = datetime(2027, 1, 15, 23, 59, tzinfo=UTC)
    assert days_between(due, due, UTC) == 0
    assert days_between(due, due - timedelta(days=3), UTC) == 0
    assert days_between(due, due + timedelta(seconds=1), UTC) == 1
    assert days_between(due, due + timedelta(days=1), UTC) == 1
    assert days_between(due, due + timedelta(days=1, seconds=1), UTC) == 2


@given(start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(BERLIN)),
       delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
def test_days_between_is_the_least_whole_number_of_wall_clock_days(start: datetime, delta: timedelta) -> None:
    moment = (start.astimezone(UTC) + delta)
    days = days_between(start, moment, BERLIN)
    assert add_days(start, days, BERLIN).astimezone(UTC) >= moment
    if days:
        assert add_days(start, days - 1, BERLIN).astimezone(UTC) < moment
    # never more than one day away from the 24-hour count
    assert abs(days - delta / timedelta(days=1)) <= 1.1


def test_fixed_offset_zones_are_accepted_as_offsets() -> None:
    course = parse("[deadlines]\ngru-vs-lstm = 2027-01-15T23:59:00-05:00\n")
    assert course.due("gru-vs-lstm") == datetime(2027, 1, 15, 23, 59, tzinfo=timezone(timedelta(hours=-5)))


# --- the docs ---------------------------------------------------------------------------------------------------------

def course_file_docs() -> str:
    text = (REPO_LESSONS.parent / "docs" / "authoring.md").read_text(encoding="utf-8")
    return text.split("\n## The course file\n", 1)[1].split("\n## ", 1)[0]


def test_docs_document_every_field() -> None:
    docs = course_file_docs()
    for name in CourseFile.model_fields:
        assert f"`{name}`" in docs or f"`[{name}]" in docs or f"`[[{name}]]`" in docs, name
    for name in LatePolicy.model_fields:
        assert f"`[late] {name}`" in docs, name
    for name in Part.model_fields:
        assert f"`[[parts]] {name}`" in docs, name


def test_the_docs_example_is_a_valid_course_file() -> None:
    example = course_file_docs().split("```toml\n", 1)[1].split("```", 1)[0]
    course = parse_course_file(example, Path("docs/authoring.md"), repo_slugs())
    assert course.timezone == "Europe/Berlin" and len(course.deadlines) == 3 and course.late.last_accepted == 7
    assert [part.title for part in course.parts] == ["Foundations", "Gated cells"] and course.concepts


# --- the path: [[parts]], [concepts], [explained] ----------------------------------------------------------------------

PATH_SLUGS = ["what-is-an-rnn", "sequence-windows", "gru-vs-lstm", "lstm-sequence-prediction"]
TWO_PARTS = """
[[parts]]
title = "Foundations"
summary = "The recurrent step."
lessons = ["sequence-windows", "what-is-an-rnn"]

[[parts]]
title = "Gated cells"
lessons = ["gru-vs-lstm"]

[concepts]
what-is-an-rnn = ["hidden-state", "unrolling"]

[explained]
what-is-an-rnn = ["bptt"]
"""


def test_parts_and_concepts_parse_and_group_the_lessons() -> None:
    course = parse(TWO_PARTS, PATH_SLUGS)
    assert course.parts[0] == Part(title="Foundations", summary="The recurrent step.",
                                   lessons=["sequence-windows", "what-is-an-rnn"])
    assert course.parts[1].summary == ""
    assert course.concepts == {"what-is-an-rnn": ["hidden-state", "unrolling"]}
    assert course.explained == {"what-is-an-rnn": ["bptt"]}
    sections = course.sections(PATH_SLUGS)  # the catalog's order: by `order`
    assert [(s.title, s.slugs) for s in sections] == [
        ("Foundations", ("sequence-windows", "what-is-an-rnn")),  # the part's order, not the catalog's
        ("Gated cells", ("gru-vs-lstm",)),
        ("More lessons", ("lstm-sequence-prediction",))]  # in no part: last, in catalog order
    assert describe(course)["parts"][1] == {"title": "Gated cells", "summary": "", "lessons": ["gru-vs-lstm"]}


def test_without_parts_every_lesson_is_in_one_section_in_catalog_order() -> None:
    assert [(s.title, s.slugs) for s in parse("", PATH_SLUGS).sections(PATH_SLUGS)] == [("Lessons", tuple(PATH_SLUGS))]


def test_a_part_whose_lessons_are_all_listed_leaves_no_more_lessons_section() -> None:
    course = parse('[[parts]]\ntitle = "All"\nlessons = ["gru-vs-lstm", "what-is-an-rnn"]\n', ["what-is-an-rnn",
                                                                                               "gru-vs-lstm"])
    assert [s.title for s in course.sections(["what-is-an-rnn", "gru-vs-lstm"])] == ["All"]


@pytest.mark.parametrize(("text", "expected"), [
    ('[[parts]]\ntitle = "F"\nlessons = ["what-is-an-rnn"]\nsumary = "x"\n',
     "parts.0.sumary: Extra inputs are not permitted (allowed: title, summary, lessons)"),
    ('[[parts]]\nlessons = ["what-is-an-rnn"]\n', "parts.0.title: Field required"),
    ('[[parts]]\ntitle = "  "\nlessons = ["what-is-an-rnn"]\n', "parts.0.title: the title is blank"),
    ('[[parts]]\ntitle = "F"\nlessons = []\n', "parts.0.lessons: List should have at least 1 item"),
    ('[[parts]]\ntitle = "F"\nlessons = ["what-is-an-rnn", "what-is-an-rnn"]\n',
     "parts.0.lessons: 'what-is-an-rnn' is listed twice"),
    ('[[parts]]\ntitle = "F"\nlessons = ["What_Is"]\n', "parts.0.lessons.0: 'What_Is' is not a lesson slug"),
    ('parts = "Foundations"\n', "parts: Input should be a valid list"),
    ('[concepts]\nwhat-is-an-rnn = ["hiden-state"]\n',
     "concepts.what-is-an-rnn.0: 'hiden-state' is not a seed concept (did you mean 'hidden-state'?)"),
    ('[concepts]\nwhat-is-an-rnn = ["hidden-state", "quantum-tunnelling"]\n',
     "concepts.what-is-an-rnn.1: 'quantum-tunnelling' is not a seed concept (the vocabulary is app/concepts.py"),
    ('[concepts]\nwhat-is-an-rnn = "hidden-state"\n', "concepts.what-is-an-rnn: Input should be a valid list"),
    ('[concepts]\nwhat-is-an-rnn = ["bptt", "bptt"]\n', "concepts.what-is-an-rnn: 'bptt' is listed twice"),
    ('[concepts]\nWhat_Is = ["bptt"]\n', "concepts: 'What_Is' is not a lesson slug"),
    ('[explained]\nwhat-is-an-rnn = ["bpt"]\n', "explained.what-is-an-rnn.0: 'bpt' is not a seed concept (did you mean"),
])
def test_every_path_field_is_validated_with_file_and_field(text: str, expected: str) -> None:
    assert f"lessons/course.toml: {expected}" in error(text, PATH_SLUGS)


@pytest.mark.parametrize(("text", "expected"), [
    ('[[parts]]\ntitle = "F"\nlessons = ["what-is-an-rnnn"]\n',
     "parts.0.lessons: no lesson folder is called 'what-is-an-rnnn' (did you mean 'what-is-an-rnn'?)"),
    ('[concepts]\nbptt-by-hand = ["bptt"]\n', "concepts.bptt-by-hand: no lesson folder is called 'bptt-by-hand'"),
    ('[explained]\ngru-vs-lsm = ["bptt"]\n',
     "explained.gru-vs-lsm: no lesson folder is called 'gru-vs-lsm' (did you mean 'gru-vs-lstm'?)"),
    ('[[parts]]\ntitle = "A"\nlessons = ["what-is-an-rnn"]\n[[parts]]\ntitle = "B"\n'
     'lessons = ["gru-vs-lstm", "what-is-an-rnn"]\n',
     "parts.1.lessons: 'what-is-an-rnn' is already in part 0 ('A'); a lesson belongs to one part"),
    ('[[parts]]\ntitle = "A"\nlessons = ["what-is-an-rnn"]\n[[parts]]\ntitle = "A"\nlessons = ["gru-vs-lstm"]\n',
     "parts.1.title: 'A' is already the heading of part 0"),
    ('[[parts]]\ntitle = "More lessons"\nlessons = ["what-is-an-rnn"]\n',
     "parts.0.title: 'More lessons' is already the heading of the lessons no part lists"),
    ('[concepts]\nwhat-is-an-rnn = ["bptt"]\n[explained]\nwhat-is-an-rnn = ["unrolling", "bptt"]\n',
     "explained.what-is-an-rnn: 'bptt' also in concepts.what-is-an-rnn"),
])
def test_path_problems_name_the_field(text: str, expected: str) -> None:
    assert f"lessons/course.toml: {expected}" in error(text, PATH_SLUGS)


def test_path_problems_are_all_listed_and_checked_by_lessons_check(tmp_path: Path) -> None:
    (tmp_path / COURSE_FILE).write_text(
        '[[parts]]\ntitle = "A"\nlessons = ["what-is-an-rnn", "nope"]\n[[parts]]\ntitle = "B"\n'
        'lessons = ["what-is-an-rnn"]\n[concepts]\nghost = ["bptt"]\n', encoding="utf-8")
    problems = check_course_file(tmp_path, PATH_SLUGS)
    assert [line.split(": ")[1] for line in problems] == ["parts.0.lessons", "parts.1.lessons", "concepts.ghost"]
    assert all(line.startswith(f"{tmp_path / COURSE_FILE}: ") for line in problems)


def test_the_repository_course_file_puts_every_listed_lesson_in_one_part_with_known_concepts() -> None:
    course = load_course_file(REPO_LESSONS, repo_slugs())
    listed = [slug for part in course.parts for slug in part.lessons]
    assert len(listed) == len(set(listed)) and set(listed) <= set(repo_slugs())
    assert set(course.concepts) <= set(listed)  # a lesson that practises concepts has its place on the path
