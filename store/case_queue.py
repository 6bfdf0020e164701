"""The case queue (案件队列) and what one case page reads: filters, sort and paging done in SQL.

The queue asks the ``cases`` table — the cached state of every case (:mod:`store.casework`) — for one block
of rows at a time, filtered and sorted by the database through its indexes (status and deadline, township
and status, opening time), so a block costs the same with 50,000 open cases and millions of closed ones.
Nothing here loads a whole table: a block is ``LIMIT``/``OFFSET`` of an ordered select, and a count stops
at :data:`COUNT_CAP`.

The traffic light (红黄绿灯) is the domain's, never recomputed here: :func:`cases.deadlines.light` of each
case's state, replayed from its audit trail (:func:`cases.replay.replay`) for the rows of the block only,
and kept per (case, version) so a refreshed block replays nothing that did not move. Filtering by light:

- **red** is exact in SQL: a case is red exactly when the earliest deadline of its running clocks, which
  the row keeps as ``deadline_at``, has passed (``deadline_at`` is the instant a clock's counted time reaches
  its limit, and does not move until the next event);
- **yellow**, **green** and **none** (no clock running) need the 80 % instant of each clock, which the row
  does not keep: SQL narrows to the cases that are not red (or have no deadline, for none) and the lights of
  those candidates are computed, block by block in the requested order, until the block is full. Fast when
  the answer is common (green), a scan of the candidates when it is rare (yellow) — see the Notes.

Notes
-----
Scope is part of every query: :class:`QueueQuery` carries the viewer's township (``scope``) and the
store applies it in the WHERE clause, whatever township filter the browser sent.

A yellow filter over tens of thousands of open cases replays every candidate once (about 1 ms each), then
only the cases that moved. Storing the 80 % instant beside ``deadline_at`` (a ``warning_at`` column kept by
:func:`store.casework.state_columns`) would make it a pure index query like red.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cases.deadlines import DeadlinePolicy, Light, light
from cases.events import Event
from cases.replay import ReplayError, replay
from cases.states import OPEN_STATUSES, CaseState, Status
from store.casework import default_policy
from store.errors import InvalidData, NotFound, StoreError
from store.models import Case, CaseEvent, Community, Item, Report, Team, Township
from store.store import Store

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
EVENTS: sa.Table = CaseEvent.__table__  # type: ignore[assignment]
REPORTS: sa.Table = Report.__table__  # type: ignore[assignment]

OPEN: tuple[str, ...] = tuple(s.value for s in OPEN_STATUSES)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
NO_LIGHT = "none"
LIGHTS: tuple[str, ...] = (Light.RED.value, Light.YELLOW.value, Light.GREEN.value, NO_LIGHT)
"""The light filter's values: the three of :class:`cases.deadlines.Light`, and none (no clock running)."""

SORTS: Mapping[str, sa.Column] = {
    "code": CASES.c.code, "township": CASES.c.township_code, "community": CASES.c.community_code,
    "item": CASES.c.item_code, "channel": CASES.c.channel, "status": CASES.c.status, "priority": CASES.c.priority,
    "opened_at": CASES.c.opened_at, "deadline_at": CASES.c.deadline_at, "team": CASES.c.current_team_code,
}
"""Sortable keys and their columns (anything else is refused: no column name from a browser reaches SQL)."""
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("deadline_at", False), ("opened_at", True))
"""The queue's order when none is asked: soonest deadline first, then the newest."""

QUEUE_COLUMNS = ("id", "code", "status", "priority", "township_code", "community_code", "cell_code", "item_code",
                 "channel", "current_team_code", "department", "opened_at", "deadline_at", "updated_at", "version",
                 "supervised", "supervision_level", "suspended", "min_lon", "min_lat")
MAX_BLOCK = 500
"""Most rows one request may ask for."""
MAX_TEXT = 100
COUNT_CAP = 10_000
"""Counting stops here ("10,000+"): an exact count of millions of closed cases is never needed on a page."""
SCAN_CHUNK = 400
MAX_REPORTS = 500


# ------------------------------------------------------------------------------------------------- query


