"""Accounts: users can be deactivated, and say when they were created and last signed in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

``users`` (since 0002: username unique, display name, role, township scope, password hash; since 0005:
team, department, officer code) gains what signing in needs:

- ``active`` (not null, default true): a deactivated account cannot sign in and its sessions end;
- ``created_at`` (not null; accounts made before this revision get the time of the upgrade);
- ``last_login_at`` (null until the first sign-in).

Notes
-----
``created_at`` defaults to ``CURRENT_TIMESTAMP`` (UTC on both backends), which also fills the accounts that
exist at the upgrade. SQLite cannot add a column with a non-constant default in place: ``users`` is rebuilt
by Alembic's batch mode, as in 0005 (it carries no trigger); PostgreSQL adds the columns in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import NAMING_CONVENTION
from store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", naming_convention=NAMING_CONVENTION) as users:
        users.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        users.add_column(sa.Column("created_at", UTCDateTime(), nullable=False,
                                   server_default=sa.func.current_timestamp()))
        users.add_column(sa.Column("last_login_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("users", naming_convention=NAMING_CONVENTION) as users:
        for name in ("last_login_at", "created_at", "active"):
            users.drop_column(name)
