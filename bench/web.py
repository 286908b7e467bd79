"""Web benchmark: server time of the lesson page (p50/p95) and the server's RSS after pages and one grading.

Run: /opt/rnnlab/venv/bin/python bench/web.py [--requests N]
Starts `rnnlab serve` on a free port with a throw-away data dir, so it measures the real process.
Server time comes from the Server-Timing header (request in -> response headers out); round trip is the
client's view over loopback.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
LESSON = "lstm-sequence-prediction"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(client: httpx.Client, url: str, n: int) -> tuple[list[float], list[float]]:
    server, total = [], []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        total.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        server.append(float(response.headers["server-timing"].split("dur=")[1]))
    return server, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="GETs per page measured")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rnnlab-bench-"))
    port = free_port()
    env = {**os.environ, "RNNLAB_DATA_DIR": str(data), "RNNLAB_POOL_SIZE": "2"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("rnnlab")), "serve", "--port", str(port)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if client.get("/healthz").json()["warm_workers"] >= 2:
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.3)
            rss_start = rss_mb(proc.pid)
            measure(client, f"/lessons/{LESSON}", 20)  # warm-up: imports, template compilation
            rows = []
            for name, url in (("lesson page", f"/lessons/{LESSON}"), ("course page", "/"),
                              ("submissions list", f"/api/lessons/{LESSON}/submissions"), ("healthz", "/healthz")):
                server, total = measure(client, url, args.requests)
                rows.append((name, server, total))
            rss_pages = rss_mb(proc.pid)

            solution = (REPO / "lessons" / LESSON / "solution.py").read_text()
            started = time.monotonic()
            created = client.post(f"/api/lessons/{LESSON}/submissions", json={"code": solution}).json()
            while (status := client.get(created["url"]).json()["status"]) in ("queued", "running"):
                time.sleep(0.2)
            graded_s = time.monotonic() - started
            rss_graded = rss_mb(proc.pid)
            server, total = measure(client, f"/lessons/{LESSON}", args.requests)
            rows.append(("lesson page, after grading", server, total))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()

    print(f"{'GET':<28} {'server p50':>10} {'server p95':>10} {'round trip p50':>15} {'p95':>8}  (ms, n={args.requests})")
    for name, server, total in rows:
        print(f"{name:<28} {statistics.median(server):>10.2f} {percentile(server, 0.95):>10.2f} "
              f"{statistics.median(total):>15.2f} {percentile(total, 0.95):>8.2f}")
    print(f"one graded submission (solution.py): {status} in {graded_s:.1f} s, submit -> report")
    print(f"server RSS: {rss_start:.0f} MB at start, {rss_pages:.0f} MB after {len(rows) - 1}x{args.requests} "
          f"requests, {rss_graded:.0f} MB after the graded submission")
    lesson = rows[0][1]
    print(f"lesson_p50_ms={statistics.median(lesson):.2f} lesson_p95_ms={percentile(lesson, 0.95):.2f} "
          f"rss_after_grading_mb={rss_graded:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
