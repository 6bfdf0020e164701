"""The wall's page and callbacks on the server: who may open and call them, and what a township user sees.

Through the real app and the Flask test client (``dashboard_app``, ``sign_in``): the callbacks are posted
the way dash-renderer posts them, so calling the callback URL directly is refused exactly as a click is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import shapely
import sqlalchemy as sa

from layers.cases import OPEN
from store.models import Case, Report

WALL_ROLES = ("operator", "operator_town", "leader", "leader_town", "admin")
other_ROLES = ("scheduler", "team_leader", "officer", "supervisor", "legal_reviewer", "department_liaison")


def call(dashboard_app, output_prefix: str, inputs: list[dict], state: list[dict], changed: str) -> dict:
    """The body dash-renderer posts for the wall callback whose outputs start with ``output_prefix``."""
    dashboard_app.server.test_client().get("/login")  # the first request sets the app's callbacks up
    for key in dashboard_app.callback_map:
        if key.startswith(output_prefix):
            outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in re.findall(r"([\w-]+\.\w+)", key)]
            return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
                    "state": state, "changedPropIds": [changed]}
    raise AssertionError(f"no wall callback with outputs {output_prefix}…")


def poll_call(app) -> dict:
    return call(app, "..wall-version.data", [{"id": "wall-poll", "property": "n_intervals", "value": 3}],
                [{"id": "wall-version", "property": "data", "value": None}], "wall-poll.n_intervals")


def ticker_call(app) -> dict:
    return call(app, "..wall-ticker.children",
                [{"id": "wall-version", "property": "data", "value": {"value": "x", "redis": True}},
                 {"id": "lang", "property": "data", "value": "zh"}],
                [{"id": "wall-seen", "property": "data", "value": 0}], "wall-version.data")


def layers_call(app, bbox: tuple[float, float, float, float]) -> dict:
    bounds = [[bbox[1], bbox[0]], [bbox[3], bbox[2]]]
    return call(app, "..wall-density.data",
                [{"id": "wall-map", "property": "bounds", "value": bounds},
                 {"id": "wall-map", "property": "zoom", "value": 14},
                 {"id": "wall-shown", "property": "data", "value": ["townships", "density", "cases", "teams"]},
                 {"id": "lang", "property": "data", "value": "en"},
                 {"id": "wall-slow", "property": "n_intervals", "value": 0}],
                [{"id": "wall-version", "property": "data", "value": {"value": "x", "redis": True}},
                 {"id": "wall-sent", "property": "data", "value": {}}], "wall-map.bounds")


@pytest.fixture
def two_townships(dashboard_runtime) -> Iterator[tuple[str, str]]:
    """A report and an open case in the township users' township and in another one (removed afterwards);
    yields the two township codes."""
    store = dashboard_runtime.store
    now = datetime.now(UTC)
    with store.transaction() as conn:
        town = conn.execute(sa.text("select township_code from users where username = 'leader_town'")).scalar_one()
        other = conn.execute(sa.text("select min(code) from townships where code != :t"), {"t": town}).scalar_one()
        for township in (town, other):
            cell = conn.execute(sa.text("select code, min_lon, min_lat from cells where township_code = :t limit 1"),
                                {"t": township}).one()
            point = shapely.Point(cell.min_lon + 0.0003, cell.min_lat + 0.0003)
            box = {"geom": point, "min_lon": point.x, "max_lon": point.x, "min_lat": point.y, "max_lat": point.y}
            conn.execute(sa.insert(Report.__table__).values(
                channel="patrol", external_id=f"wall-scope-{township}", received_at=now - timedelta(minutes=1),
                item_code="ZF001", township_code=township, cell_code=cell.code, address=f"{township}号 13812345678",
                reporter_name="李四", reporter_phone="13812345678", **box))
            conn.execute(sa.insert(Case.__table__).values(
                code=f"WALL-SCOPE-{township}", status="dispatched", priority=3, item_code="ZF001",
                township_code=township, opened_at=now - timedelta(minutes=1), **box))
    yield town, other
    with store.transaction() as conn:
        conn.execute(sa.delete(Report.__table__).where(Report.external_id.like("wall-scope-%")))
        conn.execute(sa.delete(Case.__table__).where(Case.code.like("WALL-SCOPE-%")))


def test_who_may_open_the_wall(sign_in) -> None:
    assert sign_in(None).get("/wall").status_code == 302  # to the login page
    for role in WALL_ROLES:
        assert sign_in(role).get("/wall").status_code == 200, role
    for role in other_ROLES:
        assert sign_in(role).get("/wall").status_code == 403, role


def test_who_may_call_the_walls_callbacks(dashboard_app, sign_in) -> None:
    body = poll_call(dashboard_app)
    assert sign_in(None).callback(body).status_code == 403
    assert sign_in("operator").callback(body, csrf=False).status_code == 403
    for role in other_ROLES:
        for refused in (body, ticker_call(dashboard_app)):
            assert sign_in(role).callback(refused).status_code == 403, role
    response = sign_in("leader").callback(body)
    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert answer["wall-beat"]["data"] > 0 and answer["wall-version"]["data"]["value"].count(".") == 2


def test_a_township_user_sees_their_township_only(dashboard_app, dashboard_runtime, sign_in, two_townships) -> None:
    town, other = two_townships
    district = sign_in("operator").callback(ticker_call(dashboard_app)).get_json()["response"]
    township = sign_in("leader_town").callback(ticker_call(dashboard_app)).get_json()["response"]
    district_text, town_text = str(district["wall-ticker"]["children"]), str(township["wall-ticker"]["children"])
    assert f"{town}号" in district_text and f"{other}号" in district_text
    assert f"{town}号" in town_text and f"{other}号" not in town_text
    for text in (district_text, town_text):  # never a name or a phone on the wall, whoever looks
        assert "13812345678" not in text and "李四" not in text

    with dashboard_runtime.store.transaction() as conn:
        open_cases = dict(conn.execute(
            sa.select(Case.township_code, sa.func.count()).where(Case.status.in_(OPEN), Case.min_lon.is_not(None))
            .group_by(Case.township_code)).all())
    extent = dashboard_runtime.extent
    layers = sign_in("leader_town").callback(layers_call(dashboard_app, extent)).get_json()["response"]
    # the neighbour's case is not counted, though the view covers it
    assert layers["wall-cases"]["data"]["total"] == open_cases[town]
    teams = layers["wall-teams"]["data"]["features"]
    assert teams and {f["properties"]["township_code"] for f in teams} == {town}
    everyone = sign_in("leader").callback(layers_call(dashboard_app, extent)).get_json()["response"]
    assert everyone["wall-cases"]["data"]["total"] == sum(open_cases.values()) > open_cases[town]
    assert len(everyone["wall-teams"]["data"]["features"]) > len(teams)