@dataclass(frozen=True)
class QueueQuery:
    """What the queue shows.

    Attributes
    ----------
    scope
        The viewer's township (``Actor.township_code``); None for district users. Always applied.
    statuses
        Statuses shown; default the open ones; None: every status (history included).
    township, item
        Filters by code (None: all within scope).
    light
        One of :data:`LIGHTS`, or None.
    text
        Part of the case code, description or address (case-insensitive, at most :data:`MAX_TEXT` characters).
    sort
        ``(key, descending)`` pairs, keys from :data:`SORTS`; empty: :data:`DEFAULT_SORT`.
    """

    scope: str | None = None
    statuses: tuple[str, ...] | None = OPEN
    township: str | None = None
    item: str | None = None
    light: str | None = None
    text: str | None = None
    sort: tuple[tuple[str, bool], ...] = ()

    def __post_init__(self) -> None:
        if self.statuses is not None:
            unknown = [s for s in self.statuses if s not in STATUSES]
            if unknown:
                raise InvalidData(f"queue filter: unknown status {', '.join(map(repr, unknown))}; "
                                  f"statuses are {', '.join(STATUSES)}")
        if self.light is not None and self.light not in LIGHTS:
            raise InvalidData(f"queue filter: unknown traffic light {self.light!r}; one of {', '.join(LIGHTS)}")
        for key, _ in self.sort:
            if key not in SORTS:
                raise InvalidData(f"queue sort: cannot sort by {key!r}; sortable: {', '.join(SORTS)}")
        text = (self.text or "").strip()
        if len(text) > MAX_TEXT:
            raise InvalidData(f"queue search: at most {MAX_TEXT} characters, got {len(text)}")
        object.__setattr__(self, "text", text or None)


@dataclass(frozen=True)
class QueueBlock:
    """One block of the queue: ``rows`` (dicts of :data:`QUEUE_COLUMNS` plus ``light``) and ``last_row``,
    the number of rows in the whole queue when this block reached its end (None: more may follow)."""

    rows: list[dict[str, Any]]
    last_row: int | None
    scanned: int = 0  # candidates whose light was computed to fill a yellow/green/none block


def where(query: QueueQuery, now: datetime) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions of ``query`` (scope first); for yellow/green/none only the candidates."""
    c = CASES.c
    clauses: list[sa.ColumnElement[bool]] = []
    if query.scope is not None:
        clauses.append(c.township_code == query.scope)
    if query.statuses is not None:
        clauses.append(c.status.in_(query.statuses) if query.statuses else sa.false())
    if query.township is not None:
        clauses.append(c.township_code == query.township)
    if query.item is not None:
        clauses.append(c.item_code == query.item)
    if query.text:
        text = query.text
        clauses.append(sa.or_(c.code.icontains(text, autoescape=True),
                              c.description.icontains(text, autoescape=True),
                              c.address.icontains(text, autoescape=True)))
    if query.light == Light.RED:
        clauses.append(c.deadline_at < now)
    elif query.light == NO_LIGHT:
        clauses.append(c.deadline_at.is_(None))
    elif query.light is not None:
        clauses.append(sa.or_(c.deadline_at.is_(None), c.deadline_at >= now))
    return clauses


def order_by(sort: Sequence[tuple[str, bool]]) -> list[Any]:
    """ORDER BY terms for ``sort`` (empty values last either way), ending with the id so paging is stable.

    NULLS LAST is said only for columns that may be empty: on a NOT NULL column it would keep PostgreSQL
    from reading an index backwards (history newest first would sort every row instead of reading 100).
    """
    terms = []
    for key, descending in sort or DEFAULT_SORT:
        column = SORTS[key]
        term = column.desc() if descending else column.asc()
        terms.append(term.nulls_last() if column.nullable else term)
    terms.append(CASES.c.id.desc())
    return terms


def select_queue(query: QueueQuery, now: datetime) -> sa.Select:
    """The queue's ordered select (no paging)."""
    columns = [CASES.c[name] for name in QUEUE_COLUMNS]
    return sa.select(*columns).where(*where(query, now)).order_by(*order_by(query.sort))


def queue_block(store: Store, query: QueueQuery, start: int, end: int, now: datetime | None = None,
                policy: DeadlinePolicy | None = None) -> QueueBlock:
    """Rows ``[start, end)`` of the queue, each with its traffic light (``light``: red/yellow/green/none)."""
    if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end < start:
        raise InvalidData(f"queue block: rows {start!r}..{end!r} are not a range of row numbers")
    if end - start > MAX_BLOCK:
        raise InvalidData(f"queue block: at most {MAX_BLOCK} rows at a time, asked for {end - start}")
    now = now or datetime.now(UTC)
    policy = policy or product_policy()
    statement = select_queue(query, now)
    book = state_book(store)
    with store.transaction() as conn:
        if query.light in (None, Light.RED):
            rows = [dict(r) for r in conn.execute(statement.offset(start).limit(end - start)).mappings()]
            lights = book.lights(conn, rows, now, policy)
            for row in rows:
                row["light"] = lights[row["id"]]
            last = start + len(rows) if len(rows) < end - start else None
            return QueueBlock(rows, last)
        return _scan(conn, book, statement, query.light, start, end, now, policy)


