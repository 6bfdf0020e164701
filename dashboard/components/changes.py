"""Has anything changed since a page last looked? One cheap answer per poll, shared by every page of a process.

A live page (the wall) asks every second. The answer is a *version* string that moves whenever

- a report was stored and announced by an ingest worker (the Redis counter
  :data:`live.announce.VERSION_KEY`, bumped by every worker process: one ``GET``);
- a report was stored by any other road (a file import), or a case took a step (accepted, dispatched …
  by an operator in another server process, or by the simulator): the newest ``reports.id`` and
  ``case_events.id`` — two primary-key maxima, read at most once per :data:`STORE_MARK_TTL_S` per process
  whatever the number of pages polling.

So a new report reaches every page within one poll interval plus one query, across any number of server
processes, without pub/sub subscribers to leak. The page compares the string with the one it holds and
fetches only when it moved.

Redis being away is not an error here: the version then comes from the store alone (``redis`` is
reported as down, the page says its live feed is degraded) and the page keeps polling until it is back.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)

STORE_MARK_TTL_S = 1.0
"""How long one process reuses the store's newest report and event ids."""
REDIS_RETRY_S = 5.0
"""After Redis failed, how long a process answers from the store alone before trying Redis again."""


@dataclass(frozen=True)
class Version:
    """What the poll found: the combined ``value`` a page compares, and whether Redis answered."""

    value: str
    redis_up: bool


class _Client:
    """One Redis client per process (re-made after a fork: gunicorn's workers must not share a socket)."""

    def __init__(self) -> None:
        self._client: Any = None
        self._pid = 0
        self._down_until = 0.0
        self._lock = threading.Lock()

    def get(self, key: str) -> int | None:
        """The integer at ``key`` (0 when unset), or None while Redis is unreachable."""
        now = time.monotonic()
        if now < self._down_until:
            return None
        try:
            return int(self._connection().get(key) or 0)
        except Exception as exc:  # noqa: BLE001 - any Redis failure means "degraded", never a broken page
            log.warning("Redis unreachable for the live version (%s); polling the store alone for %.0f s",
                        exc, REDIS_RETRY_S)
            self._down_until = now + REDIS_RETRY_S
            return None

    def _connection(self) -> Any:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                import redis

                from live.connection import redis_url

                # short timeouts: a poll that hangs on a half-open connection would hold the page's update
                self._client = redis.Redis.from_url(redis_url(), socket_timeout=0.5, socket_connect_timeout=0.5)
                self._pid = os.getpid()
            return self._client


_redis = _Client()


class TtlCache:
    """A small, bounded, thread-safe memo: ``get_or_compute(key, ttl, compute)``.

    Pages of one process share answers that are identical for every viewer (the same scope and data
    version); at most ``max_entries`` are kept, the oldest dropped first, so the server's memory stays flat.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, ttl_s: float, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                self._entries.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._entries[key] = (now + ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


_marks = TtlCache(max_entries=8)


def store_marks(store: Any) -> tuple[int, int]:
    """(newest report id, newest case event id) of ``store``, reused for :data:`STORE_MARK_TTL_S`."""
    from store.models import CaseEvent, Report

    def read() -> tuple[int, int]:
        with store.transaction() as conn:
            row = conn.execute(sa.select(sa.select(sa.func.max(Report.id)).scalar_subquery(),
                                         sa.select(sa.func.max(CaseEvent.id)).scalar_subquery())).one()
        return int(row[0] or 0), int(row[1] or 0)

    return _marks.get_or_compute(id(store), STORE_MARK_TTL_S, read)


def current_version(store: Any) -> Version:
    """The version a polling page compares (see the module docstring)."""
    from live.announce import VERSION_KEY

    announced = _redis.get(VERSION_KEY)
    reports, events = store_marks(store)
    return Version(f"{announced if announced is not None else '-'}.{reports}.{events}", announced is not None)
