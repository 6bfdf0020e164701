"""The township board's callbacks called directly: the board answers within the caller's township, the
drill-down into communities and teams is refused (403) outside it — by the filter, a drill button or a
hand-made request — and its figures are those of the cases the store holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from briefing.period import Days
from store.models import Case
from tests.dashboard.situation_world import DAY, call, casework_runtime, day_range, serving


@pytest.fixture(scope="module")
def world(dashboard_app, dashboard_runtime, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    runtime, town, other = casework_runtime(dashboard_runtime, demo_dir, tmp_path_factory.mktemp("tw-access"), seed=73)
    with serving(dashboard_app, runtime):
        yield {"runtime": runtime, "town": town, "other": other}
    runtime.store.close()


def board_call(app: Any, selected: str | None = None) -> dict[str, Any]:
    start, end = day_range(days=2)
    return call(app, "tw-heading.children", {"tw-range.start_date": start, "tw-range.end_date": end,
                                             "lang.data": "zh", "tw-township.value": selected}, "tw-range.start_date")


def drill_call(app: Any, township: str | None) -> dict[str, Any]:
    start, end = day_range(days=2)
    return call(app, "tw-drill.className", {"tw-township.value": township, "tw-range.start_date": start,
                                            "tw-range.end_date": end, "lang.data": "en"}, "tw-township.value")


def pick_call(app: Any, code: str) -> dict[str, Any]:
    button = {"code": code, "type": "tw-pick"}
    body = call(app, "tw-township.value", {'{"code":["ALL"],"type":"tw-pick"}.n_clicks': [
        {"id": button, "property": "n_clicks", "value": 1}]}, "")
    body["changedPropIds"] = [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    return body


def nodes(node: Any) -> list[dict]:
    """Every component in a rendered component tree."""
    found = []
    if isinstance(node, dict):
        if "type" in node and "props" in node:
            found.append(node)
        for value in node.values():
            found += nodes(value)
    elif isinstance(node, list):
        for value in node:
            found += nodes(value)
    return found


def picks(node: Any) -> list[str]:
    """The township codes of the drill buttons in a rendered component tree."""
    return [n["props"]["id"]["code"] for n in nodes(node)
            if n["type"] == "Button" and isinstance(n["props"].get("id"), dict)]


def opened(store: Any, township: str) -> int:
    days = Days(DAY, DAY + timedelta(days=1))
    c = Case.__table__.c
    with store.transaction() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(
            c.township_code == township, c.opened_at >= days.start, c.opened_at < days.end)).scalar_one())


def test_the_board_lists_every_township_for_the_district_and_one_for_a_township(sign_in, dashboard_app, world) -> None:
    district = sign_in("supervisor").callback(board_call(dashboard_app))
    assert district.status_code == 200
    body = district.get_json()["response"]
    assert len(picks(body["tw-loop"]["children"])) == 11
    assert body["tw-funnel"]["figure"]["data"][0]["x"][0] == opened(world["runtime"].store, world["town"]) + opened(
        world["runtime"].store, world["other"])  # only these two townships have cases
    own = sign_in("leader_town").callback(board_call(dashboard_app)).get_json()["response"]
    assert picks(own["tw-loop"]["children"]) == [world["town"]]
    assert own["tw-funnel"]["figure"]["data"][0]["x"][0] == opened(world["runtime"].store, world["town"])
    league = json.dumps(own["tw-league"]["children"], ensure_ascii=False)
    assert "/11" in league  # their rank among all townships, no other township's row
    assert league.count("tw-name") == 1


def test_the_drill_down_shows_the_communities_and_teams_of_a_township_in_scope(sign_in, dashboard_app, world) -> None:
    leader = sign_in("leader_town")
    response = leader.callback(drill_call(dashboard_app, world["town"]))
    assert response.status_code == 200
    body = response.get_json()["response"]["tw-drill"]
    assert "tw-hidden" not in body["className"]
    parts = {node["props"]["id"]: node["props"] for node in nodes(body["children"]) if node.get("props", {}).get("id")}
    communities = json.dumps(parts["tw-communities"]["children"], ensure_ascii=False)
    names = set(world["runtime"].store.communities(world["town"])["name_en"])
    assert sum(name in communities for name in names) == len(names)  # a row for every community, cases or not
    assert "Squad" in json.dumps(parts["tw-teams"]["children"])
    assert parts["tw-drill-funnel"]["figure"]["data"][0]["x"][0] > 0
    # another township: refused by the drill, by a drill button, and the board never offers its button
    assert leader.callback(drill_call(dashboard_app, world["other"])).status_code == 403
    assert leader.callback(pick_call(dashboard_app, world["other"])).status_code == 403
    picked = leader.callback(pick_call(dashboard_app, world["town"]))
    assert picked.status_code == 200 and picked.get_json()["response"]["tw-township"]["value"] == world["town"]
    # a district supervisor may drill anywhere
    assert sign_in("supervisor").callback(drill_call(dashboard_app, world["other"])).status_code == 200


def test_roles_without_the_board_are_refused_its_callbacks(sign_in, dashboard_app, world) -> None:
    for who in ("officer", "scheduler", "department_liaison", None):
        client = sign_in(who)
        assert client.callback(board_call(dashboard_app)).status_code == 403, who
        assert client.callback(drill_call(dashboard_app, world["town"])).status_code == 403, who
