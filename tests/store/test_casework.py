"""The ORM side used by later issues: UTC times, geometry, JSON, the append-only audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from store import Conflict, StoreError, open_store
from store.ddl import append_only_message
from store.models import Case, CaseEvent, QuarantinedRecord, Report

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def store(database_url: str):
    store = open_store(database_url)
    store.upgrade()
    return store


def _case(store, code: str = "AJ-1") -> int:
    with store.session() as session:
        case = Case(code=code, status="reported", priority=2, opened_at=datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI),
                    geom=Point(118.11, 24.71))
        session.add(case)
        session.flush()
        session.add(CaseEvent(case_id=case.id, seq=1, at=datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI),
                              actor="值班员", action="report", to_status="reported", evidence={"photos": ["a.jpg"]}))
        return case.id


def test_times_come_back_utc_aware(store) -> None:
    case_id = _case(store)
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case.opened_at == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
        assert case.opened_at.utcoffset() == timedelta(0)
        event = session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id)).one()
        assert event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
    with store.session() as session:  # comparisons in SQL use UTC too
        found = session.scalars(sa.select(Case.code).where(Case.opened_at >= datetime(2026, 11, 23, 1, 30, tzinfo=UTC)))
        assert found.all() == ["AJ-1"]


def test_naive_time_is_refused(store) -> None:
    with pytest.raises(StoreError, match="naive datetime"), store.session() as session:
        session.add(Case(code="AJ-2", status="reported", priority=1, opened_at=datetime(2026, 11, 23, 9, 30)))


def test_geometry_json_and_bbox_through_the_orm(store) -> None:
    case_id = _case(store)
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case.geom.equals_exact(Point(118.11, 24.71), 0)
        assert (case.min_lon, case.min_lat, case.max_lon, case.max_lat) == (118.11, 24.71, 118.11, 24.71)
        case.geom = Point(118.12, 24.72)
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case.geom.wkb == Point(118.12, 24.72).wkb and case.max_lat == 24.72
        assert session.scalars(sa.select(CaseEvent.evidence)).one() == {"photos": ["a.jpg"]}


def test_bbox_clause_follows_moved_points(store) -> None:
    """The spatial index (GiST, or the R*Tree kept by triggers) sees ORM inserts and updates."""
    case_id = _case(store)

    def codes(bbox) -> list[str]:
        with store.session() as session:
            return session.scalars(sa.select(Case.code).where(store.bbox_clause(Case, bbox))).all()

    assert codes((118.10, 24.70, 118.115, 24.715)) == ["AJ-1"]
    assert codes((118.11, 24.71, 118.11, 24.71)) == ["AJ-1"]  # a point on the box's edge is inside
    assert codes((118.1100001, 24.70, 118.2, 24.8)) == []  # just east of it: exact, not a float32 box
    with store.session() as session:
        session.get(Case, case_id).geom = Point(118.13, 24.73)
    assert codes((118.10, 24.70, 118.115, 24.715)) == []
    assert codes((118.125, 24.725, 118.135, 24.735)) == ["AJ-1"]
    with store.session() as session:
        session.get(Case, case_id).geom = None
    assert codes((118.0, 24.0, 119.0, 25.0)) == []


def test_audit_trail_is_append_only(store) -> None:
    case_id = _case(store)
    message = append_only_message("case_events")
    with pytest.raises(Conflict, match="case_events is append-only"), store.session() as session:
        session.execute(sa.update(CaseEvent).values(note="rewritten"))
    with pytest.raises(Conflict, match="case_events is append-only"), store.session() as session:
        session.execute(sa.delete(CaseEvent).where(CaseEvent.case_id == case_id))
    with pytest.raises(Conflict, match="append-only"), store.session() as session:
        event = session.scalars(sa.select(CaseEvent)).one()
        event.note = "changed through the ORM"
    with store.session() as session:  # appending is what the trail is for
        session.add(CaseEvent(case_id=case_id, seq=2, at=datetime.now(UTC), actor="值班员", action="accept",
                              from_status="reported", to_status="accepted"))
    with store.session() as session:
        events = session.scalars(sa.select(CaseEvent).order_by(CaseEvent.seq)).all()
        assert [(e.seq, e.note) for e in events] == [(1, None), (2, None)]
    assert "never rewritten" in message


def test_report_is_unique_per_channel(store) -> None:
    received = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with store.session() as session:
        session.add(Report(channel="12345", external_id="GD-1", received_at=received, raw_payload={"工单号": "GD-1"},
                           media=[], reporter_phone="13800000000"))
        session.add(Report(channel="12319", external_id="GD-1", received_at=received))  # another channel: fine
    with pytest.raises(Conflict), store.session() as session:
        session.add(Report(channel="12345", external_id="GD-1", received_at=received))
    assert store.counts()["reports"] == 2


def test_quarantine_keeps_the_raw_bytes(store) -> None:
    """A 12345 export in GBK with a stray NUL byte: kept byte for byte, to be fixed and re-submitted."""
    raw = '工单号,地址\nGD-9,"同安区大同街道'.encode("gbk") + b"\x00\xff"
    with store.session() as session:
        session.add(QuarantinedRecord(channel="12345", raw_payload=raw, content_type="text/csv; charset=gbk",
                                      reason="line 2: unclosed quote", received_at=datetime.now(UTC)))
    with store.session() as session:
        record = session.scalars(sa.select(QuarantinedRecord)).one()
        assert record.raw_payload == raw and record.status == "open" and record.fixed_at is None
