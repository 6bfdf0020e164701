"""The case service: the closed loop of :mod:`cases` persisted, one transaction per step.

:mod:`cases` decides (``apply(state, action, actor, payload, at) -> (state, event)``); this module loads the
state, hands it to ``apply`` and, in ONE transaction, appends the event to ``case_events`` and brings the
``cases`` row up to date:

- the row's ``version`` is the seq of the latest event. An update says ``WHERE version = :seen``; two
  people moving one case at once therefore make one step and one :class:`~store.errors.Conflict`
  ("changed by <actor> at <time>, reload"), never a fork. ``UNIQUE (case_id, seq)`` backs it up;
- :func:`state_columns` is what the state says (status, team, flags, ``deadline_at`` …) and
  :func:`step_columns` what the events add (first dispatch, latest handling, re-dispatches, transfers);
  :func:`row_from_trail` rebuilds both from a trail alone — the check that the row is a cache of the trail.

The state comes from a small in-process cache (the state after the last step this process committed),
checked against the row's version; a stale or missing entry is brought up to date by replaying the
events after it (:func:`cases.replay.replay`), so several processes may share one store.

>>> from store import open_store                                                     # doctest: +SKIP
>>> service = CaseService(open_store())                                              # doctest: +SKIP
>>> step = service.open_case(operator, {"case_code": "AJ-1", "township_code": "350212001", "priority": 3,
...                                     "item_code": "ZF001"}, at, channel="12345")   # doctest: +SKIP
>>> service.act(step.case_id, "accept", operator, payload, at, expected_version=step.version)  # doctest: +SKIP

Notes
-----
Times are stored in UTC; the conflict message shows the other person's time in Asia/Shanghai.
:class:`cases.lifecycle.TransitionRefused` (an illegal step) passes through unchanged: it is the domain's
answer, with the message and the allowed actions a page shows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cases.acceptance import prepare_acceptance
from cases.authority import AuthorityRow, rows_from_records
from cases.calendar import SHANGHAI, load_calendar
from cases.deadlines import DeadlinePolicy, clocks, due_at
from cases.events import Event
from cases.lifecycle import apply
from cases.permissions import Actor
from cases.plans import ResponsePlan
from cases.replay import ReplayError, replay
from cases.states import Action, CaseState, Role, Status
from store.errors import Conflict, InvalidData, NotFound, StoreError
from store.models import Case, CaseEvent, Item, ItemAuthority, Report, Team, User
from store.store import Store

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
EVENTS: sa.Table = CaseEvent.__table__  # type: ignore[assignment]

STEP_TIMES = ("accepted_at", "rejected_at", "dispatched_at", "transferred_at", "arrived_at", "handled_at",
              "verified_at")
TRAIL_START: Mapping[str, Any] = {**dict.fromkeys(STEP_TIMES), "redispatch_count": 0, "transfer_count": 0}
"""The event-folded columns of a case before its first event."""


@dataclass(frozen=True)
class Step:
    """One committed step: the case's id, its new version (= ``event.seq``), state and event."""

    case_id: int
    version: int
    state: CaseState
    event: Event


def default_policy() -> DeadlinePolicy:
    """The deadline policy of the product: per-priority limits, working days from the work calendar."""
    return DeadlinePolicy(calendar=load_calendar())


# ------------------------------------------------------------------------------------------ row columns


def state_columns(state: CaseState, policy: DeadlinePolicy) -> dict[str, Any]:
    """The ``cases`` columns a state determines (``deadline_at`` and lateness as of its latest event)."""
    at = state.updated_at
    started = clocks(state, at, policy)
    handle = next((c for c in started if c.step == "handle"), None)
    return {
        "code": state.code, "status": state.status.value, "item_code": state.item_code, "priority": state.priority,
        "township_code": state.township_code, "community_code": state.community_code, "cell_code": state.cell_code,
        "opened_at": state.opened_at, "updated_at": at, "version": state.seq,
        "current_team_code": state.team_code, "department": state.department,
        "supervised": state.supervised, "supervision_level": state.supervision_level, "suspended": state.suspended,
        "rework_count": state.rework_count, "extension": state.extension.value,
        "extension_count": sum(1 for e in state.extensions if e.approved), "extended_hours": state.extended_hours,
        "deadline_at": due_at(state, at, policy), "closed_at": state.closed_at, "archived_at": state.archived_at,
        "late": any(c.overdue_by > timedelta(0) for c in started),
        "handled_late": None if handle is None or handle.running else handle.overdue_by > timedelta(0),
    }


