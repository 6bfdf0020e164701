"""The two backends — embedded SQLite and PostGIS — and how ``DATABASE_URL`` picks one.

Everything the backends share (tables, queries, seeding logic) lives elsewhere and is written once; a
backend only says what differs:

- how to connect (SQLite pragmas; PostgreSQL driver and pool),
- how geometry is encoded for a bulk load (WKB bytes for ``executemany`` / hex EWKB for ``COPY``),
- how a bounding box filters a spatial table (R*Tree + exact shapely test / GiST ``ST_Intersects``),
- how rows are bulk-loaded (``executemany`` / ``COPY``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from store.ddl import rtree_name
from store.errors import StoreError
from store.types import SRID

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_PATH = REPO_ROOT / "data" / "command_center.sqlite"

BBox = tuple[float, float, float, float]
WRITE_OPTION = "store_writes"
"""Execution option of a connection whose transaction will write after reading (see :meth:`Store.transaction`)."""


class Backend:
    """What differs between the stores; one instance per :class:`store.Store`."""

    name: ClassVar[str]
    refines_in_python: ClassVar[bool]
    """True when :meth:`bbox_filter` only prefilters and the caller must test geometries exactly."""

    def __init__(self, url: URL) -> None:
        self.url = url

    def create_engine(self) -> Engine:
        raise NotImplementedError

    def encode_geometries(self, geoms: np.ndarray) -> Sequence[Any]:
        """Geometries in the form :meth:`bulk_insert` writes into a ``geom`` column."""
        raise NotImplementedError

    def bbox_filter(self, table: sa.Table, bbox: BBox) -> sa.ColumnElement[bool]:
        """A WHERE clause selecting the rows of ``table`` whose geometry may meet ``bbox``."""
        raise NotImplementedError

    def bulk_insert(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """Append ``rows`` (tuples in ``columns`` order, geometry already encoded) inside ``conn``'s
        transaction, as fast as the driver allows."""
        raise NotImplementedError

    def lock_for_seed(self, conn: Connection) -> None:
        """Keep a second seeder out until this transaction ends."""

    def describe(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.url.render_as_string(hide_password=True)


class SqliteBackend(Backend):
    """An embedded SQLite file: WAL, foreign keys on, geometry as WKB, R*Tree bbox index.

    Notes
    -----
    The stdlib ``sqlite3`` here cannot load SpatiaLite, so SQLite never computes with geometry: the
    R*Tree (kept by triggers from the bounding-box columns) narrows a bbox query and shapely decides.
    """

    name = "sqlite"
    refines_in_python = True

    def create_engine(self) -> Engine:
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(self.url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see "begin" below):
            # the module's legacy implicit transactions would otherwise commit around DDL and SAVEPOINTs.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            # A writer that reads first (a case transition) takes the write lock at BEGIN: in WAL mode a
            # read transaction that later tries to write after another commit fails with "database is
            # locked" instead of waiting, while BEGIN IMMEDIATE waits its turn and then reads fresh data.
            write = connection.get_execution_options().get(WRITE_OPTION)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    def encode_geometries(self, geoms: np.ndarray) -> Sequence[Any]:
        return shapely.to_wkb(geoms).tolist()

    def bbox_filter(self, table: sa.Table, bbox: BBox) -> sa.ColumnElement[bool]:
        min_lon, min_lat, max_lon, max_lat = bbox
        rtree = sa.table(rtree_name(table.name), *(sa.column(c) for c in ("id", "min_lon", "max_lon", "min_lat", "max_lat")))
        candidates = sa.select(rtree.c.id).where(
            rtree.c.max_lon >= min_lon,
            rtree.c.min_lon <= max_lon,
            rtree.c.max_lat >= min_lat,
            rtree.c.min_lat <= max_lat,
        )
        # The R*Tree's 32-bit boxes only narrow the search; the exact 64-bit box test makes a point query
        # exact (a polygon still needs the shapely test the queries do).
        return sa.and_(
            table.c.id.in_(candidates),
            table.c.max_lon >= min_lon,
            table.c.min_lon <= max_lon,
            table.c.max_lat >= min_lat,
            table.c.min_lat <= max_lat,
        )

    def bulk_insert(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """``executemany`` on the raw sqlite3 connection, inside the caller's transaction.

        A spatial table's R*Tree is filled once after the rows rather than by its per-row trigger:
        the trigger is set aside and put back (same SQL, same transaction), which halves the load time.
        """
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        cursor = conn.connection.driver_connection.cursor()
        try:
            trigger = cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (f"{table}_rtree_insert",)
            ).fetchone()
            if trigger:
                last_id = cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0]
                cursor.execute(f"DROP TRIGGER {table}_rtree_insert")
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            if trigger:
                cursor.execute(
                    f"INSERT INTO {rtree_name(table)} SELECT id, min_lon, max_lon, min_lat, max_lat "
                    f'FROM "{table}" WHERE id > ? AND min_lon IS NOT NULL',
                    (last_id,),
                )
                cursor.execute(trigger[0])
        finally:
            cursor.close()


class PostgisBackend(Backend):
    """PostgreSQL with PostGIS: geometry columns with GiST indexes, bulk loads through ``COPY``."""

    name = "postgis"
    refines_in_python = False

    def create_engine(self) -> Engine:
        return sa.create_engine(self.url, pool_pre_ping=True)

    def encode_geometries(self, geoms: np.ndarray) -> Sequence[Any]:
        # Hex EWKB is exact (WKT would round) and COPY's text format takes it as a geometry literal.
        return shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True).tolist()

    def bbox_filter(self, table: sa.Table, bbox: BBox) -> sa.ColumnElement[bool]:
        # The envelope of the two corners: a polygon, or a line or point when the box has no width or
        # height (a map click), which ST_MakeEnvelope would turn into a degenerate polygon meeting nothing.
        min_lon, min_lat, max_lon, max_lat = bbox
        corners = sa.func.ST_MakeLine(
            sa.func.ST_SetSRID(sa.func.ST_MakePoint(min_lon, min_lat), SRID),
            sa.func.ST_SetSRID(sa.func.ST_MakePoint(max_lon, max_lat), SRID),
        )
        # ST_Intersects does the index-assisted `&&` itself, then the exact test.
        return sa.func.ST_Intersects(table.c.geom, sa.func.ST_Envelope(corners))

    def bulk_insert(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        with (
            conn.connection.driver_connection.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def lock_for_seed(self, conn: Connection) -> None:
        conn.exec_driver_sql("LOCK TABLE townships IN SHARE ROW EXCLUSIVE MODE")


BACKENDS: dict[str, type[Backend]] = {"sqlite": SqliteBackend, "postgresql": PostgisBackend}


def database_url(url: str | None = None) -> URL:
    """The store's URL: ``url``, else ``DATABASE_URL``, else the embedded SQLite file.

    ``postgresql://`` and ``postgres://`` URLs get the psycopg 3 driver.
    """
    text = url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if text.startswith("postgres://"):
        text = "postgresql://" + text.removeprefix("postgres://")
    parsed = make_url(text)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def backend_for(url: str | None = None) -> Backend:
    """The backend that serves ``url`` (see :func:`database_url`)."""
    parsed = database_url(url)
    kind = BACKENDS.get(parsed.get_backend_name())
    if kind is None:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in {parsed.render_as_string(hide_password=True)}: "
            "use sqlite:///path/to/file.sqlite or postgresql+psycopg://user@host:5432/db"
        )
    return kind(parsed)
