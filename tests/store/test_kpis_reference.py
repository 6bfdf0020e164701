"""The KPI queries against a straightforward reference — pandas over the same rows — for a simulated month.

On PostGIS the township and day/week/month groupings take the fast path (one UNION ALL branch per township
or run of days, run in parallel); every grouping must give what the formulas say, computed row by row here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.sql import visitors

from cases.calendar import SHANGHAI
from cases.states import OPEN_STATUSES
from sim import Settings, simulate
from store import open_store
from store.kpis import GROUPINGS, KPIS, SOURCES, Period, kpis
from store.models import Case, CaseEvent, Officer, Report, Team

SETTINGS = Settings(start=datetime(2026, 10, 12, tzinfo=SHANGHAI), days=30, per_day=3, seed=21)
STEPS = {"time_to_accept": ("opened_at", "accepted_at"), "time_to_dispatch": ("accepted_at", "dispatched_at"),
         "time_to_arrive": ("dispatched_at", "arrived_at"), "time_to_handle": ("accepted_at", "handled_at"),
         "time_to_verify": ("handled_at", "verified_at"), "time_to_close": ("opened_at", "closed_at")}
CASE_KEYS = {"township": "township_code", "community": "community_code", "team": "current_team_code",
             "item": "item_code", "channel": "channel"}
REPORT_KEYS = {"township": "township_code", "community": "community_code", "item": "item_code", "channel": "channel"}
OFFICER_KEYS = {"township": "township_code", "team": "team_code"}


@pytest.fixture
def month(database_url: str, demo_dir: Path):
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    simulate(store, SETTINGS)
    return store


def _frame(conn: sa.Connection, statement: sa.Select) -> pd.DataFrame:
    result = conn.execute(statement)
    frame = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()), dtype=object)
    for column in frame.columns:
        if column.endswith("_at") or column == "at":
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _rows(store) -> dict[str, pd.DataFrame]:
    with store.transaction() as conn:
        return {
            "cases": _frame(conn, sa.select(Case.__table__).where(Case.opened_at.is_not(None))),
            "reports": _frame(conn, sa.select(Report.township_code, Report.community_code, Report.item_code,
                                              Report.channel, Report.received_at)),
            "officers": _frame(conn, sa.select(Officer.code, Officer.team_code, Officer.certified, Team.township_code)
                               .join(Team, Team.code == Officer.team_code)),
            "events": _frame(conn, sa.select(CaseEvent.actor, CaseEvent.at)),
        }


def _bucket(times: pd.Series, unit: str) -> pd.Series:
    day = times.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None).dt.normalize()
    if unit == "week":
        day = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    elif unit == "month":
        day = day - pd.to_timedelta(day.dt.day - 1, unit="D")
    return day.dt.strftime("%Y-%m-%d")


def _keyed(rows: pd.DataFrame, by: str, keys: dict[str, str], time: str | None) -> pd.DataFrame | None:
    if by in ("day", "week", "month"):
        if time is None:
            return None
        return rows.assign(key=_bucket(rows[time], by))
    if by not in keys:
        return None
    return rows.assign(key=rows[keys[by]]).dropna(subset=["key"])


def reference(rows: dict[str, pd.DataFrame], by: str, start: datetime, end: datetime,
              as_of: datetime) -> pd.DataFrame:
    """Every KPI per group, from the rows, as the formulas in store.kpis say (written out again here)."""
    columns: dict[str, pd.Series] = {}
    cases = rows["cases"]
    c = _keyed(cases[(cases["opened_at"] >= start) & (cases["opened_at"] < end)], by, CASE_KEYS, "opened_at")
    groups = c["key"]

    def total(mask: pd.Series) -> pd.Series:
        return mask.astype(int).groupby(groups).sum()

    def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
        den = total(denominator)
        return total(numerator & denominator) / den.where(den > 0)

    accepted, rejected = c["accepted_at"].notna(), c["rejected_at"].notna()
    dispatched, handled, closed = c["dispatched_at"].notna(), c["handled_at"].notna(), c["closed_at"].notna()
    handled_late = c["handled_late"]
    overdue = c["status"].isin([s.value for s in OPEN_STATUSES]) & (c["deadline_at"] < as_of)
    everything = pd.Series(True, index=c.index)
    columns["cases_opened"] = total(everything)
    columns["cases_accepted"] = total(accepted)
    columns["acceptance_rate"] = ratio(accepted, accepted | rejected)
    columns["dispatch_accuracy"] = ratio(c["redispatch_count"] == 0, dispatched)
    columns["handling_rate"] = ratio(handled, accepted)
    columns["on_time_handling_rate"] = ratio(handled_late == False, handled_late.notna())  # noqa: E712
    columns["closure_rate"] = ratio(closed, accepted)
    columns["on_time_closure_rate"] = ratio(c["late"] == False, closed)  # noqa: E712
    columns["rework_rate"] = ratio(c["rework_count"] > 0, handled)
    columns["extension_rate"] = ratio(c["extension_count"] > 0, accepted)
    columns["overdue_open"] = total(overdue)
    columns["overdue_pending_rate"] = ratio(overdue, everything)
    columns["cases_transferred"] = total(c["transfer_count"] > 0)
    for name, (first, second) in STEPS.items():
        hours = ((c[second] - c[first]).dt.total_seconds() / 3600).astype(float)
        for label, q in (("median", 0.5), ("p90", 0.9)):
            columns[f"{name}_{label}_h"] = hours.groupby(groups).agg(
                lambda h, q=q: np.quantile(h.dropna(), q) if h.notna().any() else np.nan)
    reports = rows["reports"]
    r = _keyed(reports[(reports["received_at"] >= start) & (reports["received_at"] < end)], by, REPORT_KEYS,
               "received_at")
    if r is not None:
        columns["reports_received"] = r.groupby("key").size()
    o = _keyed(rows["officers"], by, OFFICER_KEYS, None)
    if o is not None:
        events = rows["events"]
        acted = set(events.loc[(events["at"] >= start) & (events["at"] < end), "actor"])
        on_duty = o.groupby("key").size()
        columns["officers_on_duty"] = on_duty
        columns["officer_activity_rate"] = o["code"].isin(acted).groupby(o["key"]).sum() / on_duty
        columns["certified_officer_rate"] = o["certified"].astype(bool).groupby(o["key"]).sum() / on_duty
    frame = pd.DataFrame(columns).sort_index()
    for name, kpi in KPIS.items():
        if kpi.kind == "count" and name in frame:
            frame[name] = frame[name].fillna(0).astype(int)
    if "officers_on_duty" in frame:
        frame["cases_per_officer"] = frame["cases_accepted"] / frame["officers_on_duty"].where(
            frame["officers_on_duty"] > 0)
    return frame


def _sql(store, by: str, *period: datetime) -> tuple[pd.DataFrame, list[str]]:
    """:func:`kpis` and the SQL statements it sent."""
    seen: list[str] = []

    def grab(conn, cursor, statement, *rest) -> None:  # noqa: ANN001 - an engine event's arguments
        seen.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", grab)
    try:
        return kpis(store, by, *period[:2], as_of=period[2]), seen
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", grab)


@pytest.mark.slow
def test_every_grouping_matches_the_reference(month, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(month)
    assert len(rows["cases"]) > 60 and rows["cases"]["rework_count"].gt(0).any()
    assert rows["cases"]["transfer_count"].gt(0).any() and rows["cases"]["handled_late"].eq(True).any()
    start, end = SETTINGS.start, SETTINGS.end
    periods = [(start, end, end),  # the month, judged at its end
               (start + timedelta(days=4, hours=13), start + timedelta(days=19, hours=5),  # cut mid-day
                start + timedelta(days=11))]
    for begin, finish, as_of in periods:
        for by in GROUPINGS:
            fast, statements = _sql(month, by, begin, finish, as_of)
            if month.backend == "postgis" and by in ("township", "day"):  # the fast path: parallel branches
                assert any("UNION ALL" in s and "percentile_cont" in s for s in statements), by
            expected = reference(rows, by, begin, finish, as_of)
            assert list(fast.columns) == [c for c in fast.columns if c in expected], by
            assert set(fast.columns) == set(expected.columns), by
            assert fast["cases_opened"].sum() > 0, by
            pd.testing.assert_frame_equal(fast, expected[fast.columns], check_dtype=False, check_names=False,
                                          check_exact=False, rtol=1e-9, atol=1e-6, obj=f"KPIs by {by}")
    monkeypatch.setattr("store.kpis.PARTS", 4)  # branches of several townships (days) each
    for by in ("township", "day"):
        fast = kpis(month, by, start, end, as_of=end)
        pd.testing.assert_frame_equal(fast, reference(rows, by, start, end, end)[fast.columns], check_dtype=False,
                                      check_names=False, check_exact=False, rtol=1e-9, atol=1e-6,
                                      obj=f"KPIs by {by} in 4 branches")


def _columns_read(expression: object) -> set[str]:
    return {e.name for e in visitors.iterate(expression) if isinstance(e, sa.Column) and e.table.name == "cases"}


def test_the_township_index_holds_every_column_the_case_kpis_read() -> None:
    """Else the KPIs of a township would read the table's heap pages, not only the index (revision 0008)."""
    source = SOURCES["cases"]
    period = Period(SETTINGS.start, SETTINGS.end, SETTINGS.end)
    read: set[str] = set()
    for kpi in KPIS.values():
        if kpi.source != "cases" or kpi.kind == "derived":
            continue
        parts = kpi.definition(source.columns) if kpi.kind == "hours" else kpi.definition(source.columns, period)
        for part in parts if isinstance(parts, tuple) else (parts,):
            read |= _columns_read(part)
    index = next(ix for ix in Case.__table__.indexes if ix.name == "ix_cases_township_code_opened_at")
    held = {c.name for c in index.columns} | set(index.dialect_options["postgresql"]["include"])
    assert read and read <= held, f"add {sorted(read - held)} to the index's INCLUDE (a new revision)"
