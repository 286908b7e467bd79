"""Mistakes in under a second: submit -> first live event and submit -> report for the mistakes learners make most,
through a real `rnnlab serve` with a warm pool (issue 11 item 3).

Run: /opt/rnnlab/venv/bin/python bench/mistakes.py [--repeats N]
Each case is submitted N times by a fresh learner, after the pool is warm again. Prints every run, then medians.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import free_port  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LSTM = (REPO / "lessons" / "lstm-sequence-prediction" / "solution.py").read_text()
CASES = {
    "syntax error": ("lstm-sequence-prediction", LSTM.replace("def build_model(", "def build_model((", 1)),
    "shape mistake (no features axis)": ("lstm-sequence-prediction",
                                         re.sub(r"keras\.Input\(shape=\([^)]*\)\)", "keras.Input(shape=(window,))",
                                                LSTM, count=1)),
    "contract mistake (EPOCHS missing)": ("lstm-sequence-prediction", re.sub(r"(?m)^EPOCHS\s*=.*$", "", LSTM)),
    "function lesson, wrong answer": ("what-is-an-rnn",
                                      (REPO / "lessons" / "what-is-an-rnn" / "starter.py").read_text()),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rnnlab-mistakes-"))
    port = free_port()
    env = {**os.environ, "RNNLAB_DATA_DIR": str(data), "RNNLAB_POOL_SIZE": "1", "RNNLAB_CONCURRENT_JOBS": "1"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("rnnlab")), "serve", "--port", str(port)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[tuple[float, float, str]]] = {name: [] for name in CASES}

    def warm() -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).json()["warm_workers"] >= 6:  # builder, evaluator, 4 NumPy
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if proc.poll() is not None:
                raise SystemExit("server exited")
            time.sleep(0.2)
        raise SystemExit("pool not warm in 180 s")

    try:
        for _ in range(args.repeats):
            for name, (lesson, code) in CASES.items():
                warm()
                with httpx.Client(base_url=base, timeout=60) as client:
                    page = client.get(f"/lessons/{lesson}").text
                    token = re.search(r'<meta name="csrf-token" content="([^"]*)">', page).group(1)  # type: ignore[union-attr]
                    started = time.monotonic()
                    created = client.post(f"/api/lessons/{lesson}/submissions", json={"code": code},
                                          headers={"X-CSRF-Token": token}).json()
                    first = report = None
                    status = ""
                    with client.stream("GET", created["events_url"]) as stream:
                        for line in stream.iter_lines():
                            if not line.startswith("data:"):
                                continue
                            first = first if first is not None else time.monotonic() - started
                            body = json.loads(line[5:])
                            if body["event"] == "report":
                                report = time.monotonic() - started
                                status = body["submission"]["status"]
                                break
                    if report is None:  # the stream ended first (it reconnects in a browser): poll
                        while (body := client.get(created["url"]).json())["status"] in ("queued", "running"):
                            time.sleep(0.05)
                        report, status = time.monotonic() - started, body["status"]
                results[name].append((first or report, report, status))
                print(f"  {name}: first event {first or report:.2f} s, report {report:.2f} s ({status})", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("medians (submit -> first live event, submit -> report):")
    for name, runs in results.items():
        print(f"  {name:<36} {statistics.median(r[0] for r in runs):.2f} s  {statistics.median(r[1] for r in runs):.2f} s"
              f"  {sorted({r[2] for r in runs})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
