"""Red team of the scaled layout (issue 10) and of the embedded default's queue: each test attacks one invariant.

A test marked xfail(strict) demonstrates a defect of today's code (the reason names the invariant's class); the fixer
removes the marker with the fix. The others prove an attack fails. Fast: stand-in graders, no TensorFlow; the one
process-level test uses tests/app/fault_host.py's grading hosts."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from app import queue as queue_module
from app.database import Database
from app.events import Bell, EventLog
from app.history import History
from app.jobs import queue as jobs_queue
from app.jobs.host import GradingHost, HostOptions
from app.jobs.queue import JobQueue
from app.jobs.tasks import Release
from app.queue import GradingQueue, supersede_older
from app.routes.api import _stream_rows
from app.routes.errors import add_error_handlers
from app.store import Store, SubmissionStatus
from app.submission_grader import Abandoned, SubmissionGrader
from app.tables import GradingRow
from graders import Check, GradeReport
from tests.app.fault_host import LedgerPool
from tests.app.test_scaleout_faults import Hosts, Ledger, assert_exactly_once, submit, wait_done, wait_for
from tests.pg import PgCluster

LESSON = SimpleNamespace(grading=None, prepared=None, folder=None)


def find_lesson(_slug: str) -> Any:
    return LESSON


def passing(*_: Any, **__: Any) -> GradeReport:
    return GradeReport.from_checks([Check(id="ok", title="ok", passed=True, points=1.0)])


def pool_closed(*_: Any, **__: Any) -> GradeReport:
    """What a grading returns when its host closed the pool under it (draining, or a server stopping)."""
    return GradeReport.system_error("worker pool closed", lesson="fault")


@pytest.fixture
def pg_database(pg_cluster: PgCluster, pg_migrated_template: str) -> Iterator[Database]:
    with pg_cluster.database(template=pg_migrated_template) as url:
        database = Database(url)
        yield database
        database.close()


def host_on(database: Database, grade_fn: Any = passing, **options: Any) -> GradingHost:
    return GradingHost(database, find_lesson, LedgerPool(), grade_fn, HostOptions(**options))  # type: ignore[arg-type]


def jobs_of(database: Database, key: str) -> dict[int, list[str]]:
    """procrastinate's jobs by the submission_id (or grading_id) they grade: their statuses."""
    with database.session() as session:
        rows = session.execute(text(f"SELECT (args->>'{key}')::bigint, status::text FROM procrastinate_jobs "
                                    f"WHERE args ? '{key}' ORDER BY id")).all()
    found: dict[int, list[str]] = {}
    for target, status in rows:
        found.setdefault(int(target), []).append(status)
    return found


def fetch_job(database: Database, worker_id: int | None) -> tuple[int, dict[str, Any]] | None:
    """What a procrastinate worker does to take its next job (procrastinate_fetch_job_v2)."""
    with database.session() as session:
        row = session.execute(text("SELECT id, args FROM procrastinate_fetch_job_v2(ARRAY['grading'], :w)"),
                              {"w": worker_id}).first()
    return None if row is None or row[0] is None else (int(row[0]), dict(row[1]))


def register_worker(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(text("SELECT worker_id FROM procrastinate_register_worker_v1()")))


# -- (1) exactly one final status, one result -------------------------------------------------------------------------

def test_three_graceful_restarts_mid_grading_do_not_make_a_submission_lost(database: Database) -> None:
    """The embedded server stopped (SIGTERM, a deploy) while grading, three times: each time the grading is abandoned
    on purpose and redone at the next start. None of that was a host dying, so the 4th start must grade the code, not
    record 'lost 3 times' as an error."""
    store, history = Store(database), History(database)
    events = EventLog(database, Bell())
    stopping = [True]
    learner = store.create_learner()
    sub = store.add_submission(learner, "fault", "# fine code")
    for _restart in range(3):
        grader = SubmissionGrader(store, history, events, find_lesson, LedgerPool(), pool_closed,  # type: ignore[arg-type]
                                  stopping=lambda: stopping[0])
        claimed = store.claim_next()
        assert claimed is not None and claimed.id == sub.id
        with pytest.raises(Abandoned):
            grader.run(claimed)
        store.requeue_unfinished()  # GradingQueue.start() of the next run
    grader = SubmissionGrader(store, history, events, find_lesson, LedgerPool(), passing)  # type: ignore[arg-type]
    claimed = store.claim_next()
    assert claimed is not None
    grader.run(claimed)
    done = store.get_submission(sub.id)
    assert done is not None and done.status is SubmissionStatus.passed, getattr(done, "report", None)



