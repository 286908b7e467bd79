"""Local accounts: email + argon2 password hash + role, each owning one learner row. No web framework here."""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.database import Database, as_utc, now
from app.lti.tables import lti_links
from app.store import Store
from app.tables import AuthSessionRow, LearnerRow, SubmissionRow, UserRow

MIN_PASSWORD_CHARS = 10
NO_PASSWORD = "!"  # the stored hash of an account that signs in only through its course platform (never verifies)
MAX_PASSWORD_CHARS = 1024  # argon2 hashes any length; this only bounds the work one request can ask for
MAX_EMAIL_CHARS = 254  # RFC 5321's path limit
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces. Real proof is a mail, later.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# Each argon2 hash or check takes 64 MiB for a moment: a burst of log-ins must not take the server's memory with it.
MAX_CONCURRENT_HASHES = 4


class Role(enum.StrEnum):
    """What an account may do; each role includes the ones before it."""

    learner = "learner"
    instructor = "instructor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class AccountError(Exception):
    """Bad input for an account; `field` names the form field it is about."""

    field = "email"


class InvalidEmail(AccountError):
    pass


class WeakPassword(AccountError):
    field = "password"


class EmailTaken(AccountError):
    pass


class UnknownAccount(AccountError):
    pass


class ExternalAccount(AccountError):
    """The account signs in through its course platform (LTI) only."""


@dataclass(frozen=True)
class User:
    """An account as the rest of the app sees it (a detached copy of the row, without the hash)."""

    id: int
    email: str
    role: Role
    learner_id: int
    created: datetime
    last_login: datetime | None
    has_password: bool = True  # False: it signs in through its course platform (LTI) only

    def has_role(self, minimum: Role) -> bool:
        return self.role.rank >= minimum.rank

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(id=row.id, email=row.email, role=Role(row.role), learner_id=row.learner_id,
                   created=as_utc(row.created) or now(), last_login=as_utc(row.last_login),
                   has_password=row.password_hash != NO_PASSWORD)


def normalize_email(raw: str) -> str:
    """Trimmed and lower-cased, or InvalidEmail saying what is wrong."""
    email = raw.strip().lower()
    if not email:
        raise InvalidEmail("Enter your email address.")
    if len(email) > MAX_EMAIL_CHARS:
        raise InvalidEmail(f"That email address is longer than {MAX_EMAIL_CHARS} characters.")
    if not EMAIL_PATTERN.match(email):
        raise InvalidEmail(f"{raw.strip()!r} does not look like an email address (expected name@example.org).")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"Choose a password of at least {MIN_PASSWORD_CHARS} characters (yours has "
                           f"{len(password)}).")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"Passwords are limited to {MAX_PASSWORD_CHARS} characters.")


