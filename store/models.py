"""The tables, as typed SQLAlchemy 2 models: jurisdiction, organisation, casework.

Conventions (the same on both backends):

- every table has an integer ``id``; domain records also carry their ``code`` (statistical code for
  townships/communities, grid code for cells, ...) and other tables refer to them *by code*, so a row
  reads on its own and a jurisdiction folder loads without id look-ups;
- every spatial table has one ``geom`` column (lon/lat, EPSG:4326) and four bounding-box columns
  (``min_lon`` … ``max_lat``). On SQLite an R*Tree index is kept from those columns by triggers (see
  :mod:`store.ddl`); on PostGIS a GiST index serves the geometry itself. The ORM fills the box whenever
  ``geom`` is set (:func:`_fill_bbox`); bulk loaders compute it themselves;
- times are :class:`store.types.UTCDateTime` (aware, UTC); JSON is ``jsonb`` on PostGIS.

The schema is created by the Alembic revisions in ``store/migrations``, not by ``create_all``;
``tests/store/test_migrations.py`` checks that these models and the revisions agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.types import Geometry, JSONDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Spatial:
    """Bounding-box columns kept beside ``geom``: the SQLite spatial index is built from them."""

    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)


def _fill_bbox(mapper: Any, connection: Any, target: Spatial) -> None:
    geom = target.geom  # type: ignore[attr-defined]
    if geom is None or (isinstance(geom, shapely.Geometry) and geom.is_empty):
        target.min_lon = target.min_lat = target.max_lon = target.max_lat = None
        return
    if not isinstance(geom, shapely.Geometry):
        geom = shapely.from_wkb(geom)
    target.min_lon, target.min_lat, target.max_lon, target.max_lat = (float(v) for v in geom.bounds)


event.listen(Spatial, "before_insert", _fill_bbox, propagate=True)
event.listen(Spatial, "before_update", _fill_bbox, propagate=True)


def _code(length: int | None = None, **kwargs: Any) -> Any:
    return mapped_column(String(length) if length else String, **kwargs)


# --------------------------------------------------------------------------------------------- jurisdiction


class JurisdictionInfo(Base):
    """What the store was seeded with: the jurisdiction folder's manifest, kept in one row.

    Written in the seed's own transaction, so a seeded store always knows its name and whether its
    boundaries are the demo generator's drawing (示意边界) or imported real ones — without the folder.
    """

    __tablename__ = "jurisdiction"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: a store holds one jurisdiction
    name: Mapped[str] = mapped_column(String)
    demo_boundaries: Mapped[bool] = mapped_column(Boolean)
    metric_crs: Mapped[str] = mapped_column(String)  # the CRS of the cells' col/row grid, e.g. EPSG:4548
    cell_size_m: Mapped[float] = mapped_column(Float)
    generator: Mapped[str | None] = mapped_column(String)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    counts: Mapped[Any] = mapped_column(JSONDocument())  # file stem → records, as in the manifest
    files: Mapped[Any] = mapped_column(JSONDocument())  # file name → sha256 of the seeded file
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Township(Spatial, Base):
    """镇/街道: a town or sub-district; 9-digit statistical code."""

    __tablename__ = "townships"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = _code(9, unique=True)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)  # 街道 | 镇
    area_km2: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY"))  # Polygon or MultiPolygon


class Community(Spatial, Base):
    """村/社区: a village or community; 12-digit statistical code."""

    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = _code(12, unique=True)
    name: Mapped[str] = mapped_column(String)
    official_name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)  # 社区 | 村
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"), index=True)
    area_km2: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY"))


class Zone(Spatial, Base):
    """片区: a patrol zone, a group of cells one team patrols; code = township code + 2 digits."""

    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = _code(11, unique=True)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"), index=True)
    cell_count: Mapped[int] = mapped_column(Integer)
    area_km2: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY"))


class Cell(Spatial, Base):
    """单元网格: a ~100 m grid square (clipped to its community); ``col``/``row`` index it in EPSG:4548."""

    __tablename__ = "cells"
    __table_args__ = (Index(None, "col", "row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = _code(15, unique=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("communities.code"), index=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"), index=True)
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"), index=True)
    col: Mapped[int] = mapped_column(Integer)
    row: Mapped[int] = mapped_column(Integer)
    area_m2: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY"))


class Road(Spatial, Base):
    """A named road of the gazetteer, with its house-number range (odd left, even right)."""

    __tablename__ = "roads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String, unique=True)  # the ``id`` of roads.geojson
    name: Mapped[str] = mapped_column(String, index=True)
    kind: Mapped[str] = mapped_column(String)
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"), index=True)
    number_from: Mapped[int | None] = mapped_column(Integer)
    number_to: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[Any] = mapped_column(Geometry("LINESTRING"))


class Place(Spatial, Base):
    """A gazetteer point: intersection, POI, landmark, compound or building."""

    __tablename__ = "places"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String, unique=True)  # the ``id`` of places.csv
    name: Mapped[str] = mapped_column(String, index=True)
    kind: Mapped[str] = mapped_column(String)
    category: Mapped[str | None] = mapped_column(String)
    address: Mapped[str | None] = mapped_column(String)
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"), index=True)
    community_code: Mapped[str | None] = mapped_column(ForeignKey("communities.code"))
    geom: Mapped[Any] = mapped_column(Geometry("POINT"))


# --------------------------------------------------------------------------------------------- organisation


class Item(Base):
    """An enforcement item (执法事项): a violation category with its priority and time limit."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    domain: Mapped[str] = mapped_column(String)
    default_priority: Mapped[int] = mapped_column(Integer)  # 1 urgent .. 3 normal
    time_limit_hours: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str | None] = mapped_column(Text)


