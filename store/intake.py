"""Storing what intake decided: reports, the cases they open, quarantined records, the manual-location queue.

The ingest pipeline (:mod:`ingest.pipeline`) decides — where each report lies, which case it joins — and
hands this module columns of plain values. Everything one batch writes goes in **one transaction**, so a
batch is stored whole or not at all (a live worker acknowledges only after the commit):

- **reports**: on PostGIS ``COPY`` into a temporary table, then ``INSERT … SELECT … ON CONFLICT (channel,
  external_id) DO NOTHING``; on SQLite ``INSERT … ON CONFLICT DO NOTHING``. The unique constraint makes a
  re-imported file or a re-delivered message change nothing;
- **new cases and their first event** (上报): the very rows :meth:`store.casework.CaseService.open_case`
  writes — the state from :func:`cases.lifecycle.apply`, the columns from
  :func:`store.casework.state_columns` and :func:`store.casework.event_row` — but built for the whole batch
  at once and written with ``COPY`` (a case service call is one transaction per case: a million cases would
  take an hour). Case ids come from the ``cases`` sequence first, so reports can point to them;
- **quarantined records**: with their raw bytes, source, reason and stage; a unique ``fingerprint`` makes
  a re-imported bad row change nothing either.

Writers serialise on an advisory lock (PostgreSQL) or the write lock (SQLite ``BEGIN IMMEDIATE``), so the
existence checks and the open cases a batch was de-duplicated against stay true until it commits.

Reading for the pipeline: which reports already exist, the open cases near in time (for de-duplication),
which cases are still open, the items' default priorities, the gazetteer for the geocoder. Reading and
writing for operators: the quarantine (list, show, mark fixed) and the manual-location queue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import orjson
import psycopg
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from cases.calendar import SHANGHAI
from cases.lifecycle import apply
from cases.permissions import Actor
from cases.states import OPEN_STATUSES, Role
from store.casework import TRAIL_START, default_policy, event_row, state_columns
from store.errors import NotFound
from store.models import Case, CaseEvent, Item, Place, QuarantinedRecord, Report, Road
from store.store import Store
from store.types import SRID, WKBOut

REPORTS: sa.Table = Report.__table__  # type: ignore[assignment]
CASES: sa.Table = Case.__table__  # type: ignore[assignment]
EVENTS: sa.Table = CaseEvent.__table__  # type: ignore[assignment]
QUARANTINE: sa.Table = QuarantinedRecord.__table__  # type: ignore[assignment]

INTAKE: Final = Actor("intake", Role.SYSTEM)
"""Who opens the cases reports bring in (the audit trail's actor of their 上报 event)."""
LOCK_KEY: Final = 3502120006
"""PostgreSQL advisory lock every intake writer takes for its transaction."""
OPEN: Final = tuple(status.value for status in OPEN_STATUSES)

REPORT_JSON = ("media", "raw_payload", "source_ref", "notes", "location_candidates", "link_reason")
QUARANTINE_JSON = ("source_ref", "record")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str | None) -> str | None:
    """Text any database takes: NUL and lone surrogates (undecodable bytes) become U+FFFD."""
    if text is None or not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub("\ufffd", text)


# ------------------------------------------------------------------------------------------- batches


@dataclass
class NewCases:
    """Cases a batch opens, column by column; ``ids`` from :func:`allocate_case_ids`."""

    ids: list[int]
    opened_at: list[datetime]
    township_code: list[str]
    community_code: list[str | None]
    zone_code: list[str | None]
    cell_code: list[str | None]
    item_code: list[str]
    priority: list[int]
    description: list[str | None]
    address: list[str | None]
    channel: list[str]
    note: list[str | None]
    lon: list[float]
    lat: list[float]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Rows:
    """Rows of one table as columns: name → list of values (Python values: datetimes, dicts, shapely)."""

    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


# -------------------------------------------------------------------------------------------- locking


