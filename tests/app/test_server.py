"""One real server: `rnnlab serve` in a subprocess on a free port, graded end to end over HTTP and SSE."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import REPO_ROOT

LSTM = "lstm-sequence-prediction"
RSS_LIMIT_MB = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = free_port()
    lessons = tmp_path_factory.mktemp("lessons")  # this test is about the server, not the course content
    shutil.copytree(REPO_ROOT / "lessons" / LSTM, lessons / LSTM)
    env = {**os.environ, "RNNLAB_DATA_DIR": str(tmp_path_factory.mktemp("server-data")), "RNNLAB_POOL_SIZE": "2",
           "RNNLAB_LESSONS_DIR": str(lessons)}
    rnnlab = Path(sys.executable).with_name("rnnlab")
    log = (tmp_path_factory.mktemp("server-log") / "server.log").open("wb")
    proc = subprocess.Popen([str(rnnlab), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=REPO_ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not start: {Path(log.name).read_text()[-3000:]}")
        time.sleep(0.2)
    yield base, proc, Path(log.name)
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def follow(client: httpx.Client, url: str, timeout: float = 150) -> list[dict[str, object]]:
    """Read SSE events, reconnecting like EventSource does, until the report."""
    events: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with client.stream("GET", url, timeout=60) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if events[-1]["event"] == "report":
                        return events
    raise AssertionError(f"no report in time; got {events[-5:]}")


@pytest.mark.sandbox
@pytest.mark.slow
def test_real_server_serves_pages_and_grades_the_solution_live(
        server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, proc, _log = server
    with httpx.Client(base_url=base, timeout=10) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["grading"] is True
        assert "Build an RNN for sequence prediction" in client.get("/").text
        page = client.get(f"/lessons/{LSTM}")
        assert page.status_code == 200 and "content-security-policy" in page.headers
        assert client.get("/static/vendor/codemirror/codemirror.js").status_code == 200

        solution = (REPO_ROOT / "lessons" / LSTM / "solution.py").read_text()
        created = client.post(f"/api/lessons/{LSTM}/submissions", json={"code": solution})
        assert created.status_code == 202
        events = follow(client, created.json()["events_url"])
        kinds = [e["event"] for e in events]
        assert "started" in kinds and "epoch" in kinds and kinds[-1] == "report"
        epochs = [e for e in events if e["event"] == "epoch"]
        assert epochs[-1]["epoch"] == epochs[-1]["epochs"] == 20
        final = events[-1]["submission"]
        assert isinstance(final, dict) and final["status"] == "passed", final
        assert final["report"]["plots"]["validation"]["truth"]

    # The server process never mapped TensorFlow's libraries, and stayed small while grading.
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    assert "tensorflow" not in maps and "keras" not in maps
    rss_kb = next(int(line.split()[1]) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                  if line.startswith("VmRSS:"))
    assert rss_kb / 1024 < RSS_LIMIT_MB


@pytest.mark.sandbox
def test_real_server_stops_cleanly_on_sigterm(server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, proc, log = server
    deadline = time.monotonic() + 60  # let replacement workers finish warming: a stop then is the common case
    while httpx.get(f"{base}/healthz").json()["warm_workers"] < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status still says SIGTERM.
    assert proc.wait(timeout=15) in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in log.read_text()
