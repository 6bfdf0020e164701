"""Organisation: enforcement items and authority, teams, officers, positions, patrol shifts, users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.ddl import create_spatial_index, drop_spatial_index
from store.types import Geometry, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _bbox() -> list[sa.Column]:
    return [sa.Column(name, sa.Float) for name in ("min_lon", "min_lat", "max_lon", "max_lat")]


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_en", sa.String, nullable=False),
        sa.Column("domain", sa.String, nullable=False),
        sa.Column("default_priority", sa.Integer, nullable=False),
        sa.Column("time_limit_hours", sa.Integer, nullable=False),
        sa.Column("legal_basis", sa.Text),
    )
    op.create_table(
        "item_authority",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code"), nullable=False),
        sa.Column("item_code", sa.String, sa.ForeignKey("items.code"), nullable=False),
        sa.Column("authority", sa.String, nullable=False),
        sa.Column("department", sa.String),
        sa.UniqueConstraint("township_code", "item_code"),
    )
    op.create_index("ix_item_authority_item_code", "item_authority", ["item_code"])
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_en", sa.String, nullable=False),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code")),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("department", sa.String, nullable=False),
        sa.Column("parent_code", sa.String, sa.ForeignKey("teams.code")),
        sa.Column("geom", Geometry("POINT"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_teams_township_code", "teams", ["township_code"])
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("team_code", sa.String, sa.ForeignKey("teams.code"), nullable=False),
        sa.Column("certified", sa.Boolean, nullable=False),
        sa.Column("certificate_no", sa.String),
        sa.Column("duty_pattern", sa.String),
        sa.Column("phone", sa.String),
    )
    op.create_index("ix_officers_team_code", "officers", ["team_code"])
    op.create_table(
        "team_positions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_code", sa.String, sa.ForeignKey("teams.code"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("source_crs", sa.String, nullable=False),
        sa.Column("geom", Geometry("POINT"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_team_positions_team_code_at", "team_positions", ["team_code", "at"])
    op.create_table(
        "patrol_shifts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("zone_code", sa.String(11), sa.ForeignKey("zones.code"), nullable=False),
        sa.Column("team_code", sa.String, sa.ForeignKey("teams.code"), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String, nullable=False),
    )
    op.create_index("ix_patrol_shifts_zone_code_starts_at", "patrol_shifts", ["zone_code", "starts_at"])
    op.create_index("ix_patrol_shifts_team_code_starts_at", "patrol_shifts", ["team_code", "starts_at"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String, nullable=False, unique=True),
        sa.Column("display_name", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code")),
        sa.Column("password_hash", sa.String, nullable=False),
    )
    for table in ("teams", "team_positions"):
        create_spatial_index(op, table)


def downgrade() -> None:
    for table in ("team_positions", "teams"):
        drop_spatial_index(op, table)
    for table in ("users", "patrol_shifts", "team_positions", "officers", "teams", "item_authority", "items"):
        op.drop_table(table)
