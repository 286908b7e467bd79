"""Fault tests of the scaled layout, on a real PostgreSQL with real grading-host processes (tests/app/fault_host.py:
the real GradingHost and procrastinate, a stand-in for the sandboxed grading). Every test ends by checking the two
invariants: each submission reaches exactly one final status, and no result is written twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.database import Database
from app.history import History
from app.jobs.queue import JobQueue
from app.store import Store, SubmissionStatus
from app.tables import GradingRow
from tests.pg import PgCluster

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(240)


@dataclass
class Ledger:
    """What the hosts' stand-in grader wrote: (time, kind, job tag, learner, host, pid) per line."""

    path: Path

    def lines(self) -> list[tuple[float, str, str, str, str, int]]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text().splitlines():
            at, kind, job, learner, host, pid = line.split()
            rows.append((float(at), kind, job, learner, host, int(pid)))
        return rows

    def of(self, kind: str) -> list[tuple[float, str, str, str, str, int]]:
        return [row for row in self.lines() if row[1] == kind]


class Hosts:
    """Grading-host processes on one database; killed at the end whatever happened."""

    def __init__(self, url: str, ledger: Ledger, logs: Path) -> None:
        self.url, self.ledger, self.logs = url, ledger, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *, seconds: float = 2.0, jobs: int = 1, stalled: float = 3.0,
              drain: float = 30.0) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.app.fault_host", self.url, str(self.ledger.path), name,
             "--seconds", str(seconds), "--jobs", str(jobs), "--stalled", str(stalled), "--heartbeat", "0.5",
             "--drain", str(drain)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=log)
        assert proc.stdout is not None
        ready = proc.stdout.readline().decode()
        assert ready.startswith("READY"), f"host {name} did not start: {(self.logs / f'{name}.log').read_text()[-2000:]}"
        self.procs[name] = proc
        return proc

    def signal(self, name: str, sig: signal.Signals) -> None:
        self.procs[name].send_signal(sig)

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
            proc.wait(10)


@pytest.fixture
def scaled(pg_cluster: PgCluster, pg_migrated_template: str, tmp_path: Path) -> Iterator[tuple[Database, Hosts]]:
    with pg_cluster.database(template=pg_migrated_template) as url:
        database = Database(url)
        hosts = Hosts(url, Ledger(tmp_path / "ledger.txt"), tmp_path)
        try:
            yield database, hosts
        finally:
            hosts.close()
            database.close()


def submit(queue: JobQueue, store: Store, count: int, learners: int = 0, tag: str = "s") -> list[int]:
    """`count` submissions, from `learners` different learners (0: each its own)."""
    people = [store.create_learner() for _ in range(learners or count)]
    ids = []
    for n in range(count):
        learner = people[n % len(people)]
        ids.append(queue.enqueue(learner, "fault", f"# job {tag}{n} learner {learner}\n").id)
    return ids


def wait_done(store: Store, ids: list[int], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((s := store.get_submission(i)) is not None and s.done for i in ids):
            return
        time.sleep(0.2)
    left = {i: store.get_submission(i) for i in ids}
    raise AssertionError(f"not all graded in {timeout} s: {[(i, s.status.value if s else None) for i, s in left.items()]}")


def assert_exactly_once(database: Database, ids: list[int]) -> None:
    """Each submission ends passed (the stand-in passes everything) with exactly one recorded result."""
    store = Store(database)
    statuses = {i: store.get_submission(i).status for i in ids}  # type: ignore[union-attr]
    assert set(statuses.values()) == {SubmissionStatus.passed}, statuses
    with database.session() as session:
        counts = dict(session.execute(select(GradingRow.submission_id, func.count()).where(
            GradingRow.submission_id.in_(ids), GradingRow.regrade_id.is_(None)).group_by(GradingRow.submission_id)).all())
    assert counts == {i: 1 for i in ids}, counts


def wait_for(condition: object, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_host_killed_mid_job_is_re_run_on_another_host(scaled: tuple[Database, Hosts]) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store, max_queued_per_learner=10)
    queue.start()
    try:
        hosts.start("a", seconds=3)
        ids = submit(queue, store, 1)
        wait_for(lambda: hosts.ledger.of("start"), what="host a to start the job")
        hosts.start("b", seconds=1)
        hosts.signal("a", signal.SIGKILL)
        wait_done(store, ids)
    finally:
        queue.join()
    assert_exactly_once(database, ids)
    done = store.get_submission(ids[0])
    assert done is not None and done.attempt == 2  # the dead host's attempt, then b's
    assert [row[4] for row in hosts.ledger.of("end")] == ["b"]


def test_a_frozen_host_resumed_late_has_its_result_discarded(scaled: tuple[Database, Hosts]) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store)
    queue.start()
    try:
        hosts.start("a", seconds=2)
        ids = submit(queue, store, 1)
        wait_for(lambda: hosts.ledger.of("start"), what="host a to start the job")
        hosts.signal("a", signal.SIGSTOP)
        hosts.start("b", seconds=1)
        wait_done(store, ids)  # b re-ran it after a's heartbeat went stale
        recorded = store.get_submission(ids[0])
        assert recorded is not None and recorded.attempt == 2
        hosts.signal("a", signal.SIGCONT)
        wait_for(lambda: [r for r in hosts.ledger.of("end") if r[4] == "a"], what="host a to finish late")
        time.sleep(1.0)  # a's (fenced) write would land now
    finally:
        queue.join()
    assert_exactly_once(database, ids)
    after = store.get_submission(ids[0])
    assert after is not None and after.report == recorded.report and after.finished == recorded.finished
    assert after.report is not None and after.report["checks"][0]["title"] == "graded by b"


