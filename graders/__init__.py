"""The grading engine's public API: grade a submission against a lesson's held-out task, in a sandbox."""

import os

# Before NumPy loads: the trusted process forks sandboxes from a helper thread while its main thread may be inside
# OpenBLAS, and OpenBLAS's fork handler tears its thread pool down under a running call, which then spins forever
# (measured: `lessons check` stuck 5+ minutes at 100 % CPU in a 1336x25 Gram matrix; tests/graders/test_blas.py).
# With one BLAS thread there is no pool to tear down; the trusted side's linear algebra is tiny anyway.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

from graders.grading import grade, prepare  # noqa: E402
from graders.heldout import HeldoutMode, HeldoutStore  # noqa: E402
from graders.pool import WorkerPool  # noqa: E402
from graders.report import Check, Failure, GradeReport, Status  # noqa: E402
from graders.sandbox import SandboxConfig, SandboxUnavailable  # noqa: E402
from graders.spec import GradingSpec, LessonGrading, Limits, SpecError, load_grading  # noqa: E402

__all__ = [
    "Check", "Failure", "GradeReport", "GradingSpec", "HeldoutMode", "HeldoutStore", "LessonGrading", "Limits", "SandboxConfig",
    "SandboxUnavailable", "SpecError", "Status", "WorkerPool", "grade", "load_grading", "prepare",
]