def step_columns(event: Event, before: CaseState | None, row: Mapping[str, Any]) -> dict[str, Any]:
    """The columns one event changes that the state does not keep: first and latest step times, counters.

    ``before`` is the state the event was taken from; ``row`` the current values of these columns
    (:data:`TRAIL_START` for a new case). A re-dispatch (改派) is a dispatch of a case already dispatched,
    or a rework sent to another team than the one that had it.
    """
    changes: dict[str, Any] = {}

    def first(column: str) -> None:
        if row.get(column) is None:
            changes[column] = event.at

    action, payload = event.action, event.payload
    if action is Action.ACCEPT:
        first("accepted_at")
    elif action is Action.REJECT:
        first("rejected_at")
    elif action in (Action.DISPATCH, Action.WHISTLE):
        first("dispatched_at")
        if action is Action.DISPATCH and event.from_status is Status.DISPATCHED:
            changes["redispatch_count"] = row["redispatch_count"] + 1
    elif action is Action.TRANSFER:
        first("transferred_at")
        changes["transfer_count"] = row["transfer_count"] + 1
    elif action is Action.ARRIVE:
        first("arrived_at")
    elif action is Action.FEEDBACK or (action is Action.DEPARTMENT_ANSWER and payload.get("outcome") == "handled"):
        changes["handled_at"] = event.at
    elif action is Action.VERIFY:
        changes["verified_at"] = event.at
    elif action is Action.REWORK:
        team_before = before.team_code if before is not None else None
        if payload.get("team_code") not in (None, team_before):
            changes["redispatch_count"] = row["redispatch_count"] + 1
    return changes


def row_from_trail(events: Sequence[Event], policy: DeadlinePolicy) -> dict[str, Any]:
    """The cached columns of a case rebuilt from its trail alone (what the row must hold)."""
    folded: dict[str, Any] = dict(TRAIL_START)
    state: CaseState | None = None
    for event in sorted(events, key=lambda e: e.seq):
        before, state = state, replay([event], start=state)
        folded.update(step_columns(event, before, folded))
    if state is None:
        raise ReplayError("an empty trail: a case starts with a report event")
    return {**state_columns(state, policy), **folded}


def event_row(case_id: int, event: Event) -> dict[str, Any]:
    """The ``case_events`` row of an event (:meth:`cases.events.Event.to_record` with the case's id)."""
    return {"case_id": case_id, "seq": event.seq, "at": event.at, "actor": event.actor, "role": event.role.value,
            "action": event.action.value, "from_status": event.from_status.value if event.from_status else None,
            "to_status": event.to_status.value, "note": event.note, "evidence": list(event.evidence) or None,
            "client_address": event.client_address, "payload": dict(event.payload)}


# --------------------------------------------------------------------------------------------- service