def test_two_hosts_claiming_at_once_never_grade_a_submission_twice(scaled: tuple[Database, Hosts]) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store, max_queued_per_learner=50)
    queue.start()
    try:
        ids = submit(queue, store, 24)  # all queued before any host starts: both race for the same rows
        for name in ("a", "b"):
            hosts.start(name, seconds=0.25, jobs=2)
        wait_done(store, ids)
    finally:
        queue.join()
    assert_exactly_once(database, ids)
    starts = [row[2] for row in hosts.ledger.of("start")]
    assert sorted(starts) == sorted(set(starts)) and len(starts) == 24  # each job started exactly once
    assert {row[4] for row in hosts.ledger.of("start")} == {"a", "b"}  # and both hosts worked


def test_postgres_restarted_during_grading_loses_nothing(scaled: tuple[Database, Hosts], pg_cluster: PgCluster) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store, max_queued_per_learner=50)
    queue.start()
    try:
        hosts.start("a", seconds=1.5)
        hosts.start("b", seconds=1.5)
        ids = submit(queue, store, 6)
        wait_for(lambda: len(hosts.ledger.of("start")) >= 2, what="both hosts grading")
        pg_cluster.restart()
        more = submit(queue, store, 2, tag="after")  # the web side reconnects too
        wait_done(store, ids + more, timeout=120)
    finally:
        queue.join()
    assert_exactly_once(database, ids + more)
    for name, proc in hosts.procs.items():
        assert proc.poll() is None, f"host {name} died with the database instead of reconnecting"


def test_deadline_burst_interactive_first_one_worker_per_learner(scaled: tuple[Database, Hosts]) -> None:
    """60 submissions from 20 learners on 2 hosts while an instructor's regrade of 12 waits: learners first, and no
    learner ever holds two workers at once."""
    database, hosts = scaled
    store, history = Store(database), History(database)
    queue = JobQueue(store, max_queued_per_learner=3)
    queue.start()
    try:
        earlier = submit(queue, store, 12, tag="old")
        for name in ("a", "b"):
            hosts.start(name, seconds=0.2, jobs=2)
        wait_done(store, earlier)
        for name in ("a", "b"):  # drained and gone: the whole burst is queued before anyone claims
            hosts.signal(name, signal.SIGTERM)
            assert hosts.procs[name].wait(30) == 0
        regrade = queue.request_regrade("fault", "teacher@example.org")
        assert regrade.total == 12
        burst = []
        learners = [store.create_learner() for _ in range(20)]
        for n in range(60):
            learner = learners[n % 20]
            # three lessons' deadlines at once: a learner's newer code for the same lesson would supersede the older
            burst.append(queue.enqueue(learner, f"fault-{n // 20}", f"# job burst{n} learner {learner}\n").id)
        for name in ("c", "d"):
            hosts.start(name, seconds=0.2, jobs=2)
        wait_done(store, burst, timeout=150)
        wait_for(lambda: (history.regrade(regrade.id) or regrade).finished is not None, timeout=90,
                 what="the regrade to finish")
    finally:
        queue.join()
    assert_exactly_once(database, burst)
    starts = [row for row in hosts.ledger.lines() if row[1] == "start" and not row[2].startswith("old")]
    interactive = [row for row in starts if row[2].startswith("burst")]
    regrades = [row for row in hosts.ledger.lines() if row[1] == "start" and row[2].startswith("old")][12:]
    assert len(interactive) == 60 and len(regrades) == 12
    # Interactive before the regrade batch: a regrade item may start while a learner's submission still waits only
    # if that learner's lock held it back (their previous grading was running). The ledger is written inside the job,
    # a little after procrastinate took it and before it marked it done, hence the slack around each span.
    ends = {(row[2]): row[0] for row in hosts.ledger.of("end")}
    spans: dict[str, list[tuple[float, float]]] = {}
    for row in interactive:
        spans.setdefault(row[3], []).append((row[0], ends[row[2]]))
    slack = 2.0
    for regrade_start in (row[0] for row in regrades):
        waiting = [row for row in interactive if row[0] > regrade_start]
        for row in waiting:
            busy = any(s - slack <= regrade_start <= e + slack for s, e in spans[row[3]])
            assert busy, f"regrade item started at {regrade_start} while {row[2]} waited with its learner idle"
    first_regrade = min(row[0] for row in regrades)
    # 20 learners, 4 workers: when only lock-blocked submissions wait, at most 4 learners × 3 remain (+ in flight)
    assert sum(row[0] < first_regrade for row in interactive) >= 44  # the burst went first
    # One worker per learner: a learner's gradings never overlap in time.
    for learner, learner_spans in spans.items():
        learner_spans.sort()
        for (_, end), (start, _) in zip(learner_spans, learner_spans[1:], strict=False):
            assert start >= end - 0.01, f"learner {learner} held two workers at once"


