"""Grading history and regrades: every grading of a submission is kept, with the grader and lesson versions it was
made with; an instructor's regrade of a lesson is a row whose work items are queued gradings.

Each finished submission's report becomes its first history row (versions "unknown": they were not recorded).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regrades",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lesson", sa.String(100), nullable=False),
        sa.Column("requested_by", sa.String(254), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_regrades_lesson", "regrades", ["lesson", "id"])
    op.create_table(
        "gradings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("regrade_id", sa.Integer(), sa.ForeignKey("regrades.id", ondelete="CASCADE"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("grader_version", sa.String(80), nullable=False),
        sa.Column("lesson_version", sa.String(80), nullable=False),
        sa.Column("graded", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_gradings_submission_id", "gradings", ["submission_id", "id"])
    op.create_index("ix_gradings_regrade_id", "gradings", ["regrade_id", "status"])
    op.create_index("ix_gradings_status_id", "gradings", ["status", "id"])
    op.execute(
        "INSERT INTO gradings (submission_id, regrade_id, status, score, report, grader_version, lesson_version, graded) "
        "SELECT id, NULL, status, score, report, 'unknown', 'unknown', COALESCE(finished, created) "
        "FROM submissions WHERE status NOT IN ('queued', 'running') ORDER BY id")


def downgrade() -> None:
    op.drop_table("gradings")
    op.drop_table("regrades")
