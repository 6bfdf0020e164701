"""A store with casework for the situation and township-board tests that call the pages' callbacks.

The test process has one Dash app (its pages register global callbacks), serving the session's store of
the demo city with no casework. :func:`casework_runtime` fills a store of its own with a simulated day in
two townships — the demo township users' and another — gives it the same accounts as the app's store (so
the sessions signed in through the app's login form stay valid), and :func:`serving` puts it behind the app
for the length of a module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from briefing.period import local_today
from cases.calendar import SHANGHAI
from dashboard.runtime import CONFIG_KEY
from sim import Settings, simulate
from store import accounts, open_store
from store.models import User

DAY = local_today() - timedelta(days=10)
"""The simulated day, well before today (the tests ask for it explicitly; page defaults show today)."""


def casework_runtime(app_runtime: Any, demo_dir: Path, folder: Path, seed: int = 71) -> tuple[Any, str, str]:
    """(a runtime on a new store with a simulated day, the demo township users' township, another one)."""
    store = open_store(f"sqlite:///{folder / 'casework.sqlite'}")
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    town = accounts.get_account(app_runtime.store, "leader_town")["township_code"]
    other = next(code for code in sorted(store.townships()["code"]) if code != town)
    start = datetime.combine(DAY, time(0), tzinfo=SHANGHAI)
    simulate(store, Settings(start=start, days=1.2, per_day=50, seed=seed, townships=(town, other)))
    users = User.__table__
    with app_runtime.store.transaction() as conn:
        rows = [dict(row) for row in conn.execute(sa.select(users)).mappings()]
    with store.transaction(write=True) as conn:
        conn.execute(sa.delete(users))
        conn.execute(sa.insert(users), rows)
    return dataclasses.replace(app_runtime, store=store), town, other


@contextmanager
def serving(app: Any, runtime: Any) -> Iterator[None]:
    """The app answers from ``runtime`` inside the block (the login form still checks the app's store,
    whose accounts the runtime's store copies)."""
    from dashboard import access

    app.server.test_client().get("/login")  # the first request sets the app's callbacks up
    previous = app.server.config[CONFIG_KEY]
    app.server.config[CONFIG_KEY] = runtime
    access.forget_cached_accounts()
    try:
        yield
    finally:
        app.server.config[CONFIG_KEY] = previous
        access.forget_cached_accounts()


def call(app: Any, output: str, values: dict[str, Any], changed: str) -> dict[str, Any]:
    """The body dash-renderer posts for the callback whose output key contains ``output``: each input and
    state ``id.property`` takes its value from ``values`` (None when absent; pattern-matching ones a list)."""
    key, spec = next((k, s) for k, s in app.callback_map.items() if output in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in (key.strip(".").split("...") if key.startswith("..") else [key])]

    def entries(items: list[dict]) -> list[Any]:
        result = []
        for item in items:
            name = f"{item['id']}.{item['property']}"
            value = values.get(name)
            if item["id"].startswith("{"):
                result.append(value or [])
            else:
                result.append({"id": item["id"], "property": item["property"], "value": value})
        return result

    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": entries(spec["inputs"]), "state": entries(spec["state"]), "changedPropIds": [changed]}


def day_range(day: date = DAY, days: int = 1) -> tuple[str, str]:
    return day.isoformat(), (day + timedelta(days=days - 1)).isoformat()
