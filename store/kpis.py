"""Township performance (考核指标), aggregated in SQL: each KPI is defined once, here, with its formula.

The KPIs read the ``cases`` rows that :mod:`store.casework` keeps as a cache of every case's trail (step
times, counters, lateness flags), the ``reports`` and the ``officers`` — never a Python loop over cases.
:func:`kpis` groups them by township, community, team, item, channel, or local day/week/month, and
:func:`league` ranks townships by a weighted score whose components it shows.

>>> sorted(k for k in KPIS if KPIS[k].kind == "rate")[:3]
['acceptance_rate', 'certified_officer_rate', 'closure_rate']
>>> print(KPIS["on_time_closure_rate"].formula)
Closed cases with no step past its limit ÷ closed cases.

Notes
-----
*Cohort*: case KPIs count the cases **opened** in ``[start, end)``, followed to their current state;
reports count those **received** in the period; officer activity counts events **at** a time in it.
*As of*: a case is overdue when it is open and its ``deadline_at`` has passed at ``as_of`` (default: the
period's end, or now if that is earlier). Statuses are the stored ones (now), so a past ``as_of`` asks
"which of today's open cases were already late then".
Local days, weeks (from Monday) and months are those of Asia/Shanghai. Step times are wall-clock hours
between the step timestamps; the deadline clocks (:mod:`cases.deadlines`) decide lateness, leaving out
suspensions and, where configured, non-working days.
*Speed* (PostGIS): each source is read once, by one statement holding all its KPIs. The step-time
percentiles are ordered-set aggregates, which PostgreSQL computes in one process per statement; so when
grouping by township (or by day, week, month) the statement is a UNION ALL of branches that each hold
whole groups, which PostgreSQL runs in parallel workers (:func:`_parts`). A township's branch reads a range
of the township index, which carries the columns the KPIs read (revision 0008): an index-only scan in
group order. Results are those of the single statement, exactly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import functions

from cases.calendar import SHANGHAI
from cases.states import OPEN_STATUSES
from store.errors import InvalidData
from store.models import Case, CaseEvent, Officer, Report, Team, Township
from store.store import Store

Columns = Any  # a table's ``.c`` collection


@dataclass(frozen=True)
class Kpi:
    """One indicator. ``kind``: count (rows meeting a condition), rate (numerator ÷ denominator rows),
    hours (median and p90 of a step's duration), derived (from other KPIs of the same group).
    ``source``: the rows it counts (cases, reports, officers); ``better``: higher or lower."""

    name: str
    label: str
    kind: str
    source: str
    better: str
    definition: Callable[..., Any]

    @property
    def formula(self) -> str:
        """The definition's docstring: the formula, in words."""
        return inspect.getdoc(self.definition) or ""


KPIS: dict[str, Kpi] = {}
"""Every KPI, by name, in definition order."""


@dataclass(frozen=True)
class Period:
    """``[start, end)``, and the instant deadlines are judged at (``as_of``); all aware."""

    start: datetime
    end: datetime
    as_of: datetime


def _kpi(name: str, label: str, kind: str, source: str = "cases", better: str = "higher") -> Callable:
    def register(definition: Callable[..., Any]) -> Callable[..., Any]:
        KPIS[name] = Kpi(name, label, kind, source, better, definition)
        return definition
    return register


# ------------------------------------------------------------------------------------------ definitions
# count: (columns, period) -> condition · rate: (columns, period) -> (numerator, denominator) conditions
# hours: (columns) -> (from, to) columns · derived: (frame) -> series


@_kpi("reports_received", "上报数 reports received", "count", source="reports")
def _reports_received(r: Columns, p: Period) -> Any:
    """Reports received in the period, every channel, duplicates included."""
    return sa.true()


@_kpi("cases_opened", "案件数 cases opened", "count")
def _cases_opened(c: Columns, p: Period) -> Any:
    """Cases opened in the period (one per real-world problem; several reports may point to one)."""
    return sa.true()


@_kpi("cases_accepted", "立案数 cases accepted", "count")
def _cases_accepted(c: Columns, p: Period) -> Any:
    """Cases opened in the period and accepted (受理/立案)."""
    return c.accepted_at.is_not(None)


@_kpi("acceptance_rate", "受理率 acceptance rate", "rate")
def _acceptance_rate(c: Columns, p: Period) -> Any:
    """Accepted cases ÷ cases decided (accepted or rejected)."""
    return c.accepted_at.is_not(None), sa.or_(c.accepted_at.is_not(None), c.rejected_at.is_not(None))


@_kpi("dispatch_accuracy", "派遣准确率 dispatch accuracy", "rate")
def _dispatch_accuracy(c: Columns, p: Period) -> Any:
    """Dispatched cases never re-dispatched to another team (改派, or rework sent elsewhere) ÷ dispatched cases."""
    return c.redispatch_count == 0, c.dispatched_at.is_not(None)


@_kpi("handling_rate", "处置率 handling rate", "rate")
def _handling_rate(c: Columns, p: Period) -> Any:
    """Accepted cases handled at least once (feedback, or a department's answer) ÷ accepted cases."""
    return c.handled_at.is_not(None), c.accepted_at.is_not(None)


@_kpi("on_time_handling_rate", "按期处置率 on-time handling rate", "rate")
def _on_time_handling_rate(c: Columns, p: Period) -> Any:
    """Cases whose handle clock stopped within its limit ÷ cases whose handle clock has stopped."""
    return c.handled_late.is_(sa.false()), c.handled_late.is_not(None)


@_kpi("closure_rate", "结案率 closure rate", "rate")
def _closure_rate(c: Columns, p: Period) -> Any:
    """Closed cases (结案, archived included) ÷ accepted cases."""
    return c.closed_at.is_not(None), c.accepted_at.is_not(None)


@_kpi("on_time_closure_rate", "按期结案率 on-time closure rate", "rate")
def _on_time_closure_rate(c: Columns, p: Period) -> Any:
    """Closed cases with no step past its limit ÷ closed cases."""
    return c.late.is_(sa.false()), c.closed_at.is_not(None)


@_kpi("rework_rate", "返工率 rework rate", "rate", better="lower")
def _rework_rate(c: Columns, p: Period) -> Any:
    """Handled cases sent back for rework at least once ÷ handled cases."""
    return c.rework_count > 0, c.handled_at.is_not(None)


@_kpi("extension_rate", "延期率 extension rate", "rate", better="lower")
def _extension_rate(c: Columns, p: Period) -> Any:
    """Accepted cases with at least one approved extension (延期) ÷ accepted cases."""
    return c.extension_count > 0, c.accepted_at.is_not(None)


@_kpi("overdue_open", "超期未办结 overdue open cases", "count", better="lower")
def _overdue_open(c: Columns, p: Period) -> Any:
    """Open cases (not rejected, closed or archived) whose deadline has passed at as_of (default: period end)."""
    # the deadline first: most rows (closed, no deadline) stop there, before the status list
    return sa.and_(c.deadline_at.is_not(None), c.deadline_at < p.as_of, c.status.in_([s.value for s in OPEN_STATUSES]))


@_kpi("overdue_pending_rate", "超期积压率 overdue pending rate", "rate", better="lower")
def _overdue_pending_rate(c: Columns, p: Period) -> Any:
    """Open cases past their deadline at as_of ÷ cases opened."""
    return _overdue_open(c, p), sa.true()


@_kpi("cases_transferred", "移送数 cases transferred", "count")
def _cases_transferred(c: Columns, p: Period) -> Any:
    """Cases transferred (移送) to a department at least once."""
    return c.transfer_count > 0


@_kpi("time_to_accept", "受理用时 time to accept", "hours", better="lower")
def _time_to_accept(c: Columns) -> Any:
    """Hours from the report to the first acceptance."""
    return c.opened_at, c.accepted_at


@_kpi("time_to_dispatch", "派遣用时 time to dispatch", "hours", better="lower")
def _time_to_dispatch(c: Columns) -> Any:
    """Hours from the first acceptance to the first dispatch or whistle."""
    return c.accepted_at, c.dispatched_at


@_kpi("time_to_arrive", "到场用时 time to arrive", "hours", better="lower")
def _time_to_arrive(c: Columns) -> Any:
    """Hours from the first dispatch to the first arrival on site."""
    return c.dispatched_at, c.arrived_at


@_kpi("time_to_handle", "处置用时 time to handle", "hours", better="lower")
def _time_to_handle(c: Columns) -> Any:
    """Hours from the first acceptance to the latest handling (rework included, as on the handle clock)."""
    return c.accepted_at, c.handled_at


@_kpi("time_to_verify", "核查用时 time to verify", "hours", better="lower")
def _time_to_verify(c: Columns) -> Any:
    """Hours from the latest handling to the latest verification."""
    return c.handled_at, c.verified_at


@_kpi("time_to_close", "结案用时 time to close", "hours", better="lower")
def _time_to_close(c: Columns) -> Any:
    """Hours from the report to closing."""
    return c.opened_at, c.closed_at


@_kpi("officers_on_duty", "在岗执法人员 officers on duty", "count", source="officers")
def _officers_on_duty(o: Columns, p: Period) -> Any:
    """Officers of the group's teams (all listed officers: every one has a duty pattern; there is no roster)."""
    return sa.true()


@_kpi("officer_activity_rate", "执法人员活跃率 officer activity rate", "rate", source="officers")
def _officer_activity_rate(o: Columns, p: Period) -> Any:
    """Officers with at least one case action (event) in the period ÷ officers on duty."""
    e = CaseEvent.__table__.c
    acted = sa.exists().where(e.actor == o.code, e.at >= p.start, e.at < p.end)
    return acted, sa.true()


@_kpi("certified_officer_rate", "持证率 certified-officer rate", "rate", source="officers")
def _certified_officer_rate(o: Columns, p: Period) -> Any:
    """Officers holding a law-enforcement certificate ÷ officers on duty."""
    return o.certified.is_(sa.true()), sa.true()


@_kpi("cases_per_officer", "人均案件 cases per officer", "derived")
def _cases_per_officer(frame: pd.DataFrame) -> pd.Series:
    """Cases accepted ÷ officers on duty."""
    return frame["cases_accepted"] / frame["officers_on_duty"].where(frame["officers_on_duty"] > 0)


# ---------------------------------------------------------------------------------------------- groups

GROUPINGS = ("township", "community", "team", "item", "channel", "day", "week", "month")
BUCKETS = ("day", "week", "month")


class LocalBucket(functions.GenericFunction):
    """The local (Asia/Shanghai) day, week (from its Monday) or month of a UTC time; labelled 'YYYY-MM-DD'
    (the first local day) by :func:`_bucket_label` once grouped."""

    inherit_cache = True
    name = "local_bucket"


class SecondsBetween(functions.GenericFunction):
    """Seconds from the first time to the second (NULL if either is NULL)."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


_SQLITE_BUCKET = {"day": "date({t}, '+8 hours')", "week": "date({t}, '+8 hours', 'weekday 0', '-6 days')",
                  "month": "strftime('%Y-%m-01', {t}, '+8 hours')"}
_POSTGIS_BUCKET = {  # date_bin from a local Monday midnight: cheaper per row than a time-zone conversion
    "day": "date_bin('1 day', {t}, TIMESTAMPTZ '2000-01-03 00:00:00+08')",
    "week": "date_bin('7 days', {t}, TIMESTAMPTZ '2000-01-03 00:00:00+08')",
    "month": "date_trunc('month', {t} AT TIME ZONE 'Asia/Shanghai')",
}


def _arguments(element: Any, compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


def local_bucket(time: Any, unit: str) -> LocalBucket:
    """:class:`LocalBucket` of a time column; the unit is part of the SQL text (and of its cache key)."""
    if unit not in BUCKETS:
        raise InvalidData(f"unknown time bucket {unit!r}; one of {', '.join(BUCKETS)}")
    return LocalBucket(time, sa.literal_column(f"'{unit}'"))


def _unit(element: LocalBucket) -> str:
    return element.clauses.clauses[1].name.strip("'")


@compiles(LocalBucket, "sqlite")
def _bucket_sqlite(element: LocalBucket, compiler: Any, **kw: Any) -> str:
    return _SQLITE_BUCKET[_unit(element)].format(t=compiler.process(element.clauses.clauses[0], **kw))


@compiles(LocalBucket, "postgresql")
def _bucket_postgis(element: LocalBucket, compiler: Any, **kw: Any) -> str:
    return _POSTGIS_BUCKET[_unit(element)].format(t=compiler.process(element.clauses.clauses[0], **kw))


def _bucket_label(value: Any) -> str:
    """'YYYY-MM-DD' of a bucket: SQLite gives the text; PostGIS an instant (day, week) or a local time (month)."""
    if isinstance(value, datetime):
        return (value.astimezone(SHANGHAI) if value.tzinfo else value).strftime("%Y-%m-%d")
    return str(value)


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element: SecondsBetween, compiler: Any, **kw: Any) -> str:
    start, end = _arguments(element, compiler, **kw)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(SecondsBetween, "postgresql")
def _seconds_postgis(element: SecondsBetween, compiler: Any, **kw: Any) -> str:
    start, end = _arguments(element, compiler, **kw)
    return f"date_part('epoch', {end} - {start})"


@dataclass(frozen=True)
class _Source:
    """Rows a KPI counts: the FROM clause, the columns its definition reads, the period's time column (None:
    not limited by period), and the column of each grouping that applies."""

    from_: Any
    columns: Columns
    time: Any | None
    groups: Mapping[str, Any]


def _sources() -> dict[str, _Source]:
    cases, reports, officers, teams = Case.__table__, Report.__table__, Officer.__table__, Team.__table__
    c, r = cases.c, reports.c
    return {
        "cases": _Source(cases, c, c.opened_at, {"township": c.township_code, "community": c.community_code,
                                                 "team": c.current_team_code, "item": c.item_code,
                                                 "channel": c.channel}),
        "reports": _Source(reports, r, r.received_at, {"township": r.township_code, "community": r.community_code,
                                                       "item": r.item_code, "channel": r.channel}),
        "officers": _Source(officers.join(teams, teams.c.code == officers.c.team_code), officers.c, None,
                            {"township": teams.c.township_code, "team": officers.c.team_code}),
    }


SOURCES = _sources()


def _group_key(source: _Source, by: str) -> Any | None:
    """The grouping expression of a source; None where the grouping does not apply (officers by channel)."""
    if by in BUCKETS:
        return local_bucket(source.time, by) if source.time is not None else None
    return source.groups.get(by)


# ------------------------------------------------------------------------------------------------ query

PARTS = 16
"""At most this many UNION ALL branches when the rows are split into parts (see :func:`_parts`)."""

PERCENTILES = (0.5, 0.9)


def kpis(store: Store, by: str = "township", start: datetime | None = None, end: datetime | None = None,
         as_of: datetime | None = None) -> pd.DataFrame:
    """Every KPI per group: one row per value of ``by`` (the index), one column per KPI.

    Rates are fractions (0–1, NaN where the denominator is 0); ``<name>_median_h`` and ``<name>_p90_h`` for
    the step times; KPIs that do not apply to a grouping (officers by channel) are left out.
    ``start``/``end`` default to the 30 days before now. Groups without a value (a case not yet
    dispatched has no team) are left out of that grouping.
    """
    if by not in GROUPINGS:
        raise InvalidData(f"cannot group KPIs by {by!r}; choose one of {', '.join(GROUPINGS)}")
    now = datetime.now(UTC)
    end = end or now
    start = start or end - timedelta(days=30)
    as_of = as_of or min(end, now)
    for name, value in (("start", start), ("end", end), ("as_of", as_of)):
        if value.tzinfo is None:
            raise InvalidData(f"KPI period {name} {value.isoformat()} has no time zone")
    if start >= end:
        raise InvalidData(f"KPI period is empty: start {start.isoformat()} is not before end {end.isoformat()}")
    period = Period(start, end, as_of)
    frames = []
    with store.transaction() as conn:
        if store.backend == "postgis":
            _tune(conn)
        for name, source in SOURCES.items():
            key = _group_key(source, by)
            if key is not None:
                parts = _parts(conn, store.backend, source, by, period)
                frames.append(_aggregate(conn, store.backend, name, source, key, parts, period))
    if by in BUCKETS:
        for part in frames:
            part.index = part.index.map(_bucket_label)
    frame = pd.concat(frames, axis=1).sort_index()
    frame.index.name = by
    for kpi in KPIS.values():
        if kpi.kind == "rate" and f"{kpi.name}__den" in frame:
            numerator, denominator = frame.pop(f"{kpi.name}__num"), frame.pop(f"{kpi.name}__den")
            frame[kpi.name] = numerator / denominator.where(denominator > 0)
        elif kpi.kind == "count" and kpi.name in frame:
            frame[kpi.name] = frame[kpi.name].fillna(0).astype(int)
    for kpi in KPIS.values():
        if kpi.kind == "derived":
            try:
                frame[kpi.name] = kpi.definition(frame)
            except KeyError:  # a KPI it needs does not apply to this grouping
                continue
    return frame[[c for c in _column_order() if c in frame]]


def _column_order() -> list[str]:
    order: list[str] = []
    for kpi in KPIS.values():
        order += [f"{kpi.name}_median_h", f"{kpi.name}_p90_h"] if kpi.kind == "hours" else [kpi.name]
    return order


def _tune(conn: sa.Connection) -> None:
    """Settings for this transaction only (PostGIS). JIT compiling the ~30 aggregate expressions costs more
    than it saves on a million rows (measured); the sorts of the percentiles want more than the default
    4 MB of memory before they spill to disk."""
    conn.exec_driver_sql("SET LOCAL jit = off")
    conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def _within(source: _Source, period: Period) -> list[Any]:
    return [] if source.time is None else [source.time >= period.start, source.time < period.end]


def _parts(conn: sa.Connection, backend: str, source: _Source, by: str, period: Period) -> list[Any]:
    """Conditions that split a source's rows into branches each holding whole groups, or ``[true]`` (one
    branch): on PostGIS, for a source limited by period, one branch per township (grouping by township)
    or per run of consecutive days, weeks or months (grouping by those), at most :data:`PARTS` branches.

    Why: a percentile is an ordered-set aggregate, which PostgreSQL cannot split between parallel workers
    and merge — but it runs the branches of a UNION ALL in parallel (Parallel Append). A township's
    branch is a range of the (township_code, opened_at) index, which includes the columns the KPIs read
    (revision 0008): an index-only scan, already in group order, no heap page read and no sort of the rows.
    A run of days is a range of the opened_at index.
    """
    if backend != "postgis" or source.time is None or (by != "township" and by not in BUCKETS):
        return [sa.true()]
    if by == "township":
        codes = list(conn.execute(sa.select(Township.code).order_by(Township.code)).scalars())
        size = -(-len(codes) // PARTS)
        parts = [source.groups["township"].in_(codes[i:i + size]) for i in range(0, len(codes), size)]
    else:
        edges = _bucket_edges(by, period.start, period.end)
        size = -(-(len(edges) - 1) // PARTS)
        cuts = [*edges[:-1:size], edges[-1]]
        parts = [sa.and_(source.time >= lo, source.time < hi) for lo, hi in zip(cuts, cuts[1:], strict=False)]
    return parts if len(parts) > 1 else [sa.true()]


BUCKET_ORIGIN = datetime(2000, 1, 2, 16, tzinfo=UTC)
"""2000-01-03 00:00 in Shanghai, a Monday: the origin of the PostGIS day and week buckets (``date_bin``)."""


def _bucket_edges(unit: str, start: datetime, end: datetime) -> list[datetime]:
    """The instants where the buckets of ``unit`` begin, from the one holding ``start`` to the first at or
    after ``end`` — the same instants as the SQL buckets (:data:`_POSTGIS_BUCKET`)."""
    if unit == "month":
        local = start.astimezone(SHANGHAI)
        year, month = local.year, local.month
        edges = [datetime(year, month, 1, tzinfo=SHANGHAI)]
        while edges[-1] < end:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            edges.append(datetime(year, month, 1, tzinfo=SHANGHAI))
        return edges
    stride = timedelta(days=1 if unit == "day" else 7)
    first = BUCKET_ORIGIN + ((start - BUCKET_ORIGIN) // stride) * stride
    count = -(-(end - first) // stride)
    return [first + i * stride for i in range(count + 1)]


def _count_columns(name: str, source: _Source, period: Period) -> list[Any]:
    """The count aggregates of one source's count and rate KPIs (a rate as numerator and denominator)."""
    def count(condition: Any, label: str) -> Any:
        if _always(condition):
            return sa.func.count().label(label)
        if _not_null(condition) is not None:  # count(x) counts the rows where x is not null, a little faster
            return sa.func.count(_not_null(condition)).label(label)
        return sa.func.count().filter(condition).label(label)

    selected = []
    for kpi in KPIS.values():
        if kpi.source != name or kpi.kind not in ("count", "rate"):
            continue
        condition = kpi.definition(source.columns, period)
        if kpi.kind == "count":
            selected.append(count(condition, kpi.name))
        else:
            numerator, denominator = condition
            numerator = numerator if _always(denominator) else sa.and_(numerator, denominator)
            selected += [count(numerator, f"{kpi.name}__num"), count(denominator, f"{kpi.name}__den")]
    return selected


