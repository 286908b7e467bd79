"""Isolation is refused loudly when it cannot be had; unconfined mode must be asked for and says so."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graders import LessonGrading, SandboxConfig, SandboxUnavailable, WorkerPool, grade
from graders.sandbox import _unreadable_by_others, preflight


def test_missing_bubblewrap_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("graders.sandbox.shutil.which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        preflight(SandboxConfig())


def test_unreadable_path_is_found(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "python").write_text("")
    blocked = _unreadable_by_others(private / "python")
    assert blocked is not None and private.is_relative_to(blocked)
    assert _unreadable_by_others(Path("/usr/bin/env")) is None


@pytest.mark.sandbox
def test_unconfined_mode_works_and_warns_in_every_report(lstm_lesson: LessonGrading) -> None:
    pool = WorkerPool(SandboxConfig(mode="unconfined", python=sys.executable), size=0)
    pool.start()
    try:
        todo = ("import keras\nWINDOW = 24\nEPOCHS = 1\nBATCH_SIZE = 32\n\n\ndef build_model(window, n_features):\n"
                "    raise NotImplementedError('build your model here')\n")
        report = grade(lstm_lesson, todo, pool)
    finally:
        pool.close()
    assert report.status.value == "not_gradable" and "NotImplementedError" in report.summary
    assert report.sandbox.isolation == "unconfined" and not report.sandbox.seccomp
    assert any("UNCONFINED" in w for w in report.sandbox.warnings)


@pytest.mark.sandbox
def test_report_names_the_isolation_used(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, "WINDOW = 24\n", pool)
    assert report.status.value == "not_gradable" and "EPOCHS" in report.summary
    assert report.sandbox.isolation == "bwrap" and report.sandbox.seccomp
    assert report.sandbox.memory_limit in ("cgroup-v1", "cgroup-v2", "rlimit-data")
