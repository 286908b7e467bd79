"""Shared fixtures: the repository's lessons, one warm sandboxed worker pool and one throwaway PostgreSQL cluster per
test session, and a migrated database of each backend per test."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.database import Database
from app.migrate import upgrade
from graders import LessonGrading, SandboxConfig, WorkerPool, load_grading
from tests.pg import PgCluster, PgUnavailable

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"


@pytest.fixture(scope="session")
def lstm_lesson() -> LessonGrading:
    return load_grading(LESSONS / "lstm-sequence-prediction")


@pytest.fixture(scope="session")
def pool() -> Iterator[WorkerPool]:
    """Real isolation: bubblewrap + seccomp + cgroups, as an unprivileged uid (see graders/sandbox.py)."""
    pool = WorkerPool(SandboxConfig(python=sys.executable), size=2)
    pool.start()
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One throwaway PostgreSQL cluster per session (initdb takes seconds); fault tests may restart it."""
    try:
        cluster = PgCluster.create()
    except PgUnavailable as exc:
        pytest.fail(f"could not start a PostgreSQL cluster: {exc}")
    yield cluster
    cluster.close()


@pytest.fixture
def postgres_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no tables), dropped after the test."""
    with pg_cluster.database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated_template(pg_cluster: PgCluster) -> str:
    """A PostgreSQL database migrated to head once per session, to be copied (CREATE DATABASE ... TEMPLATE)."""
    name = pg_cluster.new_database()
    template = Database(pg_cluster.url(name))
    upgrade(template.engine)
    template.close()  # a template with a connection open cannot be copied
    return name


@pytest.fixture(scope="session")
def sqlite_migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per session, to be copied."""
    path = tmp_path_factory.mktemp("sqlite-template") / "db.sqlite3"
    template = Database(f"sqlite:///{path}")
    upgrade(template.engine)
    template.close()  # the last connection out checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of each backend migrated to head (by app.migrate.upgrade, once per session: each test gets a copy,
    a few milliseconds on SQLite and about 60 on PostgreSQL), private to the test and dropped after it."""
    if request.param == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.close()
        return
    # Looked up only here, so a run of the SQLite half alone never starts PostgreSQL.
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    with cluster.database(template=request.getfixturevalue("pg_migrated_template")) as url:
        database = Database(url)
        yield database
        database.close()
