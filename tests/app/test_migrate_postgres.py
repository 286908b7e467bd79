"""The migrations on PostgreSQL too: an empty database of the session's throwaway cluster (tests/pg.py) to head; and
that cluster's restart, which fault tests rely on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import OperationalError

from app.accounts import Accounts
from app.database import Database
from app.jobs.schema import include_in_comparison
from app.migrate import head_revision, schema_state, upgrade
from app.sessions import Sessions
from app.store import Store
from app.tables import SCHEMA as metadata
from tests.pg import PgCluster


def test_postgres_is_migrated_to_exactly_the_models_schema_and_works(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        assert schema_state(database.engine).current is None  # really empty: the migrations make every table
        assert upgrade(database.engine).current == head_revision()
        assert schema_state(database.engine).up_to_date
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_name": include_in_comparison})
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


def test_the_cluster_restarts_and_stops_keeping_committed_rows(pg_cluster: PgCluster, pg_migrated_template: str) -> None:
    with pg_cluster.database(template=pg_migrated_template) as url:
        database = Database(url)
        try:
            store = Store(database)
            learner = store.create_learner()
            pg_cluster.restart()
            assert store.learner_exists(learner)  # the cut connection is replaced (pool_pre_ping), the row kept
            pg_cluster.stop()
            with pytest.raises(OperationalError):
                store.create_learner()
            pg_cluster.start()
            assert store.learner_exists(learner) and store.create_learner() == learner + 1
        finally:
            database.close()