class ItemAuthority(Base):
    """事项清单: who acts on an item in a township (法定 / 赋权 / 委托 itself, or 部门 a department)."""

    __tablename__ = "item_authority"
    __table_args__ = (UniqueConstraint("township_code", "item_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"))
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), index=True)
    authority: Mapped[str] = mapped_column(String)
    department: Mapped[str | None] = mapped_column(String)


class Team(Spatial, Base):
    """An enforcement team, sub-squad or stationed department unit; ``geom`` is its base."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"), index=True)
    kind: Mapped[str] = mapped_column(String)  # squad | sub_squad | department_unit
    department: Mapped[str] = mapped_column(String)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("teams.code"))
    geom: Mapped[Any] = mapped_column(Geometry("POINT"))


class Officer(Base):
    """执法队员: an officer of a team; ``certified`` means holding a law-enforcement certificate."""

    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(String)
    team_code: Mapped[str] = mapped_column(ForeignKey("teams.code"), index=True)
    certified: Mapped[bool] = mapped_column(Boolean)
    certificate_no: Mapped[str | None] = mapped_column(String)
    duty_pattern: Mapped[str | None] = mapped_column(String)
    phone: Mapped[str | None] = mapped_column(String)


class TeamPosition(Spatial, Base):
    """Where a team was at a moment (GPS fix, converted to WGS84; ``source_crs`` says from what)."""

    __tablename__ = "team_positions"
    __table_args__ = (Index(None, "team_code", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_code: Mapped[str] = mapped_column(ForeignKey("teams.code"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String)
    source_crs: Mapped[str] = mapped_column(String)
    geom: Mapped[Any] = mapped_column(Geometry("POINT"))


class PatrolShift(Base):
    """A team assigned to patrol a zone for a time span."""

    __tablename__ = "patrol_shifts"
    __table_args__ = (Index(None, "zone_code", "starts_at"), Index(None, "team_code", "starts_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"))
    team_code: Mapped[str] = mapped_column(ForeignKey("teams.code"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String)


class User(Base):
    """A person who signs in; ``township_code`` scopes a township user, blank for the district.

    What :class:`cases.permissions.Actor` needs beyond the role and township: the team an officer or team
    leader acts for (``team_code``; a team leader also acts for its sub-teams, resolved by
    :func:`store.casework.actor_for`), a liaison's ``department``, and for an officer the ``officer_code``
    that the audit trail records as the actor (so activity counts per officer, see :mod:`store.kpis`).
    Signing in (:mod:`store.accounts`): the scrypt ``password_hash``, ``active`` (a deactivated account
    cannot sign in), ``created_at`` and ``last_login_at``.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String, unique=True)
    display_name: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"))
    password_hash: Mapped[str] = mapped_column(String)
    team_code: Mapped[str | None] = mapped_column(ForeignKey("teams.code"))
    department: Mapped[str | None] = mapped_column(String)
    officer_code: Mapped[str | None] = mapped_column(ForeignKey("officers.code"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.current_timestamp())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# ------------------------------------------------------------------------------------------------ casework


class Report(Spatial, Base):
    """上报: one message from one channel. ``(channel, external_id)`` is unique, so a re-sent message is
    recognised; several reports may point to one case."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("channel", "external_id"), Index(None, "township_code", "received_at"),
                      Index(None, "location_status", "received_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String)
    external_id: Mapped[str] = mapped_column(String)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    category: Mapped[str | None] = mapped_column(String)  # the channel's own category text or code
    item_code: Mapped[str | None] = mapped_column(ForeignKey("items.code"))
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String)
    reporter_name: Mapped[str | None] = mapped_column(String)  # personal data: mask when shown
    reporter_phone: Mapped[str | None] = mapped_column(String)  # personal data: mask when shown
    media: Mapped[Any | None] = mapped_column(JSONDocument())
    priority: Mapped[int | None] = mapped_column(Integer)
    raw_payload: Mapped[Any | None] = mapped_column(JSONDocument())
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"))
    community_code: Mapped[str | None] = mapped_column(ForeignKey("communities.code"))
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"))
    cell_code: Mapped[str | None] = mapped_column(ForeignKey("cells.code"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    geom: Mapped[Any | None] = mapped_column(Geometry("POINT"))
    # revision 0006: what the ingest pipeline knows (see store.intake)
    source_ref: Mapped[Any | None] = mapped_column(JSONDocument())  # file, row or record, sheet
    notes: Mapped[Any | None] = mapped_column(JSONDocument())  # what normalising and locating did
    reporter_id: Mapped[str | None] = mapped_column(String)  # staff number of a grid worker, supervisor, officer
    channel_cell_code: Mapped[str | None] = mapped_column(String)  # the channel's own grid cell, as given
    original_x: Mapped[float | None] = mapped_column(Float)  # the position as given …
    original_y: Mapped[float | None] = mapped_column(Float)
    original_crs: Mapped[str | None] = mapped_column(String)  # … in this system (wgs84, gcj02, EPSG:4548 …)
    location_status: Mapped[str | None] = mapped_column(String)  # located | geocoded | needs_manual | placed
    location_confidence: Mapped[float | None] = mapped_column(Float)
    location_reason: Mapped[str | None] = mapped_column(Text)  # why it waits for manual location
    location_candidates: Mapped[Any | None] = mapped_column(JSONDocument())  # what the operator may choose
    link_reason: Mapped[Any | None] = mapped_column(JSONDocument())  # opened, duplicate (why), split, placed


class Case(Spatial, Base):
    """案件: one real-world problem followed around the closed loop.

    The row is a cache of the case's audit trail, written only by :mod:`store.casework` in the transaction
    that appends the event: ``version`` is the seq of the latest event (optimistic concurrency: an update
    says ``WHERE version = :seen``); status … ``handled_late`` are what :func:`cases.replay.replay` of the
    trail gives (:func:`store.casework.state_columns`); the step times and counters are folded from the
    events (:func:`store.casework.step_columns`). :mod:`store.kpis` aggregates these columns in SQL.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "township_code", "status"),
        Index(None, "status", "deadline_at"),
        Index(None, "township_code", "opened_at", postgresql_include=[  # revision 0008: what store.kpis reads
            "status", "deadline_at", "accepted_at", "rejected_at", "dispatched_at", "arrived_at", "handled_at",
            "verified_at", "closed_at", "redispatch_count", "rework_count", "extension_count", "transfer_count",
            "late", "handled_late"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String, unique=True)
    status: Mapped[str] = mapped_column(String)
    item_code: Mapped[str | None] = mapped_column(ForeignKey("items.code"))
    priority: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String)
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"))
    community_code: Mapped[str | None] = mapped_column(ForeignKey("communities.code"))
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"))
    cell_code: Mapped[str | None] = mapped_column(ForeignKey("cells.code"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # earliest running clock's deadline
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    current_team_code: Mapped[str | None] = mapped_column(ForeignKey("teams.code"), index=True)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 督办
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 挂起
    geom: Mapped[Any | None] = mapped_column(Geometry("POINT"))
    # revision 0005: the cached state of the closed loop
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    channel: Mapped[str | None] = mapped_column(String)  # the channel of the report that opened the case
    department: Mapped[str | None] = mapped_column(String)  # transferred to (移送)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # time of the latest event
    supervision_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0, 1 一般 … 3 挂牌
    rework_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 返工
    redispatch_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 改派 to another team
    transfer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 移送
    extension: Mapped[str] = mapped_column(String, default="none", server_default="none")  # latest request
    extension_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # approved 延期
    extended_hours: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first accept
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first dispatch or whistle
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first transfer
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first arrival
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # latest handling (after any rework)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # latest verification
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # a clock past its limit
    handled_late: Mapped[bool | None] = mapped_column(Boolean)  # the handle clock, once stopped, past its limit


class CaseEvent(Base):
    """全过程记录: one step of a case. Append-only — the database refuses UPDATE and DELETE.

    The columns are :meth:`cases.events.Event.to_record` (``role``, ``client_address`` and ``payload``
    since revision 0005; events written before it have none). ``(case_id, seq)`` is unique: two people
    moving one case at once make a conflict, not a fork.
    """

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"), Index(None, "actor", "at"), Index(None, "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    from_status: Mapped[str | None] = mapped_column(String)
    to_status: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[Any | None] = mapped_column(JSONDocument())
    role: Mapped[str | None] = mapped_column(String)
    client_address: Mapped[str | None] = mapped_column(String)
    payload: Mapped[Any | None] = mapped_column(JSONDocument())


class QuarantinedRecord(Base):
    """A record a channel sent that could not be used: kept whole with the reason, to fix and re-submit."""

    __tablename__ = "quarantine"
    __table_args__ = (Index(None, "status", "received_at"), Index(None, "fingerprint", unique=True),
                      Index(None, "channel", "external_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String)
    raw_payload: Mapped[bytes] = mapped_column(LargeBinary)  # the bytes as received: maybe GBK, maybe broken
    content_type: Mapped[str | None] = mapped_column(String)  # e.g. "text/csv; charset=gbk", when known
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String, default="open", server_default="open")  # open | fixed | discarded
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resubmitted_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # revision 0006
    source_ref: Mapped[Any | None] = mapped_column(JSONDocument())  # file, row or record, sheet
    external_id: Mapped[str | None] = mapped_column(String)  # the record's own id, when it could be read
    record: Mapped[Any | None] = mapped_column(JSONDocument())  # a readable view of the raw bytes
    stage: Mapped[str] = mapped_column(String, default="parse", server_default="parse")  # parse | locate | store
    fingerprint: Mapped[str | None] = mapped_column(String)  # sha256 of channel, source, raw: unique


SPATIAL_TABLES: tuple[str, ...] = tuple(
    mapper.local_table.name for mapper in Base.registry.mappers if issubclass(mapper.class_, Spatial)
)
"""Tables with a ``geom`` column and a spatial index, in declaration order."""