class CaseService:
    """Open cases and move them around the loop, in the store, safely under concurrency.

    Parameters
    ----------
    store
        The store (SQLite or PostGIS), migrated to revision 0005 or later.
    policy
        The deadline policy for ``deadline_at`` and lateness (default :func:`default_policy`).
    cache_size
        States kept in memory (the most recently moved cases).
    """

    def __init__(self, store: Store, policy: DeadlinePolicy | None = None, cache_size: int = 50_000) -> None:
        self.store = store
        self.policy = policy if policy is not None else default_policy()
        self._cache: OrderedDict[int, CaseState] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._catalogue: tuple[dict[tuple[str, str], AuthorityRow], dict[str, float]] | None = None

    # ---------------------------------------------------------------------------------------- writing

    def open_case(self, actor: Actor, payload: Mapping[str, Any], at: datetime, *, channel: str | None = None,
                  location: shapely.Point | None = None, zone_code: str | None = None,
                  description: str | None = None, address: str | None = None, report_ids: Iterable[int] = (),
                  client_address: str | None = None) -> Step:
        """Open a case with its report event (``payload``: case_code, township_code, priority, and optionally
        item_code, community_code, cell_code, note, evidence); link ``report_ids`` to it.

        Raises :class:`~cases.lifecycle.TransitionRefused` for an invalid report, :class:`Conflict` when the
        case code is taken, :class:`NotFound` when a report id does not exist.
        """
        state, event = apply(None, Action.REPORT, actor, _with_address(payload, client_address), at)
        row = {**state_columns(state, self.policy), **TRAIL_START, "channel": channel, "zone_code": zone_code,
               "description": description, "address": address, **_point_columns(location)}
        reports = sorted(set(report_ids))
        with self.store.transaction(write=True) as conn:
            case_id = conn.execute(sa.insert(CASES).values(row).returning(CASES.c.id)).scalar_one()
            conn.execute(sa.insert(EVENTS).values(event_row(case_id, event)))
            if reports:
                table = Report.__table__
                linked = conn.execute(sa.update(table).where(table.c.id.in_(reports)).values(case_id=case_id))
                if linked.rowcount != len(reports):
                    raise NotFound(f"case {state.code}: report id(s) {reports} not all found; nothing was stored")
        self._remember(case_id, state)
        return Step(case_id, event.seq, state, event)

    def act(self, case_id: int, action: Action | str, actor: Actor, payload: Mapping[str, Any] | None = None,
            at: datetime | None = None, expected_version: int | None = None,
            client_address: str | None = None) -> Step:
        """Take one step on a case and store it: the event appended, the row updated, in one transaction.

        ``expected_version`` is the version the actor saw (the page that offered the button): if the case
        moved since, :class:`Conflict` says who moved it and when. Without it the step applies to the
        stored state, and still conflicts if another step commits between reading and writing.
        """
        at = at if at is not None else datetime.now(UTC)
        with self.store.transaction(write=True) as conn:
            row = conn.execute(
                sa.select(CASES.c.code, CASES.c.version, *(CASES.c[name] for name in TRAIL_START))
                .where(CASES.c.id == case_id)
            ).mappings().first()
            if row is None:
                raise NotFound(f"no case with id {case_id}")
            seen = row["version"]
            if expected_version is not None and seen != expected_version:
                raise _conflict(conn, case_id, row["code"], expected_version)
            before = self._load(conn, case_id, row["code"], seen)
            state, event = apply(before, action, actor, _with_address(payload, client_address), at)
            values = {**state_columns(state, self.policy), **step_columns(event, before, row)}
            moved = conn.execute(
                sa.update(CASES).where(CASES.c.id == case_id, CASES.c.version == seen).values(values)
            )
            if moved.rowcount != 1:
                raise _conflict(conn, case_id, row["code"], seen)
            conn.execute(sa.insert(EVENTS).values(event_row(case_id, event)))
        self._remember(case_id, state)
        return Step(case_id, event.seq, state, event)

    # ---------------------------------------------------------------------------------------- reading

    def history(self, case_id: int) -> list[Event]:
        """The case's audit trail, in order (:class:`NotFound` for an unknown id)."""
        with self.store.transaction() as conn:
            code = conn.execute(sa.select(CASES.c.code).where(CASES.c.id == case_id)).scalar()
            if code is None:
                raise NotFound(f"no case with id {case_id}")
            return _events(conn, case_id, code)

    def state(self, case_id: int) -> CaseState:
        """The case's current state (from the cache when it is current, else replayed)."""
        with self.store.transaction() as conn:
            row = conn.execute(sa.select(CASES.c.code, CASES.c.version).where(CASES.c.id == case_id)).first()
            if row is None:
                raise NotFound(f"no case with id {case_id}")
            return self._load(conn, case_id, row.code, row.version)

    def case_id(self, code: str) -> int:
        """The id of the case with this code (案件编号)."""
        with self.store.transaction() as conn:
            found = conn.execute(sa.select(CASES.c.id).where(CASES.c.code == code)).scalar()
        if found is None:
            raise NotFound(f"no case with code {code}")
        return found

    def audit(self, case_ids: Iterable[int] | None = None) -> dict[str, dict[str, tuple[Any, Any]]]:
        """Cases whose row is not what their trail gives: case code → {column: (row value, trail value)}.

        Empty when every ``cases`` row (of ``case_ids``, default all) is a true cache of its audit trail,
        rebuilt by :func:`row_from_trail` (the trail replayed through the rules).
        """
        where = [] if case_ids is None else [CASES.c.id.in_(sorted(set(case_ids)))]
        with self.store.transaction() as conn:
            rows = {row["id"]: row for row in conn.execute(
                sa.select(*(c for c in CASES.c if c.name != "geom")).where(*where)).mappings()}
            trails = {case_id: _events(conn, case_id, row["code"]) for case_id, row in rows.items()}
        differences: dict[str, dict[str, tuple[Any, Any]]] = {}
        for case_id, row in rows.items():
            rebuilt = row_from_trail(trails[case_id], self.policy)
            wrong = {name: (row[name], value) for name, value in rebuilt.items() if row[name] != value}
            if wrong:
                differences[row["code"]] = wrong
        return differences

    def actor_for(self, username: str) -> Actor:
        """The :class:`Actor` of a signed-in user (see :func:`actor_for`)."""
        with self.store.transaction() as conn:
            return actor_for(conn, username)

    def acceptance(self, state: CaseState, plans: Iterable[ResponsePlan] = (), *, item_code: str | None = None,
                   note: str | None = None) -> dict[str, Any]:
        """The accept payload of a case from the stored 事项清单 and the item's time limit
        (:func:`cases.acceptance.prepare_acceptance`); raises :class:`~cases.authority.AuthorityError`.

        The catalogue is read once per service: a changed 事项清单 applies to services started after it.
        """
        if self._catalogue is None:
            with self.store.transaction() as conn:
                self._catalogue = read_catalogue(conn)
        authority, limits = self._catalogue
        item = item_code or state.item_code
        return prepare_acceptance(state, authority, plans, item_code=item_code, note=note,
                                  time_limit_hours=limits.get(item) if item else None)

    # ---------------------------------------------------------------------------------------- helpers

    def _load(self, conn: Connection, case_id: int, code: str, version: int) -> CaseState:
        with self._lock:
            cached = self._cache.get(case_id)
        if cached is not None and cached.seq == version:
            return cached
        start = cached if cached is not None and cached.seq < version else None
        events = _events(conn, case_id, code, after=start.seq if start is not None else 0)
        try:
            state = replay(events, start=start)
        except ReplayError as exc:
            raise StoreError(f"case {code}: its stored audit trail does not replay: {exc}") from exc
        self._remember(case_id, state)  # committed events only: safe to keep whatever this transaction does
        return state

    def _remember(self, case_id: int, state: CaseState) -> None:
        with self._lock:
            self._cache[case_id] = state
            self._cache.move_to_end(case_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)


