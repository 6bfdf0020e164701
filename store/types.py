"""Column types that behave the same on SQLite and PostGIS: geometry, UTC times, JSON.

Python code sees shapely geometries and timezone-aware UTC datetimes on both backends; only the stored
form differs:

- ``Geometry``: ``geometry(<TYPE>, 4326)`` (GeoAlchemy2) on PostGIS; ISO WKB in a BLOB on SQLite (the
  stdlib sqlite3 here has no SpatiaLite);
- ``UTCDateTime``: ``timestamptz`` on PostGIS; ISO text ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC on SQLite;
- ``JSONDocument``: ``jsonb`` on PostGIS; JSON text on SQLite.

Geometry crosses the wire as WKB on both: a bind is wrapped in ``ST_GeomFromWKB(:p, 4326)`` and a selected
column in ``ST_AsBinary(col)`` on PostGIS, and left alone on SQLite (see :class:`WKBIn` / :class:`WKBOut`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import geoalchemy2
import shapely
from sqlalchemy import JSON, DateTime, LargeBinary
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import functions
from sqlalchemy.types import TypeDecorator

SRID = 4326


class WKBIn(functions.GenericFunction):
    """A WKB value turned into a stored geometry: ``ST_GeomFromWKB(x, 4326)`` on PostGIS, ``x`` elsewhere."""

    type = LargeBinary()
    inherit_cache = True
    name = "wkb_in"


class WKBOut(functions.GenericFunction):
    """A stored geometry read as ISO WKB bytes: ``ST_AsBinary(x)`` on PostGIS, ``x`` elsewhere."""

    type = LargeBinary()
    inherit_cache = True
    name = "wkb_out"


@compiles(WKBIn)
def _wkb_in_default(element: WKBIn, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(WKBIn, "postgresql")
def _wkb_in_postgis(element: WKBIn, compiler: Any, **kw: Any) -> str:
    return f"ST_GeomFromWKB({compiler.process(element.clauses, **kw)}, {SRID})"


@compiles(WKBOut)
def _wkb_out_default(element: WKBOut, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(WKBOut, "postgresql")
def _wkb_out_postgis(element: WKBOut, compiler: Any, **kw: Any) -> str:
    return f"ST_AsBinary({compiler.process(element.clauses, **kw)})"


class Geometry(TypeDecorator):
    """A lon/lat geometry (EPSG:4326) that Python sees as a shapely geometry.

    Parameters
    ----------
    geometry_type
        ``"POINT"``, ``"LINESTRING"``, ``"POLYGON"``, or ``"GEOMETRY"`` for any kind (used for areas that
        may be a Polygon or a MultiPolygon, so that what was loaded is what comes back, byte for byte).

    Notes
    -----
    On SQLite there is no spatial function at all: spatial filters go through the bounding-box columns
    and the R*Tree index (see :mod:`store.ddl`), then an exact shapely test.
    """

    impl = LargeBinary
    cache_ok = True
    # What GeoAlchemy2's DDL hooks ask of a geometry type: we create our own indexes (store.ddl).
    srid = SRID
    spatial_index = False
    use_typmod = None
    use_N_D_index = False

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        super().__init__()
        self.geometry_type = geometry_type.upper()

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect is None:  # GeoAlchemy2's DDL hooks probe types without a dialect
            return LargeBinary()
        if dialect.name == "postgresql":
            return dialect.type_descriptor(
                geoalchemy2.Geometry(self.geometry_type, srid=SRID, spatial_index=False)
            )
        return dialect.type_descriptor(LargeBinary())

    def bind_expression(self, bindvalue: Any) -> Any:
        return WKBIn(bindvalue)

    def column_expression(self, column: Any) -> Any:
        return WKBOut(column, type_=self)

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        if not isinstance(value, shapely.Geometry):
            raise TypeError(f"expected a shapely geometry or WKB bytes, got {type(value).__name__}")
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Any) -> shapely.Geometry | None:
        if value is None:
            return None
        data = getattr(value, "data", value)  # a GeoAlchemy2 WKBElement carries the bytes in .data
        return shapely.from_wkb(bytes(data) if isinstance(data, memoryview) else data)


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant, stored in UTC and returned as a UTC-aware ``datetime``.

    Notes
    -----
    A naive datetime is refused rather than guessed: a report's time from a channel in Asia/Shanghai
    and an officer's phone in UTC must not silently differ by eight hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone (times are stored in UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps the UTC wall time without an offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def JSONDocument() -> Any:  # noqa: N802 - reads like a type in the models
    """JSON: ``jsonb`` on PostgreSQL (indexable, compact), JSON text on SQLite."""
    return JSON().with_variant(JSONB(), "postgresql")
