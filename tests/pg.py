"""A throwaway PostgreSQL cluster for the tests: initdb into a temp dir, a Unix socket, one database per test.

initdb takes seconds, so one cluster serves a whole pytest session (tests/conftest.py); a fresh database (a copy of
a template, milliseconds) keeps tests from seeing each other's rows. scripts/setup.sh installs PostgreSQL, so a
cluster that cannot start is a failed set-up, never a reason to skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

PG_BIN = Path("/usr/lib/postgresql/15/bin")
TIMEOUT_S = 120
# Runs beside the tests and outlives them: when they end however they end (even SIGKILLed by a CI timeout), its
# stdin closes and it stops the cluster and deletes it, so no server is left running in RAM.
_WATCHDOG = """
import shutil, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.stdin.buffer.read()
subprocess.run(sys.argv[2:], capture_output=True, timeout=60)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


class PgUnavailable(Exception):
    """The cluster could not be made or started; the message says why."""


def _bin(name: str) -> str | None:
    return shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).exists() else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scratch_dir() -> str | None:
    # In RAM when we can: on a disk shared with other work, copying a database template took 300 ms instead of 15.
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


class PgCluster:
    """One running cluster: its data dir, socket dir and port, and the pg_ctl that starts and stops it."""

    def __init__(self, folder: Path, port: int, pg_ctl: str, as_user: list[str]) -> None:
        self.folder, self.port, self.pg_ctl, self.as_user = folder, port, pg_ctl, as_user
        self.data = folder / "data"
        self.log = folder / "log"
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(folder), *self._stop_command("immediate")], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    @classmethod
    def create(cls) -> PgCluster:
        """initdb a new cluster in a temp dir and start it. Raises PgUnavailable."""
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise PgUnavailable("PostgreSQL's initdb/pg_ctl are not installed: run scripts/setup.sh "
                                "(apt-get install postgresql)")
        # initdb refuses to run as root: run the cluster as the postgres user when we are root.
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_user and shutil.which("runuser") is None:
            raise PgUnavailable("running as root without runuser (util-linux), which initdb needs to run as postgres")
        folder = Path(tempfile.mkdtemp(prefix="rnnlab-pg-", dir=_scratch_dir()))
        if as_user:
            shutil.chown(folder, "postgres")
        cluster = cls(folder, _free_port(), pg_ctl, as_user)
        try:
            cluster._run(initdb, "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "--no-sync")
            cluster.start()
        except PgUnavailable:
            cluster.close()
            raise
        return cluster

    def _run(self, *args: str) -> None:
        try:
            subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=TIMEOUT_S)
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PgUnavailable(f"{' '.join(args[:2])} failed: {exc.stderr.decode(errors='replace')}{log}") from exc
        except (subprocess.TimeoutExpired, OSError) as exc:
            raise PgUnavailable(f"{' '.join(args[:2])} failed: {exc}") from exc

    def _ctl(self, *args: str) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-w", "-l", str(self.log), *args)

    # -- the server's life, for fault tests
    def start(self) -> None:
        # fsync off only spares the disk: a killed server still loses no committed row (the OS has the WAL).
        self._ctl("-o", f"-k {self.folder} -p {self.port} -c listen_addresses='' -c fsync=off", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")  # -w: returns once the server is down

    def restart(self) -> None:
        """Every open connection is cut (clients see it on their next statement); the data stays."""
        self._ctl("-m", "fast", "restart")

    def _stop_command(self, mode: str) -> list[str]:
        return [*self.as_user, self.pg_ctl, "-D", str(self.data), "-m", mode, "stop"]

    def close(self) -> None:
        """Stop the cluster (best effort) and delete it."""
        subprocess.run(self._stop_command("immediate"), capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._watchdog.stdin is not None:
            self._watchdog.stdin.close()
        self._watchdog.wait(60)

    # -- databases
    def url(self, dbname: str = "postgres") -> str:
        """The SQLAlchemy URL of one database of this cluster."""
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.folder}&port={self.port}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        # CREATE/DROP DATABASE refuse to run inside a transaction.
        return psycopg.connect(host=str(self.folder), port=self.port, user="postgres", dbname="postgres",
                               autocommit=True)

    def new_database(self, template: str | None = None) -> str:
        """Create an empty database `t_<uuid>` (a copy of `template` when given) and return its name."""
        name = f"t_{uuid.uuid4().hex}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # FILE_COPY beats the default WAL_LOG for a small template (checkpoints are cheap without fsync).
            statement = sql.SQL("{} TEMPLATE {} STRATEGY FILE_COPY").format(statement, sql.Identifier(template))
        with self._admin() as admin:
            admin.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a test that left a connection open must not keep its database alive.
        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    @contextmanager
    def database(self, template: str | None = None) -> Iterator[str]:
        """A fresh database for one test: its URL, dropped afterwards."""
        name = self.new_database(template)
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)
