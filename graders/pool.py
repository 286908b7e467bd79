"""The warm pool: sandboxed workers that have already imported TensorFlow, one job each, replenished."""

from __future__ import annotations

import enum
import logging
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders import protocol, wire
from graders.answers import TypedAnswer, parse_typed
from graders.cgroups import sweep_stale_cgroups
from graders.protocol import Event, JobKind, Outcome, ProtocolError
from graders.report import Failure, SandboxInfo
from graders.sandbox import (
    EXEC_BAN_FILE,
    HARNESS_DIR,
    Exit,
    SandboxConfig,
    SandboxProcess,
    SandboxUnavailable,
    preflight,
)
from graders.spec import Limits

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]
READY_TIMEOUT_S = 120.0
WARMING_NICE = 10


LEARNER_FAILURES = {
    Outcome.syntax_error: Failure.syntax_error, Outcome.import_error: Failure.import_error,
    Outcome.contract_error: Failure.contract_error, Outcome.out_of_memory: Failure.out_of_memory,
    Outcome.unsafe_model: Failure.unsafe_model,
}
RUNS_LEARNER_CODE = {JobKind.train, JobKind.call}
TAMPERED = ("Your code wrote to the grader's private channel (a file descriptor it did not open) or changed the "
            "grader's own code, so its answer cannot be trusted. Use print() for your own output.")


@dataclass
class PhaseOutcome:
    """What one sandboxed phase produced: a typed answer, or why there is none (the learner's, or our fault)."""

    answer: TypedAnswer | None
    failure: Failure | None
    message: str
    log: str
    seconds: float
    sandbox: SandboxInfo
    check: str = "contract"
    exit: Exit | None = None


class Runtime:
    """A world-readable copy of the in-sandbox code, bound read-only at /harness (the repo may be private)."""

    FILES = ("worker.py", "windowing.py", "wire.py", "protocol.py", "recurrence.py")

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rnnlab-harness-"))
        self.dir.chmod(0o755)
        here = Path(__file__).parent
        for name in self.FILES:
            target = self.dir / name
            shutil.copyfile(here / name, target)
            target.chmod(0o644)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class Flavour(enum.StrEnum):
    """Which warm worker a job needs (graders/worker.py FLAVOURS)."""

    builder = "builder"  # phase A: TF imported, runs learner code, one job then killed
    evaluator = "evaluator"  # phase B: TF imported and warmed by a fit, no learner code, many jobs
    numpy = "numpy"  # function lessons: NumPy only (starts in ~0.1 s), runs learner code, one job then killed


FLAVOUR_OF_JOB = {JobKind.train: Flavour.builder, JobKind.evaluate: Flavour.evaluator,
                  JobKind.call: Flavour.numpy, JobKind.cases: Flavour.numpy}
EVALUATOR_JOBS = 20  # an evaluator is replaced after this many jobs, or at once after any job that did not end well
CPU_GRACE_S = 5.0  # past a job's CPU limit (as its cgroup counts it) the parent kills it, whatever the rlimit does
# Keras/TF keep memory of every fit after clear_session (about a model's weights, gradients and optimizer slots:
# measured ~130 MB per job for an 8M-parameter model), so an evaluator whose memory grew by more than this since its
# first job is retired: a later learner must not get less memory than a fresh evaluator would give them.
EVALUATOR_GROWTH_MB = 128
NUMPY_SHELF = 4  # NumPy-only workers kept ready at least


