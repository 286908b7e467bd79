"""procrastinate's tables in our database: applied by migration 0005 on PostgreSQL (the embedded SQLite default has no
job engine), so `rnnlab db upgrade` is the one command that readies a database."""

from __future__ import annotations

from importlib import resources

PROCRASTINATE_PREFIX = "procrastinate_"


def procrastinate_schema_sql() -> str:
    """The schema of the installed procrastinate (pinned in pyproject.toml: a new minor needs its migration files)."""
    return (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")


def drop_procrastinate_sql() -> str:
    return ("DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers CASCADE; "
            "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, "
            "procrastinate_job_status CASCADE;")


def is_procrastinate_object(name: str | None) -> bool:
    """procrastinate's own tables: the migrations' model comparison leaves them out (they are not in app.tables)."""
    return bool(name) and str(name).startswith(PROCRASTINATE_PREFIX)


def include_in_comparison(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic's include_name: procrastinate's tables (PostgreSQL) come from its schema file, not from app.tables."""
    return not (type_ == "table" and is_procrastinate_object(name))