def test_three_drained_hosts_do_not_make_a_submission_lost(pg_database: Database) -> None:
    """Three grading hosts drained (rolling deploy) while each held the submission: each raised Release (procrastinate
    retries the job), which is not a host dying; the next host must grade the code."""
    store = Store(pg_database)
    learner = store.create_learner()
    sub = store.add_submission(learner, "fault", "# fine code")
    for _drain in range(3):
        host = host_on(pg_database)

        def drained(*_: Any, host: GradingHost = host, **__: Any) -> GradeReport:
            host._release()  # the drain time ran out mid-grading: the pool is closed under it
            return pool_closed()

        host.grader.grade_fn = drained
        with pytest.raises(Release):
            host.grade_submission(sub.id)
    host_on(pg_database).grade_submission(sub.id)
    done = store.get_submission(sub.id)
    assert done is not None and done.status is SubmissionStatus.passed, getattr(done, "report", None)



def test_a_regrade_interrupted_by_restarts_never_turns_a_pass_into_an_error(database: Database) -> None:
    """A regrade item caught by three server restarts must not replace the learner's passed result with 'lost 3
    times' (an error that is no verdict on their code, and that unpasses the lesson in progress and gradebook)."""
    store, history = Store(database), History(database)
    events = EventLog(database, Bell())
    learner = store.create_learner()
    sub = store.add_submission(learner, "fault", "# fine code")
    store.finish(sub.id, SubmissionStatus.passed, 1.0, passing().model_dump(mode="json"))
    history.request_regrade("fault", "teacher@example.org")
    stopping = [True]
    for _restart in range(3):
        grader = SubmissionGrader(store, history, events, find_lesson, LedgerPool(), pool_closed,  # type: ignore[arg-type]
                                  stopping=lambda: stopping[0])
        item = history.claim_regrade_item()
        assert item is not None
        with pytest.raises(Abandoned):
            grader.run_regrade(item)
        history.requeue_unfinished()
    grader = SubmissionGrader(store, history, events, find_lesson, LedgerPool(), passing)  # type: ignore[arg-type]
    item = history.claim_regrade_item()
    assert item is not None
    grader.run_regrade(item)
    done = store.get_submission(sub.id)
    assert done is not None and done.status is SubmissionStatus.passed, getattr(done, "report", None)
    assert store.progress(learner)["fault"].passed



