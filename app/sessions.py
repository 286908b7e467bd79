"""Server-side log-in sessions: a random token in the browser, its SHA-256 in the database, revocable. No web framework."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from app.accounts import User
from app.database import Database, as_utc, now
from app.tables import AuthSessionRow, UserRow

SESSION_COOKIE = "rnnlab_session"
TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 100  # anything longer in a cookie is not one of ours


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class Sessions:
    """Starts, resolves and revokes sessions. A session ends at logout, on a password reset, on account deletion
    (its row is deleted with the account) or when it expires."""

    def __init__(self, database: Database, lifetime: timedelta) -> None:
        self.database = database
        self.lifetime = lifetime

    def start(self, user: User) -> str:
        """A new session for the account; the returned token goes into the cookie and is stored nowhere."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        started = now()
        with self.database.session() as session:
            # Expired and revoked sessions of this account are of no use to anyone: tidy them as we go.
            session.execute(delete(AuthSessionRow).where(
                AuthSessionRow.user_id == user.id,
                (AuthSessionRow.expires < started) | AuthSessionRow.revoked.is_not(None)))
            session.add(AuthSessionRow(id=_digest(token), user_id=user.id, created=started,
                                       expires=started + self.lifetime))
        return token

    def user_for(self, token: str | None) -> User | None:
        """The account a live session token belongs to, else None (unknown, revoked, expired or malformed)."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        query = (select(AuthSessionRow, UserRow).join(UserRow, UserRow.id == AuthSessionRow.user_id)
                 .where(AuthSessionRow.id == _digest(token), AuthSessionRow.revoked.is_(None)))
        with self.database.session() as session:
            found = session.execute(query).first()
            if found is None:
                return None
            row, user = found
            expires = as_utc(row.expires)
            if expires is None or expires <= now():
                return None
            return User.from_row(user)

    def revoke(self, token: str | None) -> bool:
        if not token or len(token) > MAX_TOKEN_CHARS:
            return False
        with self.database.session() as session:
            result = session.execute(update(AuthSessionRow).where(
                AuthSessionRow.id == _digest(token), AuthSessionRow.revoked.is_(None)).values(revoked=now()))
            return bool(getattr(result, "rowcount", 0))

    def revoke_all(self, user: User) -> int:
        with self.database.session() as session:
            result = session.execute(update(AuthSessionRow).where(
                AuthSessionRow.user_id == user.id, AuthSessionRow.revoked.is_(None)).values(revoked=now()))
            return int(getattr(result, "rowcount", 0) or 0)

    def count_live(self, user: User) -> int:
        query = select(AuthSessionRow.id).where(AuthSessionRow.user_id == user.id, AuthSessionRow.revoked.is_(None),
                                                AuthSessionRow.expires > now())
        with self.database.session() as session:
            return len(session.scalars(query).all())
