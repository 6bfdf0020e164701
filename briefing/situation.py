"""每日态势 — the day (or days) a leader asks about, as data: the figures, the townships side by side, the
league, what is overdue and who owns it, and the trend against the same weekdays a week before.

One :class:`Situation` feeds the page (/situation), the one-page brief (PDF, PNG) and the Excel export,
so the three always say the same thing. Nothing here is computed twice: the day's step counts and the
hourly trend are :mod:`store.today`'s (what was *done* in the window: accepted, dispatched … closed,
whatever day a case was opened), the league is :func:`store.kpis.league` over :func:`store.kpis.kpis`
(the cohort of cases opened in its period), the overdue list :mod:`briefing.overdue`.

Scope: ``townships`` is what the viewer may see and chose (None: the whole district). The league is
ranked over every township — a township leader sees their own row and its rank among all of them, never
another township's figures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from briefing.overdue import overdue_cases
from briefing.period import Days
from cases.calendar import SHANGHAI
from store.kpis import kpis, league
from store.store import Store
from store.today import FIGURES, hourly, step_counts

LEAGUE_MIN_DAYS = 30
"""The league needs time for cases to close: a shorter period is ranked over the 30 days ending with it."""
OVERDUE_LIMIT = 200
"""Most overdue cases listed (the totals per owner count all of them)."""


@dataclass(frozen=True)
class Situation:
    """Everything the situation page, the brief and the workbook show for one period and scope.

    Attributes
    ----------
    days, window, previous_window, as_of
        The local days asked for; ``[start, end)`` of what has happened of them (cut at the time it was
        read); the same weekdays a week (or whole weeks) before, cut at the same time of day; the instant
        "overdue" is judged at (the window's end).
    townships, names
        The scope (None: the district) and township code → (Chinese, English) name.
    figures, previous_figures
        :data:`store.today.FIGURES` for the window and for the previous window.
    by_township
        The same figures per township of the scope (index: township code).
    league, league_days
        :func:`store.kpis.league` over ``league_days`` with ``of`` (how many townships were ranked), rows
        of the scope only; ``kpi`` is the KPI frame behind it (scope rows).
    overdue, owners, overdue_total
        The most overdue open cases at ``as_of`` with their owner, the totals per owner, and how many.
    trend, trend_unit
        Reports and closures per hour (one day) or per day, this period and the previous one side by side.
    """

    days: Days
    window: tuple[datetime, datetime]
    previous_window: tuple[datetime, datetime]
    as_of: datetime
    generated_at: datetime
    townships: tuple[str, ...] | None
    names: Mapping[str, tuple[str, str]]
    figures: Mapping[str, float]
    previous_figures: Mapping[str, float]
    by_township: pd.DataFrame
    league: pd.DataFrame
    league_days: Days
    kpi: pd.DataFrame
    overdue: pd.DataFrame
    owners: pd.DataFrame
    overdue_total: int
    trend: pd.DataFrame
    trend_unit: str
    jurisdiction: str = ""
    demo_boundaries: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def township_name(self, code: str | None, lang: str = "zh") -> str:
        if not code:
            return ""
        zh, en = self.names.get(code, (code, code))
        return en if lang == "en" and en else zh

    def scope_name(self, lang: str = "zh") -> str:
        """The township's name for a one-township scope, else the whole district's."""
        if self.townships and len(self.townships) == 1:
            return self.township_name(self.townships[0], lang)
        if self.townships:
            return ", ".join(self.township_name(code, lang) for code in self.townships)
        return place_name(self.jurisdiction, lang) or ("Whole district" if lang == "en" else "全区")


def place_name(name: str, lang: str = "zh") -> str:
    """The part of a bilingual jurisdiction name in ``lang``, without the bracketed remarks.

    >>> place_name("同安区（示意边界）Tong'an District (demo boundaries)", "en")
    "Tong'an District"
    >>> place_name("同安区（示意边界）Tong'an District (demo boundaries)")
    '同安区'
    >>> place_name("Springfield", "zh")
    'Springfield'
    """
    plain = re.sub(r"[（(][^）)]*[）)]", " ", name or "").strip()
    split = re.match(r"^([^A-Za-z]*[\u2e80-\u9fff][^A-Za-z]*?)\s*([A-Za-z].*)?$", plain)
    if not split:
        return plain
    zh, en = split.group(1).strip(), (split.group(2) or "").strip()
    return (en or zh) if lang == "en" else zh


def league_days(days: Days) -> Days:
    """The days the league ranks: ``days``, or the 30 days ending with them when that is shorter."""
    if days.count >= LEAGUE_MIN_DAYS:
        return days
    return Days(days.last - timedelta(days=LEAGUE_MIN_DAYS - 1), days.last)


def situation(store: Store, days: Days, townships: Sequence[str] | None = None, now: datetime | None = None,
              *, jurisdiction: str = "", demo_boundaries: bool = False) -> Situation:
    """Read the :class:`Situation` of ``days`` for the scope ``townships`` (None: the whole district)."""
    now = now or datetime.now(UTC)
    scope = None if townships is None else tuple(townships)
    window = days.window(now)
    previous = days.previous_window(now)
    as_of = window[1]
    names = {str(row.code): (row.name, row.name_en or row.name) for row in store.townships().itertuples()}

    figures = step_counts(store, *window, as_of, scope).iloc[0]
    previous_figures = step_counts(store, *previous, previous[1], scope).iloc[0]
    by_township = step_counts(store, *window, as_of, scope, by_township=True)
    codes = sorted(names) if scope is None else [code for code in sorted(names) if code in scope]
    by_township = by_township.reindex(codes)
    for column in by_township:
        if column != "on_time_closure_rate":
            by_township[column] = by_township[column].fillna(0).astype(int)

    ranked_days = league_days(days)
    ranked_end = min(ranked_days.end, now)
    frame = kpis(store, "township", ranked_days.start, max(ranked_end, ranked_days.start + timedelta(seconds=1)))
    frame = frame.reindex(sorted(names))  # every township is ranked, cases or not
    table = league(frame)
    table["of"] = len(table)
    if scope is not None:
        table = table[table.index.isin(scope)]
        frame = frame[frame.index.isin(scope)]

    overdue, owners = overdue_cases(store, as_of, scope, OVERDUE_LIMIT)
    total = int(owners["cases"].sum()) if len(owners) else 0
    trend, unit = _trend(store, days, window, previous, scope)
    return Situation(
        days=days, window=window, previous_window=previous, as_of=as_of, generated_at=now, townships=scope,
        names=names, figures=_plain(figures), previous_figures=_plain(previous_figures), by_township=by_township,
        league=table, league_days=ranked_days, kpi=frame, overdue=overdue, owners=owners, overdue_total=total,
        trend=trend, trend_unit=unit, jurisdiction=jurisdiction, demo_boundaries=demo_boundaries,
    )


def _plain(row: pd.Series) -> dict[str, float]:
    return {name: (float(row[name]) if name in row and pd.notna(row[name]) else float("nan")) for name in FIGURES}


def _trend(store: Store, days: Days, window: tuple[datetime, datetime], previous: tuple[datetime, datetime],
           scope: tuple[str, ...] | None) -> tuple[pd.DataFrame, str]:
    """Reports and closures per local hour (one day) or day, this period beside the previous one.

    The index labels the period's own hours or days ("08:00", "2026-11-03"); the previous period's value
    sits in the row of the hour or day it is compared with (a week earlier). Hours and days still to come
    today are left out.
    """
    unit = "hour" if days.count == 1 else "day"
    shift = pd.Timedelta(days=days.shift_days())
    now_part = hourly(store, *window, scope)
    then_part = hourly(store, *previous, scope)
    then_part.index = then_part.index + shift  # onto the hours they are compared with
    frame = now_part.join(then_part.add_suffix("_previous"), how="left").fillna(0).astype(int)
    local = frame.index.tz_convert(SHANGHAI)
    if unit == "hour":
        frame.index = local.strftime("%H:00")
    else:
        frame = frame.groupby(local.strftime("%Y-%m-%d")).sum()
    frame.index.name = unit
    return frame[["reports", "reports_previous", "closed", "closed_previous"]], unit


def delta(now: float, before: float) -> float | None:
    """The relative change from ``before`` to ``now`` (None when there is nothing to compare with).

    >>> delta(12, 10), delta(3, 0), delta(0, 0)
    (0.2, None, None)
    """
    if before is None or now is None or pd.isna(before) or pd.isna(now) or before == 0:
        return None
    return round((now - before) / before, 4)
