"""Migrations: an empty database and one made by the old create_all both reach head, and head is the models' schema."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text

from app import cli
from app.config import Settings
from app.database import Database
from app.main import create_app
from app.migrate import (
    BASELINE,
    DatabaseNotMigrated,
    UnknownSchema,
    ensure_schema,
    head_revision,
    schema_state,
    upgrade,
)
from app.store import Store
from app.tables import SCHEMA as metadata


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")


def schema_diff(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata))


def make_pre_alembic(database: Database) -> None:
    """What `Store(url)` did before Alembic: create_all of learners and submissions, then some history."""
    old = MetaData()
    for name in ("learners", "submissions"):
        metadata.tables[name].to_metadata(old)
    for later in ("attempt", "job_id"):  # added by revision 0005
        old.tables["submissions"]._columns.remove(old.tables["submissions"].c[later])
    old.create_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO learners (id, created) VALUES (7, :t)"), {"t": datetime.now(UTC)})
        connection.execute(text("INSERT INTO submissions (learner_id, lesson, code, status, created) "
                                "VALUES (7, 'lesson', 'x = 1', 'passed', :t)"), {"t": datetime.now(UTC)})


def test_an_empty_database_is_migrated_to_head_and_matches_the_models(database: Database) -> None:
    state = schema_state(database.engine)
    assert state.current is None and not state.pre_alembic and not state.up_to_date
    assert upgrade(database.engine).current == head_revision()
    assert schema_diff(database) == []
    assert upgrade(database.engine).up_to_date  # idempotent


def test_a_database_made_before_alembic_is_stamped_then_upgraded_keeping_its_rows(database: Database) -> None:
    make_pre_alembic(database)
    state = schema_state(database.engine)
    assert state.pre_alembic and state.current is None
    assert "before migrations" in state.describe()
    upgrade(database.engine)
    assert schema_state(database.engine).up_to_date
    assert schema_diff(database) == []
    store = Store(database)
    assert store.learner_exists(7) and store.progress(7)["lesson"].passed


def test_every_revision_downgrades_and_upgrades_again(database: Database) -> None:
    from alembic import command

    from app.migrate import _config

    upgrade(database.engine)
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), BASELINE)
    assert set(inspect(database.engine).get_table_names()) == {"alembic_version", "learners", "submissions"}
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "base")
    assert set(inspect(database.engine).get_table_names()) == {"alembic_version"}
    upgrade(database.engine)
    assert schema_diff(database) == []


def test_without_auto_migration_an_unmigrated_database_is_refused_with_the_command(database: Database) -> None:
    with pytest.raises(DatabaseNotMigrated, match=r"rnnlab db upgrade.*RNNLAB_MIGRATE_ON_START"):
        ensure_schema(database.engine, migrate=False)
    assert ensure_schema(database.engine, migrate=True).up_to_date
    assert ensure_schema(database.engine, migrate=False).up_to_date


def test_half_a_schema_or_an_unknown_revision_is_refused(database: Database, tmp_path: Path) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE learners (id INTEGER PRIMARY KEY)"))
    with pytest.raises(UnknownSchema, match="holds learners but not submissions"):
        upgrade(database.engine)
    newer = Database(f"sqlite:///{tmp_path / 'newer.sqlite3'}")
    upgrade(newer.engine)
    with newer.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(UnknownSchema, match="9999.*newer version"):
        ensure_schema(newer.engine, migrate=True)


def test_other_components_tables_are_left_alone(database: Database) -> None:
    with database.engine.begin() as connection:
        # e.g. a job queue's own tables (procrastinate makes and migrates its schema itself)
        connection.execute(text("CREATE TABLE procrastinate_jobs (id INTEGER PRIMARY KEY)"))
    assert upgrade(database.engine).up_to_date
    assert "procrastinate_jobs" in inspect(database.engine).get_table_names()


def test_the_lti_tables_are_part_of_the_migrated_schema(database: Database) -> None:
    upgrade(database.engine)
    tables = set(inspect(database.engine).get_table_names())
    assert {"lti_platforms", "lti_nonces", "lti_links", "lti_line_items", "lti_grade_targets", "lti_outbox"} <= tables


def test_the_app_migrates_sqlite_on_start_by_default_and_refuses_when_told_not_to(settings: Settings) -> None:
    assert settings.should_migrate_on_start()
    refusing = settings.model_copy(update={"migrate_on_start": False})
    with pytest.raises(DatabaseNotMigrated, match="rnnlab db upgrade"):
        create_app(refusing)
    create_app(settings)  # migrates
    create_app(refusing)  # now up to date: starts
    postgres = settings.model_copy(update={"database_url": "postgresql+psycopg://u:secret@db/rnnlab"})
    assert not postgres.should_migrate_on_start()


def test_serve_refuses_an_unmigrated_database_and_says_what_to_run(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in (("LESSONS_DIR", settings.lessons_dir), ("DATA_DIR", settings.data_dir),
                        ("POOL_SIZE", 0), ("MIGRATE_ON_START", "false")):
        monkeypatch.setenv(f"RNNLAB_{name}", str(value))
    assert cli.main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "cannot start" in err and "rnnlab db upgrade" in err
    assert cli.main(["db", "current"]) == 1
    assert "needs revision" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert f"to revision {head_revision()}" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert "already at revision" in capsys.readouterr().out
    assert cli.main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out
