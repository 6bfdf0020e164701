"""The 事项清单 decision on acceptance: act (法定/赋权/委托), transfer (部门) or joint (plan whistles)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cases.authority import (
    DEPARTMENTS,
    AuthorityDecision,
    AuthorityError,
    AuthorityType,
    Route,
    decide,
    read_authority_csv,
    rows_from_records,
)
from cases.plans import plan_for
from cases.replay import replay
from cases.states import Status

ROOT = Path(__file__).resolve().parents[2]
ROWS = rows_from_records([
    {"township_code": "350212001", "item_code": "ZF001", "authority": "赋权", "department": ""},
    {"township_code": "350212001", "item_code": "ZF008", "authority": "法定", "department": ""},
    {"township_code": "350212001", "item_code": "ZF020", "authority": "委托", "department": ""},
    {"township_code": "350212001", "item_code": "ZF026", "authority": "部门", "department": "自然资源"},
    {"township_code": "350212110", "item_code": "ZF026", "authority": "赋权", "department": ""},
    {"township_code": "350212110", "item_code": "ZF017", "authority": "法定", "department": ""},
    {"township_code": "350212001", "item_code": "ZF017", "authority": "部门", "department": "综合执法"},
])


@pytest.mark.parametrize(("township", "item", "route", "authority", "department"), [
    ("350212001", "ZF008", Route.ACT, AuthorityType.STATUTORY, None),
    ("350212001", "ZF001", Route.ACT, AuthorityType.EMPOWERED, None),
    ("350212001", "ZF020", Route.ACT, AuthorityType.ENTRUSTED, None),
    ("350212001", "ZF026", Route.TRANSFER, AuthorityType.DEPARTMENT, "自然资源"),
    ("350212110", "ZF026", Route.ACT, AuthorityType.EMPOWERED, None),  # the pilot town was empowered
])
def test_decision_per_authority_type(township, item, route, authority, department) -> None:
    decision = decide(township, item, ROWS)
    assert (decision.route, decision.authority, decision.department) == (route, authority, department)
    assert decision.basis.startswith(f"事项清单 {township} × {item}: {authority.value} ({authority.english})")


def test_a_plan_that_whistles_makes_a_joint_action_where_the_township_acts(loop) -> None:
    road_plan = plan_for("ZF020", loop.PLANS)  # YA-01 whistles 公安
    joint = decide("350212001", "ZF020", ROWS, road_plan)
    assert joint.route is Route.JOINT and joint.whistle == ("公安",) and joint.plan_code == "YA-01"
    assert joint.authority is AuthorityType.ENTRUSTED and joint.basis.endswith("; 预案 YA-01 吹哨 公安")
    building_plan = plan_for("ZF017", loop.PLANS)  # YA-02 whistles 自然资源
    assert decide("350212110", "ZF017", ROWS, building_plan).route is Route.JOINT
    kept = decide("350212001", "ZF017", ROWS, building_plan)  # 部门: the department leads, no township whistle
    assert kept.route is Route.TRANSFER and kept.department == "综合执法" and kept.whistle == ()
    street_plan = plan_for("ZF001", loop.PLANS)  # YA-04: no whistle
    assert decide("350212001", "ZF001", ROWS, street_plan).route is Route.ACT


def test_missing_row_is_a_clear_error() -> None:
    with pytest.raises(AuthorityError, match="事项清单 of township 350212110 has no row for item ZF099"):
        decide("350212110", "ZF099", ROWS)
    with pytest.raises(AuthorityError, match="has no row"):
        decide("350212110", "ZF099", list(ROWS.values()))


@pytest.mark.parametrize(("record", "message"), [
    ({"township_code": "350212001", "item_code": "ZF001", "authority": "授权"}, "authority '授权' is not one of"),
    ({"township_code": "350212001", "item_code": "ZF001", "authority": "部门", "department": ""},
     "部门 needs the department that keeps the item"),
    ({"township_code": "350212001", "item_code": "ZF001", "authority": "法定", "department": "公安"},
     "department '公安' given but the township acts itself"),
    ({"township_code": "350212001", "authority": "法定"}, "authority row 1: missing item_code"),
])
def test_bad_rows_are_named(record, message) -> None:
    with pytest.raises(AuthorityError, match=message):
        rows_from_records([record])


def test_duplicate_rows_are_refused() -> None:
    row = {"township_code": "350212001", "item_code": "ZF001", "authority": "法定", "department": ""}
    with pytest.raises(AuthorityError, match="authority row 2: 350212001 × ZF001 listed twice"):
        rows_from_records([row, row])


def test_reads_the_authority_csv_of_a_jurisdiction_folder(tmp_path) -> None:
    path = tmp_path / "authority.csv"
    path.write_text("township_code,item_code,authority,department\n350212001,ZF015,部门,公安\n"
                    "350212110,ZF015,部门,公安\n350212110,ZF026,赋权,\n", encoding="utf-8")
    rows = read_authority_csv(path)
    assert decide("350212110", "ZF026", rows).route is Route.ACT
    assert decide("350212001", "ZF015", rows).department == "公安"


def test_decision_is_recorded_in_the_accept_event_and_survives_replay(loop) -> None:
    walk = loop.variants(Status.ACCEPTED)[0]
    accept_event = walk.events[1]
    recorded = AuthorityDecision.from_payload(accept_event.payload["decision"])
    assert recorded == walk.state.decision == replay(walk.events).decision
    assert recorded.basis == "事项清单 350212001 × ZF001: 赋权 (empowered)"


def test_departments_match_the_catalogue() -> None:
    """cases/ does not import data/ (pandas); the two lists are kept equal here."""
    tree = ast.parse((ROOT / "data" / "catalogue.py").read_text(encoding="utf-8"))
    value = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "DEPARTMENTS" for t in node.targets))
    assert tuple(ast.literal_eval(value)) == DEPARTMENTS
