"""Alembic's entry point: runs the migrations on the connection app.migrate hands over (or on sqlalchemy.url)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from app.database import make_engine
from app.jobs.schema import include_in_comparison
from app.tables import SCHEMA as metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the plain `alembic` command: build the engine the app would
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as own:
            _run(own)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: Connection) -> None:
    # Batch mode lets later revisions alter SQLite tables (it copies them) and is a no-op elsewhere.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True,
                      include_name=include_in_comparison)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `rnnlab db upgrade`")
run_migrations_online()
