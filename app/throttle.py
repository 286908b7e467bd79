"""Rate limits: failed log-ins (in the database, all workers) and a flood guard per client address (this process)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from app.database import Database, as_utc, now
from app.tables import LoginFailureRow

MAX_KEY_CHARS = 254


class LoginThrottle:
    """At most `per_email` failures for one email and `per_ip` for one address within `window_s`; then the next
    tries are refused until the oldest counted failure leaves the window."""

    def __init__(self, database: Database, per_email: int, per_ip: int, window_s: int) -> None:
        self.database = database
        self.per_email, self.per_ip = per_email, per_ip
        self.window = timedelta(seconds=window_s)

    def retry_after(self, email: str, ip: str) -> int | None:
        """Seconds until a log-in for this email from this address may be tried again, or None (go ahead)."""
        since = now() - self.window
        waits = []
        with self.database.session() as session:
            for column, key, limit in ((LoginFailureRow.email, _key(email), self.per_email),
                                       (LoginFailureRow.ip, _key(ip), self.per_ip)):
                times = session.scalars(select(LoginFailureRow.at).where(column == key, LoginFailureRow.at > since)
                                        .order_by(LoginFailureRow.at.desc()).limit(limit)).all()
                if len(times) >= limit:
                    oldest: datetime = as_utc(times[-1]) or now()
                    waits.append((oldest + self.window - now()).total_seconds())
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, email: str, ip: str) -> None:
        with self.database.session() as session:
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < now() - self.window))
            session.add(LoginFailureRow(email=_key(email), ip=_key(ip), at=now()))

    def forget(self, email: str) -> None:
        """A successful log-in clears the email's failures (the address's stay: they may be someone else's)."""
        with self.database.session() as session:
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.email == _key(email)))

    def count(self, email: str) -> int:
        with self.database.session() as session:
            return int(session.scalar(select(func.count()).where(LoginFailureRow.email == _key(email))) or 0)


def _key(value: str) -> str:
    return value.strip().lower()[:MAX_KEY_CHARS]


class RequestRate:
    """At most `per_key` requests per key (a client address) and `total` in all within `window_s`, counted in this
    process: a flood guard for requests that store something before anyone is known (LTI login initiations).
    Memory is bounded by `total`, however many addresses call."""

    def __init__(self, per_key: int, total: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_key, self.total, self.window_s, self.clock = per_key, total, window_s, clock
        self._all: deque[tuple[float, str]] = deque()
        self._keys: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """None when the request may go ahead (and it is counted), else the seconds until one may."""
        now = self.clock()
        with self._lock:
            while self._all and self._all[0][0] <= now - self.window_s:
                _, old = self._all.popleft()
                kept = self._keys[old]
                kept.popleft()
                if not kept:
                    del self._keys[old]
            times = self._keys.get(key)
            oldest = (times[0] if times is not None and len(times) >= self.per_key
                      else self._all[0][0] if len(self._all) >= self.total else None)
            if oldest is not None:
                return max(1, math.ceil(oldest + self.window_s - now))
            self._keys.setdefault(key, deque()).append(now)
            self._all.append((now, key))
            return None
