"""Shared fixtures: the repository's lessons and one warm, sandboxed worker pool per test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders import LessonGrading, SandboxConfig, WorkerPool, load_grading

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"


@pytest.fixture(scope="session")
def lstm_lesson() -> LessonGrading:
    return load_grading(LESSONS / "lstm-sequence-prediction")


@pytest.fixture(scope="session")
def pool() -> Iterator[WorkerPool]:
    """Real isolation: bubblewrap + seccomp + cgroups, as an unprivileged uid (see graders/sandbox.py)."""
    pool = WorkerPool(SandboxConfig(python=sys.executable), size=2)
    pool.start()
    yield pool
    pool.close()
