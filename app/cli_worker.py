"""`rnnlab worker`: run a grading host of the scaled layout (PostgreSQL + procrastinate; docs/deployment.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from app.catalog import LessonError
from app.config import Settings
from app.course import Course
from app.database import Database, display_url
from app.jobs.host import GradingHost, HostOptions
from app.metrics import GradingMetrics
from app.migrate import SchemaError, ensure_schema
from graders import SandboxUnavailable, WorkerPool, grade
from graders.sandbox import preflight

log = logging.getLogger(__name__)
RESTART_S = 5  # after an unexpected stop of the worker loop (its jobs' heartbeats lapse; other hosts take them over)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run a grading host (needs RNNLAB_DATABASE_URL=postgresql+psycopg://…)")
    worker.add_argument("--jobs", dest="host_jobs", type=int, default=None,
                        help="gradings at the same time on this host (default: RNNLAB_WORKER_JOBS)")
    worker.add_argument("--metrics-port", type=int, default=None, help="serve /metrics for Prometheus on this port")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port")
    worker.add_argument("--name", default="", help="this host's name in logs (default: hostname + a number)")
    worker.set_defaults(func=cmd_worker)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    def fail(message: str) -> int:
        print(f"rnnlab: cannot start: {message}", file=sys.stderr)
        return 2

    if not settings.scaled:
        return fail("a grading host needs the shared PostgreSQL database: set RNNLAB_DATABASE_URL="
                    "postgresql+psycopg://… (the embedded SQLite default grades inside `rnnlab serve`)")
    if settings.worker_stalled_s <= 2 * settings.worker_heartbeat_s:
        return fail("RNNLAB_WORKER_STALLED_S must be more than twice RNNLAB_WORKER_HEARTBEAT_S, or a live host that "
                    "missed one beat would be presumed dead and its jobs graded twice")
    jobs = args.host_jobs if args.host_jobs is not None else settings.worker_jobs
    if jobs < 1:
        return fail("--jobs must be at least 1")
    heldout = settings.heldout_store()
    try:
        course = Course(settings.lessons_dir, heldout)
        preflight(settings.sandbox_config())
    except (LessonError, SandboxUnavailable) as exc:
        return fail(str(exc))
    database = Database(settings.resolved_database_url())
    try:
        ensure_schema(database.engine, migrate=False)  # web replicas' release step migrates; hosts never do
    except SchemaError as exc:
        database.close()
        return fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - no database: one line, not a traceback
        database.close()
        return fail(f"the database at {display_url(database.url)} cannot be reached ({exc.__class__.__name__})")
    pool = WorkerPool(settings.sandbox_config(), size=max(settings.pool_size, jobs))
    metrics = GradingMetrics(database, pool=lambda: pool)
    try:
        pool.start()
    except SandboxUnavailable as exc:
        database.close()
        return fail(str(exc))
    server = metrics.start_http_server(args.metrics_port, args.metrics_host, settings.metrics_token) \
        if args.metrics_port else None
    options = HostOptions(jobs=jobs, drain_s=settings.worker_drain_s, heartbeat_s=settings.worker_heartbeat_s,
                          stalled_s=settings.worker_stalled_s, upkeep_s=max(1.0, settings.worker_stalled_s / 3),
                          name=args.name)
    host = GradingHost(database, course.lesson, pool, grade, options, heldout=heldout,
                       max_code_bytes=settings.max_code_bytes, observer=metrics)
    print(f"rnnlab worker {host.name}: {jobs} job(s) at a time on {display_url(database.url)}", file=sys.stderr,
          flush=True)
    try:
        serve_until_stopped(host)
    finally:
        pool.close()
        if server is not None:
            server.shutdown()
        database.close()
    return 0


def serve_until_stopped(host: GradingHost, restart_s: float = RESTART_S) -> None:
    """Run the host; after an unexpected error start it again, unless it was asked to stop (an operator stopping
    hosts while PostgreSQL is down must see them stop, not restart into the same outage)."""
    while True:
        try:
            asyncio.run(host.run())
            return  # stopped on purpose (SIGTERM/SIGINT)
        except Exception:  # noqa: BLE001 - e.g. PostgreSQL away longer than procrastinate's pool waits: go again
            if host.stop_requested:
                log.warning("grading host %s stopped with an error while stopping", host.name, exc_info=True)
                return
            log.exception("grading host %s stopped unexpectedly; starting again in %.0f s", host.name, restart_s)
            time.sleep(restart_s)
            if host.stop_requested:  # SIGTERM during the pause
                return
