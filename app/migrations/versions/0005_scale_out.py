"""Scale-out: a fencing attempt number on each submission, the live-event log every web replica reads, and (on
PostgreSQL only) procrastinate's job tables, the queue that grading hosts claim from.

`attempt` (on submissions and on regrade gradings) counts the times a grading was started; a result is recorded only by the attempt that is
still current, so a host presumed dead that finishes late cannot overwrite a newer result. `job_id` is the
procrastinate job that grades it (PostgreSQL), so a superseded or abandoned submission's job can be cancelled.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("job_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("gradings") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "submission_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_submission_events_submission_id", "submission_events", ["submission_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        from app.jobs.schema import procrastinate_schema_sql

        _run_script(procrastinate_schema_sql())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from app.jobs.schema import drop_procrastinate_sql

        _run_script(drop_procrastinate_sql())
    op.drop_table("submission_events")
    with op.batch_alter_table("gradings") as batch:
        batch.drop_column("attempt")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("job_id")
        batch.drop_column("attempt")


def _run_script(sql: str) -> None:
    # Straight to psycopg with no parameters, in the migration's transaction: the script's own '%' (PL/pgSQL RAISE
    # formats) must not be read as placeholders.
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    driver.execute(sql)  # type: ignore[attr-defined]
