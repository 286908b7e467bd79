"""Grading metrics in Prometheus's format: queue depth and age per priority, durations, outcomes, pool idle/busy.

The queue figures are read from our own tables (submissions, gradings) at scrape time, so every web replica and every
grading host reports the same numbers on both backends; aggregate them with max(), not sum(). Durations and outcomes
are counted by the process that graded, so sum those. Each GradingMetrics has its own registry (never the global one:
a test process builds many apps). No web framework here: the route and the worker's server both call render()."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.database import Database, as_utc, now
from app.store import ACTIVE, SubmissionStatus
from app.tables import GradingRow, RegradeRow, SubmissionRow

log = logging.getLogger(__name__)

INTERACTIVE, REGRADE = "interactive", "regrade"
PRIORITIES = (INTERACTIVE, REGRADE)  # learners' submissions before instructors' regrades; CI batches have no queue
OUTCOMES = tuple(status.value for status in SubmissionStatus if status.value not in ACTIVE)
# A NumPy-only lesson grades in a fraction of a second with a warm worker; a cold TensorFlow lesson near its
# wall-clock limit takes minutes.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600)
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


class PoolCounts(Protocol):
    """What the metrics read from a warm pool (graders.WorkerPool)."""

    def idle_count(self) -> int: ...

    def busy_count(self) -> int: ...


class QueueCollector(Collector):
    """Queued and running work per priority, and the age of the oldest queued item, counted in SQL at scrape time."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("rnnlab_database_up", "1 when the scrape could read the queue from the database.")
        try:
            counts, oldest = self._read()
        except SQLAlchemyError as exc:
            # A scrape must still answer (the autoscaler sees the database down), not turn into a 500.
            log.warning("metrics: cannot read the queue: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        moment = now()
        depth = GaugeMetricFamily("rnnlab_queue_depth", "Gradings waiting for a worker.", labels=["priority"])
        running = GaugeMetricFamily("rnnlab_running", "Gradings in progress.", labels=["priority"])
        age = GaugeMetricFamily("rnnlab_queue_oldest_age_seconds",
                                "How long the oldest waiting grading has waited (0 when none waits).",
                                labels=["priority"])
        for priority in PRIORITIES:
            depth.add_metric([priority], counts.get((priority, SubmissionStatus.queued.value), 0))
            running.add_metric([priority], counts.get((priority, SubmissionStatus.running.value), 0))
            since = oldest.get(priority)
            age.add_metric([priority], max(0.0, (moment - since).total_seconds()) if since else 0.0)
        yield from (depth, age, running)

    def _read(self) -> tuple[dict[tuple[str, str], int], dict[str, datetime]]:
        """Two grouped counts (each on a (status, id) index): learners' submissions, and regrade items, which wait
        since their regrade was requested."""
        submissions = (select(SubmissionRow.status, func.count(), func.min(SubmissionRow.created))
                       .where(SubmissionRow.status.in_(ACTIVE)).group_by(SubmissionRow.status))
        regrades = (select(GradingRow.status, func.count(), func.min(RegradeRow.created))
                    .join(RegradeRow, GradingRow.regrade_id == RegradeRow.id)
                    .where(GradingRow.status.in_(ACTIVE)).group_by(GradingRow.status))
        counts: dict[tuple[str, str], int] = {}
        oldest: dict[str, datetime] = {}
        with self.database.session() as session:
            for priority, query in ((INTERACTIVE, submissions), (REGRADE, regrades)):
                for status, n, first in session.execute(query):
                    counts[(priority, status)] = int(n)
                    if status == SubmissionStatus.queued.value and first is not None:
                        oldest[priority] = as_utc(first) or now()
        return counts, oldest


class PoolCollector(Collector):
    """Warm workers ready (idle) and lent to a grading (busy), read from the pool at scrape time."""

    def __init__(self, pool: Callable[[], PoolCounts | None]) -> None:
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        pool = self.pool()
        if pool is None:  # no pool yet (before start-up) or none in this process: say nothing rather than 0
            return
        workers = GaugeMetricFamily("rnnlab_pool_workers", "Sandboxed workers of this process's pool by state.",
                                    labels=["state"])
        workers.add_metric(["idle"], pool.idle_count())
        workers.add_metric(["busy"], pool.busy_count())
        yield workers


class GradingMetrics:
    """One process's metrics: what it graded (observe_*), plus the queue and its pool read at every scrape."""

    def __init__(self, database: Database | None = None, pool: Callable[[], PoolCounts | None] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.seconds = Histogram("rnnlab_grading_seconds", "Time to grade one submission, from start to report.",
                                 ["lesson", "priority"], buckets=DURATION_BUCKETS, registry=self.registry)
        self.gradings = Counter("rnnlab_gradings", "Finished gradings by outcome (the failure classes: failed is the "
                                "learner's, not_gradable the learner's code would not run, error ours).",
                                ["lesson", "priority", "status"], registry=self.registry)
        self.lost = Counter("rnnlab_grading_lost", "Gradings whose host died mid-job and that were queued again.",
                            registry=self.registry)
        if database is not None:
            self.registry.register(QueueCollector(database))
        if pool is not None:
            self.registry.register(PoolCollector(pool))
        ProcessCollector(registry=self.registry)  # this process's memory, CPU and open files
        PlatformCollector(registry=self.registry)

    def observe_grading(self, lesson: str, priority: str, status: str, seconds: float) -> None:
        """Count one finished grading. Raises ValueError for a priority or status outside the known few (each
        label value is a time series, so they stay a closed set)."""
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; expected one of {PRIORITIES}")
        if status not in OUTCOMES:
            raise ValueError(f"unknown outcome {status!r}; expected one of {OUTCOMES}")
        self.seconds.labels(lesson=lesson, priority=priority).observe(max(0.0, seconds))
        self.gradings.labels(lesson=lesson, priority=priority, status=status).inc()

    def observe_lost(self, count: int = 1) -> None:
        """Count gradings abandoned by a dead host and queued again."""
        self.lost.inc(count)

    def render(self) -> tuple[bytes, str]:
        """The text exposition format: (body, content type)."""
        return generate_latest(self.registry), "text/plain; version=0.0.4; charset=utf-8"

    def start_http_server(self, port: int, addr: str = "127.0.0.1", token: str | None = None) -> MetricsServer:
        """Serve these metrics on their own port (a grading host has no web app), with the same access rule as the
        web's /metrics: loopback clients, or the bearer token. Runs in a daemon thread until shutdown()."""
        return MetricsServer(self.registry, port, addr, token)


# -- who may scrape: one rule for the web route and the worker's server
def is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def scrape_allowed(client_host: str | None, headers: Mapping[str, str], token: str | None) -> bool:
    """The configured bearer token admits anyone; without it only a loopback client does, and not when the request
    came through a proxy on this host (it forwards someone else's request from 127.0.0.1)."""
    presented = headers.get("authorization", "")
    if token and presented[:7].lower() == "bearer " and hmac.compare_digest(presented[7:].strip().encode(),
                                                                               token.encode()):
        return True
    if any(headers.get(name) for name in FORWARDING_HEADERS):
        return False
    return is_loopback(client_host)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every 15 s would flood the grading host's log


class MetricsServer:
    """A small HTTP server answering scrapes in a daemon thread; 404 to clients scrape_allowed() refuses."""

    def __init__(self, registry: CollectorRegistry, port: int, addr: str, token: str | None) -> None:
        serve = make_wsgi_app(registry)

        def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
                       if key.startswith("HTTP_")}
            if not scrape_allowed(environ.get("REMOTE_ADDR"), headers, token):
                start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"Not Found\n"]
            return serve(environ, start_response)  # type: ignore[no-any-return]

        server_class = type("_Server", (_Server,), {"address_family": socket.AF_INET6 if ":" in addr
                                                    else socket.AF_INET})
        self.httpd: WSGIServer = make_server(addr, port, guarded, server_class, handler_class=_QuietHandler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="metrics-http", daemon=True)
        self.thread.start()

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
