"""The grading engine's public API: grade a submission against a lesson's held-out task, in a sandbox."""

from graders.grading import grade, prepare
from graders.heldout import HeldoutMode, HeldoutStore
from graders.pool import WorkerPool
from graders.report import Check, Failure, GradeReport, Status
from graders.sandbox import SandboxConfig, SandboxUnavailable
from graders.spec import GradingSpec, LessonGrading, Limits, SpecError, load_grading

__all__ = [
    "Check", "Failure", "GradeReport", "GradingSpec", "HeldoutMode", "HeldoutStore", "LessonGrading", "Limits", "SandboxConfig",
    "SandboxUnavailable", "SpecError", "Status", "WorkerPool", "grade", "load_grading", "prepare",
]
