"""Casework: cases, their append-only audit trail, reports, and the quarantine of unusable records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.ddl import (
    create_append_only_guard,
    create_spatial_index,
    drop_append_only_guard,
    drop_spatial_index,
)
from store.types import Geometry, JSONDocument, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _bbox() -> list[sa.Column]:
    return [sa.Column(name, sa.Float) for name in ("min_lon", "min_lat", "max_lon", "max_lat")]


def _places() -> list[sa.Column]:
    return [
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code")),
        sa.Column("community_code", sa.String(12), sa.ForeignKey("communities.code")),
        sa.Column("zone_code", sa.String(11), sa.ForeignKey("zones.code")),
        sa.Column("cell_code", sa.String(15), sa.ForeignKey("cells.code")),
    ]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String, nullable=False, unique=True),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("item_code", sa.String, sa.ForeignKey("items.code")),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("address", sa.String),
        *_places(),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("deadline_at", UTCDateTime()),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("current_team_code", sa.String, sa.ForeignKey("teams.code")),
        sa.Column("supervised", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("geom", Geometry("POINT")),
        *_bbox(),
    )
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"])
    op.create_index("ix_cases_current_team_code", "cases", ["current_team_code"])
    op.create_index("ix_cases_township_code_status", "cases", ["township_code", "status"])
    op.create_index("ix_cases_status_deadline_at", "cases", ["status", "deadline_at"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("from_status", sa.String),
        sa.Column("to_status", sa.String),
        sa.Column("note", sa.Text),
        sa.Column("evidence", JSONDocument()),
        sa.UniqueConstraint("case_id", "seq"),
    )
    create_append_only_guard(op, "case_events")
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("external_id", sa.String, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("occurred_at", UTCDateTime()),
        sa.Column("category", sa.String),
        sa.Column("item_code", sa.String, sa.ForeignKey("items.code")),
        sa.Column("description", sa.Text),
        sa.Column("address", sa.String),
        sa.Column("reporter_name", sa.String),
        sa.Column("reporter_phone", sa.String),
        sa.Column("media", JSONDocument()),
        sa.Column("priority", sa.Integer),
        sa.Column("raw_payload", JSONDocument()),
        *_places(),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id")),
        sa.Column("geom", Geometry("POINT")),
        *_bbox(),
        sa.UniqueConstraint("channel", "external_id"),
    )
    op.create_index("ix_reports_received_at", "reports", ["received_at"])
    op.create_index("ix_reports_case_id", "reports", ["case_id"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("raw_payload", sa.LargeBinary, nullable=False),
        sa.Column("content_type", sa.String),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String, nullable=False, server_default="open"),
        sa.Column("fixed_at", UTCDateTime()),
        sa.Column("resubmitted_report_id", sa.Integer, sa.ForeignKey("reports.id")),
    )
    op.create_index("ix_quarantine_status_received_at", "quarantine", ["status", "received_at"])
    for table in ("cases", "reports"):
        create_spatial_index(op, table)


def downgrade() -> None:
    for table in ("reports", "cases"):
        drop_spatial_index(op, table)
    drop_append_only_guard(op, "case_events")
    for table in ("quarantine", "reports", "case_events", "cases"):
        op.drop_table(table)
