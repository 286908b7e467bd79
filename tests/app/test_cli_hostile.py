"""`rnnlab grade` treats the files it grades as hostile: links, FIFOs, odd names, huge files, control characters."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from app import cli, submission_files
from graders import Check, Failure, GradeReport, Status
from graders.formats import FORMULA_STARTS, csv_cell, to_csv, to_json, to_junit
from graders.textsafe import display_text, scrub_surrogates, without_surrogates

REPO = Path(__file__).resolve().parents[2]
LESSON = "lstm-sequence-prediction"
SECRET = "root:SECRET-8c1f77:19000:0:99999:7:::"  # what /etc/shadow's first line looks like
# What a learner's report can carry: ANSI (clear line, colour, cursor up), CR, bell, NUL, form feed, C1, a
# direction override, a line separator, an XML-forbidden non-character and lone surrogates.
NASTY = "\x1b[2K\r\x1b[1A\x1b[32mALL PASSED\x1b[0m\x00\x07\x0c\x85\u202e\u2028\ufffe\ud800\udcff]]>&<\"'"
XML_FORBIDDEN = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]


class StubPool:
    def close(self) -> None:
        pass


class FakeGrade:
    """Stands in for graders.grade. Like a syntax error's message, its report quotes the code's first line."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.extra = ""

    def __call__(self, grading: Any, code: str, pool: Any, *args: Any, **kwargs: Any) -> GradeReport:
        self.codes.append(code)
        first = code.splitlines()[0] if code else ""
        message = f"invalid syntax on line 1: {first}{self.extra}"
        check = Check(id="contract" + self.extra, title="Module meets the contract" + self.extra, passed=False,
                      message=message)
        return GradeReport.not_gradable(Failure.syntax_error, message, checks=[check], log=f"{first}\n{self.extra}")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    json: str
    junit: str
    csv: str

    def everything(self) -> str:
        return "\n".join((self.stdout, self.stderr, self.json, self.junit, self.csv))

    def reports(self) -> dict[str, dict[str, Any]]:
        data = json.loads(self.json)
        return {Path(r["submission"]).name: r for r in data.get("submissions", [data])}


@pytest.fixture
def fake_grade(monkeypatch: pytest.MonkeyPatch) -> FakeGrade:
    fake = FakeGrade()
    monkeypatch.setattr(cli, "grade", fake)
    monkeypatch.setattr(cli, "_start_pool", lambda settings, size: StubPool())
    monkeypatch.delenv("RNNLAB_MAX_CODE_BYTES", raising=False)
    return fake


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "ok.py").write_text("import keras\n", encoding="utf-8")
    return folder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "shadow"
    path.write_text(SECRET + "\ndaemon:*:19000:0:99999:7:::\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging forever if something opens a FIFO and waits for a writer."""
    def hung(signum: int, frame: Any) -> None:
        raise TimeoutError("grading hung on a hostile file")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def grade_cli(capsys: pytest.CaptureFixture[str], out: Path, *paths: str) -> Run:
    files = {suffix: out.with_suffix(suffix) for suffix in (".json", ".xml", ".csv")}
    code = cli.main(["grade", LESSON, *paths, "--json", str(files[".json"]), "--junit", str(files[".xml"]),
                     "--csv", str(files[".csv"])])
    captured = capsys.readouterr()
    text = {k: v.read_text(encoding="utf-8") if v.exists() else "" for k, v in files.items()}
    return Run(code, captured.out, captured.err, text[".json"], text[".xml"], text[".csv"])


def assert_parseable(run: Run) -> None:
    json.loads(run.json)
    ET.fromstring(run.junit)
    list(csv.reader(io.StringIO(run.csv)))


# --- vector 1: links and files that are not regular files -------------------------------------------------


def test_symlink_to_a_secret_is_refused_and_never_quoted(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, secret: Path, fake_grade: FakeGrade) -> None:
    (batch / "alice.py").symlink_to(secret)
    direct = tmp_path / "direct.py"
    direct.symlink_to(secret)
    run = grade_cli(capsys, tmp_path / "out", str(batch), str(direct))
    assert run.code == 1
    assert SECRET not in run.everything() and "SECRET-8c1f77" not in run.everything()
    assert all(SECRET not in code for code in fake_grade.codes) and len(fake_grade.codes) == 1  # only ok.py
    reports = run.reports()
    for name in ("alice.py", "direct.py"):
        assert reports[name]["status"] == "not_gradable"
        assert "symbolic link" in reports[name]["summary"] and "submit the file itself" in reports[name]["summary"]
    assert reports["ok.py"]["status"] == "not_gradable"  # the fake grader's verdict: the batch went on
    assert_parseable(run)


def test_fifo_is_refused_without_hanging(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade, alarm: None) -> None:
    os.mkfifo(batch / "pipe.py")
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    assert run.code == 1
    report = run.reports()["pipe.py"]
    assert report["status"] == "not_gradable" and "named pipe (FIFO)" in report["summary"]
    assert len(fake_grade.codes) == 1


def test_fifo_swapped_in_after_the_listing_is_refused_without_hanging(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alarm: None) -> None:
    fifo = tmp_path / "race.py"
    os.mkfifo(fifo)
    regular = os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 10, 0, 0, 0))
    monkeypatch.setattr(submission_files.os, "lstat", lambda path: regular)  # lstat() saw a file; open() meets the FIFO
    with pytest.raises(cli.Refused, match="named pipe"):
        cli.read_submission(cli.Submission(fifo), 65536)


