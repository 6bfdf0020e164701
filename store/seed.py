"""Load a checked jurisdiction into an empty store, in one transaction, at bulk-load speed.

The rows are built once, as tuples in table-column order, with the geometry encoded the way the backend
writes it fastest (WKB for SQLite's ``executemany``, hex EWKB for PostGIS ``COPY``) and the bounding box
computed by shapely for the whole array at once. A failure anywhere rolls the whole seed back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from store.backends import Backend
from store.errors import Conflict
from store.jurisdiction import Jurisdiction, TableRows
from store.models import Township

BBOX_COLUMNS = ("min_lon", "min_lat", "max_lon", "max_lat")


def load_jurisdiction(conn: Connection, backend: Backend, jurisdiction: Jurisdiction) -> dict[str, int]:
    """Write every table of ``jurisdiction`` through ``conn`` (inside its transaction); rows per table.

    Raises :class:`Conflict` when the store already holds a jurisdiction: seeding never merges.
    """
    backend.lock_for_seed(conn)
    if conn.execute(sa.select(sa.exists().select_from(Township))).scalar():
        raise Conflict(
            "the store already holds a jurisdiction (townships exist): seed only an empty store "
            f"({backend.describe()})"
        )
    loaded: dict[str, int] = {}
    for rows in jurisdiction.tables.values():
        columns, tuples = table_tuples(rows, backend)
        backend.bulk_insert(conn, rows.table, columns, tuples)
        loaded[rows.table] = len(rows)
    return loaded


def table_tuples(rows: TableRows, backend: Backend) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The column names and row tuples of one table, geometry encoded for ``backend``."""
    columns = list(rows.columns)
    values = [rows.columns[name] for name in columns]
    if rows.geoms is not None:
        columns += ["geom", *BBOX_COLUMNS]
        bounds = shapely.bounds(rows.geoms)
        values += [backend.encode_geometries(rows.geoms), *(bounds[:, i].tolist() for i in range(4))]
    return columns, zip(*values, strict=True)
