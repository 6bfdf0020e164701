"""A store that holds a jurisdiction, from a fresh clone: migrate, then seed the demo city when empty.

The dashboard and the command lines (``python -m geo locate``, ``geocode``) all need a seeded store; on a
fresh clone nobody has seeded one yet. Rather than send a newcomer off to run three commands, they share
this first step: migrate the store, and if it holds no township, seed it from the jurisdiction folder —
generating the demo city there first when the folder has no manifest. A store that is already seeded is
used as it is: its folder is never read, so imported boundaries are never replaced by the demo city.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from store.store import Store, open_store

DEFAULT_JURISDICTION = Path(__file__).resolve().parents[1] / "data" / "demo"

log = logging.getLogger(__name__)


def open_ready_store(url: str | None = None, jurisdiction: Path = DEFAULT_JURISDICTION) -> Store:
    """The store at ``url`` (default ``DATABASE_URL``, else embedded SQLite), migrated and seeded."""
    store = open_store(url)
    started = time.perf_counter()
    store.upgrade()
    log.info("migrated the %s store %r (%.2f s)", store.backend, store, time.perf_counter() - started)
    if store.is_empty():
        jurisdiction = Path(jurisdiction)
        if not (jurisdiction / "manifest.json").exists():
            from data.demo_city import generate

            started = time.perf_counter()
            counts = generate(jurisdiction).get("counts", {})
            log.info("generated the demo city in %s (%.2f s, %s)", jurisdiction, time.perf_counter() - started,
                     _listed(counts))
        started = time.perf_counter()
        counts = store.seed_jurisdiction(jurisdiction)
        log.info("seeded the store from %s (%.2f s, %s)", jurisdiction, time.perf_counter() - started,
                 _listed(counts))
    return store


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in counts.items())
