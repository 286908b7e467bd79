"""Operations that fail loudly: SIGTERM stops grading at once, /healthz proves the database, a full or read-only
database answers 503, an unusable data dir refuses to start in one line, slow headers and stalled bodies time out."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import REPO_ROOT, Settings
from app.csrf import CSRF_HEADER
from app.database import make_engine
from app.health import MIN_FREE_BYTES, storage_failure
from app.main import create_app
from graders import LessonGrading, SandboxConfig, Status, WorkerPool, grade
from tests.app.helpers import LSTM, FakeGrader, csrf_token, submit
from tests.app.test_server import free_port

# `rnnlab serve` with graders.grade replaced by a fake that takes GRADE_S (patched before app.* binds the name): these
# tests are about the server, and a real grading would cost a TensorFlow import per submission.
HARNESS = r"""
import sys, time
import graders
from graders import Failure, GradeReport

def slow_grade(grading, code, pool, on_event=None, **options):
    time.sleep(float(sys.argv[1]))
    return GradeReport.not_gradable(Failure.syntax_error, "fake grader")

graders.grade = slow_grade
from app.cli import main
sys.exit(main(["serve", "--host", "127.0.0.1", "--port", sys.argv[2]]))
"""


class Server:
    """A real `rnnlab serve` in a subprocess, its log in a file."""

    def __init__(self, data_dir: Path, lessons: Path, log: Path, grade_s: float = 0.0, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.database = data_dir / "rnnlab.sqlite3"
        environ = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RNNLAB_DATA_DIR": str(data_dir),
                   "RNNLAB_LESSONS_DIR": str(lessons), "RNNLAB_POOL_SIZE": "0", **env}
        with log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-c", HARNESS, str(grade_s), str(self.port)], cwd=REPO_ROOT,
                                         env=environ, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"server did not start: {self.log()[-3000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def one_lesson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lessons = tmp_path_factory.mktemp("lessons")
    shutil.copytree(REPO_ROOT / "lessons" / LSTM, lessons / LSTM)
    return lessons


@contextmanager
def small_tmpfs(mount: Path, options: str = "size=8m") -> Iterator[bool]:
    """A tmpfs at `mount` (root may mount one; a disk to fill up for real), unmounted after; False if not permitted."""
    mount.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True).returncode:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write zeros into `folder` until its disk is full; returns the file to delete."""
    filler = folder / "filler"
    try:
        with filler.open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    return filler


@pytest.fixture(scope="module")
def tmpfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    mount = tmp_path_factory.mktemp("tmpfs")
    with small_tmpfs(mount) as mounted:
        yield mount if mounted else None


