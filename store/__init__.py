"""Storage: one API over an embedded SQLite file or PostGIS, picked from ``DATABASE_URL``.

>>> from store import open_store                                   # doctest: +SKIP
>>> store = open_store()          # DATABASE_URL, else data/command_center.sqlite
>>> store.upgrade()               # Alembic migrations, idempotent
>>> store.seed_jurisdiction(Path("data/demo"))
>>> store.jurisdiction_info()     # the manifest it was seeded with: name, demo_boundaries, …
>>> store.cells(bbox=(118.15, 24.72, 118.16, 24.73))

Modules: ``store.store`` (the API), ``store.backends`` (what differs between SQLite and PostGIS),
``store.queries`` (the shared SQL), ``store.models`` and ``store.types`` (tables and column types),
``store.jurisdiction`` and ``store.seed`` (checking and loading a jurisdiction folder), ``store.migrate``
and ``store.migrations`` (Alembic), ``store.ddl`` (spatial indexes and append-only triggers), and
``store.errors`` (the error family every caller maps).
"""

from store.errors import Conflict, InvalidData, NotFound, StoreError, Unavailable
from store.store import Store, open_store

__all__ = ["Conflict", "InvalidData", "NotFound", "Store", "StoreError", "Unavailable", "open_store"]
