"""A store seeded with the demo city, on each backend, for the live layers' tests (cases, density, teams)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store, open_store


@pytest.fixture
def demo_store(database_url: str, demo_dir: Path) -> Iterator[Store]:
    """A fresh store (SQLite, then PostGIS) seeded with the session's demo city; no cases, no reports."""
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    yield store
    store.close()
