"""Schema migrations: where the database stands against the code's Alembic head, and bringing it there."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from app.database import display_url

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
BASELINE = "0001"  # the schema `create_all` made before Alembic: learners + submissions
PRE_ALEMBIC_TABLES = {"learners", "submissions"}
UPGRADE_COMMAND = "rnnlab db upgrade"


class SchemaError(Exception):
    """The database's schema is not the one this code needs (a level-2 error: the app refuses to start)."""


class DatabaseNotMigrated(SchemaError):
    """Migrations are pending and this process may not apply them."""


class UnknownSchema(SchemaError):
    """The database holds tables or a revision this code does not know."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None = no Alembic table), the code's head, and whether it predates
    Alembic (our tables made by `create_all`, no version table)."""

    current: str | None
    head: str
    pre_alembic: bool = False

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        if self.up_to_date:
            return f"at revision {self.current} (head): up to date"
        where = ("created before migrations existed (it will be stamped at the baseline, then upgraded)"
                 if self.pre_alembic else "empty" if self.current is None else f"at revision {self.current}")
        return f"{where}; this version of RNN Lab needs revision {self.head}"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "app/migrations/versions holds no revision"
    return head


def _state(connection: Connection) -> SchemaState:
    head = head_revision()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        tables = set(inspect(connection).get_table_names())
        if PRE_ALEMBIC_TABLES <= tables:
            return SchemaState(current=None, head=head, pre_alembic=True)
        if tables & PRE_ALEMBIC_TABLES:
            raise UnknownSchema(f"the database holds {', '.join(sorted(tables & PRE_ALEMBIC_TABLES))} but not "
                                f"{', '.join(sorted(PRE_ALEMBIC_TABLES - tables))} and no Alembic version: it is not "
                                "a schema RNN Lab made. Point RNNLAB_DATABASE_URL at an empty database or RNN Lab's own")
        # Other tables (another component's, on its own metadata) are left alone: the migrations only add ours.
        return SchemaState(current=None, head=head)
    try:
        ScriptDirectory.from_config(_config()).get_revision(current)
    except CommandError:
        raise UnknownSchema(f"the database is at revision {current!r}, which this version of RNN Lab does not know "
                            "(was it migrated by a newer version?)") from None
    return SchemaState(current=current, head=head)


def schema_state(engine: Engine) -> SchemaState:
    with engine.connect() as connection:
        return _state(connection)


def upgrade(engine: Engine) -> SchemaState:
    """Apply every pending migration (stamping a pre-Alembic database at the baseline first). Idempotent."""
    with engine.begin() as connection:
        state = _state(connection)
        if state.up_to_date:
            return state
        if state.pre_alembic:
            command.stamp(_config(connection), BASELINE)
        command.upgrade(_config(connection), "head")
    return schema_state(engine)


def ensure_schema(engine: Engine, migrate: bool) -> SchemaState:
    """The database at the code's head: migrated here when `migrate`, else DatabaseNotMigrated naming the command."""
    state = schema_state(engine)
    if state.up_to_date:
        return state
    if migrate:
        return upgrade(engine)
    raise DatabaseNotMigrated(
        f"the database {display_url(str(engine.url))} is {state.describe()}. Run `{UPGRADE_COMMAND}` (with the same "
        "RNNLAB_* settings) to migrate it, or set RNNLAB_MIGRATE_ON_START=true to migrate whenever the server starts.")
