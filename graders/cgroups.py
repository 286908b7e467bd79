"""Per-job control groups (v2 unified or v1 memory+pids+cpu): limits, join, OOM detection, kill-all."""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_NAME = "rnnlab"
log = logging.getLogger(__name__)


class CgroupUnavailable(RuntimeError):
    """No writable cgroup hierarchy with a memory controller: the caller falls back and says so."""


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _read_counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, number = line.partition(" ")
            if name == key:
                return int(number)
    except OSError:
        pass
    return 0


@dataclass
class JobCgroup:
    """One job's cgroup(s). v1 needs a directory per controller; v2 needs one."""

    version: int
    dirs: list[Path]
    memory_dir: Path
    pids_dir: Path | None
    has_pids: bool = True
    cpu_usage_file: Path | None = None
    cpu_dir: Path | None = None  # where the cpu controller's files are (None: no cpu controller)
    _removed: bool = field(default=False, repr=False)

    @property
    def label(self) -> str:
        return f"cgroup-v{self.version}"

    def join_paths(self) -> list[Path]:
        """Files a freshly forked child writes its pid to (before it drops privileges)."""
        name = "cgroup.procs"
        return [d / name for d in self.dirs]

    def oom_kills(self) -> int:
        if self.version == 2:
            return _read_counter(self.memory_dir / "memory.events", "oom_kill")
        return _read_counter(self.memory_dir / "memory.oom_control", "oom_kill")  # kernel >= 4.13

    def memory_peak(self) -> int:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory_dir / name).read_text().strip())
        except (OSError, ValueError):
            return 0

    def weigh(self, share: float) -> None:
        """This job's CPU weight among its siblings, as a share of the default (1.0). Nice values only order threads
        inside one group; between job groups only the group's weight counts, so a warming worker (share 0.1, like
        nice 10) must be weighed down here or it takes half the CPU from a job that is training next to it."""
        if self.cpu_dir is None:
            return
        name, value = (("cpu.weight", max(1, round(100 * share))) if self.version == 2
                       else ("cpu.shares", max(2, round(1024 * share))))
        try:
            _write(self.cpu_dir / name, str(value))
        except OSError as exc:
            log.warning("could not set %s: %s", self.cpu_dir / name, exc)

    def cpu_seconds(self) -> float | None:
        """CPU time every process of the job has used so far (all threads), or None where nothing counts it."""
        if self.cpu_usage_file is None:
            return None
        try:
            if self.version == 2:
                return _read_counter(self.cpu_usage_file, "usage_usec") / 1e6
            return int(self.cpu_usage_file.read_text().strip()) / 1e9
        except (OSError, ValueError):
            return None

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.memory_dir / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self) -> None:
        """Kill every process in the job, including ones that called setsid() to escape a group kill."""
        if self.version == 2:
            try:
                _write(self.memory_dir / "cgroup.kill", "1")
                return
            except OSError:
                pass  # kernels before 5.14: fall through to the loop
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        if self._removed:
            return
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)  # the last killed process is still being reaped
        self._removed = True


def sweep_stale_cgroups(root: Path = CGROUP_ROOT) -> int:
    """Remove empty job groups whose creating process is gone (a crash or a kill -9 of an earlier server)."""
    removed = 0
    for parent in (root / GROUP_NAME, root / "memory" / GROUP_NAME, root / "pids" / GROUP_NAME, root / "cpu" / GROUP_NAME,
                   root / "cpuacct" / GROUP_NAME):
        if not parent.is_dir():
            continue
        for job in parent.glob("job-*"):
            owner = job.name.split("-")[1]
            if not owner.isdigit() or Path(f"/proc/{owner}").exists():
                continue
            try:
                job.rmdir()  # fails (EBUSY) if something still runs in it: leave it alone then
                removed += 1
            except OSError:
                pass
    return removed


def detect_version(root: Path = CGROUP_ROOT) -> int | None:
    if (root / "cgroup.controllers").exists():
        return 2
    if (root / "memory" / "memory.limit_in_bytes").exists():
        return 1
    return None


def create_job_cgroup(memory_bytes: int, pids_max: int, cpus: float, root: Path = CGROUP_ROOT) -> JobCgroup:
    """Make rnnlab/<job> with the limits set. Raises CgroupUnavailable with the reason."""
    version = detect_version(root)
    job = f"job-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        if version == 2:
            return _create_v2(root, job, memory_bytes, pids_max, cpus)
        if version == 1:
            return _create_v1(root, job, memory_bytes, pids_max, cpus)
    except OSError as exc:
        raise CgroupUnavailable(f"cannot create a cgroup under {root}: {exc.strerror or exc}") from exc
    raise CgroupUnavailable(f"no cgroup v1 memory controller or v2 hierarchy under {root}")


