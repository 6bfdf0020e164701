"""``python -m dashboard``: from a fresh clone to a served dashboard, saying what it did and how long it took.

1. the store (``DATABASE_URL``, else the embedded SQLite file), migrated to the newest schema;
2. when it holds no township yet: seeded from the jurisdiction folder (default ``data/demo``), the demo
   city being generated there first when the folder has no manifest.json. A seeded store is used as it
   is — the folder is not read and nothing is generated;
3. the jurisdiction's name and whether its boundaries are demo boundaries, read from the store;
   on the embedded SQLite store with no account yet, the demo accounts (one per role, password ``demo``;
   on PostGIS only ``python -m store users demo`` creates them);
4. the layers' cell tally and the opening view's boundary layers built, so the first visitor does not
   wait for them;
5. unless ``--no-simulator``: an ingest worker and the live simulator (``--rate``) as child processes on the
   same store and Redis, stopped with the dashboard (:mod:`dashboard.feed`);
6. the Dash app served at http://HOST:PORT (default 127.0.0.1:8050) on waitress, a production WSGI
   server, when it is installed — else on Flask's own server, with a warning. Debug stays off.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboard.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JURISDICTION = ROOT / "data" / "demo"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8050

log = logging.getLogger("dashboard")


@contextmanager
def step(what: str) -> Iterator[dict[str, Any]]:
    """Log ``what`` with its duration; the block may add details to the yielded dict."""
    details: dict[str, Any] = {}
    started = time.perf_counter()
    yield details
    extra = "".join(f", {key}: {value}" for key, value in details.items())
    log.info("%s (%.2f s%s)", what, time.perf_counter() - started, extra)


def prepare(jurisdiction: Path = DEFAULT_JURISDICTION, database_url: str | None = None) -> Runtime:
    """Migrate, seed (if empty; generating the demo city first if the folder has none) and warm up; the
    runtime the app serves.

    Notes
    -----
    The jurisdiction's name and ``demo_boundaries`` come from the store (kept from the manifest when it
    was seeded), never from the folder: a store seeded with imported boundaries and started with the
    default, missing ``data/demo`` is neither given a generated demo city nor labelled 示意边界.
    """
    from dashboard.components import layer_cache, layer_sync
    from layers import registry
    from layers.tally import cell_tally
    from store.ready import open_ready_store

    store = open_ready_store(database_url, Path(jurisdiction))
    counts = store.counts()
    log.info("store holds %s", ", ".join(f"{t} {counts.get(t, 0)}" for t in ("townships", "cells")))
    info = store.jurisdiction_info()
    log.info("jurisdiction %s: %s boundaries, seeded %s", info["name"],
             "demo" if info["demo_boundaries"] else "real", info["seeded_at"].isoformat(timespec="seconds"))
    ensure_demo_accounts(store)
    with step("counted cells per community and zone for the map") as details:
        details["communities"] = len(cell_tally(store).cells_by_community)
    with step("built the opening view's boundary layers") as details:
        for zoom in layer_sync.OPENING_ZOOMS:
            details["answers"] = layer_cache.warm(store, registry, zoom)
    return Runtime(
        store=store,
        jurisdiction_name=info["name"],
        demo_boundaries=info["demo_boundaries"],
        extent=store.extent(),
        tile_url=os.environ.get("TILE_URL", ""),
        tile_attribution=os.environ.get("TILE_ATTRIBUTION", ""),
    )


def ensure_demo_accounts(store: Any) -> None:
    """On the embedded SQLite store without any account: create the demo accounts (password ``demo``)."""
    from store import accounts

    if store.backend != "sqlite":
        if not accounts.has_accounts(store):
            log.warning("no account exists: create one with `python -m store users add NAME --role admin` "
                        "(or the demo accounts with `python -m store users demo`)")
        return
    if accounts.has_accounts(store):
        return
    with step("created the demo accounts (password: demo)") as details:
        details["users"] = " ".join(a["username"] for a in accounts.create_demo_accounts(store))


def serve(app: Any, host: str, port: int) -> None:
    """Serve the Dash app on waitress (threads, no debug), or Flask's server if waitress is missing."""
    url = f"http://{host}:{port}"
    try:
        from waitress import serve as waitress_serve
    except ImportError:
        log.warning("waitress is not installed (pip install -r requirements.txt): using Flask's development server")
        log.info("serving %s", url)
        app.run(host=host, port=port, debug=False)
        return
    log.info("serving %s (waitress)", url)
    waitress_serve(app.server, host=host, port=port, threads=8, ident="command-center")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Serve the command-center dashboard.")
    parser.add_argument("--jurisdiction", type=Path, default=DEFAULT_JURISDICTION,
                        help="jurisdiction folder to seed an empty store from (default: data/demo, generated if missing)")
    parser.add_argument("--host", default=os.environ.get("HOST", DEFAULT_HOST), help="address to listen on (env HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)), help="port (env PORT)")
    from dashboard.feed import DEFAULT_RATE, live_feed

    parser.add_argument("--rate", type=float, default=DEFAULT_RATE,
                        help=f"simulated reports per second fed to the dashboard (default {DEFAULT_RATE:g})")
    parser.add_argument("--no-simulator", action="store_true",
                        help="start no ingest worker and no simulator beside the dashboard (production)")
    args = parser.parse_args(argv)
    if not args.rate > 0:
        parser.error(f"--rate must be a positive number of reports per second, got {args.rate:g}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" chatter under load
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin; our own step says enough

    started = time.perf_counter()
    runtime = prepare(args.jurisdiction)
    from dashboard.app import create_app

    with step("built the Dash app"):
        app = create_app(runtime)
    log.info("ready in %.2f s", time.perf_counter() - started)
    with live_feed(None if args.no_simulator else args.rate, jurisdiction=args.jurisdiction):
        serve(app, args.host, args.port)
    return 0
