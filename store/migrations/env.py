"""Alembic environment: runs the revisions on the connection the store hands over.

There is no alembic.ini: :mod:`store.migrate` builds the configuration in code and passes the store's
own connection (with its SQLite pragmas) in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through store.migrate (python -m store upgrade), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
