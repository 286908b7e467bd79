"""Metrics: queue depth and age counted from real rows on SQLite and PostgreSQL, outcomes and durations with their
labels, pool idle/busy, and who may read /metrics (loopback not via a proxy, or the bearer token; else 404)."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from app.config import Settings
from app.database import Database, now
from app.history import History
from app.main import create_app
from app.metrics import GradingMetrics, scrape_allowed
from app.store import Store, SubmissionStatus
from app.tables import RegradeRow, SubmissionRow
from graders import SandboxConfig, WorkerPool
from tests.app.helpers import FakeGrader

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(body: bytes | str) -> Samples:
    """Every sample of a scrape, keyed by name and sorted labels; parsing it is itself a check of the format."""
    text = body.decode() if isinstance(body, bytes) else body
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def backdate(database: Database, table: type[SubmissionRow] | type[RegradeRow], row_id: int, seconds: float) -> None:
    with database.session() as session:
        session.execute(update(table).where(table.id == row_id).values(created=now() - timedelta(seconds=seconds)))


def test_queue_depth_age_and_running_count_real_rows(database: Database) -> None:
    store, history = Store(database), History(database)
    metrics = GradingMetrics(database)
    learner = store.create_learner()
    finished = [store.add_submission(learner, "lesson-a", f"# done {n}") for n in range(3)]
    for submission in finished:
        assert store.claim_next() is not None
        store.finish(submission.id, SubmissionStatus.passed, 1.0, {})
    empty = samples(metrics.render()[0])
    for priority in ("interactive", "regrade"):
        assert value(empty, "rnnlab_queue_depth", priority=priority) == 0
        assert value(empty, "rnnlab_queue_oldest_age_seconds", priority=priority) == 0
        assert value(empty, "rnnlab_running", priority=priority) == 0
    assert value(empty, "rnnlab_database_up") == 1

    regrade = history.request_regrade("lesson-a", "teacher@example.org")  # three gradings queued
    backdate(database, RegradeRow, regrade.id, 300)
    waiting = [store.add_submission(learner, "lesson-b", f"# new {n}") for n in range(3)]
    backdate(database, SubmissionRow, waiting[0].id, 120)
    backdate(database, SubmissionRow, waiting[1].id, 60)
    assert store.claim_next() is not None  # the oldest (120 s) starts: the oldest waiting is now 60 s old
    assert history.claim_regrade_item() is not None

    found = samples(metrics.render()[0])
    assert value(found, "rnnlab_queue_depth", priority="interactive") == 2
    assert value(found, "rnnlab_running", priority="interactive") == 1
    assert value(found, "rnnlab_queue_depth", priority="regrade") == 2
    assert value(found, "rnnlab_running", priority="regrade") == 1
    assert 60 <= value(found, "rnnlab_queue_oldest_age_seconds", priority="interactive") < 90
    assert 300 <= value(found, "rnnlab_queue_oldest_age_seconds", priority="regrade") < 330


def test_a_database_that_cannot_answer_gives_database_up_0_not_an_error(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}")  # no tables: every query fails
    try:
        found = samples(GradingMetrics(database).render()[0])
    finally:
        database.close()
    assert value(found, "rnnlab_database_up") == 0
    assert not any(name == "rnnlab_queue_depth" for name, _ in found)


def test_gradings_are_counted_by_lesson_priority_and_outcome_with_durations() -> None:
    metrics = GradingMetrics()
    metrics.observe_grading("lstm", "interactive", "failed", 12.5)
    metrics.observe_grading("lstm", "interactive", "failed", 0.05)
    metrics.observe_grading("gru", "regrade", "error", 400.0)
    metrics.observe_lost()
    metrics.observe_lost(2)
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    found = samples(body)
    assert value(found, "rnnlab_gradings_total", lesson="lstm", priority="interactive", status="failed") == 2
    assert value(found, "rnnlab_gradings_total", lesson="gru", priority="regrade", status="error") == 1
    assert ("rnnlab_gradings_total", (("lesson", "lstm"), ("priority", "interactive"), ("status", "passed"))) \
        not in found
    assert value(found, "rnnlab_grading_seconds_count", lesson="lstm", priority="interactive") == 2
    assert value(found, "rnnlab_grading_seconds_sum", lesson="lstm", priority="interactive") == pytest.approx(12.55)
    assert value(found, "rnnlab_grading_seconds_bucket", lesson="lstm", priority="interactive", le="0.1") == 1
    assert value(found, "rnnlab_grading_seconds_bucket", lesson="lstm", priority="interactive", le="10.0") == 1
    assert value(found, "rnnlab_grading_seconds_bucket", lesson="lstm", priority="interactive", le="15.0") == 2
    assert value(found, "rnnlab_grading_seconds_bucket", lesson="gru", priority="regrade", le="300.0") == 0
    assert value(found, "rnnlab_grading_seconds_bucket", lesson="gru", priority="regrade", le="450.0") == 1
    assert value(found, "rnnlab_grading_lost_total") == 3
    assert b'rnnlab_gradings_total{lesson="lstm",priority="interactive",status="failed"} 2.0' in body
    with pytest.raises(ValueError, match="priority"):
        metrics.observe_grading("lstm", "batch", "passed", 1.0)
    with pytest.raises(ValueError, match="outcome"):
        metrics.observe_grading("lstm", "interactive", "running", 1.0)


def test_two_instances_keep_their_own_registries() -> None:
    first, second = GradingMetrics(), GradingMetrics()  # the global registry would refuse the second
    first.observe_grading("lstm", "interactive", "passed", 1.0)
    assert ("rnnlab_gradings_total", (("lesson", "lstm"), ("priority", "interactive"), ("status", "passed"))) \
        not in samples(second.render()[0])


class FakePool:
    def __init__(self) -> None:
        self.idle, self.busy = 2, 1

    def idle_count(self) -> int:
        return self.idle

    def busy_count(self) -> int:
        return self.busy


def test_pool_workers_are_read_at_each_scrape_and_absent_without_a_pool() -> None:
    pool = FakePool()
    current: list[FakePool | None] = [None]
    metrics = GradingMetrics(pool=lambda: current[0])
    assert not any(name == "rnnlab_pool_workers" for name, _ in samples(metrics.render()[0]))
    current[0] = pool
    found = samples(metrics.render()[0])
    assert value(found, "rnnlab_pool_workers", state="idle") == 2
    assert value(found, "rnnlab_pool_workers", state="busy") == 1
    pool.idle, pool.busy = 0, 3
    found = samples(metrics.render()[0])
    assert (value(found, "rnnlab_pool_workers", state="idle"), value(found, "rnnlab_pool_workers", state="busy")) \
        == (0, 3)


def test_worker_pool_counts_busy_and_idle_workers_of_every_flavour() -> None:
    """A worker handed to a job is busy until the job is finished with it (killed and reaped, or an evaluator put back
    on its shelf); idle workers of every flavour count as idle."""
    from graders.pool import Flavour

    pool = WorkerPool(SandboxConfig(mode="unconfined"), size=2)
    builder_shelf, evaluator_shelf = pool._shelves[Flavour.builder], pool._shelves[Flavour.evaluator]
    running, done = type("Worker", (), {"in_use": True})(), type("Worker", (), {"in_use": False})()
    builder_shelf._lent.add(running)  # type: ignore[arg-type]
    evaluator_shelf._lent.add(done)  # type: ignore[arg-type]
    evaluator_shelf._idle.append(done)  # type: ignore[arg-type]
    assert (pool.busy_count(), pool.idle_count()) == (1, 1)
    running.in_use = False  # type: ignore[attr-defined]
    assert pool.busy_count() == 0


@pytest.mark.parametrize(("host", "headers", "token", "allowed"), [
    ("127.0.0.1", {}, None, True),
    ("::1", {}, None, True),
    ("::ffff:127.0.0.1", {}, None, True),
    ("127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, None, False),  # a proxy on this host relaying a stranger
    ("127.0.0.1", {"forwarded": "for=203.0.113.9"}, None, False),
    ("203.0.113.9", {}, None, False),
    ("testclient", {}, None, False),
    (None, {}, None, False),
    ("203.0.113.9", {"authorization": "Bearer s3cret"}, "s3cret", True),
    ("203.0.113.9", {"authorization": "bearer s3cret", "x-forwarded-for": "198.51.100.1"}, "s3cret", True),
    ("203.0.113.9", {"authorization": "Bearer wrong"}, "s3cret", False),
    ("203.0.113.9", {"authorization": "Bearer "}, "", False),  # an empty setting is no token
    ("203.0.113.9", {"authorization": "s3cret"}, "s3cret", False),
])
def test_scrape_allowed(host: str | None, headers: dict[str, str], token: str | None, allowed: bool) -> None:
    assert scrape_allowed(host, headers, token) is allowed


def test_the_route_answers_loopback_and_the_token_and_404s_everyone_else(settings: Settings) -> None:
    settings = settings.model_copy(update={"metrics_token": "s3cret"})
    app = create_app(settings)  # no lifespan: nothing claims the rows added below
    store = app.state.rnnlab.store
    learner = store.create_learner()
    store.add_submission(learner, "lesson-a", "# waiting")

    stranger = TestClient(app, client=("203.0.113.9", 40000))
    refused = stranger.get("/metrics")
    unknown = stranger.get("/no-such-page")
    assert refused.status_code == 404 and refused.json() == {"detail": "There is nothing at /metrics."}
    assert unknown.status_code == 404  # the same answer as any missing page
    assert stranger.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    with_token = stranger.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert with_token.status_code == 200

    local = TestClient(app, client=("127.0.0.1", 40000))
    answer = local.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert answer.headers["cache-control"] == "no-store"
    assert value(samples(answer.text), "rnnlab_queue_depth", priority="interactive") == 1
    assert value(samples(with_token.text), "rnnlab_queue_depth", priority="interactive") == 1
    assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert "/metrics" not in local.get("/openapi.json").json()["paths"]
    app.state.rnnlab.store.close()


def test_the_running_app_reports_its_pool(settings: Settings, fake_grader: FakeGrader) -> None:
    with TestClient(create_app(settings), client=("127.0.0.1", 40000)) as client:
        found = samples(client.get("/metrics").text)
    assert value(found, "rnnlab_pool_workers", state="idle") == 0  # pool_size=0: every worker starts cold
    assert value(found, "rnnlab_pool_workers", state="busy") == 0
    assert value(found, "rnnlab_database_up") == 1


def test_the_worker_http_server_applies_the_same_rule(database: Database) -> None:
    metrics = GradingMetrics(database)
    metrics.observe_grading("lstm", "regrade", "passed", 3.0)
    server = metrics.start_http_server(0, "127.0.0.1", token="s3cret")
    url = f"http://127.0.0.1:{server.port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            found = samples(answer.read())
        assert value(found, "rnnlab_gradings_total", lesson="lstm", priority="regrade", status="passed") == 1
        assert value(found, "rnnlab_queue_depth", priority="regrade") == 0
        proxied = urllib.request.Request(url, headers={"X-Forwarded-For": "203.0.113.9"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(proxied, timeout=10)
        assert refused.value.code == 404
        proxied.add_header("Authorization", "Bearer s3cret")
        with urllib.request.urlopen(proxied, timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.shutdown()
