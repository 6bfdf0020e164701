"""Closed loop: cases cache their state, events keep role/address/payload, users know their team.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

- ``case_events`` gains ``role``, ``client_address`` and ``payload`` (JSON): with them an event holds all
  that :func:`cases.replay.replay` needs. ``(case_id, seq)`` has been unique since 0003. The append-only
  guard (:func:`store.ddl.create_append_only_guard`) stays: ADD COLUMN is DDL, not an UPDATE;
- ``cases`` gains ``version`` (optimistic concurrency) and the columns the KPIs aggregate: step times,
  counters, extension state, lateness flags, channel, transferred-to department (see ``store.models.Case``);
- ``users`` gains ``team_code``, ``department`` and ``officer_code`` (what ``cases.permissions.Actor`` needs);
- indexes for the KPI queries: cases by township and opening time, by closing time; reports by township
  and reception time; events by actor and time, and by time.

Notes
-----
SQLite cannot add a column with a foreign key in place: ``users`` is rebuilt by Alembic's batch mode (it
carries no trigger). ``cases`` and ``case_events`` only get plain columns, added in place, so their
R*Tree and append-only triggers are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import NAMING_CONVENTION
from store.types import JSONDocument, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STEP_TIMES = ("accepted_at", "rejected_at", "dispatched_at", "transferred_at", "arrived_at", "handled_at",
              "verified_at", "archived_at")
COUNTERS = ("version", "supervision_level", "rework_count", "redispatch_count", "transfer_count",
            "extension_count")


def _case_columns() -> list[sa.Column]:
    return [
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in COUNTERS),
        sa.Column("channel", sa.String),
        sa.Column("department", sa.String),
        sa.Column("updated_at", UTCDateTime()),
        sa.Column("extension", sa.String, nullable=False, server_default="none"),
        sa.Column("extended_hours", sa.Float, nullable=False, server_default="0"),
        *(sa.Column(name, UTCDateTime()) for name in STEP_TIMES),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("handled_late", sa.Boolean),
    ]


def upgrade() -> None:
    for column in _case_columns():
        op.add_column("cases", column)
    op.create_index("ix_cases_township_code_opened_at", "cases", ["township_code", "opened_at"])
    op.create_index("ix_cases_closed_at", "cases", ["closed_at"])
    op.add_column("case_events", sa.Column("role", sa.String))
    op.add_column("case_events", sa.Column("client_address", sa.String))
    op.add_column("case_events", sa.Column("payload", JSONDocument()))
    op.create_index("ix_case_events_actor_at", "case_events", ["actor", "at"])
    op.create_index("ix_case_events_at", "case_events", ["at"])
    op.create_index("ix_reports_township_code_received_at", "reports", ["township_code", "received_at"])
    with op.batch_alter_table("users", naming_convention=NAMING_CONVENTION) as users:
        users.add_column(sa.Column("team_code", sa.String, sa.ForeignKey("teams.code")))
        users.add_column(sa.Column("department", sa.String))
        users.add_column(sa.Column("officer_code", sa.String, sa.ForeignKey("officers.code")))


def downgrade() -> None:
    with op.batch_alter_table("users", naming_convention=NAMING_CONVENTION) as users:
        for name in ("officer_code", "department", "team_code"):
            users.drop_column(name)
    op.drop_index("ix_reports_township_code_received_at", "reports")
    for name in ("ix_case_events_at", "ix_case_events_actor_at"):
        op.drop_index(name, "case_events")
    for name in ("payload", "client_address", "role"):
        op.drop_column("case_events", name)
    for name in ("ix_cases_closed_at", "ix_cases_township_code_opened_at"):
        op.drop_index(name, "cases")
    for column in reversed(_case_columns()):
        op.drop_column("cases", column.name)
