"""The read queries, written once for both backends: tables in, (Geo)DataFrames out.

A spatial query selects the geometry as WKB (``ST_AsBinary`` on PostGIS, the stored BLOB on SQLite) and
decodes the whole column with one vectorised shapely call — no per-row objects on the way. A bounding box
goes through the backend's index (:meth:`store.backends.Backend.bbox_filter`); where that index only
prefilters (SQLite), the candidates are tested exactly here, so both backends return the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from store.backends import Backend, BBox
from store.errors import InvalidData
from store.types import WKBOut

CRS = "EPSG:4326"

TOWNSHIP_COLUMNS = ("code", "name", "name_en", "kind", "area_km2")
COMMUNITY_COLUMNS = ("code", "name", "official_name", "name_en", "kind", "township_code", "area_km2")
ZONE_COLUMNS = ("code", "name", "name_en", "township_code", "cell_count", "area_km2")
CELL_COLUMNS = ("code", "community_code", "township_code", "zone_code", "col", "row", "area_m2")
TEAM_COLUMNS = ("code", "name", "name_en", "township_code", "kind", "department", "parent_code")
OFFICER_COLUMNS = ("code", "name", "team_code", "certified", "certificate_no", "duty_pattern", "phone")


def check_bbox(bbox: Sequence[float] | None) -> BBox | None:
    """``bbox`` as four floats (min_lon, min_lat, max_lon, max_lat), or :class:`InvalidData`."""
    if bbox is None:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise InvalidData(f"bbox {bbox!r}: expected (min_lon, min_lat, max_lon, max_lat)") from exc
    if not (min_lon <= max_lon and min_lat <= max_lat):
        raise InvalidData(f"bbox {bbox!r}: min must not exceed max (min_lon, min_lat, max_lon, max_lat)")
    return min_lon, min_lat, max_lon, max_lat


def bbox_shape(bbox: BBox) -> shapely.Geometry:
    """The box as a geometry: a polygon, or a line or point when it has no width or height (a map click)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return shapely.envelope(shapely.multipoints([(min_lon, min_lat), (max_lon, max_lat)]))


def geo_frame(
    conn: Connection,
    backend: Backend,
    table: sa.Table,
    columns: Sequence[str],
    where: Sequence[sa.ColumnElement[bool]] = (),
    bbox: Sequence[float] | None = None,
    limit: int | None = None,
) -> gpd.GeoDataFrame:
    """Rows of a spatial table as a GeoDataFrame (EPSG:4326), ordered by code.

    Parameters
    ----------
    where
        Extra conditions (attribute filters).
    bbox
        Keep rows whose geometry intersects this lon/lat box (touching counts).
    limit
        At most this many rows, the first by code.
    """
    box = check_bbox(bbox)
    statement = (
        sa.select(*(table.c[name] for name in columns), WKBOut(table.c.geom).label("wkb"))
        .where(*where)
        .order_by(table.c.code)
    )
    refine = box is not None and backend.refines_in_python
    if box is not None:
        statement = statement.where(backend.bbox_filter(table, box))
    if limit is not None and not refine:
        statement = statement.limit(limit)
    result = conn.execute(statement)
    rows = result.all()
    data: dict[str, Any] = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    geoms = shapely.from_wkb(np.array([row[-1] for row in rows], dtype=object)) if rows else np.empty(0, object)
    frame = gpd.GeoDataFrame(pd.DataFrame(data, columns=list(columns)), geometry=gpd.GeoSeries(geoms, crs=CRS))
    if refine:
        frame = frame[shapely.intersects(frame.geometry.values, bbox_shape(box))]
        if limit is not None:
            frame = frame.head(limit)
        frame = frame.reset_index(drop=True)
    return frame


def frame(
    conn: Connection, table: sa.Table, columns: Sequence[str], where: Sequence[sa.ColumnElement[bool]] = ()
) -> pd.DataFrame:
    """Rows of a plain table as a DataFrame, ordered by code."""
    rows = conn.execute(sa.select(*(table.c[name] for name in columns)).where(*where).order_by(table.c.code)).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


def extent(conn: Connection, table: sa.Table) -> tuple[float, float, float, float] | None:
    """The lon/lat box around every row of ``table`` (from the bounding-box columns), None when empty."""
    row = conn.execute(
        sa.select(
            sa.func.min(table.c.min_lon), sa.func.min(table.c.min_lat),
            sa.func.max(table.c.max_lon), sa.func.max(table.c.max_lat),
        )
    ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def counts(conn: Connection, tables: Sequence[sa.Table]) -> dict[str, int]:
    """Rows per table, in one round trip."""
    counters = [
        sa.select(sa.func.count()).select_from(table).scalar_subquery().label(table.name) for table in tables
    ]
    row = conn.execute(sa.select(*counters)).one()
    return {table.name: int(value) for table, value in zip(tables, row, strict=True)}