def _always(condition: Any) -> bool:
    return isinstance(condition, sa.sql.elements.True_)


def _not_null(condition: Any) -> Any | None:
    """The column of an ``x IS NOT NULL`` condition, else None."""
    if (isinstance(condition, sa.sql.elements.BinaryExpression) and condition.operator is sa.sql.operators.is_not
            and isinstance(condition.right, sa.sql.elements.Null)):
        return condition.left
    return None


def _steps() -> list[Kpi]:
    return [k for k in KPIS.values() if k.kind == "hours"]


def _hour_names() -> list[str]:
    return [f"{k.name}_{q}_h" for k in _steps() for q in ("median", "p90")]


def _aggregate(conn: sa.Connection, backend: str, name: str, source: _Source, key: Any, parts: list[Any],
               period: Period) -> pd.DataFrame:
    """One source's KPIs per group in one statement (one pass over its rows): the counts, and for cases
    on PostGIS the step-time percentiles (``percentile_cont``: the median and p90 of each step, in one
    sort per step and group). SQLite has no percentile aggregate: :func:`_hours_sqlite` adds them."""
    selected = _count_columns(name, source, period)
    steps = _steps() if name == "cases" and backend == "postgis" else []
    quantiles = sa.literal(list(PERCENTILES), ARRAY(sa.Float))
    for kpi in steps:
        duration = SecondsBetween(*kpi.definition(source.columns))
        selected.append(sa.type_coerce(sa.func.percentile_cont(quantiles).within_group(duration),
                                       ARRAY(sa.Float)).label(kpi.name))
    where = (key.is_not(None), *_within(source, period))
    branches = [sa.select(key.label("key"), *selected).select_from(source.from_).where(*where, part).group_by(key)
                for part in parts]
    statement = branches[0] if len(branches) == 1 else sa.union_all(*branches)
    labels = ["key", *(s.name for s in selected)]
    walk = backend == "postgis" and len(branches) == 1 and source.time is not None
    if walk:
        # One branch, grouped by a column the branches cannot split by (team, item …): the planner may walk
        # that column's index for group order — a random read of most heap pages, measured 1.6× the CPU of
        # a scan and a (parallel) sort.
        conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    frame = pd.DataFrame([tuple(r) for r in conn.execute(statement)], columns=labels).set_index("key")
    if walk:
        conn.exec_driver_sql("SET LOCAL enable_indexscan = on")
    if frame.index.has_duplicates:  # a group split between branches: its percentiles would be wrong
        raise RuntimeError(f"KPI branches split a group of {key}: {sorted(frame.index[frame.index.duplicated()])}")
    for kpi in steps:
        pairs = frame.pop(kpi.name)
        for i, q in enumerate(("median", "p90")):
            frame[f"{kpi.name}_{q}_h"] = [p[i] / 3600 if p and p[i] is not None else np.nan for p in pairs]
    if name == "cases" and backend != "postgis":
        frame = frame.join(_hours_sqlite(conn, source, key, period))
    return frame


