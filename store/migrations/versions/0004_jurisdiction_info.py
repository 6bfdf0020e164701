"""Jurisdiction info: the seeded folder's manifest (name, demo or real boundaries, grid, checksums) in one row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Notes
-----
A store seeded before this revision gets an empty table: it cannot know which folder it was seeded from,
so :meth:`store.Store.jurisdiction_info` tells its user to seed a fresh store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.types import JSONDocument, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jurisdiction",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("demo_boundaries", sa.Boolean, nullable=False),
        sa.Column("metric_crs", sa.String, nullable=False),
        sa.Column("cell_size_m", sa.Float, nullable=False),
        sa.Column("generator", sa.String),
        sa.Column("seed", sa.BigInteger),
        sa.Column("counts", JSONDocument(), nullable=False),
        sa.Column("files", JSONDocument(), nullable=False),
        sa.Column("seeded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_jurisdiction_one_row"),  # the models' naming convention
    )


def downgrade() -> None:
    op.drop_table("jurisdiction")
