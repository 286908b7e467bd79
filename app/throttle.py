"""The log-in rate limit: failed log-ins counted per email and per client address, in the database (all workers)."""

from __future__ import annotations

import math
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
