"""The four analytics tables: searches, recommends, clicks, feedback.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _common() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "searches", *_common(),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("restored", sa.Text(), nullable=False),
        sa.Column("accented", sa.Boolean(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("no_match", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("result_ids", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
    )
    op.create_index("ix_searches_at", "searches", ["at"])
    op.create_index("ix_searches_no_match", "searches", ["no_match"])
    op.create_table(
        "recommends", *_common(),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("item_id", sa.String(200), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("result_ids", sa.JSON(), nullable=False),
    )
    op.create_index("ix_recommends_at", "recommends", ["at"])
    op.create_table(
        "clicks", *_common(),
        sa.Column("session", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("item_id", sa.String(200), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
    )
    op.create_index("ix_clicks_at", "clicks", ["at"])
    op.create_index("ix_clicks_item_id", "clicks", ["item_id"])
    op.create_table(
        "feedback", *_common(),
        sa.Column("session", sa.String(64), nullable=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_feedback_at", "feedback", ["at"])


def downgrade() -> None:
    for table in ("feedback", "clicks", "recommends", "searches"):
        op.drop_table(table)
