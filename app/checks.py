"""The embedded layout's checks: a learner's "Check" run on this process's warm pool, one at a time, never stored.
No web framework here."""

from __future__ import annotations

import ipaddress
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from app.catalog import Lesson
from graders import WorkerPool
from graders.check import CheckReport, check

log = logging.getLogger(__name__)

AT_ONCE = 1  # checks running at the same time: each borrows the pool's workers for a few seconds, submissions first
MAX_WAITING = 8  # checks waiting behind it; beyond that the answer is "busy, submit instead or try again"
RETRY_AFTER_S = 15


def client_network(host: str) -> str:
    """The client a per-address limit counts: an IPv4 address, or an IPv6 address's /64. One subscriber gets a whole
    /64 and may send each request from a new address in it; counted one by one, a single client could hold every
    place."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class CheckBusy(Exception):
    """This learner already has a check waiting or running (one at a time per learner)."""


class ChecksFull(Exception):
    """Too many checks are waiting on this server right now."""


def address_share(capacity: int) -> int:
    """The places one client address may hold: half (a class behind one NAT shares an address), at least one."""
    return max(1, capacity // 2)


def admit(*, busy: bool, waiting: int, from_address: int, capacity: int) -> None:
    """The one admission rule for a new check, wherever the counts come from (this process, or the database on the
    scaled layout): raises CheckBusy or ChecksFull."""
    if busy:
        raise CheckBusy("Your previous check is still running; its result comes first.")
    if waiting >= capacity:
        raise ChecksFull("Many checks are waiting right now: try again in a moment, or submit instead.")
    if from_address >= address_share(capacity):
        raise ChecksFull("Many checks from your network are waiting right now: try again in a moment, or "
                         "submit instead.")


class CheckRunner:
    """Runs checks on the grading pool with a small executor: AT_ONCE at a time, at most one per learner, and at most
    half the places from one client address (a client that drops its cookie is a new learner each time: without
    this it could hold every place; half, not one, because a class behind one NAT shares an address).

    A check holds pool workers for about one short training (its limits are graders.check's, far below a
    grading's), so a submission that needs a worker meanwhile waits at most that long; and with AT_ONCE = 1 there
    is always at most one check's worth of work between a learner's submission and a warm worker."""

    def __init__(self, pool: WorkerPool, max_code_bytes: int, at_once: int = AT_ONCE,
                 max_waiting: int = MAX_WAITING) -> None:
        self.pool = pool
        self.max_code_bytes = max_code_bytes
        self.capacity = at_once + max_waiting
        self._executor = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="check")
        self.per_address = address_share(self.capacity)
        self._learners: dict[int, str] = {}  # learner with a check waiting or running -> its client address
        self._lock = threading.Lock()

    def submit(self, learner_id: int, lesson: Lesson, code: str, address: str = "") -> Future[CheckReport]:
        """Queue a check; raises CheckBusy (this learner has one) or ChecksFull (the server, or this client address,
        has enough waiting)."""
        with self._lock:
            admit(busy=learner_id in self._learners, waiting=len(self._learners), capacity=self.capacity,
                  from_address=sum(1 for held in self._learners.values() if held == address))
            self._learners[learner_id] = address
        try:
            future = self._executor.submit(self._run, lesson, code)
        except RuntimeError:  # shut down
            self._release(learner_id)
            raise ChecksFull("The server is stopping; try again in a moment.") from None
        future.add_done_callback(lambda _done: self._release(learner_id))
        return future

    def running(self) -> int:
        with self._lock:
            return len(self._learners)

    def _release(self, learner_id: int) -> None:
        with self._lock:
            self._learners.pop(learner_id, None)

    def _run(self, lesson: Lesson, code: str) -> CheckReport:
        # Looked up at call time, so tests can stand in for graders.check by patching app.checks.check.
        return check(lesson.grading, code, self.pool, prepared=lesson.prepared, max_code_bytes=self.max_code_bytes)

    def close(self) -> None:
        """Stop taking checks; waiting ones are dropped (their requests answer 503), a running one ends with the pool."""
        self._executor.shutdown(wait=False, cancel_futures=True)
