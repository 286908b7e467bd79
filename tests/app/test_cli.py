"""`rnnlab grade` and `rnnlab lessons check` as CI runs them: exit codes, JSON, JUnit, CSV, a batch that survives crashes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "lessons" / "lstm-sequence-prediction"
GOLDEN = REPO / "tests" / "graders" / "submissions"
RNNLAB = [sys.executable, "-m", "app.cli"]


def rnnlab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RNNLAB, *args], capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.mark.sandbox
@pytest.mark.slow
def test_solution_passes_with_exit_0() -> None:
    run = rnnlab("grade", "lstm-sequence-prediction", str(LESSON / "solution.py"), "--json", "-")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["status"] == "passed" and report["score"] == 1.0
    assert report["version"] == 3 and report["submission"].endswith("solution.py")
    assert report["heldout"] == "private"  # `rnnlab grade` generates its own secret held-out tail
    assert {"heldout_rmse", "baseline_rmse"} <= set(report["metrics"])
    table = {b["id"]: b for b in report["baselines"]}  # every baseline, fit on the training part only
    assert {"last_value", "mean", "linear", "seasonal_24"} <= set(table)
    (bar,) = [b for b in report["baselines"] if b["bar"]]  # exactly one sets the pass mark: the one in metrics
    assert bar["value"] == pytest.approx(report["metrics"]["baseline_rmse"], rel=1e-5)
    assert "[1/1]" in run.stderr  # progress on the terminal, not mixed into the JSON


@pytest.mark.sandbox
def test_starter_runs_shows_the_lessons_failure_and_exits_1() -> None:
    run = rnnlab("grade", str(LESSON), str(LESSON / "starter.py"), "--json", "-")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["status"] == "failed" and report["summary"], report["summary"]


@pytest.mark.sandbox
def test_an_unfinished_todo_teaches_and_exits_1(tmp_path: Path) -> None:
    todo = tmp_path / "todo.py"
    todo.write_text("import keras\n\nWINDOW = 24\nEPOCHS = 1\nBATCH_SIZE = 32\n\n\n"
                    "def build_model(window, n_features):\n    raise NotImplementedError('build your model here')\n")
    run = rnnlab("grade", str(LESSON), str(todo), "--json", "-")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["status"] == "not_gradable"
    assert "NotImplementedError" in report["summary"] and "replace the TODO" in report["summary"]


@pytest.mark.sandbox
@pytest.mark.slow
def test_batch_survives_crashes_and_writes_every_format(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(GOLDEN / "passes.py", batch / "alice.py")
    shutil.copy(GOLDEN / "not-gradable-syntax-error.py", batch / "bob.py")
    (batch / "carol.py").write_text("import os\nos._exit(3)\n")
    out = tmp_path / "out"
    run = rnnlab("grade", "lstm-sequence-prediction", str(batch), "--jobs", "2",
                 "--json", str(out.with_suffix(".json")), "--junit", str(out.with_suffix(".xml")),
                 "--csv", str(out.with_suffix(".csv")))
    assert run.returncode == 1, run.stderr
    reports = json.loads(out.with_suffix(".json").read_text())["submissions"]
    by_name = {Path(r["submission"]).name: r for r in reports}
    assert by_name["alice.py"]["status"] == "passed"
    assert by_name["bob.py"]["failure"] == "syntax_error"
    assert by_name["carol.py"]["status"] == "not_gradable" and by_name["carol.py"]["failure"] == "exited"
    suites = ET.parse(out.with_suffix(".xml")).getroot().findall("testsuite")
    assert len(suites) == 3
    failed_cases = [c.get("name") for s in suites for c in s.findall("testcase") if c.find("failure") is not None]
    assert "contract" in failed_cases
    rows = list(csv.DictReader(io.StringIO(out.with_suffix(".csv").read_text())))
    assert sorted(r["status"] for r in rows) == ["not_gradable", "not_gradable", "passed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grade", "no-such-lesson", "x.py"), "no such lesson"),
        (("grade", "lstm-sequence-prediction", "/nonexistent.py"), "no such file"),
        (("grade", "lstm-sequence-prediction", "x.py", "--jobs", "0"), "--jobs"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    run = rnnlab(*args)
    assert run.returncode == 2
    assert message in run.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the unreadable-interpreter check applies when dropping from root")
def test_refuses_to_grade_when_the_sandbox_cannot_read_the_interpreter(tmp_path: Path) -> None:
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    python = hidden / "python"
    python.symlink_to(sys.executable)
    run = rnnlab("grade", "lstm-sequence-prediction", str(LESSON / "solution.py"),
                 env={"RNNLAB_SANDBOX_PYTHON": str(python)})
    assert run.returncode == 2
    assert "cannot read" in run.stderr and "RNNLAB_SANDBOX_PYTHON" in run.stderr


def test_refuses_without_bubblewrap_and_says_how_to_install(tmp_path: Path) -> None:
    run = rnnlab("grade", "lstm-sequence-prediction", str(LESSON / "solution.py"),
                 env={"PATH": str(tmp_path)})  # no bwrap on this PATH
    assert run.returncode == 2
    assert "apt-get install bubblewrap" in run.stderr


# --- what a CI log shows: progress, a heartbeat, a tally; one JUnit test list per lesson ----------------------


WINDOWS = REPO / "lessons" / "sequence-windows"  # function cases: graded in seconds, no Keras training


def test_progress_heartbeat_and_tally(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from app import cli
    from graders.report import Check, Failure, GradeReport

    class Pool:
        def close(self) -> None:
            pass

    def fake_grade(grading: object, code: str, pool: object, *args: object, **kwargs: object) -> GradeReport:
        if "slow" in code:
            time.sleep(0.5)
        if "bad" in code:
            return GradeReport.not_gradable(Failure.syntax_error, "Syntax error on line 1: invalid syntax")
        summary = ("2 check(s) failed: Windows hold consecutive values in time order, No window contains its own "
                   "target (no look-ahead)")
        return GradeReport.from_checks([Check(id="values", title="Values", passed="fine" in code,
                                                             points=1 if "fine" in code else 0)],
                                       summary="All checks passed." if "fine" in code else summary)

    monkeypatch.setattr(cli, "grade", fake_grade)
    monkeypatch.setattr(cli, "_start_pool", lambda settings, size: Pool())
    batch = tmp_path / "batch"
    batch.mkdir()
    for name, code in (("alice.py", "fine = 1  # slow\n"), ("bob.py", "x = 1\n"), ("carol.py", "bad\n")):
        (batch / name).write_text(code)
    code = cli.main(["grade", "sequence-windows", str(batch), "--progress-every", "0.1"])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.splitlines()
    progress = [line for line in lines if line.startswith("[") and "still grading" not in line]
    assert progress[0].startswith(f"[1/3] {batch / 'alice.py'} … passed 1.00 (")
    assert progress[1].startswith(f"[2/3] {batch / 'bob.py'} … failed 0.00 (")
    assert progress[1].endswith("2 check(s) failed: Windows hold consecutive values in time order, No window "
                                "contains its own…")  # at a word boundary, never mid-word
    assert progress[2].startswith(f"[3/3] {batch / 'carol.py'} … not gradable 0.00 (")
    heartbeats = [line for line in lines if "still grading" in line]
    # alice's 0.5 s is heard; on a busy machine a beat may also catch bob or carol in their few milliseconds
    assert any(line.startswith(f"[0/3] still grading {batch / 'alice.py'} (") for line in heartbeats), heartbeats
    assert all(re.match(r"\[[0-2]/3\] still grading \S+\.py \(\d+ s\)$", line) for line in heartbeats), heartbeats
    assert lines[-1].startswith("3 graded: 1 passed, 1 failed, 1 not gradable, 0 errors in ")


def test_tally_counts_every_status() -> None:
    from app.cli import tally
    from graders.report import GradeReport, Status

    reports = [GradeReport(status=status) for status in
               [Status.passed] * 9 + [Status.failed] * 2 + [Status.not_gradable]]
    assert tally(reports, 252.4) == "12 graded: 9 passed, 2 failed, 1 not gradable, 0 errors in 4m12s"
    assert tally(reports[:1], 33.06) == "1 graded: 1 passed, 0 failed, 0 not gradable, 0 errors in 33.1s"


@pytest.mark.sandbox
def test_junit_lists_the_same_checks_for_every_submission(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(WINDOWS / "solution.py", batch / "alice.py")
    shutil.copy(WINDOWS / "starter.py", batch / "bob.py")
    (batch / "carol.py").write_text("def make_windows(:\n")
    out = tmp_path / "out"
    run = rnnlab("grade", "sequence-windows", str(batch), "--json", str(out.with_suffix(".json")),
                 "--junit", str(out.with_suffix(".xml")), "--csv", str(out.with_suffix(".csv")))
    assert run.returncode == 1, run.stderr
    reports = {Path(r["submission"]).name: r for r in json.loads(out.with_suffix(".json").read_text())["submissions"]}
    assert [reports[n]["status"] for n in ("alice.py", "bob.py", "carol.py")] == ["passed", "failed", "not_gradable"]
    suites = {Path(s.get("name") or "").name: s for s in ET.parse(out.with_suffix(".xml")).getroot()}
    expected = ["grading", *(check["id"] for check in reports["alice.py"]["checks"])]
    assert len(expected) > 3
    for suite in suites.values():
        assert [case.get("name") for case in suite.findall("testcase")] == expected
        assert suite.get("tests") == str(len(expected))
    carol = suites["carol.py"]
    reached = [c for c in carol.findall("testcase") if c.find("skipped") is None]
    assert [c.get("name") for c in reached] == ["grading"]
    assert all((c.find("skipped").get("message") or "").startswith("not reached: not gradable: Syntax error")  # type: ignore[union-attr]
               for c in carol.findall("testcase")[1:])
    rows = {Path(r["submission"]).name: r for r in csv.DictReader(io.StringIO(out.with_suffix(".csv").read_text()))}
    total = str(len(expected) - 1)
    assert [rows[n]["max_points"] for n in ("alice.py", "bob.py", "carol.py")] == [total] * 3
    assert rows["alice.py"]["points"] == total and rows["alice.py"]["metric"] == "cases_passed"
    assert "3 graded: 1 passed, 1 failed, 1 not gradable, 0 errors in " in run.stderr