def test_symlink_swapped_in_after_the_listing_is_not_followed(
        tmp_path: Path, secret: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = tmp_path / "race.py"
    link.symlink_to(secret)
    regular = os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 10, 0, 0, 0))
    monkeypatch.setattr(submission_files.os, "lstat", lambda path: regular)
    with pytest.raises(cli.Refused, match="symbolic link"):
        cli.read_submission(cli.Submission(link), 65536)


def test_file_replaced_after_the_listing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "swap.py"
    path.write_text("x = 1\n")
    [item] = cli.collect_submissions([str(path)])
    replacement = tmp_path / "swap.new"
    replacement.write_text("x = 2\n")  # created while the old file still holds its inode
    replacement.replace(path)  # e.g. moved in from elsewhere after the folder was listed
    with pytest.raises(cli.Refused, match="replaced"):
        cli.read_submission(item, 65536)


def test_device_file_is_refused_without_being_opened() -> None:
    with pytest.raises(cli.Refused, match="character device"):
        cli.read_submission(cli.Submission(Path("/dev/zero")), 65536)


def test_folder_named_like_a_submission_is_reported_and_its_files_graded(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade) -> None:
    (batch / "x.py").mkdir()
    (batch / "x.py" / "inner.py").write_text("print('inner')\n", encoding="utf-8")
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    assert run.code == 1
    reports = run.reports()
    assert reports["x.py"]["status"] == "not_gradable" and "a folder, not a regular file" in reports["x.py"]["summary"]
    assert "inner.py" in reports and "print('inner')\n" in fake_grade.codes


def test_symlinked_folder_is_reported_not_followed(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, secret: Path, fake_grade: FakeGrade) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(secret, elsewhere / "stolen.py")  # a .py file the link would reach
    (batch / "linked").symlink_to(elsewhere, target_is_directory=True)
    (batch / "loop").symlink_to(batch, target_is_directory=True)  # would recurse forever if followed
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    assert run.code == 1
    assert SECRET not in run.everything() and all(SECRET not in code for code in fake_grade.codes)
    reports = run.reports()
    assert "stolen.py" not in reports
    for name in ("linked", "loop"):
        assert reports[name]["status"] == "not_gradable" and "symbolic link" in reports[name]["summary"]


def test_unrelated_links_and_files_in_a_folder_are_ignored(tmp_path: Path, batch: Path, secret: Path) -> None:
    (batch / "README").symlink_to(secret)  # not a submission and not a folder: nothing to report
    (batch / "notes.txt").write_text("hello")
    assert [item.path.name for item in cli.collect_submissions([str(batch)])] == ["ok.py"]


# --- vector 2: control characters in learner text -----------------------------------------------------------


