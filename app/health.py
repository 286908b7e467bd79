"""Storage health: is the data dir usable, is the database writable and still the one we opened, is a failure ours."""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from app.database import Database

log = logging.getLogger(__name__)

MIN_FREE_BYTES = 1024 * 1024  # below this a SQLite commit may fail half-way through a grading's result
RETRY_AFTER_S = 30  # an operator frees space or remounts in minutes; browsers and scripts should not hammer us
# SQLite's primary result codes (sqlite3 exceptions carry the extended code; the low byte is the primary one).
SQLITE_STORAGE = {8: "The database is read-only.", 10: "The database hit a disk I/O error.",
                  13: "The database is full: its disk has no space left.", 14: "The database file cannot be opened."}
# PostgreSQL SQLSTATEs that mean "the database cannot take writes now", not "this request is wrong".
PG_STORAGE = {"53100": "The database is full: its disk has no space left.", "25006": "The database is read-only.",
              "57P03": "The database is starting up or shutting down.", "53000": "The database is out of resources.",
              "58030": "The database hit a disk I/O error."}
# The probe writes nothing: an UPDATE that matches no row still needs the write lock (SQLite) or a writable
# transaction (PostgreSQL), and it is rolled back. No table of its own, so no migration.
WRITE_PROBE = text("UPDATE submissions SET id = id WHERE 1 = 0")


class DataDirError(Exception):
    """The data dir cannot hold the database and the secret key; the message names the path and the reason."""


@dataclass(frozen=True)
class Check:
    """One health check: its verdict and a sentence an operator can act on."""

    name: str
    ok: bool
    detail: str


def check_data_dir(data_dir: Path) -> None:
    """Make the data dir if needed and prove a file can be written in it. Raises DataDirError in one line."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not data_dir.is_dir():
            raise DataDirError(f"RNNLAB_DATA_DIR {data_dir} is not a directory")
        # os.access() says yes to root even on a read-only mount: only a real write tells.
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-") as probe:
            probe.write(b"x")
            probe.flush()
    except DataDirError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DataDirError(f"RNNLAB_DATA_DIR {data_dir} is not usable: {reason}") from None


def storage_failure(exc: BaseException) -> str | None:
    """A plain sentence when `exc` means the database cannot be written or reached right now (disk full, read-only,
    I/O error, unreachable), else None: such errors are the operator's to fix, not a bug to log as one."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if isinstance(code, int):
            return SQLITE_STORAGE.get(code & 0xFF)
        message = str(orig).lower()  # an sqlite3 module without error codes: SQLite's messages are fixed strings
        found = [SQLITE_STORAGE[code] for key, code in (("disk is full", 13), ("readonly", 8), ("disk i/o", 10))
                 if key in message]
        return found[0] if found else None
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        if state in PG_STORAGE:
            return PG_STORAGE[state]
        if state.startswith("08"):  # connection exception
            return "The database cannot be reached."
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "The database connection was lost."
    if isinstance(exc, OperationalError) and type(orig).__module__.startswith("psycopg") and state is None:
        # psycopg's failures to connect (server restarting, socket gone) carry no SQLSTATE: unreachable, not a bug.
        return "The database cannot be reached."
    return None


class StorageHealth:
    """Checks the database this process opened: it answers, takes writes, is the same file (or database) as at
    start, and (SQLite) its disk has room. Logs a check once when it fails and once when it recovers."""

    def __init__(self, database: Database) -> None:
        self.database = database
        url = make_url(database.url)
        self.sqlite_path: Path | None = None
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            self.sqlite_path = Path(url.database)
        self._identity = self._current_identity()
        self._failing: dict[str, str] = {}
        self._lock = threading.Lock()

    def _current_identity(self) -> tuple[int, ...] | None:
        """(st_dev, st_ino) of the SQLite file; the database's oid on PostgreSQL (a dropped and re-created database
        has a new one). None when it cannot be told."""
        if self.sqlite_path is not None:
            stat = os.stat(self.sqlite_path)  # raises FileNotFoundError when it is gone
            return (stat.st_dev, stat.st_ino)
        if self.database.engine.dialect.name == "postgresql":
            with self.database.engine.connect() as connection:
                oid = connection.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
                return (int(oid.scalar_one()),)
        return None

    def checks(self) -> list[Check]:
        found = [self._check_same(), self._check_writable()]
        if self.sqlite_path is not None:
            found.append(self._check_disk(self.sqlite_path.parent))
        self._log_changes(found)
        return found

    def _check_same(self) -> Check:
        name = "database_file" if self.sqlite_path is not None else "database_identity"
        try:
            now = self._current_identity()
        except FileNotFoundError:
            return Check(name, False, f"the database file {self.sqlite_path} was deleted while the server runs: "
                                      "writes go to a file nobody will see again; restore it and restart")
        except Exception as exc:  # noqa: BLE001 - any failure to look is a failed check, told in its detail
            return Check(name, False, f"cannot tell which database this is: {_one_line(exc)}")
        if now != self._identity:
            what = f"the database file {self.sqlite_path}" if self.sqlite_path else "the database"
            return Check(name, False, f"{what} was replaced while the server runs (it is not the one opened at "
                                      "start); restart the server to use the new one")
        return Check(name, True, "the database opened at start")

    def _check_writable(self) -> Check:
        try:
            with self.database.engine.connect() as connection:
                transaction = connection.begin()
                try:
                    connection.execute(WRITE_PROBE)
                finally:
                    transaction.rollback()
        except Exception as exc:  # noqa: BLE001 - a failed probe is the answer, not an error of this request
            return Check("database", False, storage_failure(exc) or f"the database failed: {_one_line(exc)}")
        return Check("database", True, "answers and takes writes")

    @staticmethod
    def _check_disk(folder: Path) -> Check:
        try:
            stat = os.statvfs(folder)
        except OSError as exc:
            return Check("disk", False, f"cannot read the free space of {folder}: {exc.strerror}")
        free = stat.f_bavail * stat.f_frsize
        if free < MIN_FREE_BYTES:
            return Check("disk", False, f"{free // 1024} KiB free in {folder}: writes will fail; free some space")
        return Check("disk", True, f"{free // (1024 * 1024)} MiB free")

    def _log_changes(self, checks: list[Check]) -> None:
        with self._lock:
            for check in checks:
                if not check.ok and check.name not in self._failing:
                    log.error("health check %s failed: %s", check.name, check.detail)
                elif check.ok and check.name in self._failing:
                    log.warning("health check %s passes again: %s", check.name, check.detail)
                if check.ok:
                    self._failing.pop(check.name, None)
                else:
                    self._failing[check.name] = check.detail


class FailureLog:
    """Logs each kind of storage failure at most once a minute: a full disk fails every request, and one line an
    operator reads beats a thousand they scroll past."""

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def report(self, message: str, where: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(message, -self.every_s) < self.every_s:
                return
            self._last[message] = now
        log.error("%s (%s); answering 503 until it is fixed", message, where)


def _one_line(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"
