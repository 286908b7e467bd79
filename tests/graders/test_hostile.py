"""Hostile submissions: every attack is contained, the host is unharmed and nothing is left running."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from graders import LessonGrading, WorkerPool, grade

HOSTILE = Path(__file__).parent / "hostile"
REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def build(name: str, **values: object) -> str:
    """A single-file submission: the attack helpers, the attack, then a valid model so grading goes on."""
    text = "\n".join((HOSTILE / part).read_text() for part in ("_attempt.py", name, "_model.py"))
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    assert "{{" not in text, "unfilled placeholder"
    return text


def attacks(log: str) -> dict[str, str]:
    return dict(re.findall(r"ATTACK ([\w-]+): (\w+)", log))


def expected_blocked(name: str) -> list[str]:
    head = (HOSTILE / name).read_text().split('"""')[1]
    return re.search(r"blocked=([\w,-]+)", head).group(1).split(",")  # type: ignore[union-attr]


def assert_all_blocked(name: str, log: str) -> None:
    seen = attacks(log)
    for attack in expected_blocked(name):
        assert seen.get(attack) == "blocked", f"{attack}: {seen.get(attack)}\n{log[-2000:]}"
    assert "SUCCEEDED" not in log, log[-2000:]


def test_network_is_unreachable(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    connections: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        report = grade(lstm_lesson, build("network.py", PORT=port), pool)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert_all_blocked("network.py", report.log)
    assert connections == [], "the sandbox reached a host port"


def test_repository_secrets_and_heldout_data_are_invisible(lstm_lesson: LessonGrading, pool: WorkerPool,
                                                          tmp_path: Path) -> None:
    heldout = tmp_path / "heldout-secret.csv"
    heldout.write_text("value\n1.0\n")
    heldout.chmod(0o644)
    code = build("read-files.py", REPO=REPO, HELDOUT=heldout, HELDOUT_NAME=heldout.name)
    report = grade(lstm_lesson, code, pool)
    assert_all_blocked("read-files.py", report.log)


def test_server_environment_is_not_readable(lstm_lesson: LessonGrading, pool: WorkerPool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"s3cret-{random.getrandbits(64):x}"
    monkeypatch.setenv("RNNLAB_SECRET_KEY", secret)
    report = grade(lstm_lesson, build("environment.py", SECRET=secret), pool)
    assert_all_blocked("environment.py", report.log)


def test_fork_bomb_hits_the_process_limit(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, build("fork-bomb.py"), pool)
    assert_all_blocked("fork-bomb.py", report.log)
    forked = int(re.search(r"forked (\d+) before the limit", report.log).group(1))  # type: ignore[union-attr]
    assert forked < lstm_lesson.spec.limits.pids


def test_disk_fill_and_writes_outside_are_refused(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, build("disk-fill.py"), pool)
    assert_all_blocked("disk-fill.py", report.log)
    assert not Path("/usr/pwned").exists() and not Path("/pwned").exists()
    assert report.status.value in ("passed", "failed"), report.summary  # grading went on after the attack


def test_output_flood_is_cut(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, build("output-flood.py"), pool)
    assert report.status.value == "not_gradable"
    assert report.failure is not None and report.failure.value == "output_limit"
    assert len(report.log) <= 25_000


def test_setsid_child_does_not_outlive_grading(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    marker = f"rn{random.randint(10**9, 10**10 - 1)}"  # the grandchild's comm: at most 15 characters
    report = grade(lstm_lesson, build("setsid-child.py", MARKER=marker), pool)
    assert "ATTACK setsid: child started" in report.log, report.log[-2000:]
    survivors = subprocess.run(["pgrep", "-x", re.escape(marker)], capture_output=True, text=True)
    assert survivors.stdout.strip() == "", f"still running: {survivors.stdout}"


def test_no_sandbox_process_outlives_the_pool(lstm_lesson: LessonGrading) -> None:
    """After close(), not one process of the sandbox uid is left, warm or busy."""
    import sys

    from graders import SandboxConfig

    config = SandboxConfig(python=sys.executable, uid=65533, gid=65533)  # a uid no other test uses
    local = WorkerPool(config, size=1)
    local.start()
    try:
        report = grade(lstm_lesson, build("setsid-child.py", MARKER="4242.4242"), local)
        assert report.sandbox.uid == 65533
    finally:
        local.close()
    if os.geteuid() == 0:
        assert living_processes_of(65533) == []


def living_processes_of(uid: int, patience_s: float = 5.0) -> list[str]:
    """Processes of uid that are not zombies (a killed sandbox's init is reaped by the host's init, not us)."""
    deadline = time.monotonic() + patience_s
    while True:
        ps = subprocess.run(["ps", "-u", str(uid), "-o", "pid=,stat=,cmd="], capture_output=True, text=True)
        living = [line for line in ps.stdout.splitlines() if line.split()[1][0] != "Z"]
        if not living or time.monotonic() > deadline:
            return living
        time.sleep(0.2)


def test_forged_protocol_result_is_not_trusted(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, build("forged-result.py"), pool)
    assert report.status.value == "not_gradable", report.summary
    assert "private channel" in report.summary


def test_protocol_flood_is_stopped_early(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, build("protocol-flood.py"), pool)
    assert report.status.value == "not_gradable"
    assert report.failure is not None and report.failure.value == "output_limit"
    assert "private channel" in report.summary
    assert report.timings["build"] < 30  # killed at the cap, not at the wall clock


def test_no_process_can_reach_into_another(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    """Cross-process syscalls are refused by the filter itself (EPERM, not an argument error), and the worker is
    pid 1: there is no bwrap reaper whose memory /proc/1/mem would let learner code write."""
    report = grade(lstm_lesson, build("cross-process.py"), pool)
    log = report.log
    for attack in ("pidfd_getfd", "kcmp", "process_vm_readv", "process_vm_writev", "process_madvise", "ptrace"):
        assert f"ATTACK {attack}: blocked (EPERM)" in log, f"{attack}\n{log[-3000:]}"
    assert "ATTACK pid1: alone" in log, log[-3000:]
    assert "SUCCEEDED" not in log, log[-3000:]


def test_nothing_can_be_executed(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    """What a noexec /tmp is for, and more: no program runs, dropped or installed (EACCES, like noexec)."""
    report = grade(lstm_lesson, build("exec-dropped.py"), pool)
    for attack in ("script", "elf", "system"):
        assert f"ATTACK {attack}: blocked (EACCES)" in report.log, f"{attack}\n{report.log[-3000:]}"
    assert_all_blocked("exec-dropped.py", report.log)
    assert report.status.value in ("passed", "failed"), report.summary  # grading went on after the attack


def test_no_host_path_shows_inside(lstm_lesson: LessonGrading, pool: WorkerPool, tmp_path: Path) -> None:
    report = grade(lstm_lesson, build("host-paths.py", REPO=REPO, DATA_DIR=tmp_path), pool)
    assert_all_blocked("host-paths.py", report.log)