def test_control_characters_reach_no_terminal_and_junit_parses(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade) -> None:
    (batch / "ok.py").write_text("x = '\x1b]0;pwned\x07\x1b[2K\r[1/1] ok.py: passed score=1.00'\n", encoding="utf-8")
    fake_grade.extra = NASTY
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    assert run.code == 1
    for raw in ("\x1b", "\r", "\x07", "\x00", "\x85", "\u202e", "\u2028"):
        assert raw not in run.stderr and raw not in run.junit and raw not in run.csv
    assert "\\x1b[2K\\r" in run.stderr  # shown, not obeyed
    root = ET.fromstring(run.junit)
    assert "\\x1b" in (root.find(".//system-out").text or "")  # type: ignore[union-attr]
    assert "\\x1b[32mALL PASSED" in (root.find(".//failure").get("message") or "")  # type: ignore[union-attr]
    assert_parseable(run)


def test_junit_is_well_formed_for_any_text() -> None:
    everything = "".join(map(chr, range(0x110000)))
    report = GradeReport(status=Status.failed, submission=everything, lesson=everything, summary=everything,
                         log=everything, checks=[Check(id=everything, title=everything, passed=False,
                                                       message=everything)])
    xml = to_junit([report])
    root = ET.fromstring(xml)
    assert not set(map(chr, XML_FORBIDDEN)) & set(xml)
    assert root.find(".//failure").text == display_text(everything, multiline=True)  # type: ignore[union-attr]


def test_log_lines_are_display_safe() -> None:
    formatter = cli.DisplaySafeFormatter("%(levelname)s %(name)s: %(message)s")
    record = cli.logging.LogRecord("graders.grading", cli.logging.ERROR, __file__, 1, "failure: %s",
                                   (NASTY + "\n[2/2] x.py: passed",), None)
    line = formatter.format(record)
    assert "\x1b" not in line and "\r" not in line and "\n    [2/2]" in line


# --- vector 3: file names that are not UTF-8 -----------------------------------------------------------------


def test_non_utf8_file_name_gets_every_report(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade) -> None:
    name = os.fsdecode(b"\xff\xfe-bob.py")
    with open(os.fsencode(batch) + b"/\xff\xfe-bob.py", "wb") as handle:
        handle.write(b"import keras\n")
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    assert run.code == 1
    assert_parseable(run)
    assert "\\xff\\xfe-bob.py" in run.reports()
    assert "\\xff\\xfe-bob.py" in run.stderr and name not in run.stderr
    [suite] = [s for s in ET.fromstring(run.junit) if "bob" in (s.get("name") or "")]
    assert suite.get("name", "").endswith("\\xff\\xfe-bob.py")
    assert any(row[0].endswith("\\xff\\xfe-bob.py") for row in csv.reader(io.StringIO(run.csv)))


def test_non_utf8_file_name_on_stdout(capsys: pytest.CaptureFixture[str], batch: Path, fake_grade: FakeGrade) -> None:
    (batch / "ok.py").unlink()
    with open(os.fsencode(batch) + b"/\xe9t\xe9.py", "wb") as handle:
        handle.write(b"import keras\n")
    assert cli.main(["grade", LESSON, str(batch), "--json", "-"]) == 1
    assert json.loads(capsys.readouterr().out)["submission"].endswith("\\xe9t\\xe9.py")


def test_non_utf8_contents_teach_to_save_as_utf8(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade) -> None:
    (batch / "latin1.py").write_bytes(b"# ok\nname = 'Jos\xe9'\n")
    (batch / "bom.py").write_bytes(b"\xef\xbb\xbfimport keras\n")
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    report = run.reports()["latin1.py"]
    assert run.code == 1 and report["status"] == "not_gradable"
    assert "not UTF-8" in report["summary"] and "line 2" in report["summary"] and "Save the file as UTF-8" in report["summary"]
    assert "import keras\n" in fake_grade.codes  # the BOM is tolerated, as in the web app


# --- vector 4: spreadsheet formulas -------------------------------------------------------------------------


def test_formula_file_name_is_text_in_the_csv(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade,
        monkeypatch: pytest.MonkeyPatch) -> None:
    name = '=HYPERLINK("evil.example","Click for grades").py'
    (batch / name).write_text("import keras\n", encoding="utf-8")
    monkeypatch.chdir(batch)
    run = grade_cli(capsys, tmp_path / "out", name, "ok.py")
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO(run.csv))}
    assert "'" + name in rows and rows["'" + name]["summary"].startswith("invalid syntax")
    assert all(not cell.lstrip().startswith(FORMULA_STARTS) for row in rows.values() for cell in row.values())


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "  =1", "\u3000=1", "\uff1d1"])
def test_csv_cell_neutralises_formulas(text: str) -> None:
    cell = csv_cell(text)
    assert cell.startswith("'") or cell.startswith("\\")
    assert "\t" not in cell and "\r" not in cell


