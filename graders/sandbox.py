"""Runs one process in the sandbox: bwrap + seccomp as an unprivileged uid, cgroup limits, rlimits, kill."""

from __future__ import annotations

import logging
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from graders.cgroups import CGROUP_ROOT, CgroupUnavailable, JobCgroup, create_job_cgroup
from graders.report import SandboxInfo
from graders.seccomp import EXEC_BAN_FILE, SeccompUnavailable, exec_ban_program, program_fd, seccomp_fd
from graders.spec import Limits

log = logging.getLogger(__name__)
T = TypeVar("T")

HARNESS_DIR = "/harness"  # where the worker's code appears inside the sandbox
MiB = 1024 * 1024
# TF's import alone burns a few CPU seconds before any job arrives; RLIMIT_CPU counts it.
IMPORT_CPU_ALLOWANCE_S = 30
# A warming worker's CPU weight next to a job that trains (what nice 10 is to nice 0: 110 / 1024).
WARMING_SHARE = 0.1


class _Spawner:
    """Starts every sandbox from one long-lived thread.

    bwrap --die-with-parent uses PR_SET_PDEATHSIG, which fires when the *thread* that forked it exits:
    a sandbox started from a short-lived thread would be SIGKILLed as soon as that thread ended.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, fn: Callable[[], T]) -> T:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="sandbox-spawner", daemon=True)
                self._thread.start()
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future.result()

    def _loop(self) -> None:
        while True:
            fn, future = self._jobs.get()
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
                future.set_exception(exc)


_spawner = _Spawner()


class SandboxUnavailable(RuntimeError):
    """Strong isolation is configured but cannot be had here; the message says how to fix it."""


@dataclass(frozen=True)
class SandboxConfig:
    """How learner code is isolated. Built from the app's Settings or the CLI; never from os.environ here."""

    mode: Literal["bwrap", "unconfined"] = "bwrap"
    python: str = sys.executable
    uid: int = 65534
    gid: int = 65534
    cpus: int = 1
    cgroup_root: Path = CGROUP_ROOT
    require_cgroup: bool = False
    ceiling: Limits = field(default_factory=Limits)  # limits a warm worker is started with


@dataclass
class Exit:
    """How a sandboxed process ended, as facts the grader turns into a teaching message."""

    returncode: int | None
    signal: int | None = None
    oom_killed: bool = False
    memory_peak: int = 0
    cpu_seconds: float | None = None  # the job cgroup's CPU counter when the process ended (None: not counted)


def _python_prefix(python: str) -> Path:
    """The venv (or installation) root that must be visible, read-only, inside the sandbox."""
    exe = Path(python)
    if (exe.parent.parent / "pyvenv.cfg").exists():
        return exe.parent.parent
    return Path(sys.base_prefix)


def _unreadable_by_others(path: Path) -> Path | None:
    """First ancestor (or the file) that 'other' users cannot traverse/read, e.g. /root with mode 0700."""
    path = path.absolute()
    for p in [*reversed(path.parents), path]:
        try:
            mode = p.stat().st_mode
        except OSError:
            return p
        needed = 0o001 if p.is_dir() else 0o004
        if not mode & needed:
            return p
    return None


