"""Backlog benchmark: 40 submissions from 20 learners land at once on one `rnnlab serve`; how long until all are
graded (makespan) against the grading work itself, with 1 and with 2 concurrent jobs, side by side in one run.

Run: /opt/rnnlab/venv/bin/python bench/backlog.py [--jobs 1,2] [--learners 20]
Each learner submits two lessons at once (mostly the fast function lessons, some Keras ones), so the queue holds
the whole backlog from the start. "Work" is, per submission, the report's total minus its waits for a worker
(`acquire_*`): what grading takes once a warm worker has the job. Targets (issue 11): makespan <= 1.3 x work
(with one job; with two, work is shared by two cores), and 2 jobs finish sooner than 1.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import free_port  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"
KERAS_EVERY = 5  # every 5th learner's second submission is a Keras lesson (the rest are function lessons)


@dataclass
class Submitted:
    lesson: str
    url: str
    submitted: float
    status: str = "queued"
    finished: float = 0.0
    work: float = 0.0
    waited_for_worker: float = 0.0


def backlog(learners: int) -> list[tuple[int, str, str]]:
    """(learner, lesson, code): each learner's first submission is what-is-an-rnn, the second sequence-windows, or
    a Keras lesson for every KERAS_EVERY-th learner; solutions and starters alternate."""
    def code(slug: str, n: int) -> str:
        return (LESSONS / slug / ("solution.py" if n % 2 == 0 else "starter.py")).read_text()

    plan = []
    for n in range(learners):
        plan.append((n, "what-is-an-rnn", code("what-is-an-rnn", n)))
        second = "many-to-one-gestures" if n % KERAS_EVERY == KERAS_EVERY - 1 else "sequence-windows"
        plan.append((n, second, (LESSONS / second / "solution.py").read_text() if second != "sequence-windows"
                     else code(second, n + 1)))
    return plan


def run(jobs: int, learners: int) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="rnnlab-backlog-"))
    port = free_port()
    env = {**os.environ, "RNNLAB_DATA_DIR": str(data), "RNNLAB_CONCURRENT_JOBS": str(jobs),
           "RNNLAB_POOL_SIZE": str(jobs)}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("rnnlab")), "serve", "--port", str(port)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:  # warm: every worker of the pool (builders, evaluators, NumPy workers) is ready
            try:
                if httpx.get(f"{base}/healthz", timeout=5).json()["warm_workers"] >= 2 * jobs + max(jobs, 4):
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.3)
        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(learners)]
        tokens = []
        for client in clients:  # each gets its learner cookie and the page's CSRF token
            page = client.get("/lessons/what-is-an-rnn").text
            tokens.append(re.search(r'<meta name="csrf-token" content="([^"]*)">', page).group(1))  # type: ignore[union-attr]
        start = time.monotonic()
        sent: list[Submitted] = []
        for learner, lesson, code in backlog(learners):
            client = clients[learner]
            response = client.post(f"/api/lessons/{lesson}/submissions", json={"code": code},
                                   headers={"X-CSRF-Token": tokens[learner]})
            assert response.status_code == 202, (response.status_code, response.text[:300])
            sent.append(Submitted(lesson, response.json()["url"], time.monotonic()))
        by_learner = {id(s): clients[i // 2] for i, s in enumerate(sent)}
        while any(s.status in ("queued", "running") for s in sent):
            time.sleep(0.25)
            for s in sent:
                if s.status not in ("queued", "running"):
                    continue
                body = by_learner[id(s)].get(s.url).json()
                s.status = body["status"]
                if s.status not in ("queued", "running"):
                    s.finished = time.monotonic()
                    timings = (body.get("report") or {}).get("timings", {})
                    s.waited_for_worker = sum(v for k, v in timings.items() if k.startswith("acquire_"))
                    s.work = timings.get("total", 0.0) - s.waited_for_worker
            if time.monotonic() - start > 1800:
                raise SystemExit("backlog not graded in 30 minutes")
        for client in clients:
            client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
    makespan = max(s.finished for s in sent) - start
    work = sum(s.work for s in sent)
    statuses: dict[str, int] = {}
    for s in sent:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    keras = [s.work for s in sent if s.lesson == "many-to-one-gestures"]
    fast = [s.work for s in sent if s.lesson != "many-to-one-gestures"]
    print(f"jobs={jobs}: {len(sent)} submissions {statuses}; makespan {makespan:.1f} s; work {work:.1f} s "
          f"(function lessons median {statistics.median(fast):.2f} s x{len(fast)}, Keras median "
          f"{statistics.median(keras):.1f} s x{len(keras)}); waited for a worker {sum(s.waited_for_worker for s in sent):.1f} s; "
          f"makespan/work {makespan / work:.2f}", flush=True)
    return {"makespan": makespan, "work": work}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="1,2", help="concurrent jobs to compare, comma-separated")
    parser.add_argument("--learners", type=int, default=20, help="learners; each submits two lessons at once")
    args = parser.parse_args()
    print(f"machine: {len(os.sched_getaffinity(0))} cores, load average before {os.getloadavg()[0]:.2f}")
    results = {int(j): run(int(j), args.learners) for j in args.jobs.split(",")}
    line = " ".join(f"makespan_over_work_jobs{j}={r['makespan'] / r['work']:.2f}" for j, r in results.items())
    if 1 in results and 2 in results:
        line += f" jobs2_over_jobs1={results[2]['makespan'] / results[1]['makespan']:.2f}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