def test_csv_cell_leaves_plain_text_alone() -> None:
    assert csv_cell("alice.py") == "alice.py" and csv_cell("2 check(s) failed: a, b") == "2 check(s) failed: a, b"


# --- vector 5: size ----------------------------------------------------------------------------------------


def test_80_mb_file_is_refused_unread_with_an_honest_message(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade,
        monkeypatch: pytest.MonkeyPatch) -> None:
    huge = batch / "huge.py"
    subprocess.run(["truncate", "-s", "80M", str(huge)], check=True)  # sparse: no disk used
    reads: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        reads.append(len(data))
        return data
    monkeypatch.setattr(submission_files.os, "read", counting_read)
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    report = run.reports()["huge.py"]
    assert run.code == 1
    assert report["status"] == "not_gradable"
    assert "Your submission is 80.0 MiB; the limit is 64 KiB" in report["summary"]
    assert sum(reads) == len("import keras\n")  # only ok.py was read
    assert len(fake_grade.codes) == 1


def test_the_limit_is_max_code_bytes(tmp_path: Path) -> None:
    path = tmp_path / "edge.py"
    path.write_bytes(b"x" * 100)
    item = cli.Submission(path)
    assert cli.read_submission(item, 100) == "x" * 100
    with pytest.raises(cli.Refused, match="is 100 bytes; the limit is 99 bytes"):
        cli.read_submission(item, 99)


def test_a_file_whose_size_lies_is_read_only_to_the_limit() -> None:
    status = Path("/proc/self/status")  # a regular file that says it is empty
    assert os.stat(status).st_size == 0 and len(status.read_bytes()) > 100
    with pytest.raises(cli.Refused, match="is at least 51 bytes; the limit is 50 bytes"):
        cli.read_submission(cli.Submission(status), 50)


def test_the_cli_applies_the_setting(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNLAB_MAX_CODE_BYTES", "8")
    run = grade_cli(capsys, tmp_path / "out", str(batch / "ok.py"))
    assert run.code == 1 and "the limit is 8 bytes" in run.reports()["ok.py"]["summary"]


# --- one format failing never loses the others ---------------------------------------------------------------


def test_a_crashing_writer_keeps_the_other_formats_and_exits_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: Path, fake_grade: FakeGrade,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(reports: list[GradeReport], **options: Any) -> str:
        raise RuntimeError("boom \x1b[2K")
    monkeypatch.setattr(cli, "to_junit", broken)
    run = grade_cli(capsys, tmp_path / "out", str(batch))
    assert run.code == 2
    assert run.junit == ""
    assert run.reports()["ok.py"]["status"] == "not_gradable"
    assert [row["status"] for row in csv.DictReader(io.StringIO(run.csv))] == ["not_gradable"]
    assert "could not write the JUnit report" in run.stderr and "RuntimeError" in run.stderr
    assert "\x1b" not in run.stderr


def test_only_hostile_files_exit_1_never_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, secret: Path, fake_grade: FakeGrade) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "link.py").symlink_to(secret)
    (folder / "dangling.py").symlink_to(tmp_path / "nowhere")
    os.mkfifo(folder / "pipe.py")
    (folder / "dir.py").mkdir()
    (folder / "latin1.py").write_bytes(b"\xff\n")
    with open(os.fsencode(folder) + b"/\x1b[2K\xff.py", "wb") as handle:
        handle.write(b"\xc3\x28")
    run = grade_cli(capsys, tmp_path / "out", str(folder))
    assert run.code == 1, run.stderr
    assert len(run.reports()) == 6 and not fake_grade.codes
    assert_parseable(run)


# --- the sanitizer ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("multiline", [False, True])
def test_display_text_over_every_code_point(multiline: bool) -> None:
    kept = "\n\t" if multiline else ""
    for cp in range(0x110000):
        char = chr(cp)
        shown = display_text(char, multiline=multiline)
        if shown == char:
            assert cp >= 0x20 and not 0x7F <= cp < 0xA0 and not 0xD800 <= cp < 0xE000 or char in kept, hex(cp)
            assert cp not in (0x202E, 0x2028, 0xFFFE, 0xFFFF), hex(cp)
        else:
            assert shown.startswith("\\") and shown.isascii() and shown.isprintable(), (hex(cp), shown)
        shown.encode("utf-8")  # never a lone surrogate


