"""The warm pool: sandboxed workers that have already imported TensorFlow, one job each, replenished."""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders.cgroups import sweep_stale_cgroups
from graders.report import Failure, SandboxInfo
from graders.sandbox import HARNESS_DIR, Exit, SandboxConfig, SandboxProcess, SandboxUnavailable, preflight
from graders.spec import Limits

log = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
PROTOCOL_LINE_LIMIT = 48 * 1024 * 1024  # a base64 model of 32 MiB fits; anything larger is abuse
EVENT_LINE_LIMIT = 64 * 1024  # one progress event
CHATTER_LIMIT = 4 * 1024 * 1024  # all progress events of one job
PROTOCOL_EVENTS = {"ready", "phase", "epoch", "result"}
READY_TIMEOUT_S = 120.0
WARMING_NICE = 10


@dataclass
class PhaseOutcome:
    """What one sandboxed phase produced: the worker's result, or why there is none."""

    result: dict[str, Any] | None
    failure: Failure | None
    message: str
    log: str
    seconds: float
    sandbox: SandboxInfo
    exit: Exit | None = None


class Runtime:
    """A world-readable copy of the in-sandbox code, bound read-only at /harness (the repo may be private)."""

    FILES = ("worker.py", "windowing.py", "wire.py")

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


class WarmWorker:
    """One sandboxed worker process and the JSON-lines protocol spoken with it."""

    def __init__(self, config: SandboxConfig, runtime: Runtime, nice: int = 0) -> None:
        self.config = config
        self.workdir: Path | None = None
        if config.mode == "bwrap":
            script, workdir = f"{HARNESS_DIR}/worker.py", "/tmp"
        else:
            self.workdir = Path(tempfile.mkdtemp(prefix="rnnlab-job-"))
            script, workdir = str(runtime.dir / "worker.py"), str(self.workdir)
        argv = [config.python, "-I", "-B", script, "--threads", str(config.cpus), "--workdir", workdir]
        self.process = SandboxProcess(config, runtime.dir, argv, nice=nice)
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.ready = threading.Event()
        self._settled = threading.Event()  # ready, or dead before it got there
        self._log = bytearray()
        self._log_start = 0
        self._log_total = 0
        self._log_cap = config.ceiling.output_kb * 1024
        self.output_exceeded = False
        self.protocol_abuse = False
        self.on_release: Callable[[], None] | None = None  # the pool's replenish hook
        threading.Thread(target=self._read_protocol, daemon=True).start()
        self._stderr_thread = threading.Thread(target=self._read_log, daemon=True)
        self._stderr_thread.start()

    # -- readers (threads): never block the sandbox on a full pipe, never keep more than the caps
    def _read_protocol(self) -> None:
        stream = self.process.proc.stdout
        assert stream is not None
        chatter = 0  # bytes of messages before the result: progress only, so small
        while True:
            line = stream.readline(PROTOCOL_LINE_LIMIT)
            if not line:
                break
            is_result = line.startswith(b'{"event": "result"')
            chatter += 0 if is_result else len(line)
            if not line.endswith(b"\n") or (not is_result and (len(line) > EVENT_LINE_LIMIT or chatter > CHATTER_LIMIT)):
                self.protocol_abuse = True  # learner code is writing to our pipe; stop before it costs us memory
                self.process.kill()
                break
            try:
                message = json.loads(line)
            except Exception:  # noqa: BLE001 - RecursionError too: whatever the learner wrote, it is not ours
                continue
            if not isinstance(message, dict) or message.get("event") not in PROTOCOL_EVENTS:
                continue
            if message.get("event") == "ready" and not self.ready.is_set():
                self._log_start = len(self._log)  # TF's import chatter is not the learner's output
                self.ready.set()
                self._settled.set()
                continue
            self.messages.put(message)
        self._settled.set()
        self.messages.put(None)

    def _read_log(self) -> None:
        stream = self.process.proc.stderr
        assert stream is not None
        while True:
            chunk = stream.read1(65536)  # type: ignore[attr-defined]
            if not chunk:
                break
            self._log_total += len(chunk)
            room = self._log_cap - len(self._log)
            if room > 0:
                self._log += chunk[:room]
            if self._log_total > 16 * self._log_cap and not self.output_exceeded:
                self.output_exceeded = True
                self.process.kill()

    def log_text(self) -> str:
        text = self._log[self._log_start:].decode("utf-8", errors="replace")
        if self._log_total > len(self._log):
            text += f"\n… output truncated: {self._log_total} bytes written, {len(self._log)} kept."
        return text

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        self._settled.wait(timeout)
        return self.ready.is_set()

    def run(self, job: dict[str, Any], limits: Limits, on_event: EventSink | None = None) -> PhaseOutcome:
        """Hand the job over, stream its events, enforce the wall clock, and classify how it ended."""
        started = time.monotonic()
        self.process.tighten(limits)
        job = {**job, "cpu_seconds": limits.cpu_seconds}
        stdin = self.process.proc.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(job).encode() + b"\n")
            stdin.close()
        except BrokenPipeError:
            pass
        deadline = started + limits.wall_seconds
        result: dict[str, Any] | None = None
        timed_out = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                try:
                    message = self.messages.get(timeout=min(remaining, 0.5))
                except queue.Empty:
                    continue
                if message is None:
                    break
                if message.get("event") == "result":
                    result = message
                    break
                if on_event is not None:
                    on_event(message)
        finally:
            # One job per worker: once it has answered there is nothing to wait for (TF's own teardown takes
            # ~0.5 s). Whatever the learner left behind (a setsid child, a sleeper) dies here too.
            self.process.kill()
            exit_info = self.process.finish()
            self._stderr_thread.join(timeout=5)
            self._cleanup()
            if self.on_release is not None:
                self.on_release()
        seconds = time.monotonic() - started
        failure, explanation = classify(result, exit_info, timed_out, self.output_exceeded, self.protocol_abuse, limits)
        return PhaseOutcome(result=result if failure is None else None, failure=failure, message=explanation,
                            log=self.log_text(), seconds=seconds, sandbox=self.process.info, exit=exit_info)

    def close(self) -> None:
        self.process.kill()
        self.process.finish(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def classify(result: dict[str, Any] | None, exit_info: Exit, timed_out: bool, flooded: bool, abused: bool,
             limits: Limits) -> tuple[Failure | None, str]:
    """Turn how a phase ended into one failure kind with a message that teaches."""
    if flooded:
        return Failure.output_limit, (f"Your code printed more than {16 * limits.output_kb} KB, so it was stopped. "
                                      "Print less: a summary per epoch is plenty.")
    if abused:
        return Failure.output_limit, ("Your code wrote to the grader's private channel (a file descriptor it did not "
                                      "open), so it was stopped. Use print() for your own output.")
    if result is not None:
        return None, ""
    if timed_out:
        return Failure.wall_time, (f"Stopped after the wall-clock limit of {limits.wall_seconds:.0f} s. Look for an "
                                   "endless loop or a blocking call (input(), sleep) in your code; training itself "
                                   f"is stopped gracefully after {limits.train_seconds:.0f} s.")
    near_limit = exit_info.memory_peak >= limits.memory_mb * 1024 * 1024 * 0.95
    if exit_info.oom_killed or (exit_info.signal == signal.SIGKILL and near_limit):
        return Failure.out_of_memory, (f"Out of memory: your code used more than {limits.memory_mb} MB and was killed. "
                                       "Use fewer units, a smaller batch size, or avoid building huge arrays.")
    if exit_info.signal == signal.SIGXCPU:
        return Failure.cpu_time, (f"Stopped after using {limits.cpu_seconds:.0f} s of CPU time. Look for an endless "
                                  "loop, or train a smaller model for fewer epochs.")
    if exit_info.signal is not None:
        name = signal.Signals(exit_info.signal).name if exit_info.signal in signal.Signals._value2member_map_ else str(exit_info.signal)
        return Failure.killed, f"Your code's process was killed by signal {name} before it finished."
    return Failure.exited, (f"The process ended (exit code {exit_info.returncode}) before grading finished. "
                            "Don't call sys.exit() or os._exit() in your module.")


class WorkerPool:
    """Keeps `size` warm workers ready. size=0 means cold: every phase starts (and imports TF) from scratch."""

    def __init__(self, config: SandboxConfig, size: int = 2) -> None:
        self.config = config
        self.size = size
        self.runtime: Runtime | None = None
        self._idle: list[WarmWorker] = []
        self._warming: set[WarmWorker] = set()
        self._starting = 0
        self._lock = threading.Condition()
        self._closed = False

    def start(self) -> None:
        preflight(self.config)  # raises SandboxUnavailable with the fix
        if self.config.mode == "bwrap":
            removed = sweep_stale_cgroups(self.config.cgroup_root)
            if removed:
                log.info("removed %d cgroup(s) left by processes that no longer exist", removed)
        self.runtime = Runtime()
        if self.config.mode == "unconfined":
            log.warning("SANDBOX DISABLED: learner code runs unconfined with this user's rights")
        for _ in range(self.size):
            self._spawn_async()

    def _spawn_async(self) -> None:
        with self._lock:
            self._starting += 1
        threading.Thread(target=self._spawn, daemon=True).start()

    def _spawn(self) -> None:
        worker: WarmWorker | None = None
        ok = False
        try:
            with self._lock:
                if self._closed:
                    return
            assert self.runtime is not None
            # Warming (TF import) runs at low priority so it does not slow a job that is training right now;
            # tighten() restores full priority when the worker gets its job (root only: others cannot renice up).
            worker = WarmWorker(self.config, self.runtime, nice=WARMING_NICE if os.geteuid() == 0 else 0)
            with self._lock:
                self._warming.add(worker)
                closed = self._closed
            if closed:  # close() ran while we were starting it and could not see it
                worker.close()
            ok = worker.wait_ready() and worker.process.proc.poll() is None
        except (SandboxUnavailable, OSError) as exc:
            log.error("could not start a warm worker: %s", exc)
        finally:
            with self._lock:
                self._starting -= 1
                if worker is not None:
                    self._warming.discard(worker)
                    if ok and not self._closed:
                        self._idle.append(worker)
                        worker = None
                self._lock.notify_all()
        if worker is not None:
            if not ok and not self._closed:
                log.error("warm worker failed to become ready; its log:\n%s", worker.log_text()[-2000:])
            worker.close()

    def acquire(self, timeout: float = READY_TIMEOUT_S) -> WarmWorker:
        """A ready worker, exclusively yours for one job; its replacement warms when the job is over."""
        if self.runtime is None or self._closed:
            raise SandboxUnavailable("the worker pool is not running")
        if self.size == 0:
            worker = WarmWorker(self.config, self.runtime)
            if not worker.wait_ready(timeout):
                text = worker.log_text()[-2000:]
                worker.close()
                raise SandboxUnavailable(f"a sandboxed worker did not start: {text}")
            return worker
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._idle:
                if self._starting == 0:
                    self._spawn_async()  # the condition's lock is re-entrant
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxUnavailable("no sandboxed worker became ready in time (see the server log)")
                self._lock.wait(remaining)
            worker = self._idle.pop(0)
            exhausted = not self._idle and self._starting == 0
        if exhausted:
            self._spawn_async()  # nobody else is ready or warming: start the replacement now
        else:
            # Warm the replacement once this worker's job is over, so a TF import never competes with training.
            worker.on_release = self._spawn_async
        return worker

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Kill every worker, idle or still warming, and wait until no spawn is in flight."""
        with self._lock:
            self._closed = True
            doomed, self._idle = [*self._idle, *self._warming], []
        for worker in doomed:
            worker.close()
        with self._lock:
            self._lock.wait_for(lambda: self._starting == 0, timeout=30)
        if self.runtime is not None:
            self.runtime.close()
