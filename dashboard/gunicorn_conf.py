"""gunicorn settings for the dashboard: ``gunicorn -c python:dashboard.gunicorn_conf dashboard.wsgi:server``.

- the app is built once in the master (``preload_app``: migrations and seeding never race between
  workers) and each worker disposes the inherited connection pool after the fork, so no two processes
  share a database socket (the Redis client of the live poll re-connects per process by itself);
- threaded workers (``gthread``): a wall polls every second, and its short requests must not wait behind a
  slow league computation in the same process;
- ``HOST``/``PORT`` as for ``python -m dashboard``; the number of workers with ``--workers N`` (or
  gunicorn's own ``WEB_CONCURRENCY``).
"""

from __future__ import annotations

import os
from typing import Any

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
preload_app = True
worker_class = "gthread"
threads = 8
timeout = 60
accesslog = None


def post_fork(server: Any, worker: Any) -> None:
    """Drop the database connections inherited from the master; the worker opens its own."""
    from dashboard.wsgi import runtime

    runtime.store.engine.dispose(close=False)
