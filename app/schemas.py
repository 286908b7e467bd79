"""HTTP schemas: what the JSON API accepts and returns (role-suffixed names; the domain models stay plain)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.store import Submission, SubmissionStatus


class SubmissionCreate(BaseModel):
    """Body of POST /api/lessons/{slug}/submissions."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "import keras\n\nWINDOW = 24\n..."}]})

    # Not empty and not only whitespace: the route answers 422 for those (app/routes/submission_body.py).
    code: str = Field(min_length=1, pattern=r"\S", description="The whole Python module, as in the editor (UTF-8, "
                      "at most max_code_bytes, not only whitespace).")


class WaitPublic(BaseModel):
    """An estimate from how long recent gradings of the same lessons took, the gradings running and the queue ahead."""

    until_start_s: int = Field(description="Seconds until grading starts (estimate).")
    until_report_s: int = Field(description="Seconds until the report (estimate).")
    grading_s: int = Field(description="How long a grading of this lesson has typically taken.")


class SubmissionCreated(BaseModel):
    """202 answer: the submission is queued; follow `events_url` (SSE) or poll `url`."""

    id: int
    status: SubmissionStatus
    position: int | None = Field(description="1 = next to be graded.")
    estimate: WaitPublic | None = Field(None, description="How long until the report, when recent gradings of "
                                        "this lesson give a basis for it; null otherwise.")
    url: str
    events_url: str


class SubmissionSummary(BaseModel):
    """One row of a learner's submission list (no code, no report: fetch the submission for those)."""

    id: int
    lesson: str
    status: SubmissionStatus
    score: float | None
    summary: str = Field(description="One line from the report, empty until graded.")
    created: datetime
    finished: datetime | None

    @classmethod
    def from_submission(cls, submission: Submission) -> SubmissionSummary:
        summary = str((submission.report or {}).get("summary", ""))
        return cls(id=submission.id, lesson=submission.lesson, status=submission.status, score=submission.score,
                   summary=summary, created=submission.created, finished=submission.finished)


class SubmissionPublic(BaseModel):
    """A submission with its code and, once graded, its GradeReport (see graders/report.py)."""

    id: int
    lesson: str
    status: SubmissionStatus
    score: float | None
    code: str
    report: dict[str, Any] | None = Field(description="The GradeReport as JSON; null until graded.")
    position: int | None = Field(None, description="Place in the grading queue while queued.")
    created: datetime
    started: datetime | None
    finished: datetime | None

    @classmethod
    def from_submission(cls, submission: Submission, position: int | None = None) -> SubmissionPublic:
        return cls(id=submission.id, lesson=submission.lesson, status=submission.status, score=submission.score,
                   code=submission.code, report=submission.report, position=position, created=submission.created,
                   started=submission.started, finished=submission.finished)


class ErrorPublic(BaseModel):
    """Every 4xx/5xx answer of the API."""

    detail: str


class HealthCheckPublic(BaseModel):
    """One check behind /healthz."""

    ok: bool
    detail: str = Field(description="What was found, in a sentence an operator can act on.")


class HealthPublic(BaseModel):
    status: str = Field(description="'ok', or 'degraded' (HTTP 503) when any check fails or grading is not running.")
    lessons: int
    queued: int | None = Field(description="Submissions waiting; null when the database cannot be read.")
    running: int | None = Field(description="Submissions being graded; null when the database cannot be read.")
    grading: bool = Field(description="The grading threads are alive.")
    warm_workers: int = Field(description="Sandboxed workers ready with TensorFlow imported.")
    checks: dict[str, HealthCheckPublic] = Field(
        default_factory=dict, description="database (answers and takes writes), database_file (SQLite: the file "
        "opened at start is still there, not deleted or replaced) or database_identity (PostgreSQL: the same "
        "database), disk (SQLite: at least 1 MiB free), grading.")


class AccountExport(BaseModel):
    """GET /account/submissions.json: everything an account has submitted, to keep."""

    email: str
    role: str
    created: datetime
    exported: datetime
    submissions: list[SubmissionPublic] = Field(description="Oldest first, each with its code and report.")
