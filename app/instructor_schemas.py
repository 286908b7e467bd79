"""HTTP schemas of the instructor API (/api/instructor/...): the dashboard's data, typed once for pages and JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from app.classlist import ClassLearner
from app.dashboard import LearnerGrades, MatrixPage
from app.gradebook import GradeStatus, LessonGrade, LessonSummary
from app.history import Grading, Regrade
from app.schemas import SubmissionSummary
from app.store import Submission, SubmissionStatus
from graders.report import GradeReport


def parse_report(raw: dict[str, Any] | None) -> GradeReport | None:
    """A stored report as the one contract; a report no longer readable as one is shown as missing, not as a 500."""
    if raw is None:
        return None
    try:
        return GradeReport.model_validate(raw)
    except ValidationError:
        return None


class LessonGradePublic(BaseModel):
    """One learner × one lesson: the grade that counts under the course file."""

    lesson: str
    status: GradeStatus
    score: float | None = Field(description="Counted score 0..1 after any late penalty; null when nothing counts.")
    unpenalised: float | None = Field(description="The counted submission's score before the late penalty.")
    attempts: int
    last_submission: datetime | None
    late: bool
    days_late: int
    too_late: int = Field(description="Submissions after the last accepted date: kept, never counted.")

    @classmethod
    def from_grade(cls, grade: LessonGrade) -> LessonGradePublic:
        return cls(lesson=grade.lesson, status=grade.status, score=grade.score, unpenalised=grade.unpenalised,
                   attempts=grade.attempts, last_submission=grade.last_submission, late=grade.late,
                   days_late=grade.days_late, too_late=grade.too_late)


class LearnerPublic(BaseModel):
    id: int
    name: str
    email: str | None

    @classmethod
    def from_learner(cls, learner: ClassLearner) -> LearnerPublic:
        return cls(id=learner.id, name=learner.name, email=learner.email)


class LearnerGradesPublic(BaseModel):
    """One row of the gradebook matrix."""

    learner: LearnerPublic
    total: float = Field(description="Mean counted score over every lesson (0 where nothing counts).")
    passed: int
    attempts: int
    last_submission: datetime | None
    grades: dict[str, LessonGradePublic] = Field(description="Lesson slug -> grade, in course order.")

    @classmethod
    def from_row(cls, row: LearnerGrades) -> LearnerGradesPublic:
        return cls(learner=LearnerPublic.from_learner(row.learner), total=row.total, passed=row.passed,
                   attempts=row.attempts, last_submission=row.last_submission,
                   grades={slug: LessonGradePublic.from_grade(g) for slug, g in row.grades.items()})


class LessonColumnPublic(BaseModel):
    slug: str
    title: str
    due: datetime | None


class GradebookPublic(BaseModel):
    """GET /api/instructor/gradebook: one page of the learners × lessons matrix."""

    lessons: list[LessonColumnPublic]
    learners: int = Field(description="Learners in the class.")
    matched: int = Field(description="Learners matching the filters (over every page).")
    page: int
    pages: int
    per_page: int
    rows: list[LearnerGradesPublic]

    @classmethod
    def from_page(cls, page: MatrixPage, lessons: list[LessonColumnPublic]) -> GradebookPublic:
        return cls(lessons=lessons, learners=page.learners, matched=page.matched, page=page.page, pages=page.pages,
                   per_page=page.query.per_page, rows=[LearnerGradesPublic.from_row(r) for r in page.rows])


class RegradePublic(BaseModel):
    """A regrade and its progress: `done` of `total` submissions graded again."""

    id: int
    lesson: str
    requested_by: str
    created: datetime
    total: int
    done: int
    running: bool
    finished: datetime | None
    url: str

    @classmethod
    def from_regrade(cls, regrade: Regrade) -> RegradePublic:
        return cls(id=regrade.id, lesson=regrade.lesson, requested_by=regrade.requested_by, created=regrade.created,
                   total=regrade.total, done=regrade.done, running=regrade.running, finished=regrade.finished,
                   url=f"/api/instructor/regrades/{regrade.id}")


class CountPublic(BaseModel):
    name: str
    learners: int = Field(description="Learners who hit it at least once.")


class LessonSummaryPublic(BaseModel):
    """A lesson across the class: pass rate, median attempts, commonest failure classes and failed checks."""

    lesson: str
    title: str
    due: datetime | None
    learners: int
    started: int
    passed: int
    pass_rate: float | None
    median_attempts: float | None
    failures: list[CountPublic]
    failed_checks: list[CountPublic]
    regrade: RegradePublic | None = Field(description="The lesson's latest regrade, if any.")

    @classmethod
    def from_summary(cls, summary: LessonSummary, title: str, due: datetime | None,
                     regrade: Regrade | None) -> LessonSummaryPublic:
        return cls(lesson=summary.lesson, title=title, due=due, learners=summary.learners, started=summary.started,
                   passed=summary.passed, pass_rate=summary.pass_rate, median_attempts=summary.median_attempts,
                   failures=[CountPublic(name=n, learners=c) for n, c in summary.failures],
                   failed_checks=[CountPublic(name=n, learners=c) for n, c in summary.failed_checks],
                   regrade=RegradePublic.from_regrade(regrade) if regrade else None)


class GradingPublic(BaseModel):
    """One grading of a submission, with what made it (the latest one counts)."""

    id: int
    regrade_id: int | None
    status: SubmissionStatus
    score: float | None
    grader_version: str
    lesson_version: str
    graded: datetime | None
    report: GradeReport | None

    @classmethod
    def from_grading(cls, grading: Grading) -> GradingPublic:
        return cls(id=grading.id, regrade_id=grading.regrade_id, status=grading.status, score=grading.score,
                   grader_version=grading.grader_version, lesson_version=grading.lesson_version,
                   graded=grading.graded, report=parse_report(grading.report))


class SubmissionDetailPublic(BaseModel):
    """GET /api/instructor/submissions/{id}: the code, the latest full report, timings and every earlier grading."""

    id: int
    learner: LearnerPublic
    lesson: str
    status: SubmissionStatus
    score: float | None
    code: str
    created: datetime
    started: datetime | None
    finished: datetime | None
    timings: dict[str, float] = Field(description="Seconds per grading phase, from the latest report.")
    report: GradeReport | None
    gradings: list[GradingPublic] = Field(description="Oldest first; the last is the one that counts.")

    @classmethod
    def from_submission(cls, submission: Submission, learner: ClassLearner,
                        gradings: list[Grading]) -> SubmissionDetailPublic:
        report = parse_report(submission.report)
        return cls(id=submission.id, learner=LearnerPublic.from_learner(learner), lesson=submission.lesson,
                   status=submission.status, score=submission.score, code=submission.code, created=submission.created,
                   started=submission.started, finished=submission.finished,
                   timings=report.timings if report else {}, report=report,
                   gradings=[GradingPublic.from_grading(g) for g in gradings])


class LearnerDetailPublic(BaseModel):
    """GET /api/instructor/learners/{id}: a learner's grades and every submission (newest first)."""

    learner: LearnerPublic
    total: float
    grades: list[LessonGradePublic]
    submissions: list[SubmissionSummary]
