"""Shared material for the closed-loop tests: a small 事项清单, scoped actors, and cases walked to each status.

Cases are reached through real steps (``apply``), never built by hand, except where a test says so. Several
*variants* reach the same status by different roads (dispatched team, joint action, department transfer),
because who is in scope depends on the road.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cases.acceptance import prepare_acceptance
from cases.authority import rows_from_records
from cases.events import Event
from cases.lifecycle import apply
from cases.permissions import Actor, case_departments, case_teams
from cases.plans import load_plans
from cases.states import CaseState, Role, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATONG, WUXIAN = "350212001", "350212110"  # 大同街道, 五显镇 (the pilot town)
TEAM, OTHER_TEAM, WUXIAN_TEAM = "350212001-ZF01", "350212001-ZF02", "350212110-ZF01"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday morning
EVIDENCE = ["https://evidence.example/AJ/1.jpg"]

AUTHORITY = rows_from_records([
    {"township_code": DATONG, "item_code": "ZF001", "authority": "赋权", "department": ""},  # 占道经营, plan YA-04
    {"township_code": DATONG, "item_code": "ZF008", "authority": "法定", "department": ""},  # no plan
    {"township_code": DATONG, "item_code": "ZF015", "authority": "部门", "department": "公安"},  # 噪声扰民
    {"township_code": DATONG, "item_code": "ZF020", "authority": "委托", "department": ""},  # road digging, YA-01
    {"township_code": WUXIAN, "item_code": "ZF017", "authority": "法定", "department": ""},  # 违法建设, YA-02
    {"township_code": WUXIAN, "item_code": "ZF001", "authority": "赋权", "department": ""},
])
PLANS = load_plans()
ITEM = "ZF001"  # the canonical case: street vending in 大同街道, plan YA-04 (steps persuade, clear; register optional)


def scoped(role: Role, state: CaseState | None, township: str = DATONG) -> Actor:
    """An actor of ``role`` whose scope covers the case (same township, its team, its department)."""
    township = state.township_code if state is not None else township
    if role is Role.SYSTEM:
        return Actor("system", role)
    if role in (Role.OFFICER, Role.TEAM_LEADER):
        teams = (case_teams(state) if state is not None else frozenset()) or frozenset({TEAM})
        return Actor(f"{role.value}-1", role, township_code=township, teams=frozenset({sorted(teams)[0]}))
    if role is Role.DEPARTMENT_LIAISON:
        departments = sorted(case_departments(state)) if state is not None else []
        return Actor("liaison-1", role, township_code=township, department=(departments or ["公安"])[0])
    if role in (Role.SUPERVISOR, Role.LEADER):
        return Actor(f"{role.value}-district", role)  # district-wide users
    return Actor(f"{role.value}-1", role, township_code=township)


class Walk:
    """A case taken step by step; keeps the events and advances the clock between steps."""

    def __init__(self, state: CaseState | None = None, events: list[Event] | None = None,
                 at: datetime = T0) -> None:
        self.state, self.events, self.at = state, list(events or []), at

    def do(self, action: str, role: Role = Role.OPERATOR, payload: dict[str, Any] | None = None,
           after: timedelta = timedelta(minutes=10), actor: Actor | None = None) -> Walk:
        self.at += after
        self.state, event = apply(self.state, action, actor or scoped(role, self.state), payload or {}, self.at)
        self.events.append(event)
        return self

    def copy(self) -> Walk:
        return Walk(self.state, self.events, self.at)


def report(walk: Walk, item: str | None = ITEM, township: str = DATONG, priority: int = 3,
           code: str = "AJ-1") -> Walk:
    payload = {"case_code": code, "township_code": township, "priority": priority}
    if item:
        payload["item_code"] = item
    walk.at += timedelta(minutes=1)
    walk.state, event = apply(None, "report", scoped(Role.OPERATOR, None, township), payload, walk.at)
    walk.events.append(event)
    return walk


def accept(walk: Walk, **kwargs: Any) -> Walk:
    return walk.do("accept", payload=prepare_acceptance(walk.state, AUTHORITY, PLANS, **kwargs))


def finish_steps(walk: Walk, role: Role = Role.OFFICER) -> Walk:
    for step in walk.state.open_steps:
        walk.do("complete_step", role, {"step": step.id, "evidence": EVIDENCE})
    return walk


ROADS: dict[str, Callable[[Walk], Walk]] = {
    "team": lambda w: accept(w).do("dispatch", payload={"team_code": TEAM}),
    "joint": lambda w: accept(w).do("whistle", payload={"lead_team_code": TEAM, "departments": ["公安"]}),
    "department": lambda w: accept(w).do("transfer", payload={"department": "公安"}),
}
"""How an accepted case leaves the desk: dispatched to a team, a joint action, or transferred."""


def _handled(road: str) -> Walk:
    walk = ROADS[road](report(Walk()))
    if road == "department":
        finish_steps(walk, Role.DEPARTMENT_LIAISON)
        return walk.do("department_answer", Role.DEPARTMENT_LIAISON, {"outcome": "handled", "note": "已处理"})
    walk.do("arrive", Role.OFFICER)
    finish_steps(walk)
    return walk.do("feedback", Role.OFFICER, {"note": "已清理", "evidence": EVIDENCE})


@cache
def variants(status: Status) -> tuple[Walk, ...]:
    """Walks that end in ``status``, one per road that can reach it (cached: states are immutable)."""
    S = Status
    if status is S.REPORTED:
        return (report(Walk()),)
    if status is S.ACCEPTED:
        returned = ROADS["department"](report(Walk())).do(
            "department_answer", Role.DEPARTMENT_LIAISON, {"outcome": "returned", "note": "不属本部门"})
        return accept(report(Walk())), returned
    if status is S.REJECTED:
        return (report(Walk()).do("reject", payload={"reject_reason": "duplicate"}),)
    if status is S.DISPATCHED:
        reworked = [_handled(road).do("rework", payload={"reason": "未清理干净", "team_code": TEAM})
                    for road in ("joint", "department")]
        return (ROADS["team"](report(Walk())), *reworked)
    if status is S.TRANSFERRED:
        return (ROADS["department"](report(Walk())),)
    if status is S.JOINT:
        return ROADS["joint"](report(Walk())), ROADS["team"](report(Walk())).do(
            "whistle", payload={"lead_team_code": TEAM, "departments": ["公安"]})
    if status is S.IN_PROGRESS:
        return tuple(ROADS[road](report(Walk())).do("arrive", Role.OFFICER) for road in ("team", "joint"))
    if status is S.HANDLED:
        return tuple(_handled(road) for road in ("team", "joint", "department"))
    if status is S.VERIFIED:
        return tuple(w.copy().do("verify") for w in variants(S.HANDLED))
    if status is S.CLOSED:
        return tuple(w.copy().do("close") for w in variants(S.VERIFIED))
    if status is S.ARCHIVED:
        return tuple(w.copy().do("archive") for w in (*variants(S.CLOSED), *variants(S.REJECTED)))
    raise AssertionError(status)


@pytest.fixture
def walk() -> Walk:
    """A fresh canonical case (ZF001 in 大同街道), reported."""
    return report(Walk())


@pytest.fixture(scope="session")
def loop() -> SimpleNamespace:
    """This module's helpers and constants, for test modules (they cannot import a conftest)."""
    return SimpleNamespace(
        Walk=Walk, report=report, accept=accept, finish_steps=finish_steps, variants=variants, scoped=scoped,
        ROADS=ROADS, AUTHORITY=AUTHORITY, PLANS=PLANS, ITEM=ITEM, DATONG=DATONG, WUXIAN=WUXIAN, TEAM=TEAM,
        OTHER_TEAM=OTHER_TEAM, WUXIAN_TEAM=WUXIAN_TEAM, T0=T0, EVIDENCE=EVIDENCE, SHANGHAI=SHANGHAI)
