"""The scaled layout seen from outside: `rnnlab serve` replicas on one PostgreSQL, grading hosts apart. A browser that
follows a submission over SSE and loses its replica resumes on another with Last-Event-ID and misses nothing; and a
real `rnnlab worker` grades a real lesson for a replica that has no pool and no held-out data."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.database import Database
from app.tables import CheckRunRow, SubmissionEventRow, SubmissionRow
from tests.pg import PgCluster

REPO = Path(__file__).resolve().parents[2]
RNNLAB = [sys.executable, "-m", "app.cli"]
pytestmark = pytest.mark.timeout(300)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def serve(self, name: str) -> str:
        port = self.ports[name] = free_port()
        self.start(name, [*RNNLAB, "serve", "--port", str(port)])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            if self.procs[name].poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{name} did not start: {(self.logs / f'{name}.log').read_text()[-3000:]}")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


@pytest.fixture
def layout(pg_cluster: PgCluster, pg_migrated_template: str, tmp_path: Path) -> Iterator[tuple[str, Processes]]:
    with pg_cluster.database(template=pg_migrated_template) as url:
        env = {**os.environ, "RNNLAB_DATABASE_URL": url, "RNNLAB_DATA_DIR": str(tmp_path / "data"),
               "RNNLAB_WORKER_STALLED_S": "5", "RNNLAB_WORKER_HEARTBEAT_S": "1", "PYTHONUNBUFFERED": "1"}
        procs = Processes(env, tmp_path)
        try:
            yield url, procs
        finally:
            procs.close()


def browser(base: str, slug: str) -> tuple[httpx.Client, dict[str, str]]:
    """A cookie jar that has opened the lesson page, and the CSRF header its page would send."""
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get(f"/lessons/{slug}")
    assert page.status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None
    return client, {"X-CSRF-Token": token.group(1)}


def follow(base: str, cookies: httpx.Cookies, submission_id: int, last_id: int | None,
           stop_after: int | None = None) -> list[tuple[int | None, dict[str, object]]]:
    """Read one SSE stream as EventSource does: (id, data) per event; stop after `stop_after` logged events."""
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    events: list[tuple[int | None, dict[str, object]]] = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=httpx.Timeout(30, read=40)) as client, \
            client.stream("GET", f"/api/submissions/{submission_id}/events", headers=headers) as response:
        assert response.status_code == 200
        event_id = None
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = int(line.removeprefix("id: "))
            elif line.startswith("data: "):
                events.append((event_id, json.loads(line.removeprefix("data: "))))
                if stop_after is not None and sum(1 for i, _ in events if i is not None) >= stop_after:
                    return events
            elif line == "":
                event_id = None
    return events


@pytest.mark.slow
def test_a_browser_losing_its_replica_resumes_on_another_and_misses_nothing(layout: tuple[str, Processes]) -> None:
    url, procs = layout
    first, second = procs.serve("web1"), procs.serve("web2")
    procs.start("host", [sys.executable, "-m", "tests.app.fault_host", url, str(procs.logs / "ledger.txt"), "h",
                         "--seconds", "4"])
    client, csrf = browser(first, "sequence-windows")
    created = client.post("/api/lessons/sequence-windows/submissions", json={"code": "# job w learner 1\n"},
                          headers=csrf)
    assert created.status_code == 202, created.text
    submission_id = created.json()["id"]

    seen = follow(first, client.cookies, submission_id, None, stop_after=4)  # started + a few epochs
    procs.procs["web1"].send_signal(signal.SIGKILL)
    procs.procs["web1"].wait(10)
    last = max(i for i, _ in seen if i is not None)
    rest: list[tuple[int | None, dict[str, object]]] = []
    while not rest or rest[-1][1]["event"] != "report":  # EventSource reconnects until the report
        rest += follow(second, client.cookies, submission_id, last)
        last = max([last] + [i for i, _ in rest if i is not None])

    received = [i for i, _ in seen + rest if i is not None]
    assert received == sorted(received) and len(received) == len(set(received)), "an event arrived twice"
    database = Database(url)
    try:
        with database.session() as session:
            logged = list(session.scalars(select(SubmissionEventRow.id).where(
                SubmissionEventRow.submission_id == submission_id).order_by(SubmissionEventRow.id)))
    finally:
        database.close()
    assert received == logged  # every event once, in order, across the two replicas
    report = rest[-1][1]["submission"]
    assert isinstance(report, dict) and report["status"] == "passed" and report["id"] == submission_id


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_real_grading_host_grades_a_real_lesson_for_a_replica_without_a_pool(layout: tuple[str, Processes]) -> None:
    url, procs = layout
    base = procs.serve("web")
    worker = procs.start("worker", [*RNNLAB, "worker", "--name", "real", "--metrics-port", str(free_port())])
    client, csrf = browser(base, "sequence-windows")
    solution = (REPO / "lessons" / "sequence-windows" / "solution.py").read_text()
    created = client.post("/api/lessons/sequence-windows/submissions", json={"code": solution}, headers=csrf)
    assert created.status_code == 202
    submission_id = created.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body = client.get(f"/api/submissions/{submission_id}").json()
        if body["status"] not in ("queued", "running"):
            break
        assert worker.poll() is None, procs.log("worker")[-3000:]
        time.sleep(0.5)
    assert body["status"] == "passed", body
    assert body["report"]["submission"] == str(submission_id) and body["score"] == 1.0
    assert client.get("/healthz").json()["warm_workers"] == 0  # the replica has no pool: the host graded it
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(90) == 0, procs.log("worker")[-3000:]


def test_a_check_on_a_replica_without_a_pool_is_run_by_a_grading_host(layout: tuple[str, Processes]) -> None:
    """The scaled layout's Check: the replica stores it, a grading host runs it and writes the report, the replica
    answers with it and keeps nothing; a second Check from the same learner meanwhile is 429, as embedded."""
    url, procs = layout
    base = procs.serve("web")
    procs.start("host", [sys.executable, "-m", "tests.app.fault_host", url, str(procs.logs / "ledger.txt"), "h"])
    client, csrf = browser(base, "sequence-windows")
    answer = client.post("/api/lessons/sequence-windows/checks", json={"code": "# check me\n"}, headers=csrf,
                         timeout=60)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["summary"] == "checked by h: # check me" and report["graded"] is False
    assert answer.headers["cache-control"] == "no-store"
    assert "check" in (procs.logs / "ledger.txt").read_text()
    database = Database(url)
    try:
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(CheckRunRow)) == 0  # nothing kept
            assert session.scalar(select(func.count()).select_from(SubmissionRow)) == 0  # never a submission
    finally:
        database.close()