class WarmWorker:
    """One sandboxed worker process and the framed protocol spoken with it.

    Builders and numpy workers run learner code and serve one job. An evaluator (reusable=True) serves up to
    EVALUATOR_JOBS jobs, each with its own log, limits and CPU count, and is retired after any job that was not a
    plain success (see docs/ARCHITECTURE.md, "Why the evaluator may serve many jobs")."""

    def __init__(self, config: SandboxConfig, runtime: Runtime, nice: int = 0,
                 flavour: Flavour = Flavour.builder, reusable: bool = False) -> None:
        self.config = config
        self.flavour = flavour
        self.reusable = reusable
        self.jobs_done = 0
        self.memory_at_first_job: int | None = None  # an evaluator's memory (cgroup) when its first job started
        self.in_use = False  # lent to a job and not yet finished with it (busy_count)
        self.workdir: Path | None = None
        sandboxed = config.mode == "bwrap"
        if sandboxed:
            script, workdir = f"{HARNESS_DIR}/worker.py", "/tmp"
        else:
            self.workdir = Path(tempfile.mkdtemp(prefix="rnnlab-job-"))
            script, workdir = str(runtime.dir / "worker.py"), str(self.workdir)
        argv = [config.python, "-I", "-B", script, "--threads", str(config.cpus), "--workdir", workdir,
                "--flavour", flavour.value,
                *(["--forbid-exec", f"{HARNESS_DIR}/{EXEC_BAN_FILE}"] if sandboxed else [])]
        self.process = SandboxProcess(config, runtime.dir, argv, nice=nice,
                                      jobs=EVALUATOR_JOBS if reusable else 1)
        self.messages: queue.Queue[protocol.Message | Event | None] = queue.Queue()
        self.ready = threading.Event()
        self._settled = threading.Event()  # ready, or dead before it got there
        self._log_lock = threading.Lock()
        self._log = bytearray()
        self._log_start = 0
        self._log_total = 0
        self._log_cap = config.ceiling.output_kb * 1024
        self._chatter = 0  # bytes of progress messages of the current job before its result: small, so capped
        self.output_exceeded = False
        self.protocol_abuse = False
        self.on_release: Callable[[WarmWorker, bool], None] | None = None  # the pool's hook: (worker, kept alive)
        threading.Thread(target=self._read_protocol, daemon=True).start()
        self._stderr_thread = threading.Thread(target=self._read_log, daemon=True)
        self._stderr_thread.start()

    # -- readers (threads): never block the sandbox on a full pipe, never keep more than the caps
    def _read_protocol(self) -> None:
        """Frames from the sandbox, bounded before they are parsed; any malformed byte stops the job."""
        stream = self.process.proc.stdout
        assert stream is not None
        try:
            while True:
                message = protocol.read_message(stream)  # type: ignore[arg-type]
                if message is None:
                    break
                kind = message.body.get("event")
                if kind == protocol.EventKind.result:
                    self._chatter = 0
                    self.messages.put(message)
                    if self.reusable:
                        continue
                    break
                self._chatter += sum(len(str(v)) for v in message.body.values()) + 16
                if self._chatter > protocol.MAX_CHATTER_BYTES or message.blobs:
                    raise ProtocolError("too much progress chatter")
                if kind == protocol.EventKind.ready and not self.ready.is_set():
                    with self._log_lock:
                        self._log_start = len(self._log)  # TF's import chatter is not the learner's output
                    self._chatter = 0
                    self.ready.set()
                    self._settled.set()
                    continue
                event = protocol.parse_event(message.body)
                if event is not None:
                    self.messages.put(event)
        except (ProtocolError, OSError, ValueError):
            self.protocol_abuse = True  # learner code is writing to our pipe; stop before it costs us memory
            self.process.kill()
        self._settled.set()
        self.messages.put(None)

    def _read_log(self) -> None:
        stream = self.process.proc.stderr
        assert stream is not None
        while True:
            chunk = stream.read1(65536)  # type: ignore[attr-defined]
            if not chunk:
                break
            with self._log_lock:
                self._log_total += len(chunk)
                room = self._log_cap - len(self._log)
                if room > 0:
                    self._log += chunk[:room]
                flooded = self._log_total > 16 * self._log_cap
            if flooded and not self.output_exceeded:
                self.output_exceeded = True
                self.process.kill()

    def _new_log(self) -> None:
        """Each job of a reusable worker has its own log and its own output cap."""
        with self._log_lock:
            self._log, self._log_start, self._log_total = bytearray(), 0, 0

    def log_text(self) -> str:
        with self._log_lock:
            text = self._log[self._log_start:].decode("utf-8", errors="replace")
            if self._log_total > len(self._log):
                text += f"\n… output truncated: {self._log_total} bytes written, {len(self._log)} kept."
        return text

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        self._settled.wait(timeout)
        return self.ready.is_set()

    def run(self, job: dict[str, Any], limits: Limits, on_event: EventSink | None = None) -> PhaseOutcome:
        """Hand the job over, stream its events, enforce the wall clock and the CPU limit, classify how it ended."""
        started = time.monotonic()
        if self.jobs_done:
            self._new_log()
        self.jobs_done += 1
        if self.reusable and self.memory_at_first_job is None:
            self.memory_at_first_job = self._memory_in_use()
        self.process.tighten(limits)
        cpu_at_start = self.process.cpu_seconds()
        kind = JobKind(job["kind"])
        tree, blobs = wire.pack({**job, "kind": kind.value, "cpu_seconds": limits.cpu_seconds})
        stdin = self.process.proc.stdin
        assert stdin is not None
        try:
            protocol.write_message(stdin, {"job": tree}, blobs)  # type: ignore[arg-type]
            if self.reusable:
                stdin.flush()
            else:
                stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass
        deadline = started + limits.wall_seconds
        result: protocol.Message | None = None
        timed_out = over_cpu = False
        kept = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                try:
                    message = self.messages.get(timeout=min(remaining, 0.5))
                except queue.Empty:
                    if self._over_cpu(cpu_at_start, limits):
                        over_cpu = True
                        break
                    continue
                if message is None:
                    break
                if isinstance(message, protocol.Message):
                    result = message
                    break
                if on_event is not None:
                    on_event(message)
            kept = (self.reusable and result is not None and self.jobs_done < EVALUATOR_JOBS
                    and result.body.get("outcome") in (Outcome.ok.value, Outcome.diverged.value)
                    and not (self.output_exceeded or self.protocol_abuse) and self.process.proc.poll() is None
                    and not self._grew())
        finally:
            if kept:
                exit_info = Exit(returncode=None, cpu_seconds=self.process.cpu_seconds())
            else:
                # One job per worker (or the last of an evaluator): once it has answered there is nothing to wait
                # for (TF's own teardown takes ~0.5 s). Whatever was left behind (a setsid child, a sleeper) dies.
                self.process.kill()
                exit_info = self.process.finish()
                self._stderr_thread.join(timeout=5)
                self._cleanup()
            self.in_use = False
            if self.on_release is not None:
                self.on_release(self, kept)
        outcome = PhaseOutcome(answer=None, failure=None, message="", log=self.log_text(),
                               seconds=time.monotonic() - started, sandbox=self.process.job_info(), exit=exit_info)
        cpu_used = None
        if cpu_at_start is not None and exit_info.cpu_seconds is not None:
            cpu_used = exit_info.cpu_seconds - cpu_at_start
        if over_cpu:  # we killed it for its CPU: classify() says so from cpu_used, not from an earlier job's memory peak
            exit_info.signal, exit_info.memory_peak = signal.SIGKILL, 0
        failure, explanation = classify(result is not None, exit_info, timed_out, self.output_exceeded,
                                        self.protocol_abuse, limits, cpu_used)
        if failure is not None:
            outcome.failure, outcome.message = failure, explanation
        else:
            assert result is not None
            judge_answer(kind, result, outcome)
        return outcome

    def _over_cpu(self, cpu_at_start: float | None, limits: Limits) -> bool:
        """The job's CPU as its cgroup counts it (all its threads and children), against its limit: the rlimit
        alone is per process, and an evaluator's hard rlimit covers many jobs."""
        now = self.process.cpu_seconds()
        if cpu_at_start is None or now is None or now - cpu_at_start < limits.cpu_seconds + CPU_GRACE_S:
            return False
        self.process.kill()
        return True

    def _memory_in_use(self) -> int | None:
        """Bytes the worker's cgroup holds now (None where no cgroup counts them)."""
        cgroup = self.process.cgroup
        if cgroup is None:
            return None
        try:
            name = "memory.current" if cgroup.version == 2 else "memory.usage_in_bytes"
            return int((cgroup.memory_dir / name).read_text().strip())
        except (OSError, ValueError):
            return None

    def _grew(self) -> bool:
        """The evaluator kept more memory than EVALUATOR_GROWTH_MB since its first job (measured as its job ends)."""
        now = self._memory_in_use()
        return (now is not None and self.memory_at_first_job is not None
                and now - self.memory_at_first_job > EVALUATOR_GROWTH_MB * 1024 * 1024)

    def close(self) -> None:
        self.process.kill()
        self.process.finish(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def judge_answer(kind: JobKind, message: protocol.Message, outcome: PhaseOutcome) -> None:
    """Parse the result at the trust boundary: a typed answer, the learner's outcome, or a fault of ours."""
    learner_ran = kind in RUNS_LEARNER_CODE
    try:
        answer = protocol.parse_answer(message)
        if answer.outcome in (Outcome.ok, Outcome.diverged):
            outcome.answer = parse_typed(kind, answer)
            return
    except ProtocolError as exc:
        if learner_ran:
            outcome.failure, outcome.message = Failure.contract_error, TAMPERED
            return
        if kind is JobKind.evaluate:  # no learner code ran, but everything it computed came from their archive
            log.warning("an evaluate job answered malformed data: %s", exc)
            outcome.failure, outcome.check = Failure.contract_error, "safe_model"
            outcome.message = ("The grader could not read what your saved model produced (e.g. a layer or output "
                               "far outside what the lesson asks for). Build the model from built-in layers with "
                               "the lesson's input and output shapes.")
            return
        log.error("a %s job without learner code answered malformed data: %s", kind.value, exc)
        outcome.failure, outcome.message = Failure.system_error, "The grader itself failed (our bug, not yours)."
        return
    outcome.check = answer.check
    if answer.outcome in LEARNER_FAILURES:
        outcome.failure, outcome.message = LEARNER_FAILURES[answer.outcome], answer.message
    elif learner_ran:  # harness_error: learner code can forge this answer, so it may not become our 'error'
        log.warning("harness failure in a job that ran learner code: %s", answer.message[:2000])
        outcome.failure = Failure.killed
        outcome.message = ("Grading could not finish: the grader's harness failed while your code was running (see "
                           "the log). If your code does not change the grader's own modules, tell your instructor.")
    else:
        log.error("grader failure inside the sandbox (%s job): %s", kind.value, answer.message[:4000])
        outcome.failure, outcome.message = Failure.system_error, "The grader itself failed (our bug, not yours)."


def classify(answered: bool, exit_info: Exit, timed_out: bool, flooded: bool, abused: bool,
             limits: Limits, cpu_used: float | None = None) -> tuple[Failure | None, str]:
    """Turn how a phase ended into one failure kind with a message that teaches.

    cpu_used is the phase's CPU time as the job's cgroup counted it (trusted). RLIMIT_CPU ends a phase with
    SIGXCPU at the soft limit, or with SIGKILL at the hard limit when the code was stuck where no handler runs.
    """
    if flooded:
        return Failure.output_limit, (f"Your code printed more than {16 * limits.output_kb} KB, so it was stopped. "
                                      "Print less: a summary per epoch is plenty.")
    if abused:
        return Failure.output_limit, ("Your code wrote to the grader's private channel (a file descriptor it did not "
                                      "open), so it was stopped. Use print() for your own output.")
    if answered:
        return None, ""
    if timed_out:
        return Failure.wall_time, (f"Stopped after the wall-clock limit of {limits.wall_seconds:.0f} s. Look for an "
                                   "endless loop or a blocking call (input(), sleep) in your code; training itself "
                                   f"is stopped gracefully after {limits.train_seconds:.0f} s of computing time.")
    near_limit = exit_info.memory_peak >= limits.memory_mb * 1024 * 1024 * 0.95
    if exit_info.oom_killed or (exit_info.signal == signal.SIGKILL and near_limit):
        return Failure.out_of_memory, (f"Out of memory: your code used more than {limits.memory_mb} MB and was killed. "
                                       "Use fewer units, a smaller batch size, or avoid building huge arrays.")
    out_of_cpu = cpu_used is not None and cpu_used >= limits.cpu_seconds
    if exit_info.signal == signal.SIGXCPU or (exit_info.signal == signal.SIGKILL and out_of_cpu):
        return Failure.cpu_time, (f"Stopped after using {limits.cpu_seconds:.0f} s of CPU time. Look for an endless "
                                  "loop, or train a smaller model for fewer epochs.")
    if exit_info.signal is not None:
        name = signal.Signals(exit_info.signal).name if exit_info.signal in signal.Signals._value2member_map_ else str(exit_info.signal)
        return Failure.killed, f"Your code's process was killed by signal {name} before it finished."
    return Failure.exited, (f"The process ended (exit code {exit_info.returncode}) before grading finished. "
                            "Don't call sys.exit() or os._exit() in your module.")


def blas_threads() -> int:
    """How many threads NumPy's BLAS may use in this process (1 when graders was imported before NumPy)."""
    from threadpoolctl import threadpool_info

    return max((int(lib.get("num_threads", 1)) for lib in threadpool_info() if lib.get("user_api") == "blas"),
               default=1)


class _Shelf:
    """Warm workers of one flavour: `size` kept ready, replenished. size=0: each job starts one cold."""

    def __init__(self, pool: WorkerPool, flavour: Flavour, size: int) -> None:
        self.pool = pool
        self.flavour = flavour
        self.size = size
        self.reusable = flavour is Flavour.evaluator and size > 0
        self._idle: list[WarmWorker] = []
        self._warming: set[WarmWorker] = set()
        self._starting = 0
        self._lent: weakref.WeakSet[WarmWorker] = weakref.WeakSet()  # handed to a job and not finished with it
        self._lock = threading.Condition()

    def start(self) -> None:
        for _ in range(self.size):
            self._spawn_async()

    def _new_worker(self, nice: int = 0) -> WarmWorker:
        assert self.pool.runtime is not None
        return WarmWorker(self.pool.config, self.pool.runtime, nice=nice, flavour=self.flavour,
                          reusable=self.reusable)

    def _spawn_async(self) -> None:
        with self._lock:
            self._starting += 1
        threading.Thread(target=self._spawn, daemon=True).start()

    def _spawn(self) -> None:
        worker: WarmWorker | None = None
        ok = False
        try:
            if self.pool.closed:
                return
            # Warming (TF import) runs at low priority so it does not slow a job that is training right now;
            # tighten() restores full priority when the worker gets its job (root only: others cannot renice up).
            # (A NumPy worker's start is too short to be worth it, and a learner may be waiting for it.)
            lower = os.geteuid() == 0 and self.flavour is not Flavour.numpy
            worker = self._new_worker(nice=WARMING_NICE if lower else 0)
            with self._lock:
                self._warming.add(worker)
            if self.pool.closed:  # close() ran while we were starting it and could not see it
                worker.close()
            ok = worker.wait_ready() and worker.process.proc.poll() is None
        except (SandboxUnavailable, OSError) as exc:
            log.error("could not start a warm %s worker: %s", self.flavour.value, exc)
        finally:
            with self._lock:
                self._starting -= 1
                if worker is not None:
                    self._warming.discard(worker)
                    if ok and not self.pool.closed:
                        self._idle.append(worker)
                        worker = None
                self._lock.notify_all()
        if worker is not None:
            if not ok and not self.pool.closed:
                log.error("warm %s worker failed to become ready; its log:\n%s", self.flavour.value,
                          worker.log_text()[-2000:])
            worker.close()

    def acquire(self, timeout: float) -> WarmWorker:
        if self.size == 0:
            worker = self._new_worker()
            if not worker.wait_ready(timeout):
                text = worker.log_text()[-2000:]
                worker.close()
                raise SandboxUnavailable(f"a sandboxed worker did not start: {text}")
            self._lend(worker)
            return worker
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                while self._idle and self._idle[0].process.proc.poll() is not None:
                    self._idle.pop(0).close()  # an idle evaluator that died meanwhile (e.g. killed by an operator)
                if self._idle:
                    break
                if self._starting == 0 or (self.reusable and self._starting + len(self._lent) < self.size):
                    self._spawn_async()  # the condition's lock is re-entrant
                for warming in self._warming:
                    warming.process.hurry()  # a learner is waiting for it now: it warms at full priority
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxUnavailable("no sandboxed worker became ready in time (see the server log)")
                self._lock.wait(min(remaining, 1.0))
            worker = self._idle.pop(0)
            self._lend(worker)
            exhausted = not self._idle and self._starting == 0
        if self.reusable:
            worker.on_release = self._returned
        elif exhausted or self.flavour is Flavour.numpy:
            # Nobody else is ready or warming, or a NumPy worker (no TF import to compete with a training): start the
            # replacement now, so a backlog of function lessons never waits for one.
            self._spawn_async()
        else:
            # Warm the replacement once this worker's job is over, so a TF import never competes with training.
            worker.on_release = lambda _worker, _kept: self._spawn_async()
        return worker

    def _lend(self, worker: WarmWorker) -> None:
        worker.in_use = True
        self._lent.add(worker)

    def _returned(self, worker: WarmWorker, kept: bool) -> None:
        """An evaluator's job is over: back on the shelf if it ended well, else a fresh one replaces it."""
        with self._lock:
            self._lent.discard(worker)
            if kept and len(self._idle) >= self.size:
                kept = False  # one spawned while every evaluator was busy: keep the shelf at its size
                surplus = True
            else:
                surplus = False
            if kept and not self.pool.closed:
                self._idle.append(worker)
                self._lock.notify_all()
                return
        if kept or surplus:  # closed meanwhile, or one too many
            worker.close()
        else:
            self._spawn_async()

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def busy_count(self) -> int:
        with self._lock:
            return sum(1 for worker in self._lent if worker.in_use)

    def close(self) -> None:
        with self._lock:
            doomed, self._idle = [*self._idle, *self._warming], []
        for worker in doomed:
            worker.close()
        with self._lock:
            self._lock.wait_for(lambda: self._starting == 0, timeout=30)


class WorkerPool:
    """Warm sandboxed workers for every job kind, kept ready.

    size: how many gradings can start at once without waiting: that many builders and evaluators (TensorFlow
    imported, ~0.5 GB each) and NumPy-only workers for function lessons (~30 MB each). size=0 means cold: every phase starts (and imports
    TF) from scratch."""

    def __init__(self, config: SandboxConfig, size: int = 2) -> None:
        self.config = config
        self.size = size
        self.runtime: Runtime | None = None
        self._closed = False
        # NumPy workers cost ~30 MB and 0.1-0.2 s to start, more than a function lesson's work (~0.05 s): several on
        # the shelf, replaced at once, so a backlog of function lessons never waits for one.
        self._shelves = {flavour: _Shelf(self, flavour, max(size, NUMPY_SHELF) if size and flavour is Flavour.numpy
                                         else size)
                         for flavour in Flavour}

    @property
    def closed(self) -> bool:
        """close() was called: a job failing now was cut short by a stop, which is no error of anyone's."""
        return self._closed

    def start(self) -> None:
        preflight(self.config)  # raises SandboxUnavailable with the fix
        threads = blas_threads()
        if threads > 1:  # see graders/__init__.py: a fork during a multi-threaded BLAS call hangs this process
            raise SandboxUnavailable(
                f"NumPy was loaded with {threads} BLAS threads before graders was imported; starting sandboxes from "
                "this process could hang it inside NumPy. Import graders before numpy, or set OPENBLAS_NUM_THREADS=1.")
        if self.config.mode == "bwrap":
            removed = sweep_stale_cgroups(self.config.cgroup_root)
            if removed:
                log.info("removed %d cgroup(s) left by processes that no longer exist", removed)
        self.runtime = Runtime()
        if self.config.mode == "unconfined":
            log.warning("SANDBOX DISABLED: learner code runs unconfined with this user's rights")
        for shelf in self._shelves.values():
            shelf.start()

    def acquire(self, kind: JobKind = JobKind.train, timeout: float = READY_TIMEOUT_S) -> WarmWorker:
        """A ready worker for this kind of job, exclusively yours for it; what replaces it warms when it is over."""
        if self.runtime is None or self._closed:
            raise SandboxUnavailable("the worker pool is not running")
        return self._shelves[FLAVOUR_OF_JOB[kind]].acquire(timeout)

    def idle_count(self) -> int:
        """Warm workers waiting for a job (every flavour)."""
        return sum(shelf.idle_count() for shelf in self._shelves.values())

    def ready_for_grading(self) -> bool:
        """A submission could start now without waiting for a TensorFlow start-up."""
        return all(self._shelves[f].idle_count() > 0 for f in (Flavour.builder, Flavour.evaluator))

    def busy_count(self) -> int:
        """Workers handed to a job that has not finished with them."""
        return sum(shelf.busy_count() for shelf in self._shelves.values())

    def close(self) -> None:
        """Kill every worker, idle or still warming, and wait until no spawn is in flight."""
        self._closed = True
        for shelf in self._shelves.values():
            shelf.close()
        if self.runtime is not None:
            self.runtime.close()