def test_embedded_a_failed_result_write_is_retried_without_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       sqlite_migrated_template: Path) -> None:
    """SQLite hiccups once while recording a result (busy past its timeout, a disk I/O error). The embedded queue logs
    it and leaves the submission 'running' until the next server start: for a server that runs for weeks it never
    reaches a final status, its followers wait forever and it holds one of the learner's queue slots."""
    import shutil

    path = tmp_path / "db.sqlite3"
    shutil.copyfile(sqlite_migrated_template, path)
    database = Database(f"sqlite:///{path}")
    store = Store(database)
    real = store.finish_attempt
    failures = [1]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("INSERT INTO gradings", {}, Exception("disk I/O error"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "finish_attempt", flaky)
    monkeypatch.setattr(queue_module, "grade", passing)
    queue = GradingQueue(store, find_lesson, LedgerPool())  # type: ignore[arg-type]
    queue.start()
    try:
        learner = store.create_learner()
        sub = queue.enqueue(learner, "fault", "# fine code")
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and not (store.get_submission(sub.id) or sub).done:
            time.sleep(0.05)
        done = store.get_submission(sub.id)
        assert done is not None and done.done, f"still {done.status if done else None} with the database healthy again"
    finally:
        queue.stop()
        queue.join()
        database.close()


def test_supersession_after_the_job_was_fetched_but_before_claim_grades_nothing(pg_database: Database) -> None:
    """Holds: a host fetched the job of s0, then the learner's newer code superseded s0 (its job is 'doing', so it
    cannot be cancelled). The host's claim finds s0 finished and grades nothing; s0 has exactly one result."""
    store = Store(pg_database)
    web = JobQueue(store)
    web.start()
    graded: list[str] = []
    try:
        learner = store.create_learner()
        old = web.enqueue(learner, "a", "# old")
        fetched = fetch_job(pg_database, register_worker(pg_database))
        assert fetched is not None and fetched[1] == {"submission_id": old.id}
        newer = web.enqueue(learner, "a", "# newer")

        def grade(grading: Any, code: str, pool: Any, **_: Any) -> GradeReport:
            graded.append(code)
            return passing()

        host = host_on(pg_database, grade_fn=grade)
        host.grade_submission(old.id)  # the job runs now: its claim must come back empty
    finally:
        web.join()
    assert graded == []
    after = store.get_submission(old.id)
    assert after is not None and after.status is SubmissionStatus.not_gradable and after.attempt == 0
    with pg_database.session() as session:
        assert session.scalar(select(func.count()).where(GradingRow.submission_id == old.id)) == 1
    assert jobs_of(pg_database, "submission_id")[newer.id] == ["todo"]


def test_claim_racing_supersession_writes_one_result(database: Database) -> None:
    """Holds: a grading thread's claim_next and a newer submission's supersession race for the same queued row, many
    times: each row ends either running (then finished once) or superseded, never both, never two results."""
    store = Store(database)
    learner = store.create_learner()
    for n in range(25):
        old = store.add_submission(learner, f"l{n}", "# old")
        newer = store.add_submission(learner, f"l{n}", "# newer")
        start = threading.Barrier(2)
        claimed: list[Any] = []

        def claim(start: threading.Barrier = start, claimed: list[Any] = claimed) -> None:
            start.wait()
            claimed.append(store.claim_next())

        def supersede(newer: Any = newer, start: threading.Barrier = start) -> None:
            start.wait()
            supersede_older(store, newer)

        threads = [threading.Thread(target=claim), threading.Thread(target=supersede)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        taken = claimed[0]
        if taken is not None and taken.id == old.id:
            assert store.finish_attempt(old.id, taken.attempt, SubmissionStatus.passed, 1.0, {}) is not None
        with database.session() as session:
            results = session.scalar(select(func.count()).where(GradingRow.submission_id == old.id))
        assert results == 1, f"round {n}: {results} results for one submission"
        for sub in (old, newer):  # leave nothing queued for the next round's claim_next
            row = store.get_submission(sub.id)
            if row is not None and row.status is SubmissionStatus.queued:
                store.finish(sub.id, SubmissionStatus.passed, 1.0, {})
            elif row is not None and row.status is SubmissionStatus.running:
                store.finish_attempt(sub.id, row.attempt, SubmissionStatus.passed, 1.0, {})



def test_a_draining_host_keeps_its_job_and_its_result_counts(pg_cluster: PgCluster, pg_migrated_template: str,
                                                              tmp_path: Path) -> None:
    """SIGTERM gives jobs in flight drain_s (default 60 s) to finish, but procrastinate cancels the worker's heartbeat
    the moment it stops fetching: after stalled_s (default 30 s) the draining host's job is 'stalled', another host
    takes it, the draining host's result is thrown away, and the learner's work is graded twice."""
    with pg_cluster.database(template=pg_migrated_template) as url:
        database = Database(url)
        hosts = Hosts(url, Ledger(tmp_path / "ledger.txt"), tmp_path)
        store = Store(database)
        web = JobQueue(store)
        web.start()
        try:
            draining = hosts.start("a", seconds=7, stalled=2)  # drain 30 s: plenty for its 7 s job
            ids = submit(web, store, 1)
            wait_for(lambda: hosts.ledger.of("start"), what="host a to start the job")
            draining.send_signal(signal.SIGTERM)
            hosts.start("b", seconds=0.5, stalled=2)
            assert draining.wait(40) == 0
            wait_done(store, ids)
        finally:
            web.join()
            hosts.close()
        try:
            assert [row[4] for row in hosts.ledger.of("start")] == ["a"], hosts.ledger.lines()
            done = store.get_submission(ids[0])
            assert done is not None and done.attempt == 1
            assert done.report is not None and done.report["checks"][0]["title"] == "graded by a"
            assert_exactly_once(database, ids)
        finally:
            database.close()


# -- (3) one worker per learner ---------------------------------------------------------------------------------------

def test_a_frozen_hosts_late_finish_does_not_free_the_learners_lock(pg_database: Database) -> None:
    """Host A froze holding s0's job; its heartbeat went stale; the stalled-job retry gave the same job to host B. A
    wakes, its result is fenced out (good) and procrastinate then marks the job A ran finished: procrastinate_finish_job
    does not look at worker_id, so it ends the job B is running. The learner's lock is free while B still grades s0:
    their next job starts on a third worker (two workers for one learner), and s0's row is 'running' with no live job
    (the reconciler defers a third grading of it)."""
    store = Store(pg_database)
    web = JobQueue(store, max_queued_per_learner=5)
    web.start()
    try:
        learner = store.create_learner()
        s0 = web.enqueue(learner, "fault-0", "# s0")
        s1 = web.enqueue(learner, "fault-1", "# s1")
        worker_a = register_worker(pg_database)
        job = fetch_job(pg_database, worker_a)
        assert job is not None and job[1] == {"submission_id": s0.id}
        attempt_a = store.claim(s0.id)  # host A's grade_submission
        assert attempt_a is not None
        with pg_database.session() as session:  # A freezes: no heartbeat for an hour
            session.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
                                 "WHERE id = :w"), {"w": worker_a})
        host_b = host_on(pg_database, stalled_s=30)

        async def retry_stalled() -> None:
            async with host_b.app.open_async():
                await host_b._retry_stalled()

        asyncio.run(retry_stalled())
        again = fetch_job(pg_database, register_worker(pg_database))
        # B takes the learner's next job: a NEW job for s0 (or s1's, which is older): never the stalled job itself
        assert again is not None and again[0] != job[0]
        assert store.claim(int(again[1]["submission_id"])) is not None
        # A wakes up and finishes: fenced out, and procrastinate's acknowledgement of A's job hits a dead job id.
        late = SubmissionGrader(store, History(pg_database), EventLog(pg_database, Bell()), find_lesson,
                                LedgerPool(), passing)  # type: ignore[arg-type]
        took_s0 = int(again[1]["submission_id"]) == s0.id
        # fenced out if B is grading s0 now; if B took s1, A's attempt is still the current one and counts, once
        assert (late.run(attempt_a) is None) == took_s0
        with pytest.raises(DBAPIError), pg_database.session() as session:
            session.execute(text("SELECT procrastinate_finish_job_v1(:id, 'succeeded', false)"), {"id": job[0]})
        third = fetch_job(pg_database, register_worker(pg_database))
        assert third is None, f"job {third} started while host B still grades for the same learner"
        assert s1.id  # s1 waits for B
    finally:
        web.join()



