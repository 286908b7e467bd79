"""The migrations on PostgreSQL too: a throwaway cluster (initdb + pg_ctl on a Unix socket) the test starts itself.

scripts/setup.sh installs PostgreSQL, so a missing server is a failed set-up, not a reason to skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.accounts import Accounts
from app.database import Database
from app.migrate import head_revision, schema_state, upgrade
from app.sessions import Sessions
from app.store import Store
from app.tables import SCHEMA as metadata

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _bin(name: str) -> str | None:
    return shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).exists() else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL's initdb/pg_ctl are not installed: run scripts/setup.sh (apt-get install postgresql)")
    # initdb refuses to run as root: run the cluster as the postgres user when we are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user and shutil.which("runuser") is None:
        pytest.fail("running as root without runuser (util-linux), which initdb needs to run as postgres")
    folder = Path(tempfile.mkdtemp(prefix="rnnlab-pg-"))
    if as_user:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                       capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
                        f"-k {folder} -p {port} -c listen_addresses=''", "start"], check=True, capture_output=True,
                       timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL cluster: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgres_is_migrated_to_exactly_the_models_schema_and_works(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        assert upgrade(database.engine).current == head_revision()
        assert schema_state(database.engine).up_to_date
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        store = Store(database)
        accounts = Accounts(database, store)
        user = accounts.create("ada@example.org", "correct horse battery")
        anonymous = store.create_learner()
        store.add_submission(anonymous, "a", "x = 1")
        assert accounts.claim(user, anonymous) == 1
        sessions = Sessions(database, timedelta(days=1))
        token = sessions.start(user)
        assert accounts.set_password("ada@example.org", "another passphrase") == 1
        assert sessions.user_for(token) is None
        accounts.delete(user)
        assert store.all_submissions(user.learner_id) == []
    finally:
        database.close()
