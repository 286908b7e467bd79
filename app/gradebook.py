"""The gradebook's policy: a learner's attempts at a lesson + the course file -> the grade that counts; lesson summaries.

Pure functions over plain values: no SQL, no web. The store supplies `Attempt`s, the course file the `LessonPolicy`."""

from __future__ import annotations

import enum
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.course_file import Counts, CourseFile, add_days, days_between


class AttemptStatus(enum.StrEnum):
    """Where a submission is: the store's SubmissionStatus values (a test keeps the two lists equal)."""

    queued = "queued"
    running = "running"
    passed = "passed"
    failed = "failed"
    not_gradable = "not_gradable"
    error = "error"


PENDING = frozenset({AttemptStatus.queued, AttemptStatus.running})
GRADED = frozenset({AttemptStatus.passed, AttemptStatus.failed})  # a model was graded: these can count


class GradeStatus(enum.StrEnum):
    """A learner's standing on one lesson, as the gradebook shows it."""

    not_started = "not_started"  # no submission at all
    in_progress = "in_progress"  # submissions, but none graded in time (not gradable, our error, or too late)
    pending = "pending"  # a submission in time is queued or running and could change the grade
    passed = "passed"  # the counted submission passed
    failed = "failed"  # the counted submission was graded and fell short


class _ReportDigest(BaseModel):
    """The two things the gradebook reads from a stored GradeReport; other fields (and versions) are ignored."""

    model_config = ConfigDict(extra="ignore")

    class _Check(BaseModel):
        model_config = ConfigDict(extra="ignore")
        id: str
        passed: bool
        skipped: bool = False

    failure: str | None = None
    checks: list[_Check] = Field(default_factory=list)


@dataclass(frozen=True)
class Attempt:
    """One submission to one lesson, as the gradebook needs it."""

    submitted_at: datetime  # aware
    status: AttemptStatus
    score: float = 0.0  # 0..1, meaningful for passed and failed
    failure: str | None = None  # the report's failure class (syntax_error, wall_time, ...)
    failed_checks: tuple[str, ...] = ()  # ids of the report's checks that failed

    def __post_init__(self) -> None:
        if self.submitted_at.tzinfo is None or self.submitted_at.utcoffset() is None:
            raise ValueError(f"submitted_at must be timezone-aware, got {self.submitted_at!r}")
        if not (math.isfinite(self.score) and 0.0 <= self.score <= 1.0):
            raise ValueError(f"score must be within 0..1, got {self.score!r}")
        object.__setattr__(self, "status", AttemptStatus(self.status))

    @classmethod
    def from_report(cls, submitted_at: datetime, status: str, score: float | None,
                    report: Mapping[str, Any] | None) -> Attempt:
        """From a stored submission (status, score and report as the store keeps them); a malformed report is ignored."""
        digest = _ReportDigest()
        if report is not None:
            try:
                digest = _ReportDigest.model_validate(report)
            except ValidationError:
                pass  # an old or broken report still leaves the attempt's status and score to count
        failed = tuple(c.id for c in digest.checks if not c.passed and not c.skipped)
        clamped = min(max(score, 0.0), 1.0) if score is not None and math.isfinite(score) else 0.0
        return cls(submitted_at=submitted_at, status=AttemptStatus(status), score=clamped,
                   failure=digest.failure, failed_checks=failed)


@dataclass(frozen=True)
class LessonPolicy:
    """The course file's rules for one lesson, resolved to instants."""

    lesson: str
    due: datetime | None  # None: no deadline, nothing is late
    last_accepted: datetime | None  # None: accepted whenever
    penalty_per_day: float
    grace: timedelta
    counts: Counts
    zone: ZoneInfo

    @classmethod
    def from_course(cls, course: CourseFile, lesson: str) -> LessonPolicy:
        due = course.due(lesson)
        cutoff = course.late.last_accepted
        last: datetime | None = None
        if isinstance(cutoff, datetime):
            last = course.localize(cutoff)  # one closing date for every lesson, with or without a deadline
        elif isinstance(cutoff, int) and due is not None:
            last = add_days(due, cutoff, course.zone)
        # kept in UTC: aware datetimes sharing one ZoneInfo compare by wall clock, which is wrong across a DST change
        return cls(lesson=lesson, due=None if due is None else due.astimezone(UTC),
                   last_accepted=None if last is None else last.astimezone(UTC), penalty_per_day=course.late.penalty_per_day,
                   grace=timedelta(minutes=course.late.grace_minutes), counts=course.counts, zone=course.zone)

    def days_late(self, moment: datetime) -> int:
        """0 up to the due date plus the grace; then started days after the due date on the course's wall clock."""
        if self.due is None or moment <= self.due + self.grace:
            return 0
        return days_between(self.due, moment, self.zone)

    def accepts(self, moment: datetime) -> bool:
        return self.last_accepted is None or moment <= self.last_accepted + self.grace

    def penalised(self, score: float, days_late: int) -> float:
        """The score minus penalty_per_day for each day late, never below 0."""
        return max(0.0, score - self.penalty_per_day * days_late) if days_late else score


