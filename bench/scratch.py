"""Throw-away databases and demo cities for the benchmarks, so each bench measures only its own subject.

Every PostGIS benchmark needs the same preamble: a fresh database on a server it may write to, the
``postgis`` extension, the schema, the demo city. It lives here once; the database is dropped afterwards
even when the bench fails.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_POSTGIS_URL = os.environ.get("TEST_POSTGIS_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database(server_url: str = DEFAULT_POSTGIS_URL, prefix: str = "cc_bench") -> Iterator[str]:
    """The URL of a new database with PostGIS on ``server_url``, dropped on exit."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("create extension if not exists postgis")
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()


@contextmanager
def demo_city(folder: Path | None = None) -> Iterator[Path]:
    """``folder`` if given, else the demo city generated into a temporary folder removed on exit."""
    if folder is not None:
        yield Path(folder)
        return
    from data.demo_city import generate

    with tempfile.TemporaryDirectory(prefix="bench-demo-") as scratch:
        out = Path(scratch) / "demo"
        generate(out)
        yield out
