"""Intake: where a report came from, how it was located, why it joined its case; quarantine made re-readable.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

``reports`` gains what the ingest pipeline knows about each report:

- ``source_ref`` (JSON: file, row or record, sheet) and ``notes`` (JSON list: what normalising and locating
  did), ``reporter_id`` (a grid worker's, supervisor's or officer's staff number);
- the location as the channel gave it: ``original_x``, ``original_y``, ``original_crs`` and the channel's
  own grid cell ``channel_cell_code`` (not a foreign key: a channel may name a cell we do not have);
- how it was located: ``location_status`` (located, geocoded, needs_manual, placed), ``location_confidence``,
  and for the manual-location queue (``location_status = 'needs_manual'``, indexed with the reception time)
  the ``location_reason`` and the ``location_candidates`` (JSON);
- ``link_reason`` (JSON): why it belongs to its case — it opened it, joined it as a duplicate (distance,
  minutes, text similarity, score) or was split off or placed by an operator.

``quarantine`` gains ``source_ref`` (JSON), ``external_id``, a readable ``record`` (JSON), the ``stage`` that
refused it (parse, locate, store) and a ``fingerprint`` (sha256 of channel, source and raw bytes) with a
unique index: re-importing the same file does not quarantine the same bad row twice.

Notes
-----
Plain columns only, added in place on both backends (SQLite keeps the reports' R*Tree triggers); the unique
fingerprint is a unique index, which SQLite can add without rebuilding the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.types import JSONDocument

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _report_columns() -> list[sa.Column]:
    return [
        sa.Column("source_ref", JSONDocument()),
        sa.Column("notes", JSONDocument()),
        sa.Column("reporter_id", sa.String),
        sa.Column("channel_cell_code", sa.String),
        sa.Column("original_x", sa.Float),
        sa.Column("original_y", sa.Float),
        sa.Column("original_crs", sa.String),
        sa.Column("location_status", sa.String),
        sa.Column("location_confidence", sa.Float),
        sa.Column("location_reason", sa.Text),
        sa.Column("location_candidates", JSONDocument()),
        sa.Column("link_reason", JSONDocument()),
    ]


def _quarantine_columns() -> list[sa.Column]:
    return [
        sa.Column("source_ref", JSONDocument()),
        sa.Column("external_id", sa.String),
        sa.Column("record", JSONDocument()),
        sa.Column("stage", sa.String, nullable=False, server_default="parse"),
        sa.Column("fingerprint", sa.String),
    ]


def upgrade() -> None:
    for column in _report_columns():
        op.add_column("reports", column)
    op.create_index("ix_reports_location_status_received_at", "reports", ["location_status", "received_at"])
    for column in _quarantine_columns():
        op.add_column("quarantine", column)
    op.create_index("ix_quarantine_fingerprint", "quarantine", ["fingerprint"], unique=True)
    op.create_index("ix_quarantine_channel_external_id", "quarantine", ["channel", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_channel_external_id", "quarantine")
    op.drop_index("ix_quarantine_fingerprint", "quarantine")
    for column in reversed(_quarantine_columns()):
        op.drop_column("quarantine", column.name)
    op.drop_index("ix_reports_location_status_received_at", "reports")
    for column in reversed(_report_columns()):
        op.drop_column("reports", column.name)
