"""Red team of the reusable evaluator: a hostile *model* (built-in layers only, so it loads with safe_mode=True and
its job ends well) must not change what a later learner gets from the same evaluator, and a job that spins must be
killed at its own limits without making the next learner wait on it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from graders import SandboxConfig, WorkerPool, grade, load_grading, prepare
from graders.pool import Flavour, WarmWorker
from graders.spec import LessonGrading

pytestmark = [pytest.mark.sandbox]
TREND = Path(__file__).parent / "lessons" / "trend-classes"
HOSTILE = Path(__file__).parent / "hostile_reuse"
SOLUTION = (TREND / "solution.py").read_text()


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    pool = WorkerPool(SandboxConfig(python=sys.executable), size=1)
    pool.start()
    yield pool  # type: ignore[misc]
    pool.close()


def idle_evaluator(pool: WorkerPool) -> WarmWorker:
    shelf = pool._shelves[Flavour.evaluator]
    deadline = time.monotonic() + 120
    while not shelf._idle and time.monotonic() < deadline:
        time.sleep(0.1)
    assert shelf._idle, "no evaluator became ready"
    return shelf._idle[0]


def facts(pool: WorkerPool, code: str, grading: LessonGrading | None = None) -> tuple[str, float, dict[str, object]]:
    grading = grading or load_grading(TREND)
    report = grade(grading, code, pool, prepared=prepare(grading))
    return report.status.value, report.score, {c.id: (c.passed, c.message) for c in report.checks}


def test_an_evaluator_that_a_model_left_memory_in_is_retired(pool: WorkerPool) -> None:
    """Keras keeps ~130 MB of an 8M-parameter model's fit after clear_session: four such jobs took a kept evaluator
    from 226 MB to 745 MB, so a later learner (or a lesson with a smaller memory limit) would run out of memory
    because of somebody else's model."""
    evaluator = idle_evaluator(pool)
    assert facts(pool, SOLUTION)[0] == "passed"
    assert idle_evaluator(pool) is evaluator, "a small model's job must not retire the evaluator"
    status, _, checks = facts(pool, (HOSTILE / "memory-hog.py").read_text())
    failing = [name for name, (passed, _) in checks.items() if not passed]
    assert status == "failed" and failing == ["max_params"], checks  # its evaluator job itself ended well
    assert evaluator.process.proc.poll() is not None, "an evaluator holding a big model's memory served on"
    fresh = idle_evaluator(pool)
    assert fresh is not evaluator and fresh.jobs_done == 0


def test_a_job_that_spins_in_a_reused_evaluator_is_stopped_at_its_own_cpu_limit(pool: WorkerPool) -> None:
    """The evaluator's hard RLIMIT_CPU covers 20 jobs; this job's limit is the soft limit moved for it (and the
    parent's watch of the cgroup). The next learner gets a fresh evaluator and the same grade as ever."""
    first = facts(pool, SOLUTION)
    evaluator = idle_evaluator(pool)
    assert evaluator.jobs_done >= 1  # reused: its soft limit was moved at least once already
    grading = load_grading(TREND)
    quick = grading.spec.limits.model_copy(update={"train_seconds": 3.0, "cpu_seconds": 6.0, "wall_seconds": 40.0})
    spinning = grading.model_copy(update={"spec": grading.spec.model_copy(update={"limits": quick})})
    started = time.monotonic()
    report = grade(spinning, (HOSTILE / "spinner.py").read_text(), pool, prepared=prepare(spinning))
    took = time.monotonic() - started
    assert report.failure is not None and report.failure.value == "cpu_time", (report.failure, report.summary)
    assert took < 35, f"a 6 s CPU limit took {took:.0f} s to end the job"
    assert evaluator.process.proc.poll() is not None, "an evaluator whose job was killed must not serve again"
    started = time.monotonic()
    assert facts(pool, SOLUTION) == first
    assert time.monotonic() - started < 60
