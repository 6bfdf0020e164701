"""Load a checked jurisdiction into an empty store, in one transaction, at bulk-load speed.

The rows are built once, as tuples in table-column order, with the geometry encoded the way the backend
writes it fastest (WKB for SQLite's ``executemany``, hex EWKB for PostGIS ``COPY``) and the bounding box
computed by shapely for the whole array at once. The manifest's facts go into the one ``jurisdiction`` row
in the same transaction. A failure anywhere rolls the whole seed back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from store.backends import Backend
from store.errors import Conflict
from store.jurisdiction import Jurisdiction, TableRows
from store.models import JurisdictionInfo, Township

BBOX_COLUMNS = ("min_lon", "min_lat", "max_lon", "max_lat")


def load_jurisdiction(
    conn: Connection, backend: Backend, jurisdiction: Jurisdiction, seeded_at: datetime
) -> dict[str, int]:
    """Write every table of ``jurisdiction`` and its manifest row through ``conn`` (inside its
    transaction); rows per table of the folder's layers.

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
    conn.execute(sa.insert(JurisdictionInfo).values(info_row(jurisdiction.manifest, seeded_at)))
    return loaded


def info_row(manifest: dict[str, Any], seeded_at: datetime) -> dict[str, Any]:
    """The ``jurisdiction`` row for a checked manifest (see :func:`store.jurisdiction.read_jurisdiction`)."""
    return {
        "id": 1,
        "name": manifest["name"],
        "demo_boundaries": manifest["demo_boundaries"],
        "metric_crs": manifest["metric_crs"],
        "cell_size_m": float(manifest["cell_size_m"]),
        "generator": manifest.get("generator"),
        "seed": manifest.get("seed"),
        "counts": manifest.get("counts", {}),
        "files": manifest["files"],
        "seeded_at": seeded_at,
    }


def table_tuples(rows: TableRows, backend: Backend) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The column names and row tuples of one table, geometry encoded for ``backend``."""
    columns = list(rows.columns)
    values = [rows.columns[name] for name in columns]
    if rows.geoms is not None:
        columns += ["geom", *BBOX_COLUMNS]
        bounds = shapely.bounds(rows.geoms)
        values += [backend.encode_geometries(rows.geoms), *(bounds[:, i].tolist() for i in range(4))]
    return columns, zip(*values, strict=True)