@pytest.fixture(scope="module")
def server(tmpfs: Path | None, one_lesson: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the timeout and disk tests, its data on the tmpfs, with 1 s header and body deadlines."""
    data = (tmpfs or tmp_path_factory.mktemp("data")) / "data"
    running = Server(data, one_lesson, tmp_path_factory.mktemp("log") / "server.log",
                     RNNLAB_HEADER_TIMEOUT_S="1", RNNLAB_BODY_TIMEOUT_S="1")
    yield running
    running.stop()


def _statuses(database: Path) -> dict[int, str]:
    with sqlite3.connect(database) as db:  # the API shows a submission to its own browser only
        return dict(db.execute("SELECT id, status FROM submissions").fetchall())


# -- 1. SIGTERM: grading stops claiming at the signal, and a normal stop logs no error

def test_sigterm_stops_claiming_submissions_while_connections_drain(one_lesson: Path, tmp_path: Path) -> None:
    server = Server(tmp_path / "data", one_lesson, tmp_path / "server.log", grade_s=1.5,
                    RNNLAB_CONCURRENT_JOBS="1")
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            ids = [httpx.post(f"{server.base}/api/lessons/{LSTM}/submissions", json={"code": f"# {n}\n"}).json()["id"]
                   for n in range(3)]  # three browsers (no cookies kept): one grading, two waiting behind it
            ids.append(client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# 3\n"}).json()["id"])
            deadline = time.monotonic() + 10
            while _statuses(server.database)[ids[0]] != "running":
                assert time.monotonic() < deadline, "the first submission never started"
                time.sleep(0.05)
            # Its browser follows the last one: an open event stream keeps uvicorn draining while we hold it.
            with client.stream("GET", f"/api/submissions/{ids[-1]}/events") as stream:
                assert stream.status_code == 200
                lines = stream.iter_lines()  # held: a dropped generator would close the stream
                assert next(lines) == "retry: 1000"
                server.proc.send_signal(signal.SIGTERM)
                time.sleep(4)  # the fake grading ends after 1.5 s: a queue still claiming would start the next two
        assert server.proc.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        server.stop()
    statuses = _statuses(server.database)
    assert [statuses[i] for i in ids[1:]] == ["queued"] * 3, statuses  # graded at the next start, never twice
    log = server.log()
    assert "Application shutdown complete." in log
    assert "ERROR" not in log, log[-3000:]


def test_a_pool_closed_by_a_stop_is_not_logged_as_an_error(lstm_lesson: LessonGrading,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """The shutdown closes the pool under a grading between two phases; that is a normal stop, not an ERROR."""
    never_started = WorkerPool(SandboxConfig(python=sys.executable), size=0)
    with caplog.at_level(logging.INFO, logger="graders"):
        report = grade(lstm_lesson, "x = 1\n", never_started)
    assert report.status is Status.error
    assert [r.levelname for r in caplog.records] == ["ERROR"]  # a pool nobody started is a real problem
    caplog.clear()
    closed = WorkerPool(SandboxConfig(python=sys.executable), size=0)
    closed.close()
    with caplog.at_level(logging.INFO, logger="graders"):
        report = grade(lstm_lesson, "x = 1\n", closed)
    assert report.status is Status.error  # never recorded: the queue drops it while stopping
    assert caplog.records and all(r.levelno < logging.WARNING for r in caplog.records), caplog.text


# -- 2 and 5. /healthz proves the database is writable and the one it opened

def test_healthz_reports_every_check(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "database_file", "disk", "grading"}
    assert all(check["ok"] for check in body["checks"].values())


def test_a_deleted_database_file_fails_healthz_and_is_logged_once(client: TestClient, settings: Settings,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    submit(client, "# PASS\n")
    with caplog.at_level(logging.WARNING, logger="app.health"):
        (settings.data_dir / "rnnlab.sqlite3").unlink()  # the server keeps writing to the unlinked file
        answers = [client.get("/healthz") for _ in range(3)]
    assert [a.status_code for a in answers] == [503] * 3
    body = answers[-1].json()
    assert body["status"] == "degraded"
    assert body["checks"]["database_file"]["ok"] is False and "deleted" in body["checks"]["database_file"]["detail"]
    assert body["checks"]["database"]["ok"] is True  # the open file still takes writes: only the identity tells
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "deleted" in errors[0].getMessage()


def test_a_replaced_database_file_fails_healthz(client: TestClient, settings: Settings) -> None:
    path = settings.data_dir / "rnnlab.sqlite3"
    shutil.copyfile(path, path.with_suffix(".copy"))
    path.with_suffix(".copy").replace(path)  # same name, another file (a restore over a running server)
    check = client.get("/healthz").json()["checks"]["database_file"]
    assert check["ok"] is False and "replaced" in check["detail"]


def test_healthz_on_a_read_only_sqlite_file_fails(settings: Settings, fake_grader: FakeGrader) -> None:
    """The probe's rolled-back UPDATE needs the write lock: the same file opened read-only fails it."""
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        state = client.app.state.rnnlab  # type: ignore[attr-defined]
        database = state.store.database
        ro_url = f"sqlite:///file:{settings.data_dir / 'rnnlab.sqlite3'}?mode=ro&uri=true"
        database.engine.dispose()
        database.engine = make_engine(ro_url)  # what StorageHealth probes (it holds the same Database)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == {"ok": False, "detail": "The database is read-only."}


# -- 3. a full or read-only database answers 503 with Retry-After, on a real disk

def test_a_full_disk_answers_503_with_retry_after_and_healthz_says_why(server: Server, tmpfs: Path | None) -> None:
    if tmpfs is None:
        pytest.skip("mounting a small tmpfs is not permitted here (needs root): cannot fill a disk for real")
    with sqlite3.connect(server.database) as db:  # an empty WAL: the next commit must grow a file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = fill(tmpfs)
    try:
        answers = [httpx.post(f"{server.base}/api/lessons/{LSTM}/submissions", json={"code": "# x\n"})
                   for _ in range(2)]
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "30"
            assert answer.json()["detail"].startswith("The database is full")
        health = httpx.get(f"{server.base}/healthz")
        assert health.status_code == 503
        assert health.json()["checks"]["disk"]["ok"] is False
        assert os.statvfs(tmpfs).f_bavail * os.statvfs(tmpfs).f_frsize < MIN_FREE_BYTES
    finally:
        filler.unlink()
    assert httpx.get(f"{server.base}/healthz").status_code == 200
    assert httpx.post(f"{server.base}/api/lessons/{LSTM}/submissions", json={"code": "# x\n"}).status_code == 202
    assert server.log().count("The database is full") == 1  # one line for the operator, not one per request
    assert "Traceback" not in server.log()


def test_a_full_disk_answers_browsers_with_a_plain_page(settings: Settings, fake_grader: FakeGrader,
                                                        tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk") as mounted:
        if not mounted:
            pytest.skip("mounting a small tmpfs is not permitted here (needs root): cannot fill a disk for real")
        settings = settings.model_copy(update={"data_dir": tmp_path / "disk" / "data"})
        with TestClient(create_app(settings)) as client:
            client.headers[CSRF_HEADER] = csrf_token(client, "/signup")
            with sqlite3.connect(settings.data_dir / "rnnlab.sqlite3") as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            fill(tmp_path / "disk")
            page = client.post("/signup", data={"email": "a@example.org", "password": "correct horse battery staple"},
                               headers={"accept": "text/html"})
            api = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"})
    assert page.status_code == 503 and page.headers["retry-after"] == "30"
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Temporarily unavailable</h1>" in page.text and "The database is full" in page.text
    assert api.status_code == 503 and api.headers["retry-after"] == "30"
    assert api.json()["detail"].startswith("The database is full")


def test_storage_failures_are_told_apart_from_bugs(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as caught:
        read_only.execute("INSERT INTO t VALUES (1)")
    assert storage_failure(caught.value) == "The database is read-only."
    with pytest.raises(sqlite3.OperationalError) as bug:
        read_only.execute("SELECT nope FROM t")
    assert storage_failure(bug.value) is None  # a bug of ours stays a logged 500


# -- 4. an unusable data dir refuses to start in one line

def _serve(data_dir: Path, lessons: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RNNLAB_DATA_DIR": str(data_dir),
           "RNNLAB_LESSONS_DIR": str(lessons), "RNNLAB_POOL_SIZE": "0"}
    return subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def test_a_data_dir_that_is_a_file_refuses_to_start_in_one_line(tmp_path: Path, one_lesson: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("oops")
    for data_dir in (not_a_dir, not_a_dir / "below"):
        result = _serve(data_dir, one_lesson)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("rnnlab: cannot start: RNNLAB_DATA_DIR ")
        assert str(data_dir) in result.stderr


def test_a_read_only_data_dir_refuses_to_start_in_one_line(tmp_path: Path, one_lesson: Path) -> None:
    mount = tmp_path / "ro"
    with small_tmpfs(mount, "ro,size=1m") as mounted:
        if not mounted:
            pytest.skip("mounting a read-only tmpfs is not permitted here (needs root); root ignores chmod")
        result = _serve(mount, one_lesson)
    assert result.returncode == 2
    assert result.stderr == f"rnnlab: cannot start: RNNLAB_DATA_DIR {mount} is not usable: Read-only file system\n"


# -- 6. header and body timeouts

def _raw(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_slow_headers_are_cut_off(server: Server) -> None:
    with _raw(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        try:
            while time.monotonic() - started < 8:  # a slowloris: a header byte every 0.2 s resets keep-alive timers
                sock.sendall(b"X")
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_all(sock)
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert elapsed < 4, elapsed  # 1 s deadline (RNNLAB_HEADER_TIMEOUT_S), not the 8 s the client would take


def _read_one_response(sock: socket.socket) -> bytes:
    """One whole HTTP response on a kept-alive connection: its head, then Content-Length bytes of body (a single
    recv() may return the head alone, leaving the body to be mistaken for the next response)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, data
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_silent_connection_is_closed_and_a_prompt_one_is_served(server: Server) -> None:
    with _raw(server) as sock:
        started = time.monotonic()
        assert _read_all(sock) == b""  # never sent a byte: closed without an answer
        assert time.monotonic() - started < 4
    with _raw(server) as sock:
        time.sleep(0.5)  # within the deadline
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_one_response(sock).startswith(b"HTTP/1.1 200 ")  # whole, so the next read starts afresh
        time.sleep(1.5)  # idle on a kept-alive connection longer than the header deadline: still served
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_all(sock).startswith(b"HTTP/1.1 200 ")


def test_a_stalled_body_is_answered_408(server: Server) -> None:
    with _raw(server) as sock:
        started = time.monotonic()
        sock.sendall(f"POST /api/lessons/{LSTM}/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{\"code\": \"".encode())
        answer = _read_all(sock)
        elapsed = time.monotonic() - started
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"did not arrive within 1 s" in body
    assert 0.9 < elapsed < 4
    assert "answered 408" in server.log() and "Traceback" not in server.log()


# -- PostgreSQL: the same checks where they apply

def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    parsed = make_url(url)
    return psycopg.connect(host=str(parsed.query["host"]), port=str(parsed.query.get("port", "5432")),
                           user=parsed.username or "postgres", dbname="postgres", autocommit=True)


def test_postgres_healthz_read_only_and_replaced_database(postgres_url: str, lessons_dir: Path, tmp_path: Path,
                                                           fake_grader: FakeGrader) -> None:
    settings = Settings(lessons_dir=lessons_dir, data_dir=tmp_path / "data", pool_size=0, database_url=postgres_url,
                        migrate_on_start=True)
    name = make_url(postgres_url).database
    with TestClient(create_app(settings)) as client:
        body = client.get("/healthz").json()
        assert body["status"] == "ok" and set(body["checks"]) == {"database", "database_identity", "grading"}
        engine = client.app.state.rnnlab.store.database.engine  # type: ignore[attr-defined]
        with _admin(postgres_url) as admin:
            admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            engine.dispose()  # new connections take the database's setting
            health = client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["checks"]["database"] == {"ok": False, "detail": "The database is read-only."}
            answer = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"})
            assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
            assert answer.json()["detail"].startswith("The database is read-only.")
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            engine.dispose()
            assert client.get("/healthz").status_code == 200
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        check = client.get("/healthz").json()["checks"]["database_identity"]
        assert check["ok"] is False and "replaced" in check["detail"]
    with engine.connect() as connection:  # leave nothing behind that the fixture's DROP would trip on
        connection.execute(text("SELECT 1"))
