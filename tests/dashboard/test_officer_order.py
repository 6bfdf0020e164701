"""What the phone lists and in which order: the statuses come from the rule table, the order from the
distance to the phone (or the deadline without a position)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.permissions import Actor
from cases.rules import RULES
from cases.states import OPEN_STATUSES, CaseState, Role, Status
from store.field_cases import describe_distance, distance_m, field_statuses, has_case, nearest_first

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_the_statuses_listed_are_those_the_rule_table_lets_the_role_act_from() -> None:
    for role in (Role.OFFICER, Role.TEAM_LEADER):
        expected = {s for r in RULES if role in r.actors for s in r.from_statuses} & set(OPEN_STATUSES)
        assert set(field_statuses(role)) == expected
        assert {Status.DISPATCHED, Status.JOINT, Status.IN_PROGRESS} <= expected  # arrive, feedback
        assert Status.REPORTED not in expected and Status.CLOSED not in expected
    assert field_statuses(Role.SCHEDULER) == ()


def test_distances_are_great_circle_metres() -> None:
    assert distance_m(118.14, 24.73, 118.14, 24.73) == 0
    one_degree_lat = distance_m(118.14, 24.0, 118.14, 25.0)
    assert one_degree_lat == pytest.approx(111_195, rel=1e-3)
    assert distance_m(118.14, 24.73, 118.15, 24.73) == pytest.approx(one_degree_lat / 100 * 0.9083, rel=2e-3)
    assert (describe_distance(None), describe_distance(45.4), describe_distance(2630)) == ("", "45 m", "2.6 km")


def rows() -> list[dict]:
    return [
        {"id": 1, "code": "A-FAR", "min_lon": 118.16, "min_lat": 24.72, "deadline_at": T0 + timedelta(hours=1)},
        {"id": 2, "code": "B-NEAR", "min_lon": 118.1395, "min_lat": 24.7338, "deadline_at": T0 + timedelta(hours=5)},
        {"id": 3, "code": "C-NOWHERE", "min_lon": None, "min_lat": None, "deadline_at": T0},
        {"id": 4, "code": "D-MID", "min_lon": 118.145, "min_lat": 24.73, "deadline_at": None},
    ]


def test_nearest_first_from_the_phone_and_by_deadline_without_it() -> None:
    here = (118.1390, 24.7335)
    ordered = nearest_first(rows(), here)
    assert [r["code"] for r in ordered] == ["B-NEAR", "D-MID", "A-FAR", "C-NOWHERE"]
    assert ordered[0]["distance_m"] < 100 and ordered[-1]["distance_m"] is None
    assert [r["distance_m"] for r in ordered[:3]] == sorted(r["distance_m"] for r in ordered[:3])
    # without a position: soonest deadline first, no deadline last
    assert [r["code"] for r in nearest_first(rows(), None)] == ["C-NOWHERE", "A-FAR", "B-NEAR", "D-MID"]
    assert all(r["distance_m"] is None for r in nearest_first(rows(), None))
    assert nearest_first([], here) == []


def test_a_team_has_its_dispatched_and_joint_cases() -> None:
    state = CaseState(code="AJ-1", township_code="350212001", priority=3, status=Status.DISPATCHED, opened_at=T0,
                      seq=3, updated_at=T0, team_code="T1")
    joint = CaseState(code="AJ-2", township_code="350212001", priority=3, status=Status.JOINT, opened_at=T0, seq=3,
                      updated_at=T0, team_code="T1", joint_teams=("T2",))
    mine, other = Actor("o1", Role.OFFICER, teams={"T1"}), Actor("o2", Role.OFFICER, teams={"T2"})
    assert has_case(mine, state) and not has_case(other, state)
    assert has_case(mine, joint) and has_case(other, joint)