class Accounts:
    """Creates, checks, lists and deletes accounts. Thread-safe: one short transaction per call."""

    def __init__(self, database: Database, store: Store, hasher: PasswordHasher | None = None) -> None:
        self.database = database
        self.store = store
        self.hasher = hasher or PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 defaults
        self._hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
        # Checked against when the email is unknown, so a wrong email costs the same time as a wrong password.
        self._dummy_hash = self.hasher.hash("not a password anyone has")

    def create(self, email: str, password: str, role: Role = Role.learner) -> User:
        email = normalize_email(email)
        check_password(password)
        password_hash = self._hash(password)
        try:
            with self.database.session() as session:
                if session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
                    raise EmailTaken(f"An account for {email} already exists: log in instead.")
                learner = LearnerRow(created=now())
                session.add(learner)
                session.flush()
                row = UserRow(email=email, password_hash=password_hash, role=role.value, learner_id=learner.id,
                              created=now())
                session.add(row)
                session.flush()
                return User.from_row(row)
        except IntegrityError:  # two sign-ups for one email at the same moment
            raise EmailTaken(f"An account for {email} already exists: log in instead.") from None

    def create_external(self, email: str | None, fallback_email: str, role: Role) -> User:
        """An account for someone who signs in through their course platform (LTI) and has no password here: no
        hash verifies against NO_PASSWORD. The platform's email is used when it is valid and free, else
        `fallback_email`: an address a platform sends never takes over an existing account."""
        for candidate in ([email] if email else []) + [fallback_email]:
            try:
                address = normalize_email(candidate)
            except InvalidEmail:
                continue
            try:
                with self.database.session() as session:
                    if session.scalar(select(UserRow.id).where(UserRow.email == address)) is not None:
                        continue
                    learner = LearnerRow(created=now())
                    session.add(learner)
                    session.flush()
                    row = UserRow(email=address, password_hash=NO_PASSWORD, role=role.value, learner_id=learner.id,
                                  created=now(), last_login=now())
                    session.add(row)
                    session.flush()
                    return User.from_row(row)
            except IntegrityError:  # the same address taken at the same moment: try the next one
                continue
        raise EmailTaken(f"Neither {email!r} nor {fallback_email!r} is free for a new account.")

    def set_role(self, user_id: int, role: Role) -> User | None:
        with self.database.session() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                return None
            row.role, row.last_login = role.value, now()
            session.flush()
            return User.from_row(row)

    def authenticate(self, email: str, password: str) -> User | None:
        """The account when the password is right (its last login updated), else None. Never says which was wrong."""
        try:
            email = normalize_email(email)
        except InvalidEmail:
            return None
        with self.database.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.email == email))
            if row is None or len(password) > MAX_PASSWORD_CHARS:
                self._verify(self._dummy_hash, password[:MAX_PASSWORD_CHARS])
                return None
            if not self._verify(row.password_hash, password):
                return None
            if self.hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hash(password)
            row.last_login = now()
            session.flush()
            return User.from_row(row)

    def verify(self, user: User, password: str) -> bool:
        """The account's password, checked again (before deleting it, say)."""
        with self.database.session() as session:
            row = session.get(UserRow, user.id)
            return row is not None and len(password) <= MAX_PASSWORD_CHARS and self._verify(row.password_hash, password)

    def _hash(self, password: str) -> str:
        with self._hashing:
            return self.hasher.hash(password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            with self._hashing:
                return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def get(self, user_id: int) -> User | None:
        with self.database.session() as session:
            row = session.get(UserRow, user_id)
            return User.from_row(row) if row else None

    def find(self, email: str) -> User | None:
        with self.database.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            return User.from_row(row) if row else None

    def list(self) -> list[User]:
        with self.database.session() as session:
            return [User.from_row(row) for row in session.scalars(select(UserRow).order_by(UserRow.id))]

    def set_password(self, email: str, password: str) -> int:
        """A new password, and every session of the account revoked (the old password may be known). Returns how
        many sessions were revoked."""
        check_password(password)
        password_hash = self._hash(password)
        with self.database.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            if row is None:
                raise UnknownAccount(f"There is no account for {email.strip()!r}.")
            if row.password_hash == NO_PASSWORD:  # its address came from an LMS, unverified: it is nobody's proof
                raise ExternalAccount(f"{row.email} signs in through its course platform (LTI) and has no password "
                                      "here; its address came from the platform, so nothing was changed.")
            row.password_hash = password_hash
            revoked = session.execute(update(AuthSessionRow).where(
                AuthSessionRow.user_id == row.id, AuthSessionRow.revoked.is_(None)).values(revoked=now()))
            return int(getattr(revoked, "rowcount", 0) or 0)

    def claim(self, user: User, anonymous_learner: int | None) -> int:
        """Move an anonymous learner's history into the account (merging with what it has). Idempotent; a learner
        row owned by any account is never taken. Returns how many submissions moved.

        The emptied anonymous row stays: SQLite gives the highest deleted id to the next row, and the claimed
        learner is often the newest, so deleting it would let a saved copy of the old cookie read the next
        stranger's history."""
        if anonymous_learner is None or anonymous_learner == user.learner_id:
            return 0
        with self.database.session() as session:
            if session.scalar(select(UserRow.id).where(UserRow.learner_id == anonymous_learner)) is not None:
                return 0
            if session.get(LearnerRow, anonymous_learner) is None or session.get(LearnerRow, user.learner_id) is None:
                return 0
            moved = session.execute(update(SubmissionRow).where(SubmissionRow.learner_id == anonymous_learner)
                                    .values(learner_id=user.learner_id))
            return int(getattr(moved, "rowcount", 0) or 0)

    def delete(self, user: User) -> None:
        """The account, its sessions, its LMS links, its learner row and every submission, gone."""
        with self.database.session() as session:
            row = session.get(UserRow, user.id)
            if row is None:
                return
            # An LMS link names the account by id, and SQLite gives a deleted highest id to the next account: a
            # link left behind would sign its LMS user into that account and send that account's scores.
            session.execute(delete(lti_links).where(lti_links.c.account_key == str(user.id)))
            session.delete(row)  # sessions go with it (ON DELETE CASCADE)
            session.flush()
            learner = session.get(LearnerRow, user.learner_id)
            if learner is not None:
                session.delete(learner)  # submissions go with it (ON DELETE CASCADE)