def test_embedded_queue_gives_one_learner_at_most_one_worker(database: Database,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """RNNLAB_CONCURRENT_JOBS=2: learner A's two submissions (two lessons) take both threads while learner B, who
    submitted right after, waits for one of them to finish."""
    gate = threading.Event()
    started: list[str] = []
    lock = threading.Lock()

    def held(grading: Any, code: str, pool: Any, **_: Any) -> GradeReport:
        with lock:
            started.append(code)
        gate.wait(10)
        return passing()

    monkeypatch.setattr(queue_module, "grade", held)
    store = Store(database)
    queue = GradingQueue(store, find_lesson, LedgerPool(), concurrent_jobs=2,  # type: ignore[arg-type]
                         max_queued_per_learner=5)
    a, b = store.create_learner(), store.create_learner()
    queue.enqueue(a, "one", "# a1")
    queue.enqueue(a, "two", "# a2")
    queue.enqueue(b, "one", "# b1")
    queue.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(started) < 2:
            time.sleep(0.02)
        assert len(started) == 2
        assert sorted(started) != ["# a1", "# a2"], "learner A holds both grading threads while B waits"
    finally:
        gate.set()
        queue.stop()
        queue.join()



def test_two_replicas_cannot_take_a_learner_past_their_limit(pg_database: Database) -> None:
    """Two web replicas each count the learner's active submissions (2, under the limit of 3) and each insert one:
    the learner has 4. The replica's lock is a threading.Lock, so nothing orders the two count-then-insert."""
    learner = Store(pg_database).create_learner()
    meet = threading.Barrier(2, timeout=10)
    replicas = []
    for _ in range(2):
        store = Store(pg_database)
        count = store.count_active

        def counted(learner_id: int, count: Any = count) -> int:
            n = int(count(learner_id))
            meet.wait()  # both replicas have counted before either inserts (requests landing together)
            return n

        store.count_active = counted  # type: ignore[method-assign]
        replica = JobQueue(store, max_queued_per_learner=3)
        replica.start()
        replicas.append(replica)
    try:
        for lesson in ("l1", "l2"):
            Store(pg_database).add_submission(learner, lesson, "# waiting")
        errors: list[BaseException] = []

        def send(replica: JobQueue, lesson: str) -> None:
            try:
                replica.enqueue(learner, lesson, "# more")
            except BaseException as exc:  # noqa: BLE001 - QueueFull is the right answer for one of the two
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(r, f"l{3 + n}")) for n, r in enumerate(replicas)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert Store(pg_database).count_active(learner) <= 3, errors
    finally:
        for replica in replicas:
            replica.join()


