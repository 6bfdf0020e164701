"""Today's figures for the wall (store.today): steps counted from the audit trail, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from cases import Actor, Role
from cases.calendar import SHANGHAI
from store import open_store
from store.casework import CaseService
from store.models import Report
from store.today import FIGURES, hourly, last_event_id, latest_reports, local_midnight, mix, step_counts

DATONG, WUXIAN = "350212001", "350212101"
MIDNIGHT = datetime(2026, 3, 2, tzinfo=SHANGHAI)  # a Monday
NOW = MIDNIGHT + timedelta(hours=15)
OPERATOR = Actor("op-datong", Role.OPERATOR, township_code=DATONG)
OFFICER = Actor("O0003", Role.OFFICER, township_code=DATONG, teams={"T001A"})


@pytest.fixture
def service(database_url: str, tiny_dir: Path) -> CaseService:
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    return CaseService(store)


def _open(service: CaseService, code: str, at: datetime) -> int:
    payload = {"case_code": code, "township_code": DATONG, "priority": 3, "item_code": "CG001"}
    return service.open_case(OPERATOR, payload, at, channel="12345", location=Point(118.105, 24.705)).case_id


def _walk(service: CaseService, case_id: int, start: datetime, steps: int) -> None:
    plan = [("accept", OPERATOR, None), ("dispatch", OPERATOR, {"team_code": "T001A"}), ("arrive", OFFICER, {}),
            ("feedback", OFFICER, {"note": "已清理", "evidence": ["https://evidence.example/1.jpg"]}),
            ("verify", OPERATOR, {}), ("close", OPERATOR, {})]
    for n, (action, actor, payload) in enumerate(plan[:steps], start=1):
        if payload is None:
            payload = service.acceptance(service.state(case_id))
        service.act(case_id, action, actor, payload, start + timedelta(minutes=20 * n))


def _reports(store, rows: list[tuple[str, datetime, str]]) -> None:
    with store.transaction() as conn:
        conn.execute(sa.insert(Report.__table__), [
            {"channel": channel, "external_id": f"r{i}", "received_at": at, "item_code": "CG001",
             "township_code": township, "address": f"东山路{i}号，联系人张三丰13812345678",
             "reporter_name": "张三丰", "reporter_phone": "13812345678"}
            for i, (channel, at, township) in enumerate(rows)
        ])


def test_the_days_steps_come_from_the_trail(service: CaseService) -> None:
    store = service.store
    closed_today = _open(service, "AJ-1", MIDNIGHT + timedelta(hours=8))
    _walk(service, closed_today, MIDNIGHT + timedelta(hours=8), 6)  # accepted … closed today
    opened_yesterday = _open(service, "AJ-2", MIDNIGHT - timedelta(hours=30))
    _walk(service, opened_yesterday, MIDNIGHT + timedelta(hours=9), 2)  # accepted and dispatched today
    late = _open(service, "AJ-3", MIDNIGHT - timedelta(days=5))  # never accepted: its deadline is long past
    assert late
    _reports(store, [("12345", MIDNIGHT + timedelta(hours=1), DATONG), ("12345", MIDNIGHT + timedelta(hours=2), DATONG),
                     ("grid", MIDNIGHT + timedelta(hours=3), WUXIAN), ("12345", MIDNIGHT - timedelta(hours=1), DATONG)])

    today = step_counts(store, MIDNIGHT, NOW, NOW)
    assert list(today.columns[:len(FIGURES)]) == list(FIGURES)
    row = today.loc["all"]
    assert (row["reports"], row["accepted"], row["dispatched"], row["handled"], row["closed"], row["overdue"]) \
        == (3, 2, 2, 1, 1, 1)
    assert row["on_time_closure_rate"] == 1.0 and row["closed_cases"] == 1

    by_township = step_counts(store, MIDNIGHT, NOW, NOW, by_township=True)
    assert by_township.loc[DATONG, "reports"] == 2 and by_township.loc[WUXIAN, "reports"] == 1
    assert by_township.loc[DATONG, "accepted"] == 2 and by_township.loc[WUXIAN, "accepted"] == 0
    scoped = step_counts(store, MIDNIGHT, NOW, NOW, (WUXIAN,)).loc["all"]
    assert (scoped["reports"], scoped["accepted"], scoped["overdue"]) == (1, 0, 0)
    assert step_counts(store, MIDNIGHT, NOW, NOW, ()).loc["all", "reports"] == 0

    hours = hourly(store, NOW - timedelta(hours=24), NOW)
    assert len(hours) == 24 and hours.index[0] == (NOW - timedelta(hours=24)).astimezone(UTC)
    assert hours["reports"].sum() == 4 and hours["closed"].sum() == 1
    assert hours.loc[(MIDNIGHT + timedelta(hours=2)).astimezone(UTC), "reports"] == 1

    channels = mix(store, "channel", MIDNIGHT, NOW)
    assert channels[["code", "count"]].values.tolist() == [["12345", 2], ["grid", 1]]
    items = mix(store, "item", MIDNIGHT, NOW, top=1)
    assert items.iloc[0]["code"] == "CG001" and items.iloc[0]["name"] == "占道经营" and items["count"].sum() == 3
    with pytest.raises(ValueError, match="choose channel or item"):
        mix(store, "team", MIDNIGHT, NOW)

    newest = latest_reports(store, 2)
    ids = [r["id"] for r in newest]
    assert len(ids) == 2 and ids == sorted(ids, reverse=True)
    for report in newest:
        assert "reporter_name" not in report and "reporter_phone" not in report
        assert "13812345678" not in report["address"] and "张三丰" not in report["address"]
        assert "138****5678" in report["address"]
    assert {r["township"] for r in latest_reports(store, 10, (WUXIAN,))} == {"五显镇"}
    assert last_event_id(store) > 0


def test_times_without_a_zone_are_refused(service: CaseService) -> None:
    with pytest.raises(ValueError, match="has no time zone"):
        step_counts(service.store, datetime(2026, 3, 2), datetime(2026, 3, 3))
    assert local_midnight(NOW, SHANGHAI) == MIDNIGHT
