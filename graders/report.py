"""GradeReport, Check and Status: the one results contract shared by browser, CLI and CI."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

REPORT_VERSION = 3  # 2: held-out mode; finite_predictions replaces finite_loss; batch_invariant. 3: baselines
LOG_LIMIT_CHARS = 20_000


class Status(enum.StrEnum):
    """Outcome of grading one submission."""

    passed = "passed"  # every check passed
    failed = "failed"  # a model was graded but fell short
    not_gradable = "not_gradable"  # the learner's code could not be graded (syntax, contract, limits)
    error = "error"  # our fault: the sandbox could not start, a bug in the grader


class Failure(enum.StrEnum):
    """Why grading stopped early; each kind has its own teaching message."""

    syntax_error = "syntax_error"
    import_error = "import_error"
    contract_error = "contract_error"
    wall_time = "wall_time"
    cpu_time = "cpu_time"
    out_of_memory = "out_of_memory"
    output_limit = "output_limit"
    killed = "killed"
    exited = "exited"
    diverged = "diverged"
    unsafe_model = "unsafe_model"
    batch_dependent = "batch_dependent"  # a row's prediction changed with the other rows in its batch
    unreadable_file = "unreadable_file"  # the CLI refused the file itself: a link, a special file, not UTF-8, too big
    superseded = "superseded"  # the learner sent newer code for the lesson while this one still waited: not graded
    system_error = "system_error"


class Check(BaseModel):
    """One named check with the points it earned and a message that teaches."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    passed: bool
    points: float = 0.0
    max_points: float = 1.0
    message: str = ""
    skipped: bool = False
    line: int | None = None  # where in the learner's file the problem is (a syntax error), for the editor to mark


class Baseline(BaseModel):
    """A simple model fit on the training part only, scored on the same held-out rows as the learner's model."""

    model_config = ConfigDict(extra="forbid")

    id: str  # e.g. "linear", "seasonal_168", "ngram", "order_blind"
    title: str  # what it does, in a few words
    meaning: str  # one sentence: what beating it means
    value: float | None = None  # the held-out metric; None when it cannot be computed for these rows
    bar: bool = False  # the one the pass mark is set against


class SandboxInfo(BaseModel):
    """Which isolation the submission actually ran under (the report says, never assume)."""

    model_config = ConfigDict(extra="forbid")

    isolation: str = "none"  # "bwrap" or "unconfined"
    seccomp: bool = False
    memory_limit: str = "none"  # "cgroup-v2", "cgroup-v1", "rlimit-data" or "none"
    pids_limit: str = "none"
    uid: int | None = None
    cpus: int = 1
    warnings: list[str] = Field(default_factory=list)


class Epoch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    epoch: int
    loss: float | None = None
    val_loss: float | None = None


class GradeReport(BaseModel):
    """Everything a learner, an instructor or a CI job needs to know about one graded submission."""

    model_config = ConfigDict(extra="forbid")

    version: int = REPORT_VERSION
    lesson: str = ""
    submission: str = ""
    status: Status
    heldout: str = ""  # "private" (never derivable from the repository), "public" (practice only) or "" (not scored)
    score: float = Field(0.0, ge=0.0, le=1.0)
    summary: str = ""
    failure: Failure | None = None
    checks: list[Check] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    metric: str = ""  # the held-out metric the baselines are given in: "rmse", "mae", "accuracy", "bits_per_char"
    baselines: list[Baseline] = Field(default_factory=list)
    history: list[Epoch] = Field(default_factory=list)
    training: dict[str, Any] = Field(default_factory=dict)
    plots: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    sandbox: SandboxInfo = Field(default_factory=SandboxInfo)
    log: str = ""

    @classmethod
    def not_gradable(cls, failure: Failure, message: str, **fields: Any) -> GradeReport:
        return cls(status=Status.not_gradable, failure=failure, summary=message, **fields)

    @classmethod
    def system_error(cls, message: str, **fields: Any) -> GradeReport:
        return cls(status=Status.error, failure=Failure.system_error, summary=message, **fields)

    @classmethod
    def from_checks(cls, checks: list[Check], **fields: Any) -> GradeReport:
        """Score = points earned / points available; passed only when every check passed."""
        total = sum(c.max_points for c in checks)
        earned = sum(c.points for c in checks)
        score = round(earned / total, 4) if total else 0.0
        passed = all(c.passed for c in checks)
        status = Status.passed if passed else Status.failed
        if "summary" not in fields:
            failing = [c for c in checks if not c.passed and not c.skipped]
            fields["summary"] = (
                "All checks passed." if passed else f"{len(failing)} check(s) failed: " + ", ".join(c.title for c in failing)
            )
        return cls(status=status, score=score, checks=checks, **fields)


def truncate_log(text: str, limit: int = LOG_LIMIT_CHARS) -> str:
    """Keep the head and the tail of a long log: the first error and the last words both matter."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - limit
    return f"{text[:half]}\n… [{cut} characters cut] …\n{text[-half:]}"