# -- (4) nothing queued is lost, nothing deferred twice ---------------------------------------------------------------

def test_a_regrade_item_gets_one_job_when_reconcile_runs_between_insert_and_defer(
        pg_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """JobQueue.request_regrade commits the regrade's queued gradings, then defers their jobs. A grading host's
    reconcile round landing in between finds them job-less (it has a grace period for submissions, none for regrade
    items) and defers them too: two jobs per item, and regrade jobs have no lock, so two hosts grade the same item at
    once (the second claim fences out the first, inflating its attempts towards 'lost 3 times')."""
    store = Store(pg_database)
    learner = store.create_learner()
    for n in range(2):
        sub = store.add_submission(learner, "fault", f"# {n}")
        store.finish(sub.id, SubmissionStatus.passed, 1.0, {})
    host = host_on(pg_database, reconcile_grace_s=15)
    real = jobs_queue.defer_regrade

    def reconcile_first(*args: Any, **kwargs: Any) -> list[int]:
        host.reconcile()  # a host's upkeep round, while the web replica is between its two writes
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs_queue, "defer_regrade", reconcile_first)
    web = JobQueue(store)
    web.start()
    host.deferrer.open()
    try:
        regrade = web.request_regrade("fault", "teacher@example.org")
    finally:
        host.deferrer.close()
        web.join()
    jobs = jobs_of(pg_database, "grading_id")
    assert len(jobs) == regrade.total == 2
    assert all(statuses == ["todo"] for statuses in jobs.values()), jobs


def test_reconcile_leaves_a_just_queued_submission_to_its_replica(pg_database: Database,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Holds: the same interleaving for a learner's submission: the grace period keeps reconcile off it, one job."""
    store = Store(pg_database)
    host = host_on(pg_database, reconcile_grace_s=15)
    real = jobs_queue.defer_submission

    def reconcile_first(*args: Any, **kwargs: Any) -> int:
        host.reconcile()
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs_queue, "defer_submission", reconcile_first)
    web = JobQueue(store)
    web.start()
    host.deferrer.open()
    try:
        sub = web.enqueue(store.create_learner(), "fault", "# code")
        assert host.reconcile() == 0  # and a later round, with its job 'todo', defers nothing either
    finally:
        host.deferrer.close()
        web.join()
    assert jobs_of(pg_database, "submission_id") == {sub.id: ["todo"]}


