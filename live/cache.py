"""A JSON cache in Redis shared by every dashboard worker.

Map layers and league tables are costly to build and identical for every viewer of the same query, so
they are computed once and kept in Redis. Entries are keyed under a *generation* number: when the data
behind them changes (a jurisdiction is re-seeded, a case moves), ``invalidate()`` bumps the generation and
every old entry becomes unreachable at once, then expires on its own — no key scans, no races between
workers deleting and writing.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import redis


class JsonCache:
    """Compressed JSON values under a namespace, invalidated by a generation counter.

    Examples
    --------
    >>> cache = JsonCache(connect(), namespace="demo")          # doctest: +SKIP
    >>> cache.get_or_compute("townships:zh", build_layer)       # doctest: +SKIP
    """

    def __init__(self, client: redis.Redis, namespace: str = "cc", ttl_seconds: int = 3600) -> None:
        self.client = client
        self.namespace = namespace
        self.ttl_seconds = ttl_seconds

    def generation(self) -> int:
        """The current generation; 0 before the first invalidation."""
        return int(self.client.get(self._generation_key) or 0)

    def invalidate(self) -> int:
        """Make every cached value stale at once; returns the new generation."""
        return int(self.client.incr(self._generation_key))

    def get(self, key: str) -> Any | None:
        """The cached value for ``key`` in the current generation, or None."""
        blob = self.client.get(self._entry_key(key))
        return None if blob is None else json.loads(zlib.decompress(blob))

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (anything ``json.dumps`` takes) for ``key`` in the current generation."""
        blob = zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6)
        self.client.set(self._entry_key(key), blob, ex=self.ttl_seconds)

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        """The cached value, computing and storing it first when absent."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    @property
    def _generation_key(self) -> str:
        return f"{self.namespace}:cache:generation"

    def _entry_key(self, key: str) -> str:
        return f"{self.namespace}:cache:{self.generation()}:{key}"