@dataclass(frozen=True)
class JudgedAttempt:
    """One attempt with the policy applied."""

    attempt: Attempt
    days_late: int
    accepted: bool  # False: after the last accepted date; kept, flagged, never counted
    score: float | None  # after the late penalty; None unless graded and accepted

    @property
    def late(self) -> bool:
        return self.days_late > 0

    @property
    def countable(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class LessonGrade:
    """One learner × one lesson: what the gradebook shows."""

    lesson: str
    status: GradeStatus
    score: float | None  # the counted score after the penalty; None when nothing counts
    attempts: int  # every submission, whatever became of it
    last_submission: datetime | None
    late: bool  # the counted submission was late (or, when none counts, the last one was)
    days_late: int
    too_late: int  # submissions after the last accepted date (kept, not counted)
    counted: JudgedAttempt | None
    history: tuple[JudgedAttempt, ...]  # every attempt, oldest first

    @property
    def unpenalised(self) -> float | None:
        return None if self.counted is None else self.counted.attempt.score


def judge(attempt: Attempt, policy: LessonPolicy) -> JudgedAttempt:
    days = policy.days_late(attempt.submitted_at)
    accepted = policy.accepts(attempt.submitted_at)
    score = policy.penalised(attempt.score, days) if accepted and attempt.status in GRADED else None
    return JudgedAttempt(attempt=attempt, days_late=days, accepted=accepted, score=score)


def grade_lesson(attempts: Iterable[Attempt], policy: LessonPolicy) -> LessonGrade:
    """A learner's attempts at one lesson -> the counted grade under the course's policy."""
    history = tuple(judge(a, policy) for a in sorted(attempts, key=lambda a: a.submitted_at))
    if not history:
        return LessonGrade(lesson=policy.lesson, status=GradeStatus.not_started, score=None, attempts=0,
                           last_submission=None, late=False, days_late=0, too_late=0, counted=None, history=())
    countable = [j for j in history if j.countable]
    counted: JudgedAttempt | None = None
    if countable and policy.counts is Counts.last:
        counted = countable[-1]
    elif countable:
        # max() keeps the first of equals: on a tie a pass beats a fail, then the earlier submission wins
        counted = max(countable, key=lambda j: (j.score, j.attempt.status is AttemptStatus.passed))
    waiting = [j for j in history if j.accepted and j.attempt.status in PENDING]
    if counted is None:
        status = GradeStatus.pending if waiting else GradeStatus.in_progress
    elif waiting and (policy.counts is Counts.last or counted.attempt.status is not AttemptStatus.passed):
        status = GradeStatus.pending  # the queued submission may still change what counts
    else:
        status = GradeStatus(counted.attempt.status.value)
    shown = counted or history[-1]
    return LessonGrade(
        lesson=policy.lesson, status=status, score=None if counted is None else counted.score, attempts=len(history),
        last_submission=history[-1].attempt.submitted_at, late=shown.late, days_late=shown.days_late,
        too_late=sum(1 for j in history if not j.accepted), counted=counted, history=history)


@dataclass(frozen=True)
class LessonSummary:
    """One lesson across the class, for the instructor's dashboard."""

    lesson: str
    learners: int  # rows summarised (learners in the class)
    started: int  # learners with at least one submission
    passed: int
    pass_rate: float | None  # passed / started; None when nobody started
    median_attempts: float | None  # over learners who started
    failures: tuple[tuple[str, int], ...]  # failure class -> learners who hit it at least once, most common first
    failed_checks: tuple[tuple[str, int], ...]  # check id -> learners who failed it at least once, most common first


def summarise_lesson(lesson: str, grades: Iterable[LessonGrade], top: int = 5) -> LessonSummary:
    """Pass rate, median attempts and the commonest stumbling blocks (counted once per learner, not per retry)."""
    rows = list(grades)
    started = [g for g in rows if g.attempts]
    passed = sum(1 for g in started if g.status is GradeStatus.passed)
    failures: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    for grade in started:
        failures.update({j.attempt.failure for j in grade.history if j.attempt.failure})
        checks.update({c for j in grade.history for c in j.attempt.failed_checks})
    return LessonSummary(
        lesson=lesson, learners=len(rows), started=len(started), passed=passed,
        pass_rate=passed / len(started) if started else None,
        median_attempts=float(statistics.median(g.attempts for g in started)) if started else None,
        failures=_most_common(failures, top), failed_checks=_most_common(checks, top))


def _most_common(counter: Counter[str], top: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top])


def grade_course(attempts_by_lesson: Mapping[str, Sequence[Attempt]], course: CourseFile,
                 lessons: Iterable[str]) -> dict[str, LessonGrade]:
    """One learner's row: every lesson's grade (not_started where there are no attempts), in the order given."""
    return {slug: grade_lesson(attempts_by_lesson.get(slug, ()), LessonPolicy.from_course(course, slug))
            for slug in lessons}
