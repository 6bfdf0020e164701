"""The storage API the rest of the product uses: :func:`open_store` and :class:`Store`.

One class for both backends. It holds the engine and delegates the few backend differences to a
:class:`~store.backends.Backend`; the queries themselves are in :mod:`store.queries`. Every method turns
driver exceptions into the :mod:`store.errors` family, so callers never see SQLite or psycopg errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from store import migrate, queries
from store.backends import WRITE_OPTION, Backend, backend_for
from store.errors import Conflict, InvalidData, NotFound, StoreError, Unavailable
from store.jurisdiction import read_jurisdiction
from store.models import Base, Cell, Community, JurisdictionInfo, Officer, Team, Township, Zone
from store.seed import load_jurisdiction

_INTEGRITY = (sa.exc.IntegrityError, sqlite3.IntegrityError, psycopg.errors.IntegrityError)


def open_store(url: str | None = None) -> Store:
    """The store at ``url``, else ``DATABASE_URL``, else the embedded SQLite file data/command_center.sqlite.

    Nothing is connected yet; call :meth:`Store.upgrade` once to create or update the schema.
    """
    return Store(backend_for(url))


class Store:
    """Townships, cells, teams, cases … in SQLite or PostGIS, behind one API.

    Examples
    --------
    >>> store = open_store("sqlite:///demo.sqlite")                  # doctest: +SKIP
    >>> store.upgrade(); store.seed_jurisdiction(Path("data/demo"))  # doctest: +SKIP
    >>> store.cells(bbox=(118.15, 24.72, 118.16, 24.73))             # doctest: +SKIP
    """

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.engine = backend.create_engine()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"<Store {self.backend} {self._backend.describe()}>"

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgis"``."""
        return self._backend.name

    # ------------------------------------------------------------------------------------------ schema

    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the schema to ``revision`` (default: the newest); idempotent."""
        with self._errors():
            migrate.upgrade(self.engine, revision)

    def downgrade(self, revision: str) -> None:
        """Migrate down to ``revision``; ``"base"`` drops every table of the product."""
        with self._errors():
            migrate.downgrade(self.engine, revision)

    def revision(self) -> str | None:
        """The schema revision of the database (None before the first :meth:`upgrade`)."""
        with self._errors():
            return migrate.current(self.engine)

    # ------------------------------------------------------------------------------------- jurisdiction

    def is_empty(self) -> bool:
        """True while no township is stored (a fresh store, before seeding)."""
        with self._connect() as conn:
            return not conn.execute(sa.select(sa.exists().select_from(Township))).scalar()

    def seed_jurisdiction(self, folder: Path) -> dict[str, int]:
        """Load a jurisdiction folder into this empty store, all or nothing; rows loaded per layer table.

        The manifest is kept too (see :meth:`jurisdiction_info`), so the store can later be used without
        the folder. Raises :class:`~store.errors.InvalidData` (naming the file and record) before writing
        anything when the folder is not valid, and :class:`~store.errors.Conflict` when the store is not
        empty.
        """
        jurisdiction = read_jurisdiction(Path(folder))
        with self._errors(), self.engine.begin() as conn:
            return load_jurisdiction(conn, self._backend, jurisdiction, seeded_at=datetime.now(UTC))

    def jurisdiction_info(self) -> dict[str, Any]:
        """What the store was seeded with: the folder manifest's facts and when it was seeded.

        Keys: ``name``, ``demo_boundaries`` (True when the boundaries are the demo generator's drawing),
        ``metric_crs`` and ``cell_size_m`` (the grid the cells' col/row index), ``generator``, ``seed``,
        ``counts`` (file stem → records), ``files`` (file name → sha256) and ``seeded_at`` (aware, UTC).
        Raises :class:`~store.errors.NotFound` while nothing is seeded.
        """
        table = JurisdictionInfo.__table__
        with self._connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == 1)).mappings().first()
            has_townships = row is None and conn.execute(sa.select(sa.exists().select_from(Township))).scalar()
        if has_townships:
            raise NotFound(
                "the store holds townships but no record of the jurisdiction they came from (it was seeded "
                "before schema revision 0004): seed a fresh store from the jurisdiction folder"
            )
        if row is None:
            raise NotFound("no jurisdiction stored yet: seed one first (python -m store seed DIR)")
        return {key: value for key, value in row.items() if key != "id"}

    def counts(self) -> dict[str, int]:
        """Rows per table of the product (every table, zeros included)."""
        with self._connect() as conn:
            return queries.counts(conn, list(Base.metadata.sorted_tables))

    def extent(self) -> tuple[float, float, float, float]:
        """The lon/lat box (min_lon, min_lat, max_lon, max_lat) around all townships."""
        with self._connect() as conn:
            box = queries.extent(conn, Township.__table__)
        if box is None:
            raise NotFound("no townships stored yet: seed a jurisdiction first (python -m store seed DIR)")
        return box

    def townships(self, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame:
        """Townships (EPSG:4326): code, name, name_en, kind, area_km2, geometry."""
        with self._connect() as conn:
            return queries.geo_frame(conn, self._backend, Township.__table__, queries.TOWNSHIP_COLUMNS, bbox=bbox)

    def communities(
        self, township_code: str | None = None, bbox: Sequence[float] | None = None
    ) -> gpd.GeoDataFrame:
        """Communities and villages (EPSG:4326), optionally of one township and/or within a box."""
        table = Community.__table__
        where = [] if township_code is None else [table.c.township_code == township_code]
        with self._connect() as conn:
            return queries.geo_frame(conn, self._backend, table, queries.COMMUNITY_COLUMNS, where, bbox)

    def zones(self, township_code: str | None = None, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame:
        """Patrol zones (EPSG:4326), optionally of one township and/or within a box."""
        table = Zone.__table__
        where = [] if township_code is None else [table.c.township_code == township_code]
        with self._connect() as conn:
            return queries.geo_frame(conn, self._backend, table, queries.ZONE_COLUMNS, where, bbox)

    def cells(
        self,
        bbox: Sequence[float] | None = None,
        township_code: str | None = None,
        limit: int | None = None,
    ) -> gpd.GeoDataFrame:
        """Unit grid cells (EPSG:4326) within a box and/or of one township; ``limit`` keeps the first by code."""
        table = Cell.__table__
        where = [] if township_code is None else [table.c.township_code == township_code]
        with self._connect() as conn:
            return queries.geo_frame(conn, self._backend, table, queries.CELL_COLUMNS, where, bbox, limit)

    def teams(self, township_code: str | None = None) -> gpd.GeoDataFrame:
        """Teams with their base as a point (EPSG:4326), optionally of one township."""
        table = Team.__table__
        where = [] if township_code is None else [table.c.township_code == township_code]
        with self._connect() as conn:
            return queries.geo_frame(conn, self._backend, table, queries.TEAM_COLUMNS, where)

    def officers(self, team_code: str | None = None) -> pd.DataFrame:
        """Officers (no geometry), optionally of one team."""
        table = Officer.__table__
        where = [] if team_code is None else [table.c.team_code == team_code]
        with self._connect() as conn:
            return queries.frame(conn, table, queries.OFFICER_COLUMNS, where)

    def bbox_clause(self, table: sa.Table | type, bbox: Sequence[float]) -> sa.ColumnElement[bool]:
        """A WHERE clause for rows of a spatial table (or model) meeting ``bbox``, through its index.

        Exact on PostGIS (``ST_Intersects``). On SQLite exact for points, and a bounding-box prefilter for
        lines and polygons: test those with shapely afterwards when exactness matters.
        """
        table = getattr(table, "__table__", table)
        return self._backend.bbox_filter(table, queries.check_bbox(bbox))

    # ----------------------------------------------------------------------------------------- sessions

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in a transaction: committed when the block ends, rolled back if it raises.

        Database errors leave it as :mod:`store.errors` (an append-only violation is a Conflict).
        """
        with self._errors(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Connection]:
        """A Core connection in a transaction: committed when the block ends, rolled back if it raises.

        ``write=True`` for a transaction that reads, then writes what it read (a case transition): on
        SQLite it takes the write lock at its start (``BEGIN IMMEDIATE``), so concurrent writers queue
        instead of failing; PostgreSQL needs nothing more (the writer guards its UPDATE with what it read).
        Database errors leave it as :mod:`store.errors`.
        """
        with self._errors(), self.engine.connect() as conn:
            if write:
                conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    def close(self) -> None:
        """Close every pooled connection (the store can still be used; it reconnects)."""
        self.engine.dispose()

    # ------------------------------------------------------------------------------------------ helpers

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Translate driver exceptions, wherever raised, into the store's error family."""
        where = self._backend.describe()
        try:
            yield
        except StoreError:
            raise
        except _INTEGRITY as exc:
            raise Conflict(f"{_driver_message(exc)} ({where})") from exc
        except (sa.exc.DBAPIError, sqlite3.Error, psycopg.Error) as exc:
            message = _driver_message(exc)
            if "no such table" in message or ("relation" in message and "does not exist" in message):
                raise StoreError(f"{message}: the schema is missing or old, run `python -m store upgrade` ({where})") from exc
            if isinstance(exc, sa.exc.OperationalError | sqlite3.OperationalError | psycopg.OperationalError):
                raise Unavailable(f"database unavailable: {message} ({where})") from exc
            raise StoreError(f"{message} ({where})") from exc
        except sa.exc.StatementError as exc:  # a value our column types refused before it reached the driver
            raise InvalidData(f"{_driver_message(exc)} ({where})") from exc


def _driver_message(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__

