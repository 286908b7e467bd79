"""Golden submissions: each file names its expected outcome; grading it must give exactly that."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders import GradeReport, LessonGrading, Limits, WorkerPool, grade

SUBMISSIONS = Path(__file__).parent / "submissions"
# Small limits so the limit cases finish fast; each still proves the classification.
TIGHT = {
    "cpu": Limits(train_seconds=5, wall_seconds=60, cpu_seconds=4),
    "wall": Limits(train_seconds=4, wall_seconds=6),
    "memory": Limits(memory_mb=768),
}


def expectations(path: Path) -> dict[str, str]:
    """Parse 'expect: status=... check=... message=...' from the submission's docstring."""
    head = path.read_text().split('"""')[1]
    spec = head.split("expect:", 1)[1].strip()
    found = dict(re.findall(r"(\w+)=((?:(?! \w+=).)+)", spec))
    return {k: v.strip() for k, v in found.items()}


def with_limits(lesson: LessonGrading, limits: Limits) -> LessonGrading:
    return lesson.model_copy(update={"spec": lesson.spec.model_copy(update={"limits": limits})})


def failing_check_ids(report: GradeReport) -> list[str]:
    return [c.id for c in report.checks if not c.passed and not c.skipped]


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SUBMISSIONS.glob("*.py")), ids=lambda p: p.stem)
def test_golden_submission(path: Path, lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    expect = expectations(path)
    lesson = with_limits(lstm_lesson, TIGHT[expect["limits"]]) if "limits" in expect else lstm_lesson
    report = grade(lesson, path.read_text(), pool)
    context = f"{report.status.value} {report.failure} {report.summary}\n{report.log[-1500:]}"
    assert report.status.value == expect["status"], context
    if "failure" in expect:
        assert report.failure is not None and report.failure.value == expect["failure"], context
    if "check" in expect:
        assert expect["check"] in failing_check_ids(report), context
    if "message" in expect:
        messages = report.summary + " ".join(c.message for c in report.checks)
        assert expect["message"].lower() in messages.lower(), context
    if expect["status"] == "passed":
        assert report.score == 1.0
        assert report.metrics["heldout_rmse"] < 0.8 * report.metrics["baseline_rmse"]
        assert len(report.history) == report.training["epochs_run"] > 0
        assert report.sandbox.isolation == "bwrap" and report.sandbox.seccomp
    if expect["status"] == "not_gradable":
        assert report.score == 0.0