def _scan(conn: Connection, book: StateBook, statement: sa.Select, want: str, start: int, end: int,
          now: datetime, policy: DeadlinePolicy) -> QueueBlock:
    """The block of candidates whose computed light is ``want``, reading candidates in order, chunk by chunk."""
    matches: list[dict[str, Any]] = []
    offset, exhausted = 0, False
    chunk = max(SCAN_CHUNK, end - start)
    while len(matches) < end:
        rows = [dict(r) for r in conn.execute(statement.offset(offset).limit(chunk)).mappings()]
        lights = book.lights(conn, rows, now, policy)
        for row in rows:
            row["light"] = lights[row["id"]]
            if row["light"] == want:
                matches.append(row)
        offset += len(rows)
        if len(rows) < chunk:
            exhausted = True
            break
    return QueueBlock(matches[start:end], len(matches) if exhausted else None, scanned=offset)


def queue_count(store: Store, query: QueueQuery, now: datetime | None = None,
                cap: int = COUNT_CAP) -> tuple[int, bool] | None:
    """``(rows, capped)``: how many cases the queue holds, counting at most ``cap`` (``capped`` True when it
    stopped there). None for a yellow, green or none filter, whose count needs every candidate's light."""
    if query.light not in (None, Light.RED):
        return None
    now = now or datetime.now(UTC)
    inner = sa.select(CASES.c.id).where(*where(query, now)).limit(cap + 1).subquery()
    with store.transaction() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()
    return min(n, cap), n > cap


# ------------------------------------------------------------------------------------------ one case


def case_summary(store: Store, case_id: int) -> dict[str, Any]:
    """The ``cases`` row of one case (without the geometry; ``lon``/``lat`` of its point), or :class:`NotFound`."""
    columns = [c for c in CASES.c if c.name not in ("geom", "max_lon", "max_lat")]
    with store.transaction() as conn:
        row = conn.execute(sa.select(*columns).where(CASES.c.id == case_id)).mappings().first()
    if row is None:
        raise NotFound(f"no case with id {case_id}")
    summary = dict(row)
    summary["lon"], summary["lat"] = summary.pop("min_lon"), summary.pop("min_lat")
    return summary


def case_reports(store: Store, case_id: int, limit: int = MAX_REPORTS) -> list[dict[str, Any]]:
    """The reports linked to a case, oldest first, with reporter name and phone as stored (mask them before
    showing: :func:`dashboard.access.reporter_view`) and ``lon``/``lat`` of each report's point."""
    r = REPORTS.c
    statement = (
        sa.select(r.id, r.channel, r.external_id, r.received_at, r.occurred_at, r.category, r.item_code,
                  r.description, r.address, r.reporter_name, r.reporter_phone, r.location_status,
                  r.link_reason, r.min_lon.label("lon"), r.min_lat.label("lat"))
        .where(r.case_id == case_id)
        .order_by(r.received_at, r.id)
        .limit(limit)
    )
    with store.transaction() as conn:
        return [dict(row) for row in conn.execute(statement).mappings()]


# --------------------------------------------------------------------------------------- names, options


@dataclass(frozen=True)
class Names:
    """Code → (Chinese, English) name of townships, communities, items and teams, and teams by township."""

    townships: Mapping[str, tuple[str, str]]
    communities: Mapping[str, tuple[str, str]]
    items: Mapping[str, tuple[str, str]]
    teams: Mapping[str, tuple[str, str]]
    team_township: Mapping[str, str | None] = field(default_factory=dict)
    team_kind: Mapping[str, str] = field(default_factory=dict)

    def name(self, kind: str, code: str | None, lang: str = "zh") -> str:
        """The name of ``code`` in ``lang`` (the code itself when unknown, "" for None)."""
        if not code:
            return ""
        names = getattr(self, kind).get(code)
        if names is None:
            return code
        return names[1] if lang == "en" and names[1] else names[0]

    def teams_of(self, township_code: str | None, kinds: Iterable[str] = ("squad", "sub_squad")) -> list[str]:
        """Codes of the township's enforcement teams (squads and sub-squads), in code order."""
        wanted = set(kinds)
        return sorted(code for code, township in self.team_township.items()
                      if township == township_code and self.team_kind.get(code) in wanted)


