"""The live-event log: what a grading reports (started, phase, epoch, report) as numbered rows every web replica can
stream, and the bell that wakes streams when rows arrive. No web framework here.

Rows, not in-memory queues, so that a browser reconnecting to any replica resumes after the last id it saw
(SSE `Last-Event-ID`) and misses nothing. The bell is only a wake-up: a stream re-reads the table on each ring and,
in case a ring is lost (a dropped LISTEN connection), every few seconds anyway.

On PostgreSQL the writer NOTIFYs in the same transaction (delivered on commit) and each web process holds one LISTEN
connection (`PgBellListener`); on the embedded SQLite default writer and reader share a process and ring directly.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.database import Database, now
from app.tables import SubmissionEventRow, SubmissionRow

log = logging.getLogger(__name__)

CHANNEL = "rnnlab_events"
MAX_EVENTS_PER_ATTEMPT = 1000  # learner code can print fake epoch lines; never keep an unbounded number


@dataclass(frozen=True)
class StoredEvent:
    """One row of the log as streams send it: `id` becomes the SSE id."""

    id: int
    submission_id: int
    attempt: int
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data.get("event", ""))


def add_event(session: Session, submission_id: int, attempt: int, data: dict[str, Any]) -> int | None:
    """Append an event in the caller's transaction, only if `attempt` is still the submission's current one (a host
    presumed dead must not write into the new attempt's stream). Returns the new id, or None when fenced out."""
    current = exists().where(SubmissionRow.id == submission_id, SubmissionRow.attempt == attempt)
    if not session.scalar(select(current)):
        return None
    new_id = session.execute(insert(SubmissionEventRow).values(
        submission_id=submission_id, attempt=attempt, kind=str(data.get("event", ""))[:16], data=data,
        created=now()).returning(SubmissionEventRow.id)).scalar_one()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": str(submission_id)})
    return int(new_id)


class Bell:
    """Wakes the asyncio streams listening to a submission; rung from any thread (a grading thread or the listener)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[int, set[BellListener]] = {}

    def listen(self, submission_id: int) -> BellListener:
        """A listener for one stream; register it BEFORE reading the log, so no ring between read and wait is lost."""
        listener = BellListener(self, submission_id, asyncio.get_running_loop())
        with self._lock:
            self._listeners.setdefault(submission_id, set()).add(listener)
        return listener

    def _forget(self, listener: BellListener) -> None:
        with self._lock:
            listeners = self._listeners.get(listener.submission_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[listener.submission_id]

    def ring(self, submission_id: int) -> None:
        with self._lock:
            listeners = list(self._listeners.get(submission_id, ()))
        for listener in listeners:
            listener.wake()

    def ring_all(self) -> None:
        """After a reconnect of the listener: notifications may have been missed, so every stream re-reads."""
        with self._lock:
            listeners = [one for group in self._listeners.values() for one in group]
        for listener in listeners:
            listener.wake()


class BellListener:
    """One stream's wake-up flag: clear() before reading, wait() after."""

    def __init__(self, bell: Bell, submission_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.bell, self.submission_id, self._loop = bell, submission_id, loop
        self._flag = asyncio.Event()

    def wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._flag.set)
        except RuntimeError:  # that stream's loop has closed (server stopping): nobody to wake
            pass

    def clear(self) -> None:
        self._flag.clear()

    async def wait(self, timeout: float) -> bool:
        """True when rung since the last clear(), within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._flag.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.bell._forget(self)


class EventLog:
    """Appends and reads the log. Thread-safe: one short transaction per call."""

    def __init__(self, database: Database, bell: Bell) -> None:
        self.database = database
        self.bell = bell
        self._local_ring = database.engine.dialect.name != "postgresql"  # PostgreSQL rings through NOTIFY/LISTEN

    def append(self, submission_id: int, attempt: int, data: dict[str, Any]) -> int | None:
        """Append one event of attempt `attempt`; None when that attempt is no longer current or has hit the cap."""
        with self.database.session() as session:
            count = session.scalar(select(func.count()).where(SubmissionEventRow.submission_id == submission_id,
                                                              SubmissionEventRow.attempt == attempt))
            if int(count or 0) >= MAX_EVENTS_PER_ATTEMPT and data.get("event") != "report":
                return None
            new_id = add_event(session, submission_id, attempt, data)
        if new_id is not None:
            self.rung(submission_id)
        return new_id

    def rung(self, submission_id: int) -> None:
        """Tell local streams a row was committed (PostgreSQL: the NOTIFY does it for every replica)."""
        if self._local_ring:
            self.bell.ring(submission_id)

    def after(self, submission_id: int, last_id: int, limit: int = 500) -> list[StoredEvent]:
        query = (select(SubmissionEventRow).where(SubmissionEventRow.submission_id == submission_id,
                                                  SubmissionEventRow.id > last_id)
                 .order_by(SubmissionEventRow.id).limit(limit))
        with self.database.session() as session:
            return [StoredEvent(row.id, row.submission_id, row.attempt, dict(row.data))
                    for row in session.scalars(query)]


class PgBellListener:
    """One LISTEN connection per web process: each NOTIFY from a grading host rings the bell. Reconnects with backoff
    after PostgreSQL restarts (and then rings every stream, since notifications may have been missed meanwhile)."""

    def __init__(self, url: str, bell: Bell) -> None:
        self.conninfo = libpq_conninfo(url)
        self.bell = bell
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-listener", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float = 3.0) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        backoff = 0.2
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    backoff = 0.2
                    self.bell.ring_all()
                    while not self._stopping.is_set():
                        for notify in connection.notifies(timeout=1.0):
                            if notify.payload.isdigit():
                                self.bell.ring(int(notify.payload))
            except Exception as exc:  # noqa: BLE001 - the database went away: streams fall back to polling
                self.connected.clear()
                if self._stopping.is_set():
                    return
                log.warning("live-event listener lost PostgreSQL (%s); reconnecting", exc.__class__.__name__)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)


def libpq_conninfo(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://user:pw@host:port/db?host=/socket/dir) as a libpq connection string."""
    parsed = make_url(url)
    parts: dict[str, Any] = {"dbname": parsed.database, "user": parsed.username, "password": parsed.password,
                             "host": parsed.host, "port": parsed.port}
    for key, value in parsed.query.items():
        parts[key] = value if isinstance(value, str) else value[-1]
    from psycopg.conninfo import make_conninfo

    return make_conninfo("", **{k: v for k, v in parts.items() if v not in (None, "")})
