"""The Alembic revisions build the same schema on SQLite and PostGIS, idempotently and reversibly."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store import NotFound, open_store
from store.backends import DEFAULT_SQLITE_PATH, database_url
from store.migrate import head
from store.models import SPATIAL_TABLES, Base

PRODUCT_TABLES = {table.name for table in Base.metadata.sorted_tables}


def _tables(store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names()) & (PRODUCT_TABLES | {"alembic_version"})


def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:
    store = open_store(database_url)
    assert store.revision() is None
    store.upgrade()
    assert store.revision() == head() == "0008"
    assert _tables(store) == PRODUCT_TABLES | {"alembic_version"}
    store.upgrade()  # a second run changes nothing and does not fail
    assert store.revision() == head()
    assert set(store.counts()) == PRODUCT_TABLES
    assert all(n == 0 for n in store.counts().values())
    assert store.is_empty()


def test_models_match_the_migrations(database_url: str) -> None:
    """Autogenerate finds no difference between the revisions' schema and the models (types included)."""
    store = open_store(database_url)
    store.upgrade()

    def ours(obj, name, type_, reflected, compare_to) -> bool:
        # objects outside the models on purpose: PostGIS's own table, and the spatial indexes that
        # store.ddl creates per dialect (GiST indexes; SQLite R*Tree tables and their shadow tables)
        if type_ == "table":
            return name != "spatial_ref_sys" and "_rtree" not in name
        return not (type_ == "index" and name.endswith("_geom"))

    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "target_metadata": Base.metadata, "include_object": ours}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_spatial_index_on_every_geometry(database_url: str) -> None:
    store = open_store(database_url)
    store.upgrade()
    inspector = sa.inspect(store.engine)
    for table in SPATIAL_TABLES:
        if store.backend == "postgis":
            indexes = {ix["name"] for ix in inspector.get_indexes(table)}
            assert f"ix_{table}_geom" in indexes
        else:
            assert f"{table}_rtree" in inspector.get_table_names()
    assert set(SPATIAL_TABLES) >= {"townships", "communities", "zones", "cells", "cases", "reports", "teams"}


def test_downgrade_and_upgrade_round_trip(database_url: str, tiny_dir: Path) -> None:
    store = open_store(database_url)
    store.upgrade()
    store.downgrade("0002")
    assert store.revision() == "0002"
    assert not {"jurisdiction", "cases", "case_events", "reports", "quarantine"} & _tables(store)
    assert "townships" in _tables(store)
    store.downgrade("base")
    assert store.revision() is None
    assert _tables(store) <= {"alembic_version"}
    store.upgrade()
    assert _tables(store) == PRODUCT_TABLES | {"alembic_version"}
    loaded = store.seed_jurisdiction(tiny_dir)  # triggers and indexes work after the round trip
    assert loaded["cells"] == store.counts()["cells"] > 0
    assert store.counts()["jurisdiction"] == 1


def test_a_store_seeded_before_0004_says_it_lacks_its_jurisdiction(database_url: str, tiny_dir: Path) -> None:
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    store.downgrade("0003")  # as if seeded by the code of revision 0003: townships, no jurisdiction row
    store.upgrade()
    assert not store.is_empty()
    with pytest.raises(NotFound, match="seeded before schema revision 0004"):
        store.jurisdiction_info()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_url_picks_the_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url().database == str(DEFAULT_SQLITE_PATH)
    assert DEFAULT_SQLITE_PATH.name == "command_center.sqlite" and DEFAULT_SQLITE_PATH.parent.name == "data"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert open_store().backend == "sqlite"
    assert database_url().database == str(tmp_path / "env.sqlite")
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example:5432/cc")
    assert database_url().drivername == "postgresql+psycopg"
    assert open_store().backend == "postgis"  # no connection is made until the store is used
    assert database_url("postgres://someone@db.example/cc").drivername == "postgresql+psycopg"