# -- (2) a learner never sees another's events ------------------------------------------------------------------------
def test_last_event_id_from_another_submissions_range_shows_only_this_submissions_events(database: Database) -> None:
    """Holds: a follower of their own submission sends a Last-Event-ID just below another learner's events: the
    stream carries only its own submission's rows (the route has already checked ownership of the id in the URL)."""
    store = Store(database)
    events = EventLog(database, Bell())
    mine, theirs = store.create_learner(), store.create_learner()
    their_sub = store.add_submission(theirs, "fault", "# theirs")
    my_sub = store.add_submission(mine, "fault", "# mine")
    their_claim = store.claim_next()
    assert their_claim is not None and their_claim.id == their_sub.id
    their_first = events.append(their_sub.id, their_claim.attempt, {"event": "phase", "phase": "secret"})
    assert their_first is not None
    my_claim = store.claim_next()
    assert my_claim is not None and my_claim.id == my_sub.id
    events.append(my_sub.id, my_claim.attempt, {"event": "phase", "phase": "train"})
    store.finish_attempt(my_sub.id, my_claim.attempt, SubmissionStatus.passed, 1.0, passing().model_dump(mode="json"))

    async def read() -> list[str]:
        loop = asyncio.get_running_loop()
        listener = events.bell.listen(my_sub.id)
        chunks = []
        try:
            async for chunk in _stream_rows(events, store, my_sub.id, their_first - 1, listener, loop.time() + 3):
                chunks.append(chunk)
        finally:
            listener.close()
        return chunks

    body = "".join(asyncio.run(read()))
    assert "secret" not in body and '"phase":"train"' in body and "event: report" in body


# -- (5) failures are loud --------------------------------------------------------------------------------------------

def test_an_unreachable_postgres_answers_503_with_retry_after(tmp_path: Path) -> None:
    """PostgreSQL restarting (or its socket gone): psycopg's connection failure has no SQLSTATE and SQLAlchemy does not
    mark it invalidated, so storage_failure() says 'not ours' and the request becomes a logged 500 bug."""
    database = Database(f"postgresql+psycopg://postgres@/nodb?host={tmp_path}&port=5999&connect_timeout=2")
    app = FastAPI()
    add_error_handlers(app)

    @app.get("/api/probe")
    def probe() -> dict[str, str]:
        Store(database).get_submission(1)
        return {"ok": "yes"}

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            answer = client.get("/api/probe")
    finally:
        database.close()
    assert answer.status_code == 503, answer.text
    assert answer.headers.get("Retry-After")


def test_a_stream_of_a_submission_deleted_under_it_ends_without_inventing_a_report(database: Database) -> None:
    """Holds: the learner's account (and with it the submission) is deleted while a browser follows it: the stream
    sends no report and ends by its deadline (the reconnect then gets 404); it never streams forever."""
    store = Store(database)
    events = EventLog(database, Bell())
    learner = store.create_learner()
    sub = store.add_submission(learner, "fault", "# code")

    async def follow() -> tuple[list[str], float]:
        loop = asyncio.get_running_loop()
        listener = events.bell.listen(sub.id)
        chunks = []
        began = loop.time()
        try:
            async for chunk in _stream_rows(events, store, sub.id, 0, listener, began + 2):
                chunks.append(chunk)
                if "queued" in chunk:
                    with database.session() as session:  # the account goes, its submissions cascade
                        session.execute(text("DELETE FROM learners WHERE id = :id"), {"id": learner})
        finally:
            listener.close()
        return chunks, loop.time() - began

    chunks, took = asyncio.run(follow())
    assert store.get_submission(sub.id) is None
    assert not any("report" in chunk for chunk in chunks) and took < 6
