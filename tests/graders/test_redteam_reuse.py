"""Red team of the reusable evaluator: a hostile *model* (built-in layers only, so it loads with safe_mode=True and
its job ends well) must not change what a later learner gets from the same evaluator, and a job that spins must be
killed at its own limits without making the next learner wait on it."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders import SandboxConfig, WorkerPool, grade, load_grading, prepare
from graders.spec import LessonGrading
from graders.tasks import task_for
from tests.graders.test_pool_flavours import idle_evaluator

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


# ---------------------------------------------------------------- NumPy workers (function lessons)

SCALE = Path(__file__).parent / "lessons" / "scale-function"
SCALE_SOLUTION = (SCALE / "solution.py").read_text()


def test_a_function_lesson_that_imports_tensorflow_anyway_still_grades(pool: WorkerPool) -> None:
    """The NumPy worker never imports TensorFlow itself, but a learner's `import keras` must not hang or break it."""
    grading = load_grading(SCALE)
    code = "import keras\nimport tensorflow as tf\n" + SCALE_SOLUTION.replace(
        "return (", "assert float(tf.constant(2.0)) == 2.0 and keras.__version__\n    return (")
    started = time.monotonic()
    report = grade(grading, code, pool, prepared=prepare(grading))
    assert report.status.value == "passed", (report.summary, report.log[-2000:])
    assert time.monotonic() - started < 60


def test_a_function_lessons_leftover_process_dies_with_its_worker(pool: WorkerPool) -> None:
    marker = f"rt{int(time.time() * 1000) % 10**9}"
    attack = (Path(__file__).parent / "hostile" / "setsid-child.py").read_text().replace("{{MARKER}}", marker)
    grading = load_grading(SCALE)
    report = grade(grading, attack + "\n" + SCALE_SOLUTION, pool, prepared=prepare(grading))
    assert "ATTACK setsid: child started" in report.log, report.log[-2000:]
    assert report.status.value == "passed", report.summary
    survivors = subprocess.run(["pgrep", "-x", marker], capture_output=True, text=True)
    assert survivors.stdout.strip() == "", f"still running: {survivors.stdout}"


def test_one_learner_cannot_change_anothers_hidden_cases_or_expected_answers(pool: WorkerPool) -> None:
    """The cases are made once per prepared lesson and kept: the learner's sandbox gets copies of the arguments
    (mutating them in place changes nothing outside), never the expected answers nor the known mistakes."""
    grading = load_grading(SCALE)
    prepared = prepare(grading)
    assert grade(grading, SCALE_SOLUTION, pool, prepared=prepared).status.value == "passed"
    kept = pickle.dumps((prepared.cases, prepared.expected))
    job = task_for("function_cases").train_job(grading, prepared, "", 0)
    assert set(job) == {"kind", "code", "functions", "cases"}
    assert all("mistakes" not in case and "expected" not in case for case in job["cases"])
    vandal = ("import numpy as np\n"
              "def standardise(train, values):\n"
              "    train[...] = 0.0\n"
              "    values[...] = 1e9\n"
              "    return values\n")
    assert grade(grading, vandal, pool, prepared=prepared).status.value == "failed"
    assert pickle.dumps((prepared.cases, prepared.expected)) == kept
    assert grade(grading, SCALE_SOLUTION, pool, prepared=prepared).status.value == "passed"


def test_a_jobs_sandbox_warning_stays_with_that_job(tmp_path: Path) -> None:
    """A warning about one job (its limits could not be lowered) is in that job's report only; the next job of the
    same reused process reports the process-wide facts and its own warnings, never an earlier learner's."""
    from graders.report import SandboxInfo
    from graders.sandbox import SandboxProcess
    from graders.spec import Limits

    class Cgroup:
        version, memory_dir, pids_dir = 1, tmp_path, None

        def weigh(self, share: float) -> None:
            pass

    process = object.__new__(SandboxProcess)
    process.info = SandboxInfo(isolation="bwrap", warnings=["process-wide"])
    process.job_warnings = []
    process.cgroup = Cgroup()  # type: ignore[assignment]
    process._renice_all = lambda value: None  # type: ignore[method-assign]
    limit_file = tmp_path / "memory.limit_in_bytes"
    limit_file.mkdir()  # writing it fails, as a limit below the usage left by an earlier job does (EBUSY)
    process.tighten(Limits())
    assert process.job_info().warnings[0] == "process-wide"
    assert process.job_info().warnings[1].startswith("could not lower the job's limits")
    limit_file.rmdir()
    process.tighten(Limits())
    assert process.job_info().warnings == ["process-wide"]
    assert process.info.warnings == ["process-wide"]
