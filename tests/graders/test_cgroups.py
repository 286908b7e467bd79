"""Per-job cgroups on both hierarchies: v2 (most production hosts) and v1 (this machine), on fake trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.cgroups import CgroupUnavailable, create_job_cgroup, detect_version


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


def test_no_hierarchy_at_all_is_reported(tmp_path: Path) -> None:
    assert detect_version(tmp_path) is None
    with pytest.raises(CgroupUnavailable, match="no cgroup"):
        create_job_cgroup(1 << 30, 64, 1.0, tmp_path)


def test_oom_counter_is_read_from_either_version(tmp_path: Path) -> None:
    root = fake_v1(tmp_path / "cg")
    cg = create_job_cgroup(1 << 30, 64, 1.0, root)
    (cg.memory_dir / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert cg.oom_kills() == 2
