"""A historical case's audit trail: the old platform's steps taken again through the rules of the loop.

:func:`rebuild` turns one :class:`~ingest.history.HistoricalReport` into the events of its case — 上报,
then 受理 or 不予受理, 派遣 (to a team) or 移送 (to a department), 到场, 处置 (the team's feedback or the
department's answer), 核查, 结案, 归档, as far as the old platform's status goes — each one made by
:func:`cases.lifecycle.apply`, so the trail replays like any other (:func:`cases.replay.replay`), and the
``cases`` row folded from them exactly as :mod:`store.casework` folds a live case's steps.

Every event is marked as imported: its actor is ``import:<file>``, its role the one the rule table names
for the step (the desk's operator, the team's leader, the department's liaison, the system for 上报 and
归档 — who in the old platform did it is not known), and its payload holds ``imported: true``, the source
row and the old platform's case id. The handling limit is the row's 处置时限 when it has one (counted like
the handle clock: in working days where the policy says so), else the item's time limit.

What the store's catalogue contradicts raises :class:`HistoryRefused` with the fields named: a 处置单位 that
is no team or department of the store, a township team for an item the 事项清单 sends to a department, a
township without a 事项清单 row for the item, a time limit the loop cannot hold.

>>> unit_kind("同安区市场监督管理局", Catalogue({}, {}, {}, {}))
('department', '市场监管')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cases.acceptance import prepare_acceptance
from cases.authority import DEPARTMENTS, AuthorityError, AuthorityRow, Route
from cases.calendar import SHANGHAI
from cases.deadlines import DeadlinePolicy, advance, counted_between
from cases.events import Event
from cases.lifecycle import TransitionRefused, apply
from cases.permissions import Actor
from cases.states import Action, CaseState, Role, Status
from ingest.history import HistoricalReport, History, Span
from store.casework import TRAIL_START, state_columns, step_columns

MAX_LIMIT_HOURS = 720.0
"""The longest handling limit the loop takes (``cases.guards`` checks ``time_limit_hours``)."""

DEPARTMENT_NAMES: Mapping[str, str] = {
    **{name: name for name in DEPARTMENTS},
    "公安局": "公安", "公安分局": "公安", "派出所": "公安",
    "市场监督管理局": "市场监管", "市场监管局": "市场监管", "市场监督管理所": "市场监管", "市场监管所": "市场监管",
    "自然资源局": "自然资源", "自然资源和规划局": "自然资源", "规划和自然资源局": "自然资源", "资源规划局": "自然资源",
    "司法局": "司法", "司法所": "司法", "应急管理局": "应急管理", "应急局": "应急管理",
    "综合行政执法局": "综合执法", "综合执法局": "综合执法", "城市管理局": "综合执法", "城市管理行政执法局": "综合执法",
}
"""A department as an old platform names it: our name, or a bureau's name ending the text
(``同安区市场监督管理局`` → 市场监管). Department units of the store (``大同派出所``) are found as teams first."""


class HistoryRefused(ValueError):
    """The store cannot rebuild a historical case; the message names the fields (the quarantine reason)."""


@dataclass(frozen=True)
class Team:
    code: str
    name: str
    township_code: str | None
    kind: str  # squad | sub_squad | department_unit
    department: str


@dataclass(frozen=True)
class Catalogue:
    """What rebuilding needs from the store: the 事项清单, items' limits and priorities, the teams."""

    authority: Mapping[tuple[str, str], AuthorityRow]
    limits: Mapping[str, float]
    priorities: Mapping[str, int]
    teams: Mapping[str, Team]
    by_name: Mapping[str, tuple[Team, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_name and self.teams:
            names: dict[str, list[Team]] = {}
            for team in self.teams.values():
                names.setdefault(team.name, []).append(team)
            object.__setattr__(self, "by_name", {name: tuple(found) for name, found in names.items()})


@dataclass(frozen=True)
class Trail:
    """A rebuilt case: its final state, its events in order, and its ``cases`` columns (state and folded)."""

    state: CaseState
    events: tuple[Event, ...]
    columns: dict[str, Any]


def unit_kind(text: str, catalogue: Catalogue, township_code: str | None = None) -> tuple[str, str]:
    """``("team", code)`` or ``("department", name)`` for a 处置单位 as written; :class:`LookupError` if neither.

    A team is found by code, else by name (a name several teams share is decided by the case's township); a
    department unit of the store (派出所, 市场监管所) stands for its department.
    """
    team = catalogue.teams.get(text)
    if team is None and text in catalogue.by_name:
        found = catalogue.by_name[text]
        local = [t for t in found if t.township_code == township_code]
        if len(found) > 1 and len(local) != 1:
            raise LookupError(f"names {len(found)} teams ({', '.join(t.code for t in found)})")
        team = local[0] if len(found) > 1 else found[0]
    if team is not None:
        return ("department", team.department) if team.kind == "department_unit" else ("team", team.code)
    department = DEPARTMENT_NAMES.get(text) or next(
        (ours for theirs, ours in DEPARTMENT_NAMES.items() if len(theirs) > 2 and text.endswith(theirs)), None)
    if department is None:
        raise LookupError(f"is no team or department of the store (teams by code or name; departments "
                          f"{'、'.join(DEPARTMENTS)} or their bureaus)")
    return "department", department


def rebuild(report: HistoricalReport, *, case_code: str, township_code: str, community_code: str | None,
            cell_code: str | None, catalogue: Catalogue, policy: DeadlinePolicy) -> Trail:
    """The events and row of one historical case (see the module docstring); :class:`HistoryRefused`."""
    history = report.history
    if history is None:
        raise HistoryRefused("a historical report without its history")
    item = report.item_code
    priority = report.priority or catalogue.priorities.get(item, 3)
    who = f"import:{report.source.filename}"
    marks = {"imported": True, "source_row": str(report.source), "legacy_case_id": history.legacy_case_id}
    builder = _Builder(marks)
    builder.take(Action.REPORT, Actor(who, Role.SYSTEM), {
        "case_code": case_code, "township_code": township_code, "priority": priority, "item_code": item,
        "community_code": community_code, "cell_code": cell_code, "note": f"{report.channel} {report.external_id}"},
        report.received_at)
    desk = Actor(who, Role.OPERATOR)
    route: tuple[str, str] | None = None
    for step in history.steps:
        state = builder.state
        if step.action == "reject":
            assert history.reject_reason is not None
            builder.take(Action.REJECT, desk, {"reject_reason": history.reject_reason.value}, step.at)
        elif step.action == "accept":
            limit = _limit(history, report, priority, step.at, catalogue, policy)
            try:
                payload = prepare_acceptance(state, catalogue.authority, (), time_limit_hours=limit)
            except AuthorityError as exc:
                raise HistoryRefused(f"cannot accept it: {exc}") from None
            builder.take(Action.ACCEPT, desk, payload, step.at)
        elif step.action == "dispatch":
            route = _route(history, state, catalogue)
            if route[0] == "team":
                builder.take(Action.DISPATCH, desk, {"team_code": route[1]}, step.at)
            else:
                builder.take(Action.TRANSFER, desk, {"department": route[1]}, step.at)
        elif step.action == "arrive":
            assert route is not None
            if route[0] == "team":  # a department's case has no arrival of our team on site
                builder.take(Action.ARRIVE, Actor(who, Role.TEAM_LEADER, teams={route[1]}), {}, step.at)
        elif step.action == "handle":
            assert route is not None
            note = history.note or f"旧系统处置记录 {history.legacy_case_id or report.source}"
            if route[0] == "team":
                evidence = list(report.media) or [f"legacy-case:{history.legacy_case_id or report.source}"]
                builder.take(Action.FEEDBACK, Actor(who, Role.TEAM_LEADER, teams={route[1]}),
                             {"note": note, "evidence": evidence}, step.at)
            else:
                builder.take(Action.DEPARTMENT_ANSWER, Actor(who, Role.DEPARTMENT_LIAISON, department=route[1]),
                             {"outcome": "handled", "note": note}, step.at)
        elif step.action in ("verify", "close"):
            builder.take(Action(step.action), desk, {}, step.at)
        elif step.action == "archive":
            builder.take(Action.ARCHIVE, Actor(who, Role.SYSTEM), {}, step.at)
    if history.status is Status.TRANSFERRED and route is not None and route[0] == "team":
        raise HistoryRefused(f'{history.label("status")} "{history.status_text}" but '
                             f'{history.label("handling_unit")} "{history.handling_unit}" is a team, not a department')
    columns = {**state_columns(builder.state, policy), **builder.folded}
    return Trail(builder.state, tuple(builder.events), columns)


class _Builder:
    """Applies steps one by one, folding the row's step columns as :mod:`store.casework` does."""

    def __init__(self, marks: Mapping[str, Any]) -> None:
        self.marks = dict(marks)
        self.state: CaseState = None  # type: ignore[assignment] - set by the first take (report)
        self.events: list[Event] = []
        self.folded: dict[str, Any] = dict(TRAIL_START)

    def take(self, action: Action, actor: Actor, payload: Mapping[str, Any], at: datetime) -> None:
        before = self.state
        try:
            self.state, event = apply(before, action, actor, {**payload, **self.marks}, at)
        except TransitionRefused as exc:
            raise HistoryRefused(f"the old platform's steps do not pass the rules of the loop: {exc}") from None
        self.folded.update(step_columns(event, before, self.folded))
        self.events.append(event)


def _route(history: History, state: CaseState, catalogue: Catalogue) -> tuple[str, str]:
    """Who had the case: the row's 处置单位, checked against the 事项清单's decision."""
    decision = state.decision
    label = history.label("handling_unit")
    if history.handling_unit is None:
        if decision is not None and decision.route is Route.TRANSFER and decision.department:
            return "department", decision.department
        where = label if "handling_unit" in history.labels else "a handling_unit column"
        raise HistoryRefused(f"{_shown(history)} needs {where} (the team it was dispatched to), which is "
                             f"{'blank' if 'handling_unit' in history.labels else 'not in the column mapping'}")
    try:
        kind, unit = unit_kind(history.handling_unit, catalogue, state.township_code)
    except LookupError as exc:
        raise HistoryRefused(f'{label} "{history.handling_unit}" {exc}') from None
    if kind == "team" and decision is not None and decision.route is Route.TRANSFER:
        raise HistoryRefused(f'{label} "{history.handling_unit}" is a township team, but the 事项清单 sends the '
                             f"item to {decision.department} ({decision.basis}); the township may not dispatch it")
    return kind, unit


def _limit(history: History, report: HistoricalReport, priority: int, accepted: datetime, catalogue: Catalogue,
           policy: DeadlinePolicy) -> float | None:
    """The handling limit in hours as the handle clock counts them: from the row's 处置时限, else the item's."""
    if history.deadline is None:
        return catalogue.limits.get(report.item_code)
    deadline = history.deadline
    if isinstance(deadline, Span):
        deadline = _after(accepted, deadline, policy)
    calendar = policy.calendar if policy.counts_working_days(priority, "handle") else None
    seconds = math.ceil(counted_between(accepted, deadline, (), calendar).total_seconds())
    hours = seconds / 3600
    label = f'{history.label("deadline")} "{_local(deadline)}"'
    if hours <= 0:
        raise HistoryRefused(f"{label} leaves no working time after acceptance ({_local(accepted)})")
    if hours > MAX_LIMIT_HOURS:
        raise HistoryRefused(f"{label} is {hours:.0f} counted hours after acceptance ({_local(accepted)}): the "
                             f"longest handling limit is {MAX_LIMIT_HOURS:.0f} hours")
    return hours


def _after(start: datetime, span: Span, policy: DeadlinePolicy) -> datetime:
    if span.unit == "hours":
        return start + timedelta(hours=span.amount)
    if span.unit == "working_days" and policy.calendar is not None:
        found = advance(start, timedelta(days=span.amount), (), policy.calendar)
        assert found is not None  # no suspensions: the clock always reaches its amount
        return found
    return start + timedelta(days=span.amount)


def _shown(history: History) -> str:
    if history.status_text:
        return f'{history.label("status")} "{history.status_text}"'
    return f"the status {history.status.value}"


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


__all__ = ["Catalogue", "DEPARTMENT_NAMES", "HistoryRefused", "Team", "Trail", "rebuild", "unit_kind"]
