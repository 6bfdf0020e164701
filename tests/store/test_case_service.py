"""The case service: each step of the closed loop is one transaction — an appended event and the cached row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from cases import Actor, Role, TransitionRefused, replay
from store import Conflict, NotFound, StoreError, open_store
from store.casework import CaseService, row_from_trail
from store.models import Case, CaseEvent, Report, User

DATONG, WUXIAN = "350212001", "350212101"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
OPERATOR = Actor("op-datong", Role.OPERATOR, township_code=DATONG)
OFFICER = Actor("O0003", Role.OFFICER, township_code=DATONG, teams={"T001A"})
EVIDENCE = ["https://evidence.example/1.jpg"]


@pytest.fixture
def service(database_url: str, tiny_dir: Path) -> CaseService:
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    return CaseService(store)


def _open(service: CaseService, code: str = "AJ-1", item: str = "CG001", township: str = DATONG, **kwargs):
    payload = {"case_code": code, "township_code": township, "priority": 3, "item_code": item}
    return service.open_case(OPERATOR if township == DATONG else Actor("op-wx", Role.OPERATOR, township_code=WUXIAN),
                             payload, T0, **kwargs)


def _row(service: CaseService, case_id: int) -> dict:
    with service.store.transaction() as conn:
        return dict(conn.execute(sa.select(Case.__table__).where(Case.id == case_id)).mappings().one())


def _walk(service: CaseService, case_id: int, version: int = 1) -> None:
    """accept → dispatch → arrive → feedback → verify → close, an hour apart."""
    steps = [
        ("accept", OPERATOR, service.acceptance(service.state(case_id))),
        ("dispatch", OPERATOR, {"team_code": "T001A"}),
        ("arrive", OFFICER, {}),
        ("feedback", OFFICER, {"note": "已清理", "evidence": EVIDENCE}),
        ("verify", OPERATOR, {}),
        ("close", OPERATOR, {}),
    ]
    for n, (action, actor, payload) in enumerate(steps, start=1):
        step = service.act(case_id, action, actor, payload, T0 + timedelta(hours=n), expected_version=version)
        version = step.version


def test_a_case_goes_round_the_loop_and_the_row_follows(service: CaseService) -> None:
    opened = _open(service, channel="12345", location=Point(118.105, 24.705), address="东山路1号")
    assert (opened.version, opened.event.seq, opened.state.status.value) == (1, 1, "reported")
    row = _row(service, opened.case_id)
    assert (row["version"], row["status"], row["channel"], row["address"]) == (1, "reported", "12345", "东山路1号")
    assert row["deadline_at"] == T0 + timedelta(hours=2)  # the accept clock of a priority-3 case
    assert (row["min_lon"], row["max_lat"]) == (118.105, 24.705)

    _walk(service, opened.case_id)
    row = _row(service, opened.case_id)
    assert (row["status"], row["version"], row["current_team_code"]) == ("closed", 7, "T001A")
    assert row["accepted_at"] == T0 + timedelta(hours=1) and row["dispatched_at"] == T0 + timedelta(hours=2)
    assert row["arrived_at"] == T0 + timedelta(hours=3) and row["handled_at"] == T0 + timedelta(hours=4)
    assert row["verified_at"] == T0 + timedelta(hours=5) and row["closed_at"] == T0 + timedelta(hours=6)
    assert row["deadline_at"] is None and row["late"] is False and row["handled_late"] is False

    history = service.history(opened.case_id)
    assert [e.action.value for e in history] == ["report", "accept", "dispatch", "arrive", "feedback", "verify", "close"]
    assert [e.seq for e in history] == list(range(1, 8))
    assert history[3].actor == "O0003" and history[3].role is Role.OFFICER
    assert history[1].payload["decision"]["basis"].startswith("事项清单 350212001 × CG001")
    assert replay(history) == service.state(opened.case_id)
    rebuilt = row_from_trail(history, service.policy)
    assert {k: row[k] for k in rebuilt} == rebuilt
    assert service.audit() == {}


def test_lateness_rework_redispatch_and_transfer_are_counted(service: CaseService) -> None:
    late = _open(service, "AJ-late")
    service.act(late.case_id, "accept", OPERATOR, service.acceptance(late.state), T0 + timedelta(hours=3))  # limit 2 h
    service.act(late.case_id, "dispatch", OPERATOR, {"team_code": "T001"}, T0 + timedelta(hours=4))
    service.act(late.case_id, "dispatch", OPERATOR, {"team_code": "T001A"}, T0 + timedelta(hours=4, minutes=5))
    service.act(late.case_id, "arrive", OFFICER, {}, T0 + timedelta(hours=5))
    service.act(late.case_id, "feedback", OFFICER, {"note": "ok", "evidence": EVIDENCE}, T0 + timedelta(hours=6))
    service.act(late.case_id, "rework", OPERATOR, {"reason": "未清理干净", "team_code": "T001"}, T0 + timedelta(hours=7))
    row = _row(service, late.case_id)
    assert (row["status"], row["rework_count"], row["redispatch_count"]) == ("dispatched", 1, 2)
    assert row["late"] is True and row["handled_late"] is None  # the handle clock runs again
    assert row["dispatched_at"] == T0 + timedelta(hours=4) and row["handled_at"] == T0 + timedelta(hours=6)

    moved = _open(service, "AJ-dept", item="SC001", township=WUXIAN)  # 部门: 市场监管
    wuxian = Actor("op-wx", Role.OPERATOR, township_code=WUXIAN)
    service.act(moved.case_id, "accept", wuxian, service.acceptance(moved.state), T0 + timedelta(minutes=10))
    service.act(moved.case_id, "transfer", wuxian, {"department": "市场监管"}, T0 + timedelta(minutes=20))
    row = _row(service, moved.case_id)
    assert (row["status"], row["department"], row["transfer_count"]) == ("transferred", "市场监管", 1)
    assert row["transferred_at"] == T0 + timedelta(minutes=20) and row["dispatched_at"] is None
    assert service.audit() == {}


def test_a_stale_version_is_a_conflict_naming_who_moved_the_case(service: CaseService) -> None:
    opened = _open(service)
    other = Actor("op-night", Role.OPERATOR, township_code=DATONG)
    service.act(opened.case_id, "accept", other, service.acceptance(opened.state), T0 + timedelta(minutes=5),
                expected_version=1)
    with pytest.raises(Conflict, match=r"changed by op-night at 2026-03-02 09:05:00 .*reload"):
        service.act(opened.case_id, "reject", OPERATOR, {"reject_reason": "duplicate"}, T0 + timedelta(minutes=6),
                    expected_version=1)
    assert _row(service, opened.case_id)["version"] == 2 and len(service.history(opened.case_id)) == 2


def test_a_refused_step_stores_nothing(service: CaseService) -> None:
    opened = _open(service)
    with pytest.raises(TransitionRefused, match="cannot dispatch a case that is reported"):
        service.act(opened.case_id, "dispatch", OPERATOR, {"team_code": "T001A"}, T0 + timedelta(minutes=5))
    with pytest.raises(TransitionRefused, match="outside township"):
        service.act(opened.case_id, "accept", Actor("op-wx", Role.OPERATOR, township_code=WUXIAN), {}, T0)
    assert _row(service, opened.case_id)["version"] == 1 and len(service.history(opened.case_id)) == 1
    with pytest.raises(NotFound, match="no case with id 999"):
        service.act(999, "accept", OPERATOR, {}, T0)


def test_a_duplicate_case_code_is_a_conflict(service: CaseService) -> None:
    _open(service)
    with pytest.raises(Conflict):
        _open(service)
    assert service.store.counts()["case_events"] == 1


def test_reports_are_linked_in_the_same_transaction(service: CaseService) -> None:
    with service.store.transaction() as conn:
        report_id = conn.execute(sa.insert(Report.__table__).values(
            channel="12345", external_id="GD-1", received_at=T0).returning(Report.__table__.c.id)).scalar_one()
    opened = _open(service, report_ids=[report_id])
    with service.store.transaction() as conn:
        assert conn.execute(sa.select(Report.case_id).where(Report.id == report_id)).scalar() == opened.case_id
    with pytest.raises(NotFound, match="report id"):
        _open(service, "AJ-2", report_ids=[report_id + 100])
    assert service.store.counts()["cases"] == 1  # the failed opening left nothing behind


def test_the_client_address_is_recorded(service: CaseService) -> None:
    opened = _open(service, client_address="10.0.0.7")
    step = service.act(opened.case_id, "reject", OPERATOR, {"reject_reason": "invalid"}, T0, client_address="10.0.0.8")
    assert [e.client_address for e in service.history(opened.case_id)] == ["10.0.0.7", "10.0.0.8"]
    assert step.event.client_address == "10.0.0.8"


def test_a_second_service_sees_the_first_ones_steps(service: CaseService) -> None:
    """Two processes share one store: each replays what the other appended since its cached state."""
    opened = _open(service)
    other = CaseService(service.store)
    assert other.state(opened.case_id).seq == 1
    _walk(service, opened.case_id)
    assert other.state(opened.case_id) == service.state(opened.case_id)
    step = other.act(opened.case_id, "archive", OPERATOR, {}, T0 + timedelta(days=1), expected_version=7)
    assert step.version == 8
    assert service.state(opened.case_id) == step.state  # its cache was at version 7: one event replayed
    assert step.state.status.value == "archived"


def test_actors_come_from_users(service: CaseService) -> None:
    rows = [
        {"username": "leader-t001", "role": "team_leader", "team_code": "T001", "township_code": DATONG,
         "officer_code": "O0001"},
        {"username": "chen", "role": "officer", "team_code": "T001A", "township_code": DATONG, "officer_code": "O0003"},
        {"username": "market", "role": "department_liaison", "department": "市场监管", "township_code": WUXIAN},
        {"username": "broken", "role": "officer", "township_code": DATONG},
    ]
    with service.store.transaction() as conn:
        blank = {"team_code": None, "officer_code": None, "department": None}
        conn.execute(sa.insert(User.__table__), [{**blank, "display_name": r["username"], "password_hash": "!", **r}
                                                 for r in rows])
    leader = service.actor_for("leader-t001")
    assert (leader.id, leader.role, leader.teams) == ("O0001", Role.TEAM_LEADER, frozenset({"T001", "T001A"}))
    assert service.actor_for("chen").teams == frozenset({"T001A"})
    assert service.actor_for("market").department == "市场监管"
    with pytest.raises(StoreError, match="user 'broken' cannot act on cases: .* must belong to a team"):
        service.actor_for("broken")
    with pytest.raises(NotFound):
        service.actor_for("nobody")


@pytest.mark.postgis
def test_the_trail_refuses_update_delete_and_truncate_on_postgis(postgis_url: str, tiny_dir: Path) -> None:
    store = open_store(postgis_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    service = CaseService(store)
    _walk(service, _open(service).case_id)
    for statement in ("UPDATE case_events SET note = 'rewritten'", "DELETE FROM case_events WHERE seq = 7",
                      "TRUNCATE case_events CASCADE"):
        with pytest.raises(Conflict, match="case_events is append-only"), store.transaction() as conn:
            conn.exec_driver_sql(statement)
    assert store.counts()["case_events"] == 7
    with store.transaction() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(CaseEvent.note == "rewritten")).scalar() == 0
