"""The few schema objects Alembic's portable operations cannot express, per dialect.

Migrations call these helpers with their ``op`` so that each revision stays one file for both backends:

- a spatial index: a GiST index on ``geom`` in PostGIS; in SQLite (no SpatiaLite) an R*Tree virtual
  table ``<table>_rtree`` over the bounding-box columns, kept in step by three triggers;
- an append-only table: triggers that refuse UPDATE and DELETE (and TRUNCATE in PostgreSQL) with a
  message saying so.

Notes
-----
SQLite's R*Tree stores 32-bit floats rounded outwards, so it can only over-select: queries refine its
candidates with an exact shapely test.
"""

from __future__ import annotations

from typing import Any

RTREE_SUFFIX = "_rtree"


def rtree_name(table: str) -> str:
    """The SQLite R*Tree table that indexes ``table``'s bounding boxes."""
    return f"{table}{RTREE_SUFFIX}"


def create_spatial_index(op: Any, table: str) -> None:
    """Index ``table.geom`` for bounding-box search (GiST on PostGIS, R*Tree on SQLite)."""
    if _dialect(op) == "postgresql":
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")
        return
    rtree = rtree_name(table)
    op.execute(f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, min_lon, max_lon, min_lat, max_lat)")
    op.execute(
        f"""CREATE TRIGGER {table}_rtree_insert AFTER INSERT ON {table}
        WHEN new.min_lon IS NOT NULL BEGIN
          INSERT INTO {rtree} VALUES (new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat);
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER {table}_rtree_update AFTER UPDATE OF id, min_lon, min_lat, max_lon, max_lat
        ON {table} BEGIN
          DELETE FROM {rtree} WHERE id = old.id;
          INSERT INTO {rtree} SELECT new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat
            WHERE new.min_lon IS NOT NULL;
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER {table}_rtree_delete AFTER DELETE ON {table} BEGIN
          DELETE FROM {rtree} WHERE id = old.id;
        END"""
    )


def drop_spatial_index(op: Any, table: str) -> None:
    """Undo :func:`create_spatial_index` (before the table itself is dropped)."""
    if _dialect(op) == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_geom")
        return
    for action in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_rtree_{action}")
    op.execute(f"DROP TABLE IF EXISTS {rtree_name(table)}")


def append_only_message(table: str) -> str:
    """The error text a refused UPDATE or DELETE carries (tests and callers look for it)."""
    return f"{table} is append-only: the audit trail is never rewritten (append a correcting event instead)"


def create_append_only_guard(op: Any, table: str) -> None:
    """Make ``table`` append-only: UPDATE and DELETE (and PostgreSQL TRUNCATE) fail with a clear message."""
    message = append_only_message(table)
    if _dialect(op) == "postgresql":
        op.execute(
            f"""CREATE FUNCTION {table}_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';
            END $$"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()"""
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN
              SELECT RAISE(ABORT, '{message}');
            END"""
        )


def drop_append_only_guard(op: Any, table: str) -> None:
    """Undo :func:`create_append_only_guard`."""
    if _dialect(op) == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_change()")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def _dialect(op: Any) -> str:
    return op.get_bind().dialect.name