def test_display_text_escapes() -> None:
    assert display_text("a\x1b[31mb\rc\nd\te\x00\x7f\x9b") == "a\\x1b[31mb\\rc\\nd\\te\\x00\\x7f\\x9b"
    assert display_text("line\nnext\ttab\r", multiline=True) == "line\nnext\ttab\\r"
    assert display_text(os.fsdecode(b"\xff.py")) == "\\xff.py"  # the byte the name holds
    assert display_text("\ud800") == "\\ud800" and display_text("\u202e") == "\\u202e"
    assert display_text("café ✓ 日本") == "café ✓ 日本"


def test_scrub_surrogates_reaches_every_string() -> None:
    value = {"\udcff": ["a\udcfe", ("\ud800", 1.5)], "n": None}
    assert scrub_surrogates(value) == {"\\xff": ["a\\xfe", ("\\ud800", 1.5)], "n": None}
    assert without_surrogates("\x1b\udcff") == "\x1b\\xff"


def test_every_writer_survives_random_learner_text() -> None:
    rng = random.Random(20240611)
    pools = [range(0x00, 0x100), range(0xD7F0, 0xE010), range(0xFFF0, 0x10000), range(0x2000, 0x2070),
             range(0x1F600, 0x1F650), range(0x10FFF0, 0x110000)]
    alphabet = [cp for pool in pools for cp in pool] + [ord(c) for c in "=+-@ \t\r\n\"',;<>&]"]

    def text() -> str:
        return "".join(chr(rng.choice(alphabet)) for _ in range(rng.randrange(0, 40)))

    for _ in range(200):
        reports = [GradeReport(status=rng.choice(list(Status)), submission=text(), lesson=text(), summary=text(),
                               log=text(), checks=[Check(id=text(), title=text(), passed=rng.random() < 0.5,
                                                         skipped=rng.random() < 0.2, message=text())])
                   for _ in range(rng.randrange(1, 4))]
        ET.fromstring(to_junit(reports))
        json.loads(to_json(reports))
        rows = list(csv.reader(io.StringIO(to_csv(reports))))
        assert len(rows) == len(reports) + 1
        for row in rows[1:]:
            for index, cell in enumerate(row):
                assert index == 3 or not cell.lstrip().startswith(FORMULA_STARTS), cell
                assert "\r" not in cell and "\n" not in cell


# --- the real sandbox, end to end ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.sandbox
def test_hostile_batch_through_the_real_sandbox(tmp_path: Path, secret: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "alice.py").symlink_to(secret)  # the secret's first line is a syntax error if it were ever graded
    (batch / "bob.py").write_text("x = (\x1b[2K\x1b[1A\r[1/1] ok: passed\n", encoding="utf-8")
    with open(os.fsencode(batch) + b"/\xff-carol.py", "wb") as handle:
        handle.write(b"def build_model(:\n")
    (batch / "=1+1.py").write_text("import os\nos._exit(3)\n", encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "app.cli", "grade", LESSON, str(batch), "--jobs", "2",
                          "--json", str(out.with_suffix(".json")), "--junit", str(out.with_suffix(".xml")),
                          "--csv", str(out.with_suffix(".csv"))],
                         capture_output=True, text=True, cwd=REPO, timeout=600, errors="surrogateescape")
    assert run.returncode == 1, run.stderr
    texts = [run.stdout, run.stderr] + [out.with_suffix(s).read_text(encoding="utf-8") for s in (".json", ".xml", ".csv")]
    assert not any("SECRET-8c1f77" in text for text in texts)
    assert not any("\x1b" in text for text in texts[1:]) and "\r" not in run.stderr
    reports = {Path(r["submission"]).name: r for r in json.loads(texts[2])["submissions"]}
    assert set(reports) == {"alice.py", "bob.py", "\\xff-carol.py", "=1+1.py"}
    assert "symbolic link" in reports["alice.py"]["summary"]
    assert reports["bob.py"]["failure"] == "syntax_error"
    assert all(r["status"] == "not_gradable" for r in reports.values())
    ET.fromstring(texts[3])
    assert all(not row[0].startswith(FORMULA_STARTS) for row in csv.reader(io.StringIO(texts[4])))
