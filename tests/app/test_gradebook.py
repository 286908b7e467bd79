"""The gradebook's policy: late penalties, the last accepted date, best vs last, pending, and lesson summaries."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.course_file import Counts, CourseFile, parse_course_file
from app.gradebook import (
    Attempt,
    AttemptStatus,
    GradeStatus,
    LessonGrade,
    LessonPolicy,
    grade_course,
    grade_lesson,
    summarise_lesson,
)
from app.store import SubmissionStatus
from graders.report import Check, Failure, GradeReport, Status

LESSON = "gru-vs-lstm"
DUE = datetime(2027, 1, 15, 23, 59, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def course(text: str = "") -> CourseFile:
    return parse_course_file(text, Path("lessons/course.toml"), None)


def policy(penalty: float = 0.1, last_accepted: str = "", grace: int = 0, counts: str = "best",
           due: str = "2027-01-15T23:59:00Z", timezone: str = "UTC") -> LessonPolicy:
    late = f"penalty_per_day = {penalty}\ngrace_minutes = {grace}\n" + (f"last_accepted = {last_accepted}\n"
                                                                        if last_accepted else "")
    deadline = f"{LESSON} = {due}\n" if due else ""
    text = f'timezone = "{timezone}"\ncounts = "{counts}"\n[deadlines]\n{deadline}[late]\n{late}'
    return LessonPolicy.from_course(course(text), LESSON)


def at(days: float = 0, minutes: float = 0) -> datetime:
    """An instant relative to the due date."""
    return DUE + timedelta(days=days, minutes=minutes)


def attempt(when: datetime, status: str = "passed", score: float | None = None, **fields: object) -> Attempt:
    if score is None:
        score = 1.0 if status == "passed" else 0.0
    return Attempt(submitted_at=when, status=AttemptStatus(status), score=score, **fields)  # type: ignore[arg-type]


# --- the seam with the store -----------------------------------------------------------------------------------------

def test_attempt_statuses_are_the_stores_submission_statuses() -> None:
    assert [s.value for s in AttemptStatus] == [s.value for s in SubmissionStatus]


def test_attempt_from_a_stored_report_reads_failure_and_failed_checks() -> None:
    report = GradeReport.from_checks([
        Check(id="has_lstm", title="Uses an LSTM", passed=True, points=1),
        Check(id="beats_baseline", title="Beats the baseline", passed=False),
        Check(id="fast_enough", title="Trains in time", passed=False, skipped=True),
    ]).model_dump(mode="json")
    a = Attempt.from_report(at(-1), "failed", 0.5, report)
    assert a.status is AttemptStatus.failed and a.score == 0.5 and a.failed_checks == ("beats_baseline",)
    crashed = GradeReport.not_gradable(Failure.syntax_error, "line 3: invalid syntax").model_dump(mode="json")
    b = Attempt.from_report(at(-1), Status.not_gradable.value, 0.0, crashed)
    assert b.failure == "syntax_error" and b.failed_checks == ()
    queued = Attempt.from_report(at(-1), "queued", None, None)
    assert queued.status is AttemptStatus.queued and queued.score == 0.0 and queued.failure is None


def test_attempt_from_a_malformed_report_keeps_status_and_score() -> None:
    a = Attempt.from_report(at(-1), "failed", 0.25, {"checks": "not a list", "failure": 3})
    assert a.score == 0.25 and a.failure is None and a.failed_checks == ()
    assert Attempt.from_report(at(-1), "failed", float("nan"), None).score == 0.0
    assert Attempt.from_report(at(-1), "passed", 1.0000001, None).score == 1.0


def test_attempt_refuses_naive_times_and_scores_outside_0_1() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Attempt(submitted_at=datetime(2027, 1, 1), status=AttemptStatus.passed, score=1.0)
    for bad in (-0.1, 1.01, float("nan")):
        with pytest.raises(ValueError, match="within 0..1"):
            Attempt(submitted_at=at(), status=AttemptStatus.failed, score=bad)


# --- status ----------------------------------------------------------------------------------------------------------

def test_no_attempts_is_not_started() -> None:
    grade = grade_lesson([], policy())
    assert grade.status is GradeStatus.not_started and grade.score is None and grade.attempts == 0
    assert grade.last_submission is None and not grade.late


def test_only_ungradable_attempts_is_in_progress() -> None:
    grade = grade_lesson([attempt(at(-2), "not_gradable"), attempt(at(-1), "error")], policy())
    assert grade.status is GradeStatus.in_progress and grade.score is None and grade.attempts == 2
    assert grade.last_submission == at(-1)


@pytest.mark.parametrize("pending", ["queued", "running"])
def test_a_first_submission_in_the_queue_is_pending(pending: str) -> None:
    grade = grade_lesson([attempt(at(-1), pending)], policy())
    assert grade.status is GradeStatus.pending and grade.score is None and grade.attempts == 1


def test_passed_and_failed_come_from_the_counted_attempt() -> None:
    assert grade_lesson([attempt(at(-1), "failed", 0.4)], policy()).status is GradeStatus.failed
    assert grade_lesson([attempt(at(-2), "failed", 0.4), attempt(at(-1), "passed")],
                        policy()).status is GradeStatus.passed


def test_a_queued_resubmission_after_a_pass_keeps_best_passed_but_makes_last_pending() -> None:
    attempts = [attempt(at(-2), "passed"), attempt(at(-1), "queued")]
    best = grade_lesson(attempts, policy(counts="best"))
    assert best.status is GradeStatus.passed and best.score == 1.0  # a new submission cannot lower the best
    last = grade_lesson(attempts, policy(counts="last"))
    assert last.status is GradeStatus.pending and last.score == 1.0  # it will replace what counts


def test_a_queued_resubmission_after_a_fail_is_pending_under_best() -> None:
    grade = grade_lesson([attempt(at(-2), "failed", 0.5), attempt(at(-1), "running")], policy())
    assert grade.status is GradeStatus.pending and grade.score == 0.5


def test_a_queued_submission_after_the_last_accepted_date_is_not_pending() -> None:
    grade = grade_lesson([attempt(at(-2), "failed", 0.5), attempt(at(10), "queued")], policy(last_accepted="3"))
    assert grade.status is GradeStatus.failed and grade.too_late == 1


# --- late penalty arithmetic ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("when", "days", "counted"), [
    (at(-1), 0, 0.9),
    (at(0), 0, 0.9),  # exactly at the deadline is on time
    (at(0, minutes=1), 1, 0.8),  # one minute late is one started day
    (at(1), 1, 0.8),
    (at(1, minutes=1), 2, 0.7),
    (at(5), 5, 0.4),
    (at(9), 9, 0.0),  # 0.9 - 0.9
    (at(30), 30, 0.0),  # never below zero
])
def test_late_penalty_per_started_day(when: datetime, days: int, counted: float) -> None:
    grade = grade_lesson([attempt(when, "failed", 0.9)], policy(penalty=0.1))
    assert grade.days_late == days and grade.late is (days > 0)
    assert grade.score == pytest.approx(counted)
    assert grade.unpenalised == 0.9


def test_grace_minutes_make_a_late_submission_on_time() -> None:
    p = policy(penalty=0.5, grace=15)
    assert grade_lesson([attempt(at(0, minutes=15))], p).score == 1.0
    late = grade_lesson([attempt(at(0, minutes=16))], p)
    assert late.late and late.days_late == 1 and late.score == 0.5  # past the grace, counted from the deadline


def test_no_deadline_means_nothing_is_late() -> None:
    grade = grade_lesson([attempt(at(400), "failed", 0.6)], policy(due="", last_accepted="3"))
    assert not grade.late and grade.score == 0.6 and grade.too_late == 0


def test_zero_penalty_flags_late_but_keeps_the_score() -> None:
    grade = grade_lesson([attempt(at(2), "failed", 0.6)], policy(penalty=0))
    assert grade.late and grade.days_late == 2 and grade.score == 0.6


def test_a_passed_late_submission_stays_passed_with_a_penalised_score() -> None:
    grade = grade_lesson([attempt(at(2), "passed")], policy(penalty=0.2))
    assert grade.status is GradeStatus.passed and grade.score == pytest.approx(0.6) and grade.late


def test_late_days_are_counted_on_the_course_wall_clock_across_dst() -> None:
    # due at noon on the Saturday before the spring change: Sunday has 23 hours in Berlin
    p = policy(penalty=0.1, due="2027-03-27T12:00:00", timezone="Europe/Berlin")
    sunday_noon = datetime(2027, 3, 28, 12, 0, tzinfo=BERLIN)
    assert p.days_late(sunday_noon) == 1  # 23 hours later, but one calendar day
    assert p.days_late(sunday_noon + timedelta(minutes=1)) == 2
    # ... and the autumn change: 25 hours from Saturday noon to Sunday noon is still one day
    autumn = policy(penalty=0.1, due="2027-10-30T12:00:00", timezone="Europe/Berlin")
    assert autumn.days_late(datetime(2027, 10, 31, 12, 0, tzinfo=BERLIN)) == 1
    assert autumn.days_late(datetime(2027, 10, 31, 10, 30, tzinfo=UTC)) == 1  # 11:30 CET: 24.5 hours, still one day
    assert autumn.days_late(datetime(2027, 10, 31, 11, 1, tzinfo=UTC)) == 2  # 12:01 CET


# --- the last accepted date -----------------------------------------------------------------------------------------

def test_attempts_after_the_last_accepted_date_are_kept_flagged_and_not_counted() -> None:
    attempts = [attempt(at(-1), "failed", 0.3), attempt(at(2), "failed", 0.6), attempt(at(4), "passed")]
    grade = grade_lesson(attempts, policy(penalty=0.1, last_accepted="3"))
    assert grade.attempts == 3 and grade.too_late == 1 and grade.last_submission == at(4)
    assert grade.score == pytest.approx(0.4) and grade.status is GradeStatus.failed  # 0.6 - 2 days beats 0.3
    assert [j.accepted for j in grade.history] == [True, True, False]
    assert grade.history[2].score is None and grade.history[2].days_late == 4


def test_the_last_accepted_day_itself_is_accepted_including_grace() -> None:
    p = policy(penalty=0.1, last_accepted="3", grace=10)
    assert p.accepts(at(3)) and p.accepts(at(3, minutes=10)) and not p.accepts(at(3, minutes=11))


def test_last_accepted_zero_days_means_no_late_submissions() -> None:
    grade = grade_lesson([attempt(at(0, minutes=1), "passed")], policy(last_accepted="0"))
    assert grade.status is GradeStatus.in_progress and grade.score is None and grade.too_late == 1 and grade.late


def test_only_too_late_attempts_is_in_progress_and_flagged_late() -> None:
    grade = grade_lesson([attempt(at(8), "passed")], policy(last_accepted="7"))
    assert grade.status is GradeStatus.in_progress and grade.late and grade.days_late == 8


def test_an_absolute_last_accepted_date_applies_to_every_lesson() -> None:
    text = '[deadlines]\ngru-vs-lstm = 2027-01-15T23:59:00Z\n[late]\nlast_accepted = 2027-02-01T00:00:00Z\n'
    c = course(text)
    with_deadline = LessonPolicy.from_course(c, LESSON)
    without_deadline = LessonPolicy.from_course(c, "sequence-windows")
    cutoff = datetime(2027, 2, 1, tzinfo=UTC)
    assert with_deadline.last_accepted == cutoff and without_deadline.last_accepted == cutoff
    assert without_deadline.due is None and without_deadline.days_late(cutoff) == 0


def test_last_accepted_days_are_wall_clock_days_in_the_course_zone() -> None:
    p = policy(last_accepted="1", due="2027-03-27T12:00:00", timezone="Europe/Berlin")
    assert p.last_accepted == datetime(2027, 3, 28, 12, 0, tzinfo=BERLIN)


# --- best vs last ----------------------------------------------------------------------------------------------------

def test_best_takes_the_highest_penalised_score() -> None:
    attempts = [attempt(at(-2), "failed", 0.7), attempt(at(1), "passed"), attempt(at(-1), "failed", 0.5)]
    grade = grade_lesson(attempts, policy(penalty=0.4, counts="best"))
    # on time 0.7 beats the late pass (1.0 - 0.4 = 0.6)
    assert grade.score == 0.7 and grade.status is GradeStatus.failed and not grade.late
    assert grade.counted is not None and grade.counted.attempt.submitted_at == at(-2)


def test_best_prefers_a_pass_on_a_tie_then_the_earlier_attempt() -> None:
    grade = grade_lesson([attempt(at(-3), "failed", 0.8), attempt(at(2), "passed", 1.0)], policy(penalty=0.1))
    assert grade.score == pytest.approx(0.8) and grade.status is GradeStatus.passed and grade.late
    tie = grade_lesson([attempt(at(-3), "failed", 0.5), attempt(at(-2), "failed", 0.5)], policy())
    assert tie.counted is not None and tie.counted.attempt.submitted_at == at(-3)


def test_last_takes_the_last_graded_attempt_even_when_lower() -> None:
    attempts = [attempt(at(-3), "passed"), attempt(at(-2), "failed", 0.4), attempt(at(-1), "not_gradable"),
                attempt(at(-0.5), "error")]
    grade = grade_lesson(attempts, policy(counts="last"))
    assert grade.score == 0.4 and grade.status is GradeStatus.failed and grade.attempts == 4
    assert grade.last_submission == at(-0.5)


def test_last_ignores_attempts_after_the_last_accepted_date() -> None:
    grade = grade_lesson([attempt(at(-1), "failed", 0.4), attempt(at(5), "passed")],
                         policy(counts="last", last_accepted="2"))
    assert grade.score == 0.4 and grade.status is GradeStatus.failed and grade.too_late == 1


def test_attempts_are_ordered_by_time_whatever_order_they_come_in() -> None:
    grade = grade_lesson([attempt(at(-1), "failed", 0.2), attempt(at(-3), "failed", 0.9)], policy(counts="last"))
    assert grade.score == 0.2 and [j.attempt.score for j in grade.history] == [0.9, 0.2]


def test_grade_course_gives_every_lesson_in_order() -> None:
    c = course('[deadlines]\ngru-vs-lstm = 2027-01-15T23:59:00Z\n[late]\npenalty_per_day = 0.5\n')
    row = grade_course({LESSON: [attempt(at(1), "passed")]}, c, ["sequence-windows", LESSON])
    assert list(row) == ["sequence-windows", LESSON]
    assert row["sequence-windows"].status is GradeStatus.not_started
    assert row[LESSON].score == 0.5 and row[LESSON].lesson == LESSON


# --- properties ------------------------------------------------------------------------------------------------------

STATUSES = st.sampled_from(list(AttemptStatus))
ATTEMPTS = st.lists(st.builds(
    Attempt,
    submitted_at=st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2027, 3, 1), timezones=st.just(UTC)),
    status=STATUSES, score=st.floats(0.0, 1.0)), max_size=12)
POLICIES = st.builds(
    lambda penalty, last, grace, counts: policy(penalty=penalty, last_accepted=last, grace=grace, counts=counts),
    st.floats(0.0, 1.0), st.sampled_from(["", "0", "3", "30", "2027-02-01T00:00:00Z"]), st.integers(0, 1440),
    st.sampled_from(["best", "last"]))


@given(attempts=ATTEMPTS, p=POLICIES)
def test_counted_score_is_within_0_1_and_never_above_the_unpenalised_best(attempts: list[Attempt],
                                                                          p: LessonPolicy) -> None:
    grade = grade_lesson(attempts, p)
    graded = [a.score for a in attempts if a.status in (AttemptStatus.passed, AttemptStatus.failed)]
    assert grade.attempts == len(attempts)
    if grade.score is not None:
        assert 0.0 <= grade.score <= 1.0
        assert grade.score <= max(graded)
        assert grade.counted is not None and grade.score <= grade.counted.attempt.score
    else:
        assert grade.status in (GradeStatus.not_started, GradeStatus.in_progress, GradeStatus.pending)
    if p.counts is Counts.best and grade.score is not None:
        assert grade.score == max(j.score for j in grade.history if j.score is not None)
    if not attempts:
        assert grade.status is GradeStatus.not_started


@given(attempts=ATTEMPTS, p=POLICIES)
def test_a_late_penalty_never_raises_a_score(attempts: list[Attempt], p: LessonPolicy) -> None:
    for judged in grade_lesson(attempts, p).history:
        if judged.score is not None:
            assert judged.score <= judged.attempt.score
            assert judged.score == judged.attempt.score or judged.late


# --- lesson summary --------------------------------------------------------------------------------------------------

def grade_of(*attempts: Attempt) -> LessonGrade:
    return grade_lesson(attempts, policy(due=""))


def test_summary_pass_rate_median_attempts_and_common_failures() -> None:
    grades = [
        grade_of(attempt(at(-3), "not_gradable", failure="syntax_error"),
                 attempt(at(-2), "not_gradable", failure="syntax_error"),
                 attempt(at(-1), "passed")),
        grade_of(attempt(at(-2), "failed", 0.5, failed_checks=("beats_baseline",)),
                 attempt(at(-1), "failed", 0.5, failed_checks=("beats_baseline", "no_lookahead"))),
        grade_of(attempt(at(-1), "not_gradable", failure="wall_time"),
                 attempt(at(-1), "failed", 0.2, failed_checks=("no_lookahead",)),
                 attempt(at(0), "passed"), attempt(at(0), "passed")),
        grade_of(),  # never started
    ]
    summary = summarise_lesson(LESSON, grades)
    assert (summary.learners, summary.started, summary.passed) == (4, 3, 2)
    assert summary.pass_rate == pytest.approx(2 / 3)
    assert summary.median_attempts == 3.0
    # counted once per learner: the two syntax errors of learner 1 are one
    assert summary.failures == (("syntax_error", 1), ("wall_time", 1))
    assert summary.failed_checks == (("beats_baseline", 1), ("no_lookahead", 2))[::-1]


def test_summary_of_nobody_has_no_rates() -> None:
    summary = summarise_lesson(LESSON, [grade_of(), grade_of()])
    assert summary.started == 0 and summary.pass_rate is None and summary.median_attempts is None
    assert summary.failures == () and summary.failed_checks == ()


def test_summary_keeps_the_top_n_most_common_then_alphabetical() -> None:
    grades = [grade_of(attempt(at(-1), "failed", 0.0, failed_checks=tuple(ids)))
              for ids in (["a", "b", "c"], ["b", "c"], ["c", "d"], ["e"])]
    assert summarise_lesson(LESSON, grades, top=3).failed_checks == (("c", 3), ("b", 2), ("a", 1))


def test_summary_median_of_an_even_count() -> None:
    grades = [grade_of(*[attempt(at(-1), "failed", 0.1)] * n) for n in (1, 2, 3, 10)]
    assert summarise_lesson(LESSON, grades).median_attempts == 2.5


def test_course_file_and_gradebook_import_no_web_framework_and_no_sql() -> None:
    code = ("import sys, app.course_file, app.gradebook, app.gradebook_csv\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', 'jinja2', 'sqlalchemy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
