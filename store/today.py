"""What is happening now, in SQL: the figures a wall display (指挥大屏) refreshes every few seconds.

:mod:`store.kpis` judges a *cohort* (the cases opened in a period, followed to their state). A wall asks
something else — what was done *today*: reports received, cases accepted, dispatched, handled and closed
today, whatever day they were opened — and must answer in milliseconds with a city's history loaded. So
these queries read only through time indexes: ``reports.received_at``, ``case_events.at`` (one event per
step, so "dispatched today" is the dispatch events of today) and ``cases.closed_at``; the open-case backlog
(overdue now) through ``cases (status, deadline_at)``.

Every function takes an optional tuple of township codes (a township user's scope): None is the whole
district, an empty tuple nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from cases.states import OPEN_STATUSES, Action
from store.models import Case, CaseEvent, Community, Item, Report, Township
from store.store import Store

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
EVENTS: sa.Table = CaseEvent.__table__  # type: ignore[assignment]
REPORTS: sa.Table = Report.__table__  # type: ignore[assignment]
ITEMS: sa.Table = Item.__table__  # type: ignore[assignment]
TOWNSHIPS: sa.Table = Township.__table__  # type: ignore[assignment]
COMMUNITIES: sa.Table = Community.__table__  # type: ignore[assignment]

STEPS: Mapping[str, tuple[str, ...]] = {
    "accepted": (Action.ACCEPT,),
    "dispatched": (Action.DISPATCH, Action.WHISTLE, Action.TRANSFER),
    "handled": (Action.FEEDBACK, Action.DEPARTMENT_ANSWER),
    "closed": (Action.CLOSE,),
}
"""Which audit-trail actions count as each of the day's steps (a re-dispatch is a dispatch too)."""
OPEN = tuple(status.value for status in OPEN_STATUSES)
FIGURES = ("reports", *STEPS, "overdue", "on_time_closure_rate")
"""The wall's tiles, in order."""


def _scope(column: Any, townships: Sequence[str] | None) -> list[Any]:
    if townships is None:
        return []
    return [column.in_(list(townships))] if townships else [sa.false()]


def _window(column: Any, start: datetime, end: datetime) -> list[Any]:
    for name, value in (("start", start), ("end", end)):
        if value.utcoffset() is None:
            raise ValueError(f"{name} {value.isoformat()} has no time zone")
    return [column >= start, column < end]