def preflight(config: SandboxConfig) -> None:
    """Refuse loudly, with the fix, when the configured isolation is not available here."""
    if config.mode == "unconfined":
        return
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed, so learner code cannot be isolated. "
            "Install it (Debian: apt-get install bubblewrap) or, for a trusted local run only, "
            "set RNNLAB_SANDBOX_MODE=unconfined."
        )
    try:
        seccomp_fd_ = seccomp_fd()
        os.close(seccomp_fd_)
        exec_ban_program()
    except SeccompUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from exc
    if os.geteuid() == 0:
        for path in (Path(config.python), _python_prefix(config.python)):
            blocked = _unreadable_by_others(path)
            if blocked is not None:
                raise SandboxUnavailable(
                    f"the sandbox runs learner code as uid {config.uid}, which cannot read {blocked} "
                    f"(needed for {config.python}). Install the environment where other users can read it "
                    "(`make setup` uses /opt/rnnlab/venv) or point RNNLAB_SANDBOX_PYTHON at one."
                )
    probe = subprocess.run(
        [bwrap, "--unshare-all", "--die-with-parent", *_system_binds(), "--", "/usr/bin/true"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, preexec_fn=_drop_privileges(config),
        timeout=30,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create namespaces here: {probe.stderr.strip()}. In Docker, run the container "
            "as a non-root user with --security-opt seccomp=unconfined (and apparmor=unconfined); see README."
        )


def _drop_privileges(config: SandboxConfig):  # type: ignore[no-untyped-def]
    def drop() -> None:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(config.gid)
            os.setuid(config.uid)

    return drop


def _system_binds() -> list[str]:
    """/usr read-only, and /lib, /bin... as the host has them (symlinks on merged-/usr systems)."""
    binds = ["--ro-bind", "/usr", "/usr"]
    for link in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        path = Path(link)
        if path.is_symlink():
            binds += ["--symlink", os.readlink(path), link]
        elif path.exists():
            binds += ["--ro-bind", link, link]
    return binds


def _harness_fds(harness: Path) -> dict[str, int]:
    """One inheritable descriptor per harness file: bwrap copies them in, so no host path shows inside."""
    fds: dict[str, int] = {}
    try:
        for path in sorted(harness.iterdir()):
            if path.is_file():
                fds[path.name] = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        for fd in fds.values():
            os.close(fd)
        raise
    return fds


def _bwrap_argv(config: SandboxConfig, harness: dict[str, int], seccomp: int, limits: Limits,
                argv: list[str]) -> list[str]:
    prefix = _python_prefix(config.python)
    binds = _system_binds()
    if not prefix.is_relative_to("/usr"):
        binds += ["--ro-bind", str(prefix), str(prefix)]
    env = {
        "HOME": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow",
        "OMP_NUM_THREADS": str(config.cpus), "MPLCONFIGDIR": "/tmp",
    }
    setenv = [a for k, v in env.items() for a in ("--setenv", k, v)]
    files = [a for name, fd in harness.items() for a in ("--ro-bind-data", str(fd), f"{HARNESS_DIR}/{name}")]
    return [
        # --as-pid-1: the worker itself is pid 1, so there is no bwrap reaper whose memory (/proc/1/mem) or
        # command line (host paths) learner code could reach; the namespace dies with the worker.
        "bwrap", "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--hostname", "sandbox", *binds,
        "--dir", HARNESS_DIR, *files,
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(limits.disk_mb * MiB), "--tmpfs", "/tmp",
        # bwrap's /dev is a tmpfs with no size: read-only, or it would bypass the /tmp quota.
        "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp",
        "--clearenv", *setenv,
        "--seccomp", str(seccomp),
        "--", *argv,
    ]


class SandboxProcess:
    """One sandboxed process: its pipes, its cgroup and the means to end it completely."""

    def __init__(self, config: SandboxConfig, harness: Path, argv: list[str], nice: int = 0, jobs: int = 1) -> None:
        """jobs: how many jobs the process may serve; RLIMIT_CPU's hard ceiling covers all of them (each job's own
        limit is the soft limit the worker sets, and the parent's watch of the job's CPU in the cgroup)."""
        self.config = config
        limits = config.ceiling
        self.info = SandboxInfo(isolation=config.mode, cpus=config.cpus)  # true for every job this process runs
        self.job_warnings: list[str] = []  # about the current job only: a reused evaluator starts each job afresh
        self.cgroup: JobCgroup | None = None
        if config.mode == "unconfined":
            self.info.warnings.append("UNCONFINED: learner code ran with this user's full rights (no sandbox).")
        else:
            try:
                self.cgroup = create_job_cgroup(limits.memory_mb * MiB, limits.pids, config.cpus, config.cgroup_root)
                if nice:
                    self.cgroup.weigh(WARMING_SHARE)  # tighten() gives the full weight back with the job
                self.info.memory_limit = self.info.pids_limit = self.cgroup.label
                if not self.cgroup.has_pids:
                    self.info.pids_limit = "none"
            except CgroupUnavailable as exc:
                if config.require_cgroup:
                    raise SandboxUnavailable(f"{exc}; RNNLAB_SANDBOX_REQUIRE_CGROUP is set") from exc
                self.info.memory_limit = "rlimit-data"
                self.info.warnings.append(f"No cgroup ({exc}): memory bounded by RLIMIT_DATA only, no pids limit.")
                log.warning("sandbox degraded: %s", exc)
            self.info.seccomp = True
            self.info.uid = config.uid if os.geteuid() == 0 else os.geteuid()
        use_rlimit_data = self.cgroup is None
        join = self.cgroup.join_paths() if self.cgroup else []
        cpu = int(limits.cpu_seconds) * jobs + IMPORT_CPU_ALLOWANCE_S
        drop = _drop_privileges(config)

        def prepare_child() -> None:
            # Runs in the forked child before exec: join the cgroup while still root, set limits, drop root.
            for path in join:
                with open(path, "w") as fh:
                    fh.write(str(os.getpid()))
            if nice:
                os.nice(nice)
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.disk_mb * MiB, limits.disk_mb * MiB))
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if use_rlimit_data:
                # Never RLIMIT_AS: TF reserves gigabytes of address space it never touches.
                resource.setrlimit(resource.RLIMIT_DATA, (limits.memory_mb * MiB, limits.memory_mb * MiB))
            if config.mode == "bwrap":
                drop()

        pass_fds: tuple[int, ...] = ()
        if config.mode == "bwrap":
            harness_fds = _harness_fds(harness)
            harness_fds[EXEC_BAN_FILE] = program_fd(exec_ban_program())
            fd = seccomp_fd()
            pass_fds = (fd, *harness_fds.values())
            full = _bwrap_argv(config, harness_fds, fd, limits, argv)
            env = {"PATH": "/usr/bin:/bin"}  # bwrap's own environ is readable inside at /proc/1/environ
        else:
            full = argv
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(harness), "TF_CPP_MIN_LOG_LEVEL": "2",
                   "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": str(config.cpus)}
        try:
            self.proc = _spawner.call(lambda: subprocess.Popen(
                full, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, pass_fds=pass_fds, preexec_fn=prepare_child, start_new_session=True,
                cwd=str(harness),
            ))
        except OSError as exc:
            if self.cgroup:
                self.cgroup.remove()
            raise SandboxUnavailable(f"cannot start the sandbox: {exc}") from exc
        finally:
            for fd in pass_fds:
                os.close(fd)

    def cpu_seconds(self) -> float | None:
        return self.cgroup.cpu_seconds() if self.cgroup else None

    def job_info(self) -> SandboxInfo:
        """What one job ran under: the process's isolation and this job's own warnings, never an earlier job's."""
        return self.info.model_copy(update={"warnings": [*self.info.warnings, *self.job_warnings]})

    def tighten(self, limits: Limits) -> None:
        """Lower the cgroup limits to one job's limits (warm workers start with the ceiling), full priority again."""
        self.job_warnings = []
        if not self.cgroup:
            return
        self._renice_all(0)
        self.cgroup.weigh(1.0)
        name = "memory.max" if self.cgroup.version == 2 else "memory.limit_in_bytes"
        try:
            with open(self.cgroup.memory_dir / name, "w") as fh:
                fh.write(str(limits.memory_mb * MiB))
            if self.cgroup.pids_dir is not None:
                with open(self.cgroup.pids_dir / "pids.max", "w") as fh:
                    fh.write(str(limits.pids))
        except OSError as exc:  # e.g. usage already above the new limit: keep the ceiling, say so
            self.job_warnings.append(f"could not lower the job's limits: {exc}")

    def hurry(self) -> None:
        """A warming worker someone is waiting for: full priority and weight now, not only once its job starts."""
        if self.cgroup is None or getattr(self, "_hurried", False):
            return
        self._hurried = True
        self._renice_all(0)
        self.cgroup.weigh(1.0)

    def _renice_all(self, value: int) -> None:
        """Every thread of every process in the job: Linux nice values are per thread, and TF made many."""
        if os.geteuid() != 0 or self.cgroup is None:
            return
        for pid in self.cgroup.pids():
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    os.setpriority(os.PRIO_PROCESS, int(tid), value)
                except OSError:
                    pass

    def kill(self) -> None:
        """Kill everything the sandbox started: the pid namespace dies with bwrap; the cgroup catches the rest."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.cgroup:
            self.cgroup.kill_all()

    def finish(self, timeout: float = 10.0) -> Exit:
        """Reap the process, read the OOM counter, remove the cgroup."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.wait(timeout=timeout)
        oom = bool(self.cgroup and self.cgroup.oom_kills() > 0)
        peak = self.cgroup.memory_peak() if self.cgroup else 0
        cpu = self.cgroup.cpu_seconds() if self.cgroup else None
        if self.cgroup:
            self.cgroup.remove()
        sig: int | None = None
        if code < 0:
            sig = -code
        elif self.config.mode == "bwrap" and code > 128:
            sig = code - 128  # bwrap reports a child killed by signal N as exit 128+N
        return Exit(returncode=code, signal=sig, oom_killed=oom, memory_peak=peak, cpu_seconds=cpu)
