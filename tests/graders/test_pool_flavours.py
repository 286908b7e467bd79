"""The pool's three kinds of worker: NumPy-only for function lessons, one-shot builders for learner code, and
evaluators that serve many phase-B jobs. The invariant for reuse: an evaluator's earlier jobs never change a grade."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from graders import SandboxConfig, WorkerPool, grade, load_grading, prepare
from graders.pool import EVALUATOR_JOBS, Flavour, WarmWorker
from graders.protocol import JobKind
from graders.spec import Limits

pytestmark = [pytest.mark.sandbox]
TREND = Path(__file__).parent / "lessons" / "trend-classes"
SCALE = Path(__file__).parent / "lessons" / "scale-function"
SOLUTION = (TREND / "solution.py").read_text()
# Another learner's model: different units, optimizer and learning rate, so it leaves different state behind.
OTHER = SOLUTION.replace("GRU(8)", "GRU(5, return_sequences=True), keras.layers.GRU(3)").replace(
    "keras.optimizers.Adam(0.01)", "keras.optimizers.RMSprop(0.003)")
# Built and saved in phase A, refused by phase B's safe_mode load: a job that does not end well.
UNSAFE = SOLUTION.replace("keras.layers.GRU(8),", "keras.layers.GRU(8), keras.layers.Lambda(lambda t: t),")


@pytest.fixture(scope="module")
def small_pool() -> WorkerPool:
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


def grade_facts(pool: WorkerPool, code: str) -> tuple[str, float, dict[str, object]]:
    grading = load_grading(TREND)
    report = grade(grading, code, pool, prepared=prepare(grading))
    return report.status.value, report.score, {c.id: (c.passed, c.message) for c in report.checks}


def test_function_lessons_run_in_a_worker_that_never_imports_tensorflow(small_pool: WorkerPool) -> None:
    code = ("import sys\n"
            "def scale(x):\n"
            "    return [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n")
    worker = small_pool.acquire(JobKind.call)
    assert worker.flavour is Flavour.numpy
    outcome = worker.run({"kind": "call", "code": code, "functions": ["scale"],
                          "cases": [{"function": "scale", "args": [1]}]}, Limits())
    assert outcome.failure is None, outcome.message
    assert outcome.answer.results[0].value == []  # type: ignore[union-attr]


def test_a_function_lesson_grades_in_well_under_a_second_when_warm(small_pool: WorkerPool) -> None:
    grading = load_grading(SCALE)
    prepared = prepare(grading)
    code = (SCALE / "solution.py").read_text()
    first = grade(grading, code, small_pool, prepared=prepared)
    again = grade(grading, code, small_pool, prepared=prepared)
    assert first.status.value == again.status.value == "passed"
    assert "reference" in first.timings and "reference" not in again.timings  # the hidden cases are made once
    assert again.timings["total"] < 1.0, again.timings


def test_an_evaluator_serves_many_jobs_and_earlier_jobs_never_change_a_grade(small_pool: WorkerPool) -> None:
    evaluator = idle_evaluator(small_pool)
    first = grade_facts(small_pool, SOLUTION)
    assert idle_evaluator(small_pool) is evaluator, "the evaluator was not reused after a job that ended well"
    other = grade_facts(small_pool, OTHER)
    again = grade_facts(small_pool, SOLUTION)
    assert idle_evaluator(small_pool) is evaluator
    assert evaluator.jobs_done == 3
    assert first == again, "the same submission graded differently after another model ran in the same evaluator"
    assert first != other
    # And the same as in a brand-new (cold) evaluator: reuse changes nothing a learner can see.
    cold = WorkerPool(SandboxConfig(python=sys.executable), size=0)
    cold.start()
    try:
        assert grade_facts(cold, SOLUTION) == first
    finally:
        cold.close()


def test_an_evaluator_is_retired_after_any_job_that_did_not_end_well(small_pool: WorkerPool) -> None:
    evaluator = idle_evaluator(small_pool)
    status, _, checks = grade_facts(small_pool, UNSAFE)
    assert status == "not_gradable" and "safe_model" in checks, checks
    assert evaluator.process.proc.poll() is not None, "an evaluator that refused an archive must not serve again"
    assert idle_evaluator(small_pool) is not evaluator


def test_an_evaluator_is_retired_after_its_last_job(small_pool: WorkerPool) -> None:
    evaluator = idle_evaluator(small_pool)
    evaluator.jobs_done = EVALUATOR_JOBS - 1
    assert grade_facts(small_pool, SOLUTION)[0] == "passed"
    assert evaluator.process.proc.poll() is not None
    assert idle_evaluator(small_pool) is not evaluator


def test_the_parent_kills_a_job_past_its_cpu_limit_as_the_cgroup_counts_it() -> None:
    """An evaluator's hard RLIMIT_CPU covers many jobs, so each job's limit is also watched from outside."""

    class Process:
        def __init__(self) -> None:
            self.cpu, self.killed = 0.0, False

        def cpu_seconds(self) -> float:
            return self.cpu

        def kill(self) -> None:
            self.killed = True

    worker = WarmWorker.__new__(WarmWorker)
    worker.process = Process()  # type: ignore[assignment]
    limits = Limits(cpu_seconds=10)
    worker.process.cpu = 104.0  # type: ignore[attr-defined]
    assert not worker._over_cpu(100.0, limits) and not worker.process.killed  # type: ignore[attr-defined]
    worker.process.cpu = 116.0  # type: ignore[attr-defined]
    assert worker._over_cpu(100.0, limits) and worker.process.killed  # type: ignore[attr-defined]