def step_counts(store: Store, start: datetime, end: datetime, as_of: datetime | None = None,
                townships: Sequence[str] | None = None, *, by_township: bool = False) -> pd.DataFrame:
    """The day's figures (:data:`FIGURES`) for ``[start, end)``: one row (index "all"), or one per township.

    ``overdue`` is the open cases whose deadline has passed at ``as_of`` (default now), whenever opened;
    ``on_time_closure_rate`` is the share of the cases closed in the window with no step past its limit
    (NaN when none was closed).
    """
    as_of = as_of or datetime.now(UTC)
    r, c, e = REPORTS.c, CASES.c, EVENTS.c

    def grouped(key: Any, *columns: Any) -> Any:
        keys = [key.label("township")] if by_township else []
        statement = sa.select(*keys, *columns)
        return statement.group_by(key) if by_township else statement

    reports = grouped(r.township_code, sa.func.count().label("reports")).where(
        *_window(r.received_at, start, end), *_scope(r.township_code, townships))
    steps = [sa.func.count().filter(e.action.in_([str(a) for a in actions])).label(name)
             for name, actions in STEPS.items()]
    events = grouped(c.township_code, *steps).select_from(EVENTS.join(CASES, CASES.c.id == e.case_id)).where(
        *_window(e.at, start, end), e.action.in_([str(a) for actions in STEPS.values() for a in actions]),
        *_scope(c.township_code, townships))
    overdue = grouped(c.township_code, sa.func.count().label("overdue")).where(
        c.status.in_(OPEN), c.deadline_at < as_of, *_scope(c.township_code, townships))
    closures = grouped(c.township_code, sa.func.count().label("closed_cases"),
                       sa.func.count().filter(c.late.is_(sa.false())).label("closed_on_time")).where(
        *_window(c.closed_at, start, end), *_scope(c.township_code, townships))
    parts = []
    with store.transaction() as conn:
        for statement in (reports, events, overdue, closures):
            frame = pd.DataFrame(conn.execute(statement).mappings().all())
            if frame.empty:
                continue
            parts.append(frame.set_index("township") if by_township else frame.assign(township="all").set_index("township"))
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=pd.Index([], name="township"))
    if not by_township and frame.empty:
        frame = pd.DataFrame(index=pd.Index(["all"], name="township"))
    for column in ("reports", *STEPS, "overdue", "closed_cases", "closed_on_time"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype(int) if column in frame \
            else 0
    frame["on_time_closure_rate"] = frame["closed_on_time"] / frame["closed_cases"].where(frame["closed_cases"] > 0)
    frame = frame[frame.index.notna()]
    frame.index.name = "township"
    return frame[[*FIGURES, "closed_cases"]].sort_index()


def hour_bucket(column: Any, backend: str) -> Any:
    """The UTC hour of a time column (the hour in Asia/Shanghai too: the offset is whole hours)."""
    if backend == "postgis":
        return sa.func.date_trunc("hour", column)
    return sa.func.strftime("%Y-%m-%d %H:00:00", column)


def hourly(store: Store, start: datetime, end: datetime, townships: Sequence[str] | None = None) -> pd.DataFrame:
    """Reports received and cases closed per hour of ``[start, end)``: a row for every hour (zeros
    included), indexed by the hour's start (aware UTC)."""
    r, c, e = REPORTS.c, CASES.c, EVENTS.c
    received = hour_bucket(r.received_at, store.backend)
    closed = hour_bucket(e.at, store.backend)
    with store.transaction() as conn:
        reports = conn.execute(
            sa.select(received.label("hour"), sa.func.count().label("n"))
            .where(*_window(r.received_at, start, end), *_scope(r.township_code, townships)).group_by(received)
        ).all()
        closes = conn.execute(
            sa.select(closed.label("hour"), sa.func.count().label("n"))
            .select_from(EVENTS.join(CASES, CASES.c.id == e.case_id))
            .where(*_window(e.at, start, end), e.action == str(Action.CLOSE), *_scope(c.township_code, townships))
            .group_by(closed)
        ).all()
    first = pd.Timestamp(start).tz_convert(UTC).floor("h")
    last = (pd.Timestamp(end).tz_convert(UTC) - pd.Timedelta(microseconds=1)).floor("h")
    hours = pd.date_range(first, last, freq="h")
    frame = pd.DataFrame({"reports": 0, "closed": 0}, index=hours)
    for column, rows in (("reports", reports), ("closed", closes)):
        for hour, n in rows:
            moment = _as_utc(hour)
            if moment in frame.index:
                frame.loc[moment, column] = int(n)
    frame.index.name = "hour"
    return frame


def _as_utc(value: Any) -> pd.Timestamp:
    moment = pd.Timestamp(value)
    return moment.tz_localize(UTC) if moment.tzinfo is None else moment.tz_convert(UTC)


def mix(store: Store, by: str, start: datetime, end: datetime, townships: Sequence[str] | None = None,
        top: int = 8) -> pd.DataFrame:
    """Reports of ``[start, end)`` per ``channel`` or per enforcement ``item``, most first: code, name,
    name_en, count. Past ``top`` rows the rest are summed into one row with code "other"."""
    r = REPORTS.c
    if by == "channel":
        key, names = r.channel, None
    elif by == "item":
        key, names = r.item_code, ITEMS
    else:
        raise ValueError(f"report mix by {by!r}: choose channel or item")
    statement = (sa.select(key.label("code"), sa.func.count().label("count"))
                 .where(*_window(r.received_at, start, end), *_scope(r.township_code, townships))
                 .group_by(key))
    with store.transaction() as conn:
        counts = pd.DataFrame(conn.execute(statement).mappings().all(), columns=["code", "count"])
        labels = (pd.DataFrame(conn.execute(sa.select(ITEMS.c.code, ITEMS.c.name, ITEMS.c.name_en)).mappings().all(),
                               columns=["code", "name", "name_en"]) if names is not None else None)
    counts["code"] = counts["code"].fillna("unknown").astype(str)
    counts = counts.groupby("code", as_index=False)["count"].sum().sort_values(["count", "code"], ascending=[False, True])
    if labels is not None:
        counts = counts.merge(labels, on="code", how="left")
    else:
        counts["name"] = counts["code"]
        counts["name_en"] = counts["code"]
    counts["name"] = counts["name"].fillna(counts["code"])
    counts["name_en"] = counts["name_en"].fillna(counts["code"])
    if len(counts) > top:
        rest = int(counts["count"].iloc[top:].sum())
        counts = pd.concat([counts.iloc[:top], pd.DataFrame([{"code": "other", "count": rest, "name": "其他",
                                                                "name_en": "Other"}])], ignore_index=True)
    return counts[["code", "name", "name_en", "count"]].reset_index(drop=True)


def latest_reports(store: Store, limit: int = 20, townships: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The ``limit`` most recently stored reports, newest first, as the wall's ticker shows them.

    Each: id, received_at, channel, item_code, item_name(_en), township and community names, case_id,
    location_status and ``address`` with phone numbers and the reporter's name masked
    (:func:`ingest.privacy.mask_text`). Names and phone numbers themselves are never returned.
    """
    from ingest.privacy import mask_text  # the masking rules live with the intake

    r = REPORTS.c
    statement = (
        sa.select(r.id, r.received_at, r.channel, r.item_code, ITEMS.c.name.label("item_name"),
                  ITEMS.c.name_en.label("item_name_en"), TOWNSHIPS.c.name.label("township"),
                  TOWNSHIPS.c.name_en.label("township_en"), COMMUNITIES.c.name.label("community"),
                  COMMUNITIES.c.name_en.label("community_en"), r.case_id, r.location_status, r.address,
                  r.reporter_name)
        .select_from(REPORTS.outerjoin(ITEMS, ITEMS.c.code == r.item_code)
                     .outerjoin(TOWNSHIPS, TOWNSHIPS.c.code == r.township_code)
                     .outerjoin(COMMUNITIES, COMMUNITIES.c.code == r.community_code))
        .where(*_scope(r.township_code, townships))
        .order_by(r.id.desc())
        .limit(int(limit))
    )
    with store.transaction() as conn:
        rows = [dict(row) for row in conn.execute(statement).mappings()]
    for row in rows:
        row["address"] = mask_text(row["address"], row.pop("reporter_name"))
    return rows


def last_event_id(store: Store) -> int:
    """The newest audit-trail event's id: it moves with every case step (the primary key's maximum)."""
    with store.transaction() as conn:
        return int(conn.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or 0)


def local_midnight(now: datetime, tz: Any) -> datetime:
    """The start of ``now``'s day in ``tz``."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