def lock(conn: Connection) -> None:
    """Serialise intake writers until the transaction ends (SQLite: taken by ``BEGIN IMMEDIATE`` already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")


# -------------------------------------------------------------------------------------------- reading


def existing_reports(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Of ``(channel, external_id)`` pairs, those already stored, with their report id."""
    found: dict[tuple[str, str], int] = {}
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    for channel, ids in by_channel.items():
        if conn.dialect.name == "postgresql":  # one array parameter, not thousands of them
            rows = conn.execute(sa.text("SELECT id, external_id FROM reports WHERE channel = :channel "
                                        "AND external_id = ANY(:ids)"), {"channel": channel, "ids": ids})
            found.update({(channel, external_id): report_id for report_id, external_id in rows})
            continue
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            rows = conn.execute(sa.select(REPORTS.c.id, REPORTS.c.external_id).where(
                REPORTS.c.channel == channel, REPORTS.c.external_id.in_(chunk)))
            found.update({(channel, external_id): report_id for report_id, external_id in rows})
    return found


def existing_quarantine(conn: Connection, fingerprints: Sequence[str]) -> dict[str, int]:
    """Of quarantine fingerprints, those already stored, with their quarantine id."""
    found: dict[str, int] = {}
    for start in range(0, len(fingerprints), 5000):
        chunk = list(fingerprints[start:start + 5000])
        rows = conn.execute(sa.select(QUARANTINE.c.id, QUARANTINE.c.fingerprint)
                            .where(QUARANTINE.c.fingerprint.in_(chunk)))
        found.update({fingerprint: record_id for record_id, fingerprint in rows})
    return found


@dataclass(frozen=True)
class CaseSnapshot:
    """Open cases as de-duplication sees them: id, the opening report's lon/lat, the latest report's time
    (seconds since the epoch), item, description."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    latest: np.ndarray
    items: list[str | None]
    texts: list[str | None]

    def __len__(self) -> int:
        return len(self.ids)


def open_cases(conn: Connection, reported_from: datetime, reported_to: datetime) -> CaseSnapshot:
    """Open, located cases with a report received in ``[reported_from, reported_to]``; their latest report is
    the newest of all their reports."""
    in_range = (sa.select(REPORTS.c.case_id).where(REPORTS.c.case_id.is_not(None),
                                                   REPORTS.c.received_at >= reported_from,
                                                   REPORTS.c.received_at <= reported_to)
                .distinct().subquery())
    latest = (sa.select(REPORTS.c.case_id, sa.func.max(REPORTS.c.received_at).label("latest"))
              .where(REPORTS.c.case_id.in_(sa.select(in_range.c.case_id))).group_by(REPORTS.c.case_id).subquery())
    rows = conn.execute(
        sa.select(CASES.c.id, CASES.c.min_lon, CASES.c.min_lat, CASES.c.item_code, CASES.c.description,
                  latest.c.latest)
        .join(latest, latest.c.case_id == CASES.c.id)
        .where(CASES.c.status.in_(OPEN), CASES.c.min_lon.is_not(None))
        .order_by(CASES.c.id)
    ).all()
    return _snapshot(rows)


def open_cases_after(conn: Connection, case_id: int) -> CaseSnapshot:
    """Open, located cases with an id above ``case_id`` (opened since: by other writers too)."""
    recent = (sa.select(REPORTS.c.case_id, sa.func.max(REPORTS.c.received_at).label("latest"))
              .where(REPORTS.c.case_id > case_id).group_by(REPORTS.c.case_id).subquery())
    rows = conn.execute(
        sa.select(CASES.c.id, CASES.c.min_lon, CASES.c.min_lat, CASES.c.item_code, CASES.c.description,
                  sa.func.coalesce(recent.c.latest, CASES.c.opened_at))
        .outerjoin(recent, recent.c.case_id == CASES.c.id)
        .where(CASES.c.id > case_id, CASES.c.status.in_(OPEN), CASES.c.min_lon.is_not(None))
        .order_by(CASES.c.id)
    ).all()
    return _snapshot(rows)


def _snapshot(rows: Sequence[Any]) -> CaseSnapshot:
    return CaseSnapshot(
        ids=np.array([r[0] for r in rows], np.int64), lon=np.array([r[1] for r in rows], float),
        lat=np.array([r[2] for r in rows], float),
        latest=np.array([int(_aware(r[5]).timestamp()) for r in rows], np.int64),
        items=[r[3] for r in rows], texts=[r[4] for r in rows])


def max_case_id(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(CASES.c.id), 0))).scalar_one())


def still_open(conn: Connection, case_ids: Iterable[int]) -> set[int]:
    """Which of ``case_ids`` are still open (a report must not join a case closed meanwhile)."""
    ids = sorted(set(int(i) for i in case_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        found.update(conn.execute(sa.select(CASES.c.id).where(CASES.c.id.in_(chunk), CASES.c.status.in_(OPEN)))
                     .scalars())
    return found


def item_priorities(conn: Connection) -> dict[str, int]:
    """Item code → default priority (1 urgent … 3 normal), from the store's catalogue."""
    return {code: int(priority) for code, priority in conn.execute(sa.select(Item.code, Item.default_priority))}