def _hours_sqlite(conn: sa.Connection, source: _Source, key: Any, period: Period) -> pd.DataFrame:
    """Median and p90 of every step time per group, SQLite: the durations are fetched and pandas does the
    same linear interpolation as ``percentile_cont``."""
    steps = _steps()
    durations = [SecondsBetween(*k.definition(source.columns)) for k in steps]
    rows = conn.execute(sa.select(key.label("key"), *durations).where(key.is_not(None), *_within(source, period)))
    fetched = pd.DataFrame([tuple(r) for r in rows], columns=["key", *(k.name for k in steps)], dtype=object)
    if fetched.empty:
        return pd.DataFrame(columns=_hour_names(), dtype=float)
    hours = fetched.set_index("key").astype(float) / 3600
    quantiles = hours.groupby(level=0).quantile(list(PERCENTILES)).unstack()
    quantiles.columns = [f"{name}_{'median' if q == 0.5 else 'p90'}_h" for name, q in quantiles.columns]
    return quantiles[_hour_names()]


# ----------------------------------------------------------------------------------------------- league

DEFAULT_WEIGHTS: Mapping[str, float] = {"handling_rate": 30, "on_time_handling_rate": 20, "rework_rate": 20,
                                        "overdue_pending_rate": 20, "extension_rate": 10}
