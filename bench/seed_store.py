"""How fast a jurisdiction seeds into each store, beside the raw driver doing the same inserts.

    python bench/seed_store.py [--folder data/demo] [--runs 5] [--postgis-url URL] [--no-postgis]

Without ``--folder`` the demo city is generated into a temporary folder first. Each run starts from a
fresh, migrated store (a new SQLite file; a PostGIS database whose schema is dropped and re-migrated), so
the indexes, R*Trees and triggers are in place exactly as in production. Printed per backend, median of
the runs:

- ``read+check``: parsing and checking the folder (:func:`store.jurisdiction.read_jurisdiction`);
- ``load``: writing the checked rows (geometry encoding, bounding boxes, inserts, commit);
- ``seed_jurisdiction``: the API call, both of the above;
- the physical peer: the same row tuples, already built, written by the bare driver into the same schema
  — ``sqlite3`` ``executemany`` or psycopg ``COPY`` — which is the floor ``load`` can approach.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from store import open_store  # noqa: E402
from store.backends import backend_for  # noqa: E402
from store.jurisdiction import Jurisdiction, read_jurisdiction  # noqa: E402
from store.seed import load_jurisdiction, table_tuples  # noqa: E402

DEFAULT_POSTGIS_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
Prepared = dict[str, tuple[list[str], list[tuple]]]  # table → (columns, row tuples ready to insert)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="a jurisdiction folder (default: generate the demo city)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgis-url", default=os.environ.get("TEST_POSTGIS_URL", DEFAULT_POSTGIS_URL),
                        help="a PostgreSQL server where a throw-away database may be created")
    parser.add_argument("--no-postgis", action="store_true", help="SQLite only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="seed-bench-") as scratch:
        folder = args.folder or _demo_city(Path(scratch) / "demo")
        jurisdiction = read_jurisdiction(folder)
        sizes = {name: len(rows) for name, rows in jurisdiction.tables.items()}
        total = sum(sizes.values())
        print(f"folder {folder}: {total} rows — " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        print(f"median of {args.runs} runs, each into a fresh migrated store\n")
        print(f"{'backend':<8} {'step':<36} {'median s':>9} {'rows/s':>10}")
        read_times = _repeat(args.runs, lambda: _timed(lambda: read_jurisdiction(folder)))
        _line("both", "read+check (parse, validate)", read_times, total)
        _bench_sqlite(Path(scratch), folder, jurisdiction, args.runs, total)
        if not args.no_postgis:
            _bench_postgis(args.postgis_url, folder, jurisdiction, args.runs, total)


def _bench_sqlite(scratch: Path, folder: Path, jurisdiction: Jurisdiction, runs: int, total: int) -> None:
    def fresh() -> str:
        url = f"sqlite:///{scratch / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
        open_store(url).upgrade()
        return url

    _bench("sqlite", fresh, folder, jurisdiction, runs, total, [
        ("raw sqlite3 executemany (peer)", _sqlite_peer),
        ("  same, R*Tree filled after (peer)", _sqlite_peer_rtree_after),
    ])


def _bench_postgis(server_url: str, folder: Path, jurisdiction: Jurisdiction, runs: int, total: int) -> None:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        def fresh() -> str:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.exec_driver_sql("drop schema if exists public cascade")
                conn.exec_driver_sql("create schema public")
            engine.dispose()
            open_store(url).upgrade()
            return url

        _bench("postgis", fresh, folder, jurisdiction, runs, total, [("raw psycopg COPY (peer)", _copy_peer)])
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()


def _bench(
    label: str, fresh: Callable[[], str], folder: Path, jurisdiction: Jurisdiction, runs: int, total: int,
    peers: list[tuple[str, Callable[[str, Prepared], None]]],
) -> None:
    backend = backend_for(fresh())
    prepared = {}
    for rows in jurisdiction.tables.values():
        columns, tuples = table_tuples(rows, backend)
        prepared[rows.table] = (columns, list(tuples))

    def api() -> float:
        store = open_store(fresh())
        try:
            return _timed(lambda: store.seed_jurisdiction(folder))
        finally:
            store.close()

    def load_only() -> float:
        store = open_store(fresh())
        try:
            def load() -> None:
                with store.engine.begin() as conn:
                    load_jurisdiction(conn, backend, jurisdiction, seeded_at=datetime.now(UTC))
            return _timed(load)
        finally:
            store.close()

    def bare(peer: Callable[[str, Prepared], None]) -> float:
        url = fresh()
        return _timed(lambda: peer(url, prepared))

    _line(label, "load (encode, bbox, insert, commit)", _repeat(runs, load_only), total)
    _line(label, "seed_jurisdiction (read+check+load)", _repeat(runs, api), total)
    for peer_label, peer in peers:
        _line(label, peer_label, _repeat(runs, lambda peer=peer: bare(peer)), total)


def _sqlite_peer(url: str, prepared: Prepared, rtree_after: bool = False) -> None:
    """Plain executemany; with ``rtree_after`` the R*Tree triggers are dropped and the trees filled by
    one INSERT … SELECT per table — the trick the store's SQLite backend uses."""
    connection = sqlite3.connect(sa.engine.make_url(url).database, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("BEGIN")
        for table, (columns, rows) in prepared.items():
            spatial = rtree_after and "geom" in columns
            if spatial:
                connection.execute(f"DROP TRIGGER {table}_rtree_insert")
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            if spatial:
                connection.execute(f"INSERT INTO {table}_rtree SELECT id, min_lon, max_lon, min_lat, max_lat FROM {table}")
        connection.execute("COMMIT")
    finally:
        connection.close()


def _sqlite_peer_rtree_after(url: str, prepared: Prepared) -> None:
    _sqlite_peer(url, prepared, rtree_after=True)


def _copy_peer(url: str, prepared: Prepared) -> None:
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for table, (columns, rows) in prepared.items():
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
    # leaving the connection block commits


def _demo_city(out: Path) -> Path:
    from data.demo_city import generate

    generate(out)
    return out


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _repeat(runs: int, measure: Callable[[], float]) -> list[float]:
    return [measure() for _ in range(runs)]


def _line(label: str, step: str, seconds: list[float], rows: int) -> None:
    median = statistics.median(seconds)
    print(f"{label:<8} {step:<36} {median:>7.3f} {rows / median:>10,.0f}", flush=True)


if __name__ == "__main__":
    main()