def gazetteer_frames(store: Store) -> tuple[Any, Any, Any, Any]:
    """Townships, communities, roads and places (EPSG:4326 frames) for :meth:`geo.geocoder.Geocoder.from_frames`."""
    import geopandas as gpd

    townships, communities = store.townships(), store.communities()
    with store.transaction() as conn:
        roads = conn.execute(sa.select(Road.ref, Road.name, Road.kind, Road.township_code, Road.number_from,
                                       Road.number_to, WKBOut(Road.geom))).all()
        places = conn.execute(sa.select(Place.ref, Place.name, Place.kind, Place.category, Place.address,
                                        Place.township_code, Place.community_code, WKBOut(Place.geom))).all()
    road_columns = ["id", "name", "kind", "township_code", "number_from", "number_to"]
    place_columns = ["id", "name", "kind", "category", "address", "township_code", "community_code"]
    road_frame = gpd.GeoDataFrame([dict(zip(road_columns, r[:-1], strict=True)) for r in roads], columns=road_columns,
                                  geometry=shapely.from_wkb([r[-1] for r in roads]), crs="EPSG:4326")
    place_frame = gpd.GeoDataFrame([dict(zip(place_columns, r[:-1], strict=True)) for r in places],
                                   columns=place_columns, geometry=shapely.from_wkb([r[-1] for r in places]),
                                   crs="EPSG:4326")
    return townships, communities, road_frame, place_frame


# -------------------------------------------------------------------------------------------- writing


