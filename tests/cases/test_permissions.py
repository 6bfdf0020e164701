"""Scope: township users stay in their township, teams on their cases, liaisons on their department's."""

from __future__ import annotations

import pytest

from cases.lifecycle import TransitionRefused, apply
from cases.permissions import Actor
from cases.states import Role, Status


def test_township_operator_cannot_act_on_another_township(loop) -> None:
    case = loop.variants(Status.REPORTED)[0]  # a 大同街道 case
    wuxian_operator = Actor("op-wx", Role.OPERATOR, township_code=loop.WUXIAN)
    with pytest.raises(TransitionRefused) as refused:
        apply(case.state, "reject", wuxian_operator, {"reject_reason": "invalid"}, case.at)
    assert refused.value.kind == "scope"
    assert str(refused.value) == ("cannot reject case AJ-1: outside township: op-wx (operator) works in township "
                                  "350212110, the case is in 350212001")


def test_township_operator_cannot_open_a_case_elsewhere(loop) -> None:
    wuxian_operator = Actor("op-wx", Role.OPERATOR, township_code=loop.WUXIAN)
    payload = {"case_code": "AJ-2", "township_code": loop.DATONG, "priority": 3}
    with pytest.raises(TransitionRefused, match="outside township"):
        apply(None, "report", wuxian_operator, payload, loop.T0)
    case, _ = apply(None, "report", wuxian_operator, dict(payload, township_code=loop.WUXIAN), loop.T0)
    assert case.township_code == loop.WUXIAN


def test_district_users_act_in_every_township(loop) -> None:
    district_operator = Actor("op-district", Role.OPERATOR)
    for township in (loop.DATONG, loop.WUXIAN):
        case, _ = apply(None, "report", district_operator, {"case_code": "AJ", "township_code": township,
                                                             "priority": 1}, loop.T0)
        supervised, _ = apply(case, "supervise", Actor("sup", Role.SUPERVISOR), {"level": 3}, loop.T0)
        assert supervised.supervised and supervised.supervision_level == 3


def test_township_supervisor_is_scoped_too(loop) -> None:
    case = loop.variants(Status.DISPATCHED)[0]
    supervisor = Actor("sup-wx", Role.SUPERVISOR, township_code=loop.WUXIAN)
    with pytest.raises(TransitionRefused, match="outside township"):
        apply(case.state, "supervise", supervisor, {"level": 1}, case.at)


def test_officer_acts_only_on_cases_dispatched_to_their_team(loop) -> None:
    case = loop.variants(Status.DISPATCHED)[0]  # dispatched to 350212001-ZF01
    other = Actor("off-2", Role.OFFICER, township_code=loop.DATONG, teams={loop.OTHER_TEAM})
    with pytest.raises(TransitionRefused) as refused:
        apply(case.state, "arrive", other, {}, case.at)
    assert refused.value.kind == "scope"
    assert "not your team's case: off-2 (officer) acts for 350212001-ZF02; case AJ-1 is with 350212001-ZF01" \
        in str(refused.value)
    mine = Actor("off-1", Role.OFFICER, township_code=loop.DATONG, teams={loop.TEAM})
    arrived, event = apply(case.state, "arrive", mine, {"client_address": "10.0.0.7"}, case.at)
    assert arrived.status is Status.IN_PROGRESS and event.client_address == "10.0.0.7"


def test_officer_has_no_case_before_dispatch(loop) -> None:
    case = loop.variants(Status.ACCEPTED)[0]
    officer = Actor("off-1", Role.OFFICER, township_code=loop.DATONG, teams={loop.TEAM})
    with pytest.raises(TransitionRefused, match="is with no team yet"):
        apply(case.state, "complete_step", officer, {"step": "register"}, case.at)


def test_squad_leader_acts_for_the_sub_squads_they_lead(loop) -> None:
    case = loop.variants(Status.DISPATCHED)[0]
    squad_leader = Actor("zdz-1", Role.TEAM_LEADER, township_code=loop.DATONG,
                         teams={"350212001-ZF", loop.TEAM, loop.OTHER_TEAM})
    arrived, _ = apply(case.state, "arrive", squad_leader, {}, case.at)
    assert arrived.status is Status.IN_PROGRESS


def test_joint_action_opens_the_case_to_participating_teams_and_departments(loop) -> None:
    walk = loop.variants(Status.ACCEPTED)[0].copy()
    walk.do("whistle", Role.LEADER, {"lead_team_code": loop.TEAM, "departments": ["公安"],
                                     "team_codes": ["350212001-GA"]})
    police_team = Actor("ga-1", Role.OFFICER, township_code=loop.DATONG, teams={"350212001-GA"})
    arrived, _ = apply(walk.state, "arrive", police_team, {}, walk.at)
    assert arrived.status is Status.IN_PROGRESS
    police = Actor("liaison-ga", Role.DEPARTMENT_LIAISON, township_code=loop.DATONG, department="公安")
    market = Actor("liaison-sj", Role.DEPARTMENT_LIAISON, township_code=loop.DATONG, department="市场监管")
    done, _ = apply(arrived, "complete_step", police, {"step": "register"}, walk.at)
    assert done.completed_steps == ("register",)
    with pytest.raises(TransitionRefused, match="not your department's case: liaison-sj"):
        apply(arrived, "complete_step", market, {"step": "register"}, walk.at)


def test_department_liaison_answers_only_for_their_department(loop) -> None:
    case = loop.variants(Status.TRANSFERRED)[0]  # transferred to 公安
    market = Actor("liaison-sj", Role.DEPARTMENT_LIAISON, department="市场监管")
    with pytest.raises(TransitionRefused, match="represents 市场监管; case AJ-1 is with 公安"):
        apply(case.state, "department_answer", market, {"outcome": "handled", "note": "x"}, case.at)
    police = Actor("liaison-ga", Role.DEPARTMENT_LIAISON, department="公安")
    handled, event = apply(case.state, "department_answer", police, {"outcome": "handled", "note": "已处罚"},
                           case.at)
    assert handled.status is Status.HANDLED and event.role is Role.DEPARTMENT_LIAISON


def test_role_is_checked_before_scope(loop) -> None:
    case = loop.variants(Status.REPORTED)[0]
    officer_elsewhere = Actor("off-wx", Role.OFFICER, township_code=loop.WUXIAN, teams={loop.WUXIAN_TEAM})
    with pytest.raises(TransitionRefused) as refused:
        apply(case.state, "accept", officer_elsewhere, {}, case.at)
    assert refused.value.kind == "role"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"id": "", "role": Role.OPERATOR}, "needs an id"),
    ({"id": "off", "role": Role.OFFICER}, "must belong to a team"),
    ({"id": "tl", "role": Role.TEAM_LEADER}, "must belong to a team"),
    ({"id": "li", "role": Role.DEPARTMENT_LIAISON}, "must name their department"),
    ({"id": "x", "role": "janitor"}, "'janitor' is not a valid Role"),
])
def test_actor_is_checked_when_made(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Actor(**kwargs)


def test_actor_accepts_role_names_from_the_users_table() -> None:
    assert Actor("u", "team_leader", teams=["T1"]).role is Role.TEAM_LEADER
