"""The cases a field team has (我的案件): what an officer's phone lists, nearest first.

A team has a case when it is the dispatched (or lead) team, or joins a joint action (联合执法) — the domain's
rule, :func:`cases.permissions.case_teams`. The ``cases`` row keeps the dispatched or lead team
(``current_team_code``) but not the other teams of a joint action, so the query takes the team's cases and
the township's joint ones, and :func:`has_case` decides on each case's state.

Which statuses are listed comes from the rule table, not from a list here: the open statuses from which
some rule lets the role act (:func:`field_statuses`) — for an officer dispatched and joint (到场), in progress
(处置反馈), and the statuses a response-plan step may be completed from.

Ordering is pure (:func:`nearest_first`): by the great-circle distance from the phone's position to the
case's point, cases without a point after those with one; without a position, by deadline (the soonest
first, no deadline last).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cases.permissions import Actor, case_teams
from cases.rules import RULES
from cases.states import OPEN_STATUSES, CaseState, Role, Status
from store.models import Case
from store.store import Store

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
COLUMNS = ("id", "code", "status", "priority", "item_code", "address", "description", "township_code",
           "community_code", "current_team_code", "opened_at", "deadline_at", "updated_at", "version", "min_lon",
           "min_lat")
MAX_CASES = 500
"""Most cases read for one phone: a sub-squad has tens open, a squad leader's teams a few hundred."""
EARTH_RADIUS_M = 6_371_008.8


def field_statuses(role: Role) -> tuple[Status, ...]:
    """Open statuses from which some row of the rule table lets ``role`` act on a case, in status order."""
    wanted = {status for rule in RULES if role in rule.actors for status in rule.from_statuses}
    return tuple(s for s in Status if s in wanted and s in OPEN_STATUSES)


def team_case_rows(store: Store, actor: Actor, limit: int = MAX_CASES) -> list[dict[str, Any]]:
    """Rows (:data:`COLUMNS`) of the open cases that may be ``actor``'s team's, soonest deadline first:
    dispatched or led by one of their teams, or a joint action in their township (check each with
    :func:`has_case`). Nothing for an actor without a team."""
    statuses = [s.value for s in field_statuses(actor.role)]
    if not actor.teams or not statuses:
        return []
    c = CASES.c
    joint = c.status == Status.JOINT.value
    if actor.township_code is not None:
        joint = sa.and_(joint, c.township_code == actor.township_code)
    statement = (
        sa.select(*(c[name] for name in COLUMNS))
        .where(c.status.in_(statuses), sa.or_(c.current_team_code.in_(sorted(actor.teams)), joint))
        .order_by(c.deadline_at.asc().nulls_last(), c.id)
        .limit(limit)
    )
    if actor.township_code is not None:
        statement = statement.where(c.township_code == actor.township_code)
    with store.transaction() as conn:
        return [dict(row) for row in conn.execute(statement).mappings()]


def has_case(actor: Actor, state: CaseState) -> bool:
    """Does one of the actor's teams have the case (dispatched, lead or joining team)?"""
    return bool(actor.teams & case_teams(state))


# --------------------------------------------------------------------------------------------- ordering


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS-84 points.

    >>> round(distance_m(118.14, 24.73, 118.15, 24.73))
    1010
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearest_first(rows: Iterable[Mapping[str, Any]], position: tuple[float, float] | None) -> list[dict[str, Any]]:
    """The rows with ``distance_m`` (None without a position or a point), nearest first from ``position``
    (lon, lat); without a position by ``deadline_at`` (soonest first, none last). Ties: the soonest deadline,
    then the case code."""
    far = datetime.max.replace(tzinfo=None)

    def deadline(row: Mapping[str, Any]) -> datetime:
        value = row.get("deadline_at")
        return value.replace(tzinfo=None) if value is not None else far

    result = []
    for row in rows:
        item = dict(row)
        lon, lat = item.get("min_lon"), item.get("min_lat")
        item["distance_m"] = (distance_m(position[0], position[1], lon, lat)
                              if position is not None and lon is not None and lat is not None else None)
        result.append(item)
    if position is None:
        return sorted(result, key=lambda r: (deadline(r), r["code"]))
    return sorted(result, key=lambda r: (r["distance_m"] is None, r["distance_m"] or 0.0, deadline(r), r["code"]))


def describe_distance(metres: float | None) -> str:
    """``850 m`` or ``3.2 km`` (empty without a distance)."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.1f} km"