"""The township league's default weights (points out of 100)."""


def league(frame: pd.DataFrame, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> pd.DataFrame:
    """Rank the groups of a :func:`kpis` frame (townships) by a weighted score out of 100.

    Each component is a rate of the frame: a higher-is-better rate scores its value, a lower-is-better
    one ``1 − value``; the component's points are ``weight × score`` and the total is rescaled so that
    the weights add up to 100. A component without data (NaN: no handled case yet) scores 0. The result
    shows, per component, its value and points, then ``score`` and ``rank`` (1 = best), best first.
    """
    unknown = [name for name in weights if name not in KPIS or KPIS[name].kind != "rate"]
    if unknown:
        rates = ", ".join(k for k, v in KPIS.items() if v.kind == "rate")
        raise InvalidData(f"league weights name unknown rate(s) {unknown}; rates are: {rates}")
    total = float(sum(weights.values()))
    if total <= 0:
        raise InvalidData(f"league weights must add up to more than 0; got {dict(weights)}")
    table = pd.DataFrame(index=frame.index)
    score = pd.Series(0.0, index=frame.index)
    for name, weight in weights.items():
        value = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        component = value if KPIS[name].better == "higher" else 1 - value
        points = (weight * 100 / total) * component.fillna(0.0)
        table[name], table[f"{name}_points"] = value, points
        score += points
    table["score"] = score
    table["rank"] = score.rank(ascending=False, method="min").astype(int)
    return table.sort_values(["rank", *([table.index.name] if table.index.name else [])])


def describe(names: Sequence[str] | None = None) -> str:
    """The KPIs as a Markdown table (name, label, kind, formula), for the manual."""
    lines = ["| KPI | 指标 | kind | formula |", "|---|---|---|---|"]
    for kpi in KPIS.values():
        if names is None or kpi.name in names:
            lines.append(f"| `{kpi.name}` | {kpi.label} | {kpi.kind} | {kpi.formula} |")
    return "\n".join(lines)