def _weigh_parent(path: Path, value: int) -> None:
    """Our parent group's CPU weight: one busy core's worth per core of the machine.

    The kernel schedules a group as one entity against its siblings, so with the default weight every grading job
    together got what one ordinary thread gets: on a busy host a sandboxed training ran up to 1.5x slower than the
    same training outside (measured, bench/grading_latency.py, phase B CPU time equal, wall time not). Jobs inside
    still share the parent equally, and each keeps its own quota (cpu.max / cfs_quota_us)."""
    try:
        _write(path, str(value))
    except OSError as exc:
        log.warning("could not set %s (gradings get one thread's CPU share on a busy host): %s", path, exc)


def machine_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _create_v2(root: Path, job: str, memory_bytes: int, pids_max: int, cpus: float) -> JobCgroup:
    parent = root / GROUP_NAME
    parent.mkdir(exist_ok=True)
    available = (root / "cgroup.controllers").read_text().split()
    wanted = [c for c in ("memory", "pids", "cpu") if c in available]
    if "memory" not in wanted:
        raise CgroupUnavailable("the cgroup v2 hierarchy has no memory controller delegated to us")
    for where in (root, parent):
        enabled = (where / "cgroup.subtree_control").read_text().split()
        missing = [c for c in wanted if c not in enabled]
        if missing:
            _write(where / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
    if "cpu" in wanted:
        _weigh_parent(parent / "cpu.weight", min(10_000, 100 * machine_cores()))  # default 100 = one thread
    d = parent / job
    d.mkdir()
    cg = JobCgroup(version=2, dirs=[d], memory_dir=d, pids_dir=d, has_pids="pids" in wanted, cpu_usage_file=d / "cpu.stat",
                   cpu_dir=d if "cpu" in wanted else None)
    try:
        _write(d / "memory.max", str(memory_bytes))
        if (d / "memory.swap.max").exists():
            _write(d / "memory.swap.max", "0")  # swapping would turn an OOM into a crawl
        if cg.has_pids:
            _write(d / "pids.max", str(pids_max))
        if "cpu" in wanted:
            _write(d / "cpu.max", f"{int(cpus * 100_000)} 100000")
    except OSError:
        cg.remove()
        raise
    return cg


def _create_v1(root: Path, job: str, memory_bytes: int, pids_max: int, cpus: float) -> JobCgroup:
    dirs: list[Path] = []
    mem = root / "memory" / GROUP_NAME / job
    pids_dir = root / "pids" / GROUP_NAME / job
    cpu_dir = root / "cpu" / GROUP_NAME / job
    acct_dir = root / "cpuacct" / GROUP_NAME / job
    usage: Path | None = None
    try:
        mem.mkdir(parents=True)
        dirs.append(mem)
        _write(mem / "memory.limit_in_bytes", str(memory_bytes))
        if (mem / "memory.memsw.limit_in_bytes").exists():
            _write(mem / "memory.memsw.limit_in_bytes", str(memory_bytes))
        has_pids = (root / "pids").is_dir()
        if has_pids:
            pids_dir.mkdir(parents=True)
            dirs.append(pids_dir)
            _write(pids_dir / "pids.max", str(pids_max))
        if (root / "cpu" / "cpu.cfs_quota_us").exists():
            cpu_dir.mkdir(parents=True)
            dirs.append(cpu_dir)
            _weigh_parent(cpu_dir.parent / "cpu.shares", 1024 * machine_cores())  # default 1024 = one thread
            _write(cpu_dir / "cpu.cfs_period_us", "100000")
            _write(cpu_dir / "cpu.cfs_quota_us", str(int(cpus * 100_000)))
            if (cpu_dir / "cpuacct.usage").exists():  # cpu and cpuacct mounted together (most distributions)
                usage = cpu_dir / "cpuacct.usage"
        if usage is None and (root / "cpuacct" / "cpuacct.usage").exists():  # separate hierarchies (this host)
            acct_dir.mkdir(parents=True)
            dirs.append(acct_dir)
            usage = acct_dir / "cpuacct.usage"
    except OSError:
        JobCgroup(version=1, dirs=dirs, memory_dir=mem, pids_dir=None).remove()
        raise
    return JobCgroup(version=1, dirs=dirs, memory_dir=mem, pids_dir=pids_dir if has_pids else None, has_pids=has_pids,
                     cpu_usage_file=usage, cpu_dir=cpu_dir if cpu_dir in dirs else None)
