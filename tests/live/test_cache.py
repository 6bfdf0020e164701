"""The shared JSON cache, on a real Redis server and on the embedded Valkey the product falls back to."""

from __future__ import annotations

import pytest
import redis

from live import JsonCache, connect
from live.connection import redis_url


def _exercise(client: redis.Redis) -> None:
    cache = JsonCache(client, namespace="test")
    calls: list[int] = []

    def build() -> dict:
        calls.append(1)
        return {"type": "FeatureCollection", "name": "大同街道", "n": len(calls)}

    first = cache.get_or_compute("townships:zh", build)
    second = cache.get_or_compute("townships:zh", build)
    assert first == second == {"type": "FeatureCollection", "name": "大同街道", "n": 1}
    assert len(calls) == 1

    generation = cache.generation()
    assert cache.invalidate() == generation + 1
    assert cache.get("townships:zh") is None
    assert cache.get_or_compute("townships:zh", build)["n"] == 2


@pytest.mark.redis
def test_cache_on_a_real_redis(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        _exercise(client)
        # entries expire on their own: stale generations never pile up
        assert all(client.ttl(key) > 0 for key in client.keys("test:cache:[0-9]*:*"))
    finally:
        client.close()


def test_embedded_server_when_no_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = redis_url()
    assert url.startswith("redis://127.0.0.1:")
    client = connect(url)
    try:
        assert client.ping()
        _exercise(client)
    finally:
        client.close()


def test_redis_url_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6380/2")
    assert redis_url() == "redis://cache.example:6380/2"