def allocate_case_ids(conn: Connection, n: int) -> list[int]:
    """``n`` new case ids: from the ``cases`` sequence (PostgreSQL), after the largest id (SQLite, which
    holds the write lock)."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, %(n)s)",
            {"n": n}).scalars())
    start = max_case_id(conn) + 1
    return list(range(start, start + n))


def case_code(case_id: int, opened_at: datetime) -> str:
    """案件编号: ``AJ-<local date>-<id>``, unique through the id."""
    return f"AJ-{opened_at.astimezone(SHANGHAI):%Y%m%d}-{case_id:07d}"


def case_rows(cases: NewCases, actor: Actor = INTAKE) -> tuple[Rows, Rows]:
    """The ``cases`` rows and their ``case_events`` report rows, as the case service would write them.

    Each distinct (township, item, priority) is put through :func:`cases.lifecycle.apply` once (so a
    payload the rules refuse is refused here too) and its columns give every case of that kind its status,
    version, flags and deadline — which for a just-reported case depends only on the opening time and the
    priority (the accept clock), unless the policy counts the accept clock in working days: then every case
    goes through ``apply`` itself. ``tests/ingest/test_pipeline.py`` holds the rows to
    :meth:`store.casework.CaseService.audit` (each row what its audit trail replays to).
    """
    policy = default_policy()
    n = len(cases)
    codes = [case_code(i, at) for i, at in zip(cases.ids, cases.opened_at, strict=True)]
    payloads = [{"case_code": codes[k], "township_code": cases.township_code[k], "priority": cases.priority[k],
                 "item_code": cases.item_code[k], "community_code": cases.community_code[k],
                 "cell_code": cases.cell_code[k]} for k in range(n)]
    keys = list(zip(cases.township_code, cases.item_code, cases.priority, strict=True))
    templates: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any], timedelta | None]] = {}
    own: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # cases that went through apply themselves
    for k in range(n):
        exact = policy.counts_working_days(cases.priority[k], "accept")
        if keys[k] in templates and not exact:
            continue
        payload = {**payloads[k], "note": cases.note[k]} if cases.note[k] else payloads[k]
        state, event = apply(None, "report", actor, payload, cases.opened_at[k])
        row, event_values = state_columns(state, policy), event_row(cases.ids[k], event)
        offset = None if row["deadline_at"] is None or exact else row["deadline_at"] - cases.opened_at[k]
        templates[keys[k]] = (row, event_values, offset)
        own[k] = (row, event_values)
    varying = {"code", "community_code", "cell_code", "opened_at", "updated_at", "deadline_at"}
    case_columns: dict[str, list[Any]] = {}
    first_row = next(iter(templates.values()))[0]
    for name in first_row:
        if name not in varying:
            case_columns[name] = [own[k][0][name] if k in own else templates[keys[k]][0][name] for k in range(n)]
    case_columns["code"] = codes
    case_columns["community_code"] = list(cases.community_code)
    case_columns["cell_code"] = list(cases.cell_code)
    case_columns["opened_at"] = case_columns["updated_at"] = list(cases.opened_at)
    case_columns["deadline_at"] = [own[k][0]["deadline_at"] if k in own else
                                   (None if templates[keys[k]][2] is None else cases.opened_at[k] + templates[keys[k]][2])
                                   for k in range(n)]
    for name, value in TRAIL_START.items():
        case_columns[name] = [value] * n
    lon, lat = np.asarray(cases.lon, float), np.asarray(cases.lat, float)
    case_columns.update(
        id=list(cases.ids), channel=list(cases.channel), zone_code=list(cases.zone_code),
        description=[storable(d) for d in cases.description], address=[storable(a) for a in cases.address],
        geom=list(shapely.points(lon, lat)), min_lon=lon.tolist(), min_lat=lat.tolist(), max_lon=lon.tolist(),
        max_lat=lat.tolist())
    template_event = next(iter(templates.values()))[1]
    event_columns: dict[str, list[Any]] = {
        name: [own[k][1][name] if k in own else value for k in range(n)] for name, value in template_event.items()}
    event_columns["case_id"] = list(cases.ids)
    event_columns["at"] = list(cases.opened_at)
    event_columns["note"] = list(cases.note)
    event_columns["payload"] = [own[k][1]["payload"] if k in own else payloads[k] for k in range(n)]
    return Rows(case_columns), Rows(event_columns)


def insert_cases(conn: Connection, cases: NewCases, actor: Actor = INTAKE) -> None:
    """Write new cases and their report events (ids already allocated)."""
    if not len(cases):
        return
    case_table, event_table = case_rows(cases, actor)
    _insert(conn, CASES, case_table, json_columns=())
    _insert(conn, EVENTS, event_table, json_columns=("evidence", "payload"))


def insert_trails(conn: Connection, cases: Rows, events: Rows) -> None:
    """Write cases with their whole audit trails — historical cases from an old platform
    (:mod:`ingest.history_store`), rows built like :func:`case_rows` but over every step — batched like
    :func:`insert_cases` (``COPY`` on PostGIS); the case ids already allocated."""
    if not len(cases):
        return
    _insert(conn, CASES, cases, json_columns=())
    _insert(conn, EVENTS, events, json_columns=("evidence", "payload"))


def insert_reports(conn: Connection, rows: Rows) -> dict[tuple[str, str], int]:
    """Insert reports, skipping any whose (channel, external_id) is stored already; the new ones' ids.

    On PostGIS the rows are copied straight into ``reports`` with ids drawn from its sequence — the caller
    holds :func:`lock` and left out the stored keys, so none can collide; should a writer that does not take
    the lock have stored one meanwhile, that copy is rolled back to a savepoint and the rows go through a
    temporary table and ``INSERT … ON CONFLICT DO NOTHING`` instead.
    """
    if not len(rows):
        return {}
    columns = rows.columns
    if conn.dialect.name != "postgresql":
        conn.execute(sqlite_insert(REPORTS).on_conflict_do_nothing(index_elements=["channel", "external_id"]),
                     _dicts(rows))
        return existing_reports(conn, list(zip(columns["channel"], columns["external_id"], strict=True)))
    names = list(columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        if "id" not in columns:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('reports', 'id')) FROM generate_series(1, %s)",
                           (len(rows),))
            ids = [report_id for report_id, in cursor.fetchall()]
            try:
                with raw.transaction():  # a savepoint
                    _copy(cursor, "reports", ["id", *names],
                          ((i, *row) for i, row in zip(ids, _tuples(conn, REPORTS, rows, REPORT_JSON), strict=True)))
                return dict(zip(zip(columns["channel"], columns["external_id"], strict=True), ids, strict=True))
            except psycopg.errors.UniqueViolation:
                pass  # stored meanwhile by a writer without the lock: the careful way below
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS intake_reports (LIKE reports INCLUDING DEFAULTS) "
                       "ON COMMIT DELETE ROWS")
        _copy(cursor, "intake_reports", names, _tuples(conn, REPORTS, rows, REPORT_JSON))
        listed = ", ".join(f'"{n}"' for n in names)
        cursor.execute(f"INSERT INTO reports ({listed}) SELECT {listed} FROM intake_reports "
                       "ON CONFLICT (channel, external_id) DO NOTHING RETURNING id, channel, external_id")
        inserted = {(channel, external_id): report_id for report_id, channel, external_id in cursor.fetchall()}
        cursor.execute("TRUNCATE intake_reports")
    return inserted


def insert_quarantine(conn: Connection, rows: Rows) -> dict[str, int]:
    """Insert quarantined records, skipping fingerprints stored already; fingerprint → id of every record."""
    if not len(rows):
        return {}
    records = _dicts(rows)
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(QUARANTINE).on_conflict_do_nothing(index_elements=["fingerprint"]), records)
    return existing_quarantine(conn, rows.columns["fingerprint"])


def _insert(conn: Connection, table: sa.Table, rows: Rows, json_columns: Sequence[str]) -> None:
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor:
            _copy(cursor, table.name, list(rows.columns), _tuples(conn, table, rows, json_columns))
        return
    conn.execute(sa.insert(table), _dicts(rows))


def _copy(cursor: Any, table: str, names: Sequence[str], tuples: Iterable[tuple]) -> None:
    listed = ", ".join(f'"{n}"' for n in names)
    with cursor.copy(f'COPY "{table}" ({listed}) FROM STDIN') as copy:
        for row in tuples:
            copy.write_row(row)


def _tuples(conn: Connection, table: sa.Table, rows: Rows, json_columns: Sequence[str]) -> Iterable[tuple]:
    """Rows as tuples for PostgreSQL ``COPY``: JSON as text, geometry as hex EWKB."""
    values = []
    for name, column in rows.columns.items():
        if name in json_columns:
            values.append([None if v is None else _json_text(v) for v in column])
        elif name == "geom":
            geoms = np.array(column, dtype=object)
            present = np.array([g is not None for g in column], bool)
            encoded = np.full(len(column), None, dtype=object)
            if present.any():
                encoded[present] = shapely.to_wkb(shapely.set_srid(geoms[present], SRID), hex=True, include_srid=True)
            values.append(encoded.tolist())
        else:
            values.append(column)
    return zip(*values, strict=True)


def _json_text(value: Any) -> str:
    """JSON text for a ``json``/``jsonb`` column: orjson (several times faster than :mod:`json` on the bulk
    path), or :mod:`json` for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False)


