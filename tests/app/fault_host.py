"""A grading host for the fault tests: the real GradingHost (procrastinate worker, heartbeats, stalled-job retry,
reconciler, fenced results) with a stand-in for the sandboxed grading, so a host can be killed, frozen and resumed in
seconds instead of TensorFlow start-ups. Every grading it starts and ends is appended to a ledger file.

    python -m tests.app.fault_host URL LEDGER NAME [--seconds S] [--jobs N] [--stalled S] [--heartbeat S]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import time
from types import SimpleNamespace
from typing import Any

from app.database import Database
from app.jobs.host import GradingHost, HostOptions
from graders import Check, GradeReport
from graders.check import CheckReport, CheckStatus
from graders.protocol import parse_event


class LedgerPool:
    """Stands in for the WorkerPool: nothing to warm; close() is what a drained host calls."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def idle_count(self) -> int:
        return 0

    def busy_count(self) -> int:
        return 0


def make_grader(ledger: str, name: str, seconds: float) -> Any:
    def write(line: str) -> None:
        with open(ledger, "a", encoding="utf-8") as out:  # O_APPEND: whole lines from every host, in order
            out.write(f"{time.time():.6f} {line} {name} {os.getpid()}\n")

    def fake_grade(grading: Any, code: str, pool: LedgerPool, on_event: Any = None, **_: Any) -> GradeReport:
        tag = re.search(r"# job (\S+) learner (\d+)", code)
        job, learner = (tag.group(1), tag.group(2)) if tag else ("?", "?")
        write(f"start {job} {learner}")
        sink = on_event or (lambda event: None)
        steps = max(1, int(seconds / 0.25))
        for epoch in range(1, steps + 1):
            if pool.closed:  # the host is draining and released the pool: no verdict
                write(f"abandoned {job} {learner}")
                return GradeReport.system_error("worker pool closed", lesson="fault")
            time.sleep(seconds / steps)
            event = parse_event({"event": "epoch", "epoch": epoch, "epochs": steps, "loss": 1.0 / epoch})
            if event is not None:
                sink(event)
        write(f"end {job} {learner}")
        check = Check(id="graded_by", title=f"graded by {name}", passed=True, points=1.0)
        return GradeReport.from_checks([check], metrics={"host_pid": float(os.getpid())})

    return fake_grade


def make_checker(ledger: str, name: str) -> Any:
    """Stands in for graders.check.check: answers at once, naming the host and echoing the code's first line."""

    def fake_check(grading: Any, code: str, pool: LedgerPool, **_: Any) -> CheckReport:
        with open(ledger, "a", encoding="utf-8") as out:
            out.write(f"{time.time():.6f} check - - {name} {os.getpid()}\n")
        return CheckReport(lesson="fault", status=CheckStatus.ok, summary=f"checked by {name}: {code.splitlines()[0]}")

    return fake_check


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("ledger")
    parser.add_argument("name")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--stalled", type=float, default=3.0)
    parser.add_argument("--heartbeat", type=float, default=0.5)
    parser.add_argument("--drain", type=float, default=30.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format=f"{args.name} %(levelname)s %(name)s: %(message)s")
    lesson = SimpleNamespace(grading=None, prepared=None, folder=None)
    database = Database(args.url)
    options = HostOptions(jobs=args.jobs, drain_s=args.drain, heartbeat_s=args.heartbeat, stalled_s=args.stalled,
                          upkeep_s=max(0.5, args.stalled / 3), reconcile_grace_s=args.stalled, name=args.name)
    pool = LedgerPool()
    host = GradingHost(database, lambda slug: lesson, pool, make_grader(args.ledger, args.name, args.seconds),  # type: ignore[arg-type]
                       options, check_fn=make_checker(args.ledger, args.name))
    asyncio.run(host.run(ready=lambda: print(f"READY {args.name}", flush=True)))


if __name__ == "__main__":
    main()
