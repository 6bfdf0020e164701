"""KPIs: the cases index by township and opening time carries the columns the KPIs read (PostgreSQL).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

``ix_cases_township_code_opened_at`` (since 0005) is rebuilt on PostgreSQL with ``INCLUDE`` of every column
:mod:`store.kpis` reads for the cases KPIs (status, deadline, step times, counters, lateness flags). The KPIs
of a township over a period are then one range of this index, read by an index-only scan already in
township order: no heap page and no sort of the rows (see ``store.kpis._parts``). Same name and key, so
nothing else changes; an UPDATE of a case row already touches the indexes on ``status`` and
``deadline_at``, so the wider entry adds little to a transition.

Notes
-----
SQLite has no ``INCLUDE``: there the index stays as it is and this revision changes nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME = "ix_cases_township_code_opened_at"
KPI_COLUMNS = ("status", "deadline_at", "accepted_at", "rejected_at", "dispatched_at", "arrived_at", "handled_at",
               "verified_at", "closed_at", "redispatch_count", "rework_count", "extension_count", "transfer_count",
               "late", "handled_late")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, "cases")
    op.create_index(NAME, "cases", ["township_code", "opened_at"], postgresql_include=list(KPI_COLUMNS))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, "cases")
    op.create_index(NAME, "cases", ["township_code", "opened_at"])
