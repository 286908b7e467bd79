"""Per-job cgroups on both hierarchies: v2 (most production hosts) and v1 (this machine), on fake trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.cgroups import CgroupUnavailable, create_job_cgroup, detect_version, machine_cores


def fake_v2(root: Path, controllers: str = "cpu memory pids") -> Path:
    root.mkdir(exist_ok=True)
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


def fake_v1(root: Path) -> Path:
    for controller in ("memory", "pids", "cpu"):
        (root / controller).mkdir(parents=True)
    (root / "memory" / "memory.limit_in_bytes").write_text("max")
    (root / "cpu" / "cpu.cfs_quota_us").write_text("-1")
    return root


def test_v2_enables_controllers_and_writes_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fake_v2(tmp_path / "cg")
    # the kernel creates these files in a new group; on a fake tree the parent must exist with its own
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_mkdir(self, *args, **kwargs)
        (self / "cgroup.subtree_control").write_text("")

    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert detect_version(root) == 2
    cg = create_job_cgroup(512 * 1024 * 1024, 64, 1.0, root)
    assert cg.version == 2 and cg.label == "cgroup-v2"
    assert (cg.memory_dir / "memory.max").read_text() == str(512 * 1024 * 1024)
    assert (cg.memory_dir / "pids.max").read_text() == "64"
    assert (cg.memory_dir / "cpu.max").read_text() == "100000 100000"
    # All jobs together weigh one busy core per core of the machine against the host's other groups, not one thread.
    assert (root / "rnnlab" / "cpu.weight").read_text() == str(min(10_000, 100 * machine_cores()))
    assert "+memory" in (root / "cgroup.subtree_control").read_text()
    assert [p.name for p in cg.join_paths()] == ["cgroup.procs"]


def test_v2_without_memory_controller_is_refused_loudly(tmp_path: Path) -> None:
    root = fake_v2(tmp_path / "cg", controllers="cpu pids")
    with pytest.raises(CgroupUnavailable, match="no memory controller"):
        create_job_cgroup(1 << 30, 64, 1.0, root)


def test_v1_uses_one_directory_per_controller(tmp_path: Path) -> None:
    root = fake_v1(tmp_path / "cg")
    assert detect_version(root) == 1
    cg = create_job_cgroup(1 << 30, 100, 2.0, root)
    assert cg.version == 1 and len(cg.dirs) == 3
    assert (cg.memory_dir / "memory.limit_in_bytes").read_text() == str(1 << 30)
    assert cg.pids_dir is not None and (cg.pids_dir / "pids.max").read_text() == "100"
    assert (root / "cpu" / "rnnlab").is_dir()
    assert (root / "cpu" / "rnnlab" / "cpu.shares").read_text() == str(1024 * machine_cores())


def test_no_hierarchy_at_all_is_reported(tmp_path: Path) -> None:
    assert detect_version(tmp_path) is None
    with pytest.raises(CgroupUnavailable, match="no cgroup"):
        create_job_cgroup(1 << 30, 64, 1.0, tmp_path)


def test_oom_counter_is_read_from_either_version(tmp_path: Path) -> None:
    root = fake_v1(tmp_path / "cg")
    cg = create_job_cgroup(1 << 30, 64, 1.0, root)
    (cg.memory_dir / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert cg.oom_kills() == 2


def test_cpu_counter_on_both_hierarchies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The trusted side tells "out of CPU" from "killed" by the job's own CPU counter, not by the learner's word."""
    root = fake_v1(tmp_path / "v1")
    (root / "cpuacct").mkdir()
    (root / "cpuacct" / "cpuacct.usage").write_text("0")
    cg = create_job_cgroup(1 << 30, 100, 1.0, root)
    assert cg.cpu_usage_file is not None and cg.cpu_usage_file.parent in cg.dirs  # the child joins it
    cg.cpu_usage_file.write_text("2500000000\n")
    assert cg.cpu_seconds() == pytest.approx(2.5)

    root2 = fake_v2(tmp_path / "v2")
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_mkdir(self, *args, **kwargs)
        (self / "cgroup.subtree_control").write_text("")

    monkeypatch.setattr(Path, "mkdir", mkdir)
    cg2 = create_job_cgroup(1 << 30, 64, 1.0, root2)
    (cg2.memory_dir / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1000000\n")
    assert cg2.cpu_seconds() == pytest.approx(1.5)


def test_a_kill_at_the_hard_cpu_limit_reads_as_out_of_cpu() -> None:
    """Code stuck in C past the soft limit dies by SIGKILL at the hard one: still "CPU time", not "killed"."""
    import signal

    from graders.pool import classify
    from graders.report import Failure
    from graders.sandbox import Exit
    from graders.spec import Limits

    limits = Limits(cpu_seconds=10)
    killed = Exit(returncode=137, signal=signal.SIGKILL)
    assert classify(False, killed, False, False, False, limits, cpu_used=15.2)[0] == Failure.cpu_time
    assert classify(False, killed, False, False, False, limits, cpu_used=3.0)[0] == Failure.killed
    assert classify(False, killed, False, False, False, limits, cpu_used=None)[0] == Failure.killed
    xcpu = Exit(returncode=152, signal=signal.SIGXCPU)
    assert classify(False, xcpu, False, False, False, limits)[0] == Failure.cpu_time


@pytest.mark.parametrize(("version", "name", "low", "full"), [(1, "cpu.shares", "102", "1024"), (2, "cpu.weight", "10", "100")])
def test_a_warming_worker_weighs_a_tenth_until_it_gets_its_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               version: int, name: str, low: str, full: str) -> None:
    """Between job groups nice values do not count, only the groups' weights: a warming worker's group weighs a tenth
    (like nice 10), and gets the full weight back when its job starts."""
    if version == 2:
        root = fake_v2(tmp_path / "cg")
        real_mkdir = Path.mkdir

        def mkdir(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
            real_mkdir(self, *args, **kwargs)
            (self / "cgroup.subtree_control").write_text("")

        monkeypatch.setattr(Path, "mkdir", mkdir)
    else:
        root = fake_v1(tmp_path / "cg")
    cg = create_job_cgroup(1 << 30, 64, 1.0, root)
    assert cg.cpu_dir is not None
    cg.weigh(0.1)
    assert (cg.cpu_dir / name).read_text() == low
    cg.weigh(1.0)
    assert (cg.cpu_dir / name).read_text() == full
