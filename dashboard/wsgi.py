"""The dashboard for a production WSGI server: ``gunicorn -c python:dashboard.gunicorn_conf dashboard.wsgi:server``.

Importing this module does what ``python -m dashboard`` does before serving — migrate the store, seed it
when empty, warm the layer caches, build the app — without starting the simulator: in production the
reports come from the channels and ``python -m ingest worker`` runs as its own service(s). With gunicorn's
``preload_app`` (see :mod:`dashboard.gunicorn_conf`) this happens once, in the master, and the workers fork
from it; each then opens its own database and Redis connections.
"""

from __future__ import annotations

import logging
import os

from dashboard.app import create_app
from dashboard.bootstrap import DEFAULT_JURISDICTION, prepare

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("alembic").setLevel(logging.WARNING)

if not os.environ.get("REDIS_URL"):
    logging.getLogger("dashboard").warning(
        "REDIS_URL is not set: each worker process would start its own embedded Valkey and no ingest worker "
        "would reach it; set REDIS_URL to the Redis the ingest workers announce on")

runtime = prepare(DEFAULT_JURISDICTION)
app = create_app(runtime)
# Dash learns which script files it may serve while rendering its index page. Render it once here, before
# the fork: otherwise a worker asked for a script before it rendered an index itself answers 500.
with app.server.test_request_context("/"):
    app.index()
server = app.server
"""The Flask server gunicorn serves."""