NAMES_TTL_S = 60.0
_names: weakref.WeakKeyDictionary[Store, tuple[float, Names]] = weakref.WeakKeyDictionary()
_names_lock = threading.Lock()


def names(store: Store) -> Names:
    """The :class:`Names` of the store, read at most once a minute per process (small tables)."""
    now = time.monotonic()
    with _names_lock:
        hit = _names.get(store)
    if hit is not None and hit[0] > now:
        return hit[1]
    with store.transaction() as conn:
        def pairs(table: Any, name_column: str = "name") -> dict[str, tuple[str, str]]:
            rows = conn.execute(sa.select(table.code, getattr(table, name_column), table.name_en))
            return {code: (zh, en) for code, zh, en in rows}

        teams = conn.execute(sa.select(Team.code, Team.name, Team.name_en, Team.township_code, Team.kind)).all()
        value = Names(
            townships=pairs(Township), communities=pairs(Community), items=pairs(Item),
            teams={t.code: (t.name, t.name_en) for t in teams},
            team_township={t.code: t.township_code for t in teams},
            team_kind={t.code: t.kind for t in teams},
        )
    with _names_lock:
        _names[store] = (now + NAMES_TTL_S, value)
    return value


def township_options(store: Store, scope: str | None) -> list[str]:
    """Township codes the viewer may filter by: their own, or every township for district users."""
    codes = sorted(names(store).townships)
    return [code for code in codes if scope is None or code == scope]


# ------------------------------------------------------------------------------------- states, lights


@cache
def product_policy() -> DeadlinePolicy:
    """The case service's deadline policy (working-day calendar loaded once per process)."""
    return default_policy()


class StateBook:
    """Case states replayed from their trails, kept per (case, version) for the most recent cases shown.

    A state is a pure function of the trail, and the trail of a version never changes (append-only), so
    an entry is right for as long as the row's version equals its ``seq``.
    """

    def __init__(self, size: int = 20_000) -> None:
        self._states: OrderedDict[int, CaseState] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def states(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[int, CaseState]:
        """The state of each row (``id``, ``code``, ``version``), replaying only what is not kept."""
        found: dict[int, CaseState] = {}
        missing: dict[int, str] = {}
        with self._lock:
            for row in rows:
                state = self._states.get(row["id"])
                if state is not None and state.seq == row["version"]:
                    found[row["id"]] = state
                    self._states.move_to_end(row["id"])
                else:
                    missing[row["id"]] = row["code"]
        if missing:
            replayed = replay_cases(conn, missing)
            found.update(replayed)
            with self._lock:
                self._states.update(replayed)
                while len(self._states) > self._size:
                    self._states.popitem(last=False)
        return found

    def lights(self, conn: Connection, rows: Sequence[Mapping[str, Any]], now: datetime,
               policy: DeadlinePolicy) -> dict[int, str]:
        """The traffic light of each row's case at ``now`` (:func:`cases.deadlines.light`; none: no clock runs)."""
        states = self.states(conn, rows)
        result = {}
        for case_id, state in states.items():
            value = light(state, now, policy)
            result[case_id] = value.value if value is not None else NO_LIGHT
        return result


_books: weakref.WeakKeyDictionary[Store, StateBook] = weakref.WeakKeyDictionary()


def state_book(store: Store) -> StateBook:
    """The process's :class:`StateBook` for ``store``."""
    with _names_lock:
        book = _books.get(store)
        if book is None:
            book = _books[store] = StateBook()
        return book


def replay_cases(conn: Connection, codes: Mapping[int, str]) -> dict[int, CaseState]:
    """The states of several cases (id → code), from their trails read in one query."""
    if not codes:
        return {}
    e = EVENTS.c
    rows = conn.execute(
        sa.select(e.case_id, e.seq, e.at, e.actor, e.role, e.action, e.from_status, e.to_status, e.note,
                  e.evidence, e.client_address, e.payload)
        .where(e.case_id.in_(sorted(codes)))
        .order_by(e.case_id, e.seq)
    ).mappings()
    trails: dict[int, list[Event]] = defaultdict(list)
    for row in rows:
        code = codes[row["case_id"]]
        if row["role"] is None:
            raise StoreError(f"case {code} event #{row['seq']} was written before revision 0005 (no role): "
                             "it cannot be replayed")
        trails[row["case_id"]].append(Event.from_record({**row, "case_code": code}))
    states = {}
    for case_id, code in codes.items():
        try:
            states[case_id] = replay(trails.get(case_id, ()))
        except ReplayError as exc:
            raise StoreError(f"case {code}: its stored audit trail does not replay: {exc}") from exc
    return states
