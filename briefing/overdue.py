"""What is overdue and who owns it (超期未办结及责任单位): the open cases past their deadline, with their owner.

A leader's question is not only "how many are late" but "who has them": the team the case was dispatched
to (and the department behind that team), the department it was transferred to (移送), or — before any
dispatch — the command center itself, which has not yet accepted or dispatched it. Days over counts from
the deadline (``cases.deadline_at``, the earliest running clock's limit, kept by the case service) to the
instant judged at.

Reads the ``cases`` rows through the ``(status, deadline_at)`` index; one statement for the list (the
most overdue first, at most ``limit`` rows) and one for the per-owner totals over *all* overdue cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from cases.states import OPEN_STATUSES, Status
from store.models import Case, Community, Item, Team, Township
from store.store import Store

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
TEAMS: sa.Table = Team.__table__  # type: ignore[assignment]
ITEMS: sa.Table = Item.__table__  # type: ignore[assignment]
TOWNSHIPS: sa.Table = Township.__table__  # type: ignore[assignment]
COMMUNITIES: sa.Table = Community.__table__  # type: ignore[assignment]

OPEN = tuple(s.value for s in OPEN_STATUSES)
COMMAND_CENTER = "command_center"
"""The owner of an overdue case nobody was dispatched to yet (awaiting acceptance or dispatch)."""
COLUMNS = ("case_id", "code", "status", "priority", "township_code", "township", "township_en", "community",
           "community_en", "item", "item_en", "opened_at", "deadline_at", "days_over", "owner_kind", "owner",
           "owner_en", "department", "supervised")
DEPARTMENT_EN = {"综合执法": "Comprehensive enforcement", "市场监管": "Market regulation",
                 "自然资源": "Natural resources", "公安": "Public security", "司法": "Justice",
                 "应急管理": "Emergency management"}
"""English names of the departments (:data:`cases.authority.DEPARTMENTS`)."""
OWNER_COLUMNS = ("owner_kind", "owner", "owner_en", "department", "township_code", "cases", "max_days_over",
                 "mean_days_over")


def _where(as_of: datetime, townships: Sequence[str] | None) -> list[sa.ColumnElement[bool]]:
    c = CASES.c
    where = [c.status.in_(OPEN), c.deadline_at.is_not(None), c.deadline_at < as_of]
    if townships is not None:
        where.append(c.township_code.in_(list(townships)) if townships else sa.false())
    return where


def owner_of(status: str, team: str | None, team_en: str | None, team_department: str | None,
             department: str | None) -> tuple[str, str, str, str | None]:
    """(kind, name, English name, department) of whoever must move the case now.

    >>> owner_of("transferred", "城管中队", "Squad", "综合执法", "市场监管所")[:2]
    ('department', '市场监管所')
    >>> owner_of("accepted", None, None, None, None)[0]
    'command_center'
    """
    if status == Status.TRANSFERRED.value and department:
        return "department", department, DEPARTMENT_EN.get(department, department), department
    if team:
        return "team", team, team_en or team, team_department
    return COMMAND_CENTER, "指挥中心（待受理/派遣）", "Command center (to accept or dispatch)", None


def overdue_cases(store: Store, as_of: datetime, townships: Sequence[str] | None = None,
                  limit: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the ``limit`` most overdue open cases, totals per owner over every overdue case) at ``as_of``.

    ``townships``: the viewer's scope (None: the whole district; empty: nothing). Both frames are empty
    (with their columns) when nothing is overdue.
    """
    if as_of.utcoffset() is None:
        raise ValueError(f"as_of {as_of.isoformat()} has no time zone")
    c, team = CASES.c, TEAMS.c
    statement = (
        sa.select(c.id.label("case_id"), c.code, c.status, c.priority, c.township_code,
                  TOWNSHIPS.c.name.label("township"), TOWNSHIPS.c.name_en.label("township_en"),
                  COMMUNITIES.c.name.label("community"), COMMUNITIES.c.name_en.label("community_en"),
                  ITEMS.c.name.label("item"), ITEMS.c.name_en.label("item_en"), c.opened_at, c.deadline_at,
                  team.name.label("team"), team.name_en.label("team_en"), team.department.label("team_department"),
                  c.department, c.supervised)
        .select_from(CASES.outerjoin(TEAMS, team.code == c.current_team_code)
                     .outerjoin(ITEMS, ITEMS.c.code == c.item_code)
                     .outerjoin(TOWNSHIPS, TOWNSHIPS.c.code == c.township_code)
                     .outerjoin(COMMUNITIES, COMMUNITIES.c.code == c.community_code))
        .where(*_where(as_of, townships))
        .order_by(c.deadline_at, c.id)
    )
    owners_statement = (
        sa.select(c.status, team.name, team.name_en, team.department.label("team_department"), c.department,
                  c.township_code, c.deadline_at)
        .select_from(CASES.outerjoin(TEAMS, team.code == c.current_team_code))
        .where(*_where(as_of, townships))
    )
    with store.transaction() as conn:
        rows = [dict(r) for r in conn.execute(statement.limit(int(limit))).mappings()]
        every = conn.execute(owners_statement).all()
    cases = pd.DataFrame([_case_row(row, as_of) for row in rows], columns=list(COLUMNS))
    return cases, _owners(every, as_of)


def _days_over(deadline: datetime, as_of: datetime) -> float:
    return round((as_of - deadline).total_seconds() / 86400, 1)


def _case_row(row: dict, as_of: datetime) -> dict:
    kind, owner, owner_en, department = owner_of(row["status"], row["team"], row["team_en"], row["team_department"],
                                                 row["department"])
    return {**{k: row.get(k) for k in COLUMNS}, "days_over": _days_over(row["deadline_at"], as_of),
            "owner_kind": kind, "owner": owner, "owner_en": owner_en, "department": department,
            "supervised": bool(row["supervised"])}


def _owners(cases: Sequence[Sequence], as_of: datetime) -> pd.DataFrame:
    """Totals per owner and township, the owner with most overdue cases first."""
    if not cases:
        return pd.DataFrame(columns=list(OWNER_COLUMNS))
    records = []
    for status, team, team_en, team_department, department, township, deadline in cases:
        kind, owner, owner_en, owner_department = owner_of(status, team, team_en, team_department, department)
        records.append({"owner_kind": kind, "owner": owner, "owner_en": owner_en,
                        "department": owner_department or "", "township_code": township or "",
                        "days_over": _days_over(deadline, as_of)})
    frame = pd.DataFrame(records)
    totals = (frame.groupby(["owner_kind", "owner", "owner_en", "department", "township_code"])["days_over"]
              .agg(cases="count", max_days_over="max", mean_days_over="mean").reset_index())
    totals["mean_days_over"] = totals["mean_days_over"].round(1)
    totals["department"] = totals["department"].replace("", None)
    totals = totals.sort_values(["cases", "max_days_over", "owner"], ascending=[False, False, True])
    return totals.reset_index(drop=True)[list(OWNER_COLUMNS)]