def actor_for(conn: Connection, username: str) -> Actor:
    """The :class:`Actor` of a user: role and township from ``users``; an officer or team leader acts for
    their team and the teams under it; an officer's events record their officer code (``officer_code``)."""
    users, team_table = User.__table__, Team.__table__
    user = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    teams = {user.team_code} if user.team_code else set()
    frontier = set(teams) if user.role == Role.TEAM_LEADER else set()
    while frontier:  # a team leader's sub-teams, and theirs
        below = conn.execute(sa.select(team_table.c.code).where(team_table.c.parent_code.in_(frontier)))
        frontier = set(below.scalars()) - teams
        teams |= frontier
    try:
        return Actor(user.officer_code or user.username, Role(user.role), township_code=user.township_code,
                     teams=frozenset(teams), department=user.department)
    except ValueError as exc:
        raise InvalidData(f"user {username!r} cannot act on cases: {exc}") from exc


def read_catalogue(conn: Connection) -> tuple[dict[tuple[str, str], AuthorityRow], dict[str, float]]:
    """The stored 事项清单 indexed by (township_code, item_code), and each item's time limit in hours."""
    authority = rows_from_records(conn.execute(sa.select(ItemAuthority.__table__)).mappings())
    limits = {code: float(hours) for code, hours in conn.execute(sa.select(Item.code, Item.time_limit_hours))}
    return authority, limits


def _events(conn: Connection, case_id: int, code: str, after: int = 0) -> list[Event]:
    rows = conn.execute(
        sa.select(EVENTS.c.seq, EVENTS.c.at, EVENTS.c.actor, EVENTS.c.role, EVENTS.c.action, EVENTS.c.from_status,
                  EVENTS.c.to_status, EVENTS.c.note, EVENTS.c.evidence, EVENTS.c.client_address, EVENTS.c.payload)
        .where(EVENTS.c.case_id == case_id, EVENTS.c.seq > after)
        .order_by(EVENTS.c.seq)
    ).mappings()
    events = []
    for row in rows:
        if row["role"] is None:
            raise StoreError(f"case {code} event #{row['seq']} was written before revision 0005 (no role): "
                             "it cannot be replayed")
        events.append(Event.from_record({**row, "case_code": code}))
    return events


def _conflict(conn: Connection, case_id: int, code: str, seen: int) -> Conflict:
    """The message for a step refused because the case moved: who moved it, when, and what to do."""
    last = conn.execute(
        sa.select(EVENTS.c.actor, EVENTS.c.at, EVENTS.c.seq, EVENTS.c.action)
        .where(EVENTS.c.case_id == case_id).order_by(EVENTS.c.seq.desc()).limit(1)
    ).first()
    if last is None:
        return Conflict(f"case {code} changed (version {seen} is gone), reload")
    when = last.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return Conflict(f"case {code} changed by {last.actor} at {when} ({last.action}, version {last.seq}; "
                    f"you saw version {seen}), reload")


def _with_address(payload: Mapping[str, Any] | None, client_address: str | None) -> dict[str, Any]:
    merged = dict(payload or {})
    if client_address is not None:
        merged["client_address"] = client_address
    return merged


def _point_columns(location: shapely.Point | None) -> dict[str, Any]:
    if location is None:
        return {}
    if not isinstance(location, shapely.Point) or location.is_empty:
        raise InvalidData(f"a case's location must be a lon/lat point, got {location!r}")
    lon, lat = location.x, location.y
    return {"geom": location, "min_lon": lon, "min_lat": lat, "max_lon": lon, "max_lat": lat}