def test_sigterm_drains_a_host_finishing_the_job_in_flight_and_taking_no_new_one(scaled: tuple[Database, Hosts]) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store, max_queued_per_learner=10)
    queue.start()
    try:
        proc = hosts.start("a", seconds=1.0)
        ids = submit(queue, store, 3)
        wait_for(lambda: hosts.ledger.of("start"), what="host a to start")
        proc.send_signal(signal.SIGTERM)  # drain: finish the job in flight, take no new one
        assert proc.wait(20) == 0
        assert len(hosts.ledger.of("end")) == 1 and len(hosts.ledger.of("start")) == 1
        hosts.start("b", seconds=0.2)
        wait_done(store, ids)
    finally:
        queue.join()
    assert_exactly_once(database, ids)


def test_lost_three_times_becomes_an_error_for_an_operator(scaled: tuple[Database, Hosts]) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store)
    queue.start()
    try:
        ids = submit(queue, store, 1)
        for n in range(3):  # a host takes it and dies, three times
            name = f"doomed{n}"
            hosts.start(name, seconds=30)
            wait_for(lambda n=n: len(hosts.ledger.of("start")) > n, what=f"start {n}")
            hosts.signal(name, signal.SIGKILL)
        hosts.start("last", seconds=0.2)
        wait_done(store, ids)
    finally:
        queue.join()
    done = store.get_submission(ids[0])
    assert done is not None and done.status is SubmissionStatus.error and done.attempt == 4
    assert done.report is not None and "lost this submission 3 times" in done.report["summary"]
    assert len(hosts.ledger.of("start")) == 3  # the fourth attempt did not grade it again



def test_sigterm_releases_a_job_that_outlasts_the_drain_time_to_another_host(scaled: tuple[Database, Hosts]) -> None:
    database, hosts = scaled
    store = Store(database)
    queue = JobQueue(store)
    queue.start()
    try:
        proc = hosts.start("a", seconds=20, drain=1.0)
        ids = submit(queue, store, 1)
        wait_for(lambda: hosts.ledger.of("start"), what="host a to start")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # released after 1 s, then gone
        assert [row[4] for row in hosts.ledger.of("abandoned")] == ["a"]
        released = store.get_submission(ids[0])
        assert released is not None and not released.done  # not recorded: waiting for another host
        hosts.start("b", seconds=0.2)
        wait_done(store, ids)
    finally:
        queue.join()
    assert_exactly_once(database, ids)
    assert [row[4] for row in hosts.ledger.of("end")] == ["b"]


def test_sigterm_with_postgres_gone_stops_the_host_within_its_drain_time(scaled: tuple[Database, Hosts],
                                                                          pg_cluster: PgCluster) -> None:
    """An operator stopping hosts while the database is down (a maintenance window, a failed PostgreSQL): the host
    must still stop promptly, not hang on a connection that will not come back."""
    _, hosts = scaled
    proc = hosts.start("a", seconds=0.2, drain=1.0)
    pg_cluster.stop()
    try:
        time.sleep(1.0)  # the host notices on its next poll or heartbeat
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            proc.wait(60)
        finally:
            waited = time.monotonic() - started
    finally:
        pg_cluster.start()
    assert waited < 1.0 + 10.0, f"the host took {waited:.1f} s to stop after SIGTERM with PostgreSQL down"
