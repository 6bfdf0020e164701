"""闭环看板 — the closed loop per township (or per community or team of one township): how many of the
cases opened in a period got how far, how long each step took, how often work came back or went to a
department, and the league with each component of the score.

The *funnel* follows the cohort :mod:`store.kpis` judges — the cases opened in ``[start, end)`` — through
reported → accepted → dispatched → handled → closed, each stage counting the cases that reached it (the
step's first timestamp on the case row is set). The step times, rework, transfers and the league come from
:func:`store.kpis.kpis` and :func:`store.kpis.league` unchanged: every KPI stays defined once.

A drill-down asks the same for the communities or the teams of one township: the KPIs are grouped by
community or team (the team a case is with now, as :mod:`store.kpis` does), and only that township's rows
are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from store.errors import InvalidData
from store.kpis import kpis, league
from store.models import Case
from store.store import Store

CASES: sa.Table = Case.__table__  # type: ignore[assignment]

STAGES = ("reported", "accepted", "dispatched", "handled", "closed")
"""The funnel's stages, in order."""
_STAGE_COLUMN = {"accepted": "accepted_at", "dispatched": "dispatched_at", "handled": "handled_at",
                 "closed": "closed_at"}
STEPS = ("time_to_accept", "time_to_dispatch", "time_to_arrive", "time_to_handle", "time_to_verify", "time_to_close")
"""The step times of :mod:`store.kpis`, in the order of the loop."""
LOOP_KPIS = ("acceptance_rate", "handling_rate", "on_time_handling_rate", "closure_rate", "on_time_closure_rate",
             "rework_rate", "extension_rate", "cases_transferred", "overdue_open", "dispatch_accuracy")
"""The rates and counts the board shows beside the funnel."""
LEVELS = ("township", "community", "team")
_GROUP_COLUMN = {"township": "township_code", "community": "community_code", "team": "current_team_code"}


def funnel(store: Store, by: str, start: datetime, end: datetime,
           townships: Sequence[str] | None = None) -> pd.DataFrame:
    """Per group (township, community or team): the cases opened in ``[start, end)`` that reached each of
    :data:`STAGES` (one statement; the groups of the scope ``townships`` only, None: all)."""
    if by not in LEVELS:
        raise InvalidData(f"the funnel is by {', '.join(LEVELS)}, not {by!r}")
    c = CASES.c
    key = c[_GROUP_COLUMN[by]]
    where = [key.is_not(None), c.opened_at >= start, c.opened_at < end]
    if townships is not None:
        where.append(c.township_code.in_(list(townships)) if townships else sa.false())
    counts = [sa.func.count().label("reported")]
    counts += [sa.func.count(c[column]).label(stage) for stage, column in _STAGE_COLUMN.items()]
    statement = sa.select(key.label(by), *counts).where(*where).group_by(key)
    with store.transaction() as conn:
        frame = pd.DataFrame([tuple(r) for r in conn.execute(statement)], columns=[by, *STAGES])
    return frame.set_index(by).astype(int).sort_index()


def conversion(frame: pd.DataFrame) -> pd.DataFrame:
    """Each stage as a share of the cases reported (0–1; NaN for a group without cases).

    >>> conversion(pd.DataFrame({"reported": [10], "accepted": [9], "dispatched": [8], "handled": [5],
    ...                          "closed": [4]})).iloc[0].tolist()
    [1.0, 0.9, 0.8, 0.5, 0.4]
    """
    reported = frame["reported"].where(frame["reported"] > 0)
    return pd.DataFrame({stage: frame[stage] / reported for stage in STAGES}, index=frame.index)


@dataclass(frozen=True)
class Board:
    """The closed loop of one level (townships, or one township's communities or teams) for a period.

    ``table``: one row per group — the funnel counts (:data:`STAGES`), ``<stage>_share``, the step times
    (``<step>_median_h``, ``<step>_p90_h``) and :data:`LOOP_KPIS`. ``league``: for townships, the league
    with each component's value and points, ``score``, ``rank`` and ``of`` (townships ranked); empty for
    the other levels.
    """

    level: str
    start: datetime
    end: datetime
    table: pd.DataFrame
    league: pd.DataFrame

    def totals(self) -> pd.Series:
        """The funnel over every group of the board."""
        return self.table[list(STAGES)].sum().astype(int) if len(self.table) else pd.Series(0, index=list(STAGES))


def board(store: Store, level: str, start: datetime, end: datetime, townships: Sequence[str] | None = None,
          groups: Sequence[str] | None = None) -> Board:
    """The :class:`Board` of ``level`` for the cases opened in ``[start, end)``.

    ``townships``: the scope (None: the district). ``groups``: the rows to show (every township, or the
    communities or teams of the drilled-down township, so that one without cases still has its row);
    None: the groups that have cases.
    """
    counts = funnel(store, level, start, end, townships)
    frame = kpis(store, level, start, end)
    ranked = pd.DataFrame()
    if level == "township":
        every = frame.reindex(sorted(set(frame.index) | set(groups or ())))
        ranked = league(every)
        ranked["of"] = len(ranked)
    index = list(groups) if groups is not None else sorted(counts.index)
    table = counts.reindex(index).fillna(0).astype(int)
    table.index.name = level
    shares = conversion(table).add_suffix("_share")
    hours = [f"{step}_{q}_h" for step in STEPS for q in ("median", "p90")]
    measures = frame.reindex(index)[[c for c in [*hours, *LOOP_KPIS] if c in frame]]
    table = pd.concat([table, shares, measures], axis=1)
    for column in ("cases_transferred", "overdue_open"):
        if column in table:
            table[column] = table[column].fillna(0).astype(int)
    if len(ranked):
        ranked = ranked[ranked.index.isin(index)]
    return Board(level, start, end, table, ranked)