def _dicts(rows: Rows) -> list[dict[str, Any]]:
    names = list(rows.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*rows.columns.values(), strict=True)]


# ---------------------------------------------------------------------------------------- operators


def quarantine_list(store: Store, *, status: str | None = "open", channel: str | None = None,
                    limit: int = 100) -> list[dict[str, Any]]:
    """Quarantined records, newest first: id, channel, source, external id, stage, reason, status, times."""
    query = sa.select(QUARANTINE.c.id, QUARANTINE.c.channel, QUARANTINE.c.source_ref, QUARANTINE.c.external_id,
                      QUARANTINE.c.stage, QUARANTINE.c.reason, QUARANTINE.c.status, QUARANTINE.c.received_at,
                      QUARANTINE.c.resubmitted_report_id)
    if status:
        query = query.where(QUARANTINE.c.status == status)
    if channel:
        query = query.where(QUARANTINE.c.channel == channel)
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(QUARANTINE.c.id.desc()).limit(limit)).mappings().all()
    return [dict(row) for row in rows]


def quarantined(store: Store, record_id: int) -> dict[str, Any]:
    """One quarantined record, raw bytes included (:class:`NotFound` for an unknown id)."""
    with store.transaction() as conn:
        row = conn.execute(sa.select(QUARANTINE).where(QUARANTINE.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"no quarantined record {record_id}")
    return dict(row)


def mark_quarantine(store: Store, record_id: int, *, report_id: int | None = None, reason: str | None = None,
                    at: datetime | None = None) -> None:
    """After a re-submission: ``fixed`` with the report it became, or still ``open`` with the new reason."""
    values: dict[str, Any] = ({"status": "fixed", "fixed_at": at or datetime.now(UTC), "resubmitted_report_id": report_id}
                              if report_id is not None else {"reason": reason})
    with store.transaction(write=True) as conn:
        done = conn.execute(sa.update(QUARANTINE).where(QUARANTINE.c.id == record_id).values(values))
        if done.rowcount != 1:
            raise NotFound(f"no quarantined record {record_id}")


def manual_queue(store: Store, *, limit: int = 100) -> list[dict[str, Any]]:
    """Reports waiting for manual location, oldest first: id, channel, external id, address, reason, candidates."""
    query = (sa.select(REPORTS.c.id, REPORTS.c.channel, REPORTS.c.external_id, REPORTS.c.received_at,
                       REPORTS.c.item_code, REPORTS.c.address, REPORTS.c.original_x, REPORTS.c.original_y,
                       REPORTS.c.original_crs, REPORTS.c.location_reason, REPORTS.c.location_candidates)
             .where(REPORTS.c.location_status == "needs_manual").order_by(REPORTS.c.received_at).limit(limit))
    with store.transaction() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def report(conn: Connection, report_id: int) -> dict[str, Any]:
    """One report row (without geometry)."""
    row = conn.execute(sa.select(*(c for c in REPORTS.c if c.name != "geom")).where(REPORTS.c.id == report_id)
                       ).mappings().first()
    if row is None:
        raise NotFound(f"no report {report_id}")
    return dict(row)


def case_reports(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    """The reports of a case: id, received_at, link_reason."""
    rows = conn.execute(sa.select(REPORTS.c.id, REPORTS.c.received_at, REPORTS.c.link_reason)
                        .where(REPORTS.c.case_id == case_id).order_by(REPORTS.c.received_at, REPORTS.c.id))
    return [dict(row) for row in rows.mappings()]


def case_row(conn: Connection, case_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(*(c for c in CASES.c if c.name != "geom")).where(CASES.c.id == case_id)
                       ).mappings().first()
    if row is None:
        raise NotFound(f"no case {case_id}")
    return dict(row)


def update_reports(conn: Connection, report_ids: Sequence[int], values: Mapping[str, Any]) -> None:
    """Set ``values`` on the reports ``report_ids`` (link and location changes by operators)."""
    done = conn.execute(sa.update(REPORTS).where(REPORTS.c.id.in_(list(report_ids))).values(dict(values)))
    if done.rowcount != len(set(report_ids)):
        raise NotFound(f"report(s) {sorted(report_ids)} not all found")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
