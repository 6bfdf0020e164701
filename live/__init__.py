"""Redis at the edge: connection (a real server or the embedded one) and the shared cache.

Later issues add the intake stream, event fan-out and locks here; everything that talks to Redis lives in
this package so the domain core never does.
"""

from live.cache import JsonCache
from live.connection import connect, redis_url

__all__ = ["JsonCache", "connect", "redis_url"]
