"""The KPIs on a hand-made day whose every figure is known, the same on SQLite and PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cases import Actor, Role
from store import InvalidData, open_store
from store.casework import CaseService
from store.kpis import DEFAULT_WEIGHTS, KPIS, describe, kpis, league
from store.models import Report

DATONG, WUXIAN = "350212001", "350212101"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
START, END = T0 - timedelta(hours=2), T0 + timedelta(days=2)
OP = Actor("op-dt", Role.OPERATOR, township_code=DATONG)
OP_WX = Actor("op-wx", Role.OPERATOR, township_code=WUXIAN)
OFFICER = Actor("O0003", Role.OFFICER, township_code=DATONG, teams={"T001A"})
LEADER = Actor("O0001", Role.TEAM_LEADER, township_code=DATONG, teams={"T001", "T001A"})
CHIEF = Actor("sup", Role.SUPERVISOR)
EVIDENCE = ["https://evidence.example/1.jpg"]


def _hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


@pytest.fixture
def day(database_url: str, tiny_dir: Path):
    """Five cases and four reports (one outside the period)."""
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    service = CaseService(store)

    def case(code: str, item: str, channel: str, at: datetime, township: str = DATONG) -> int:
        operator = OP if township == DATONG else OP_WX
        payload = {"case_code": code, "township_code": township, "priority": 3, "item_code": item,
                   "community_code": "350212001001" if township == DATONG else None}
        return service.open_case(operator, payload, at, channel=channel).case_id

    def steps(case_id: int, *moves: tuple) -> None:
        for action, actor, payload, at in moves:
            if action == "accept":
                payload = service.acceptance(service.state(case_id))
            service.act(case_id, action, actor, payload, at)

    feedback = {"note": "ok", "evidence": EVIDENCE}
    a = case("A", "CG001", "12345", T0)  # on time all the way
    steps(a, ("accept", OP, None, _hours(1)), ("dispatch", OP, {"team_code": "T001A"}, _hours(2)),
          ("arrive", OFFICER, {}, _hours(3)), ("feedback", OFFICER, feedback, _hours(4)),
          ("verify", OP, {}, _hours(5)), ("close", OP, {}, _hours(6)))
    b = case("B", "CG002", "12319", T0)  # accepted late (limit 2 h), re-dispatched, reworked, closed
    steps(b, ("accept", OP, None, _hours(3)), ("dispatch", OP, {"team_code": "T001"}, _hours(4)),
          ("dispatch", OP, {"team_code": "T001A"}, _hours(4.1)), ("arrive", OFFICER, {}, _hours(5)),
          ("feedback", OFFICER, feedback, _hours(6)), ("rework", OP, {"reason": "未整改"}, _hours(7)),
          ("arrive", OFFICER, {}, _hours(8)), ("feedback", OFFICER, feedback, _hours(9)),
          ("verify", OP, {}, _hours(10)), ("close", OP, {}, _hours(11)))
    c = case("C", "CG001", "12345", T0 - timedelta(hours=1.5))  # 07:30 in Shanghai, 23:30 UTC the day before
    steps(c, ("reject", OP, {"reject_reason": "duplicate"}, T0 - timedelta(hours=1)))
    d = case("D", "CG001", "grid", T0)  # extended, never reached: overdue by the end
    steps(d, ("accept", OP, None, _hours(1)), ("dispatch", OP, {"team_code": "T001A"}, _hours(2)),
          ("request_extension", LEADER, {"hours": 24, "reason": "等材料"}, _hours(2.5)),
          ("approve_extension", CHIEF, {}, _hours(3)))
    e = case("E", "SC001", "12345", T0, township=WUXIAN)  # 部门 item: transferred
    steps(e, ("accept", OP_WX, None, _hours(0.5)), ("transfer", OP_WX, {"department": "市场监管"}, _hours(1)))
    reports = [("12345", "R1", T0, a), ("12345", "R2", _hours(1), a), ("grid", "R3", T0, d),
               ("12345", "R4", END + timedelta(hours=1), None)]
    with store.transaction() as conn:
        conn.execute(sa.insert(Report.__table__), [
            {"channel": ch, "external_id": ext, "received_at": at, "township_code": DATONG, "case_id": case_id,
             "item_code": "CG001", "community_code": "350212001001"} for ch, ext, at, case_id in reports])
    return store


def test_every_kpi_by_township(day) -> None:
    frame = kpis(day, "township", START, END)
    datong = frame.loc[DATONG].to_dict()
    expected = {
        "reports_received": 3, "cases_opened": 4, "cases_accepted": 3, "acceptance_rate": 3 / 4,
        "dispatch_accuracy": 2 / 3, "handling_rate": 2 / 3, "on_time_handling_rate": 1.0, "closure_rate": 2 / 3,
        "on_time_closure_rate": 1 / 2, "rework_rate": 1 / 2, "extension_rate": 1 / 3, "overdue_open": 1,
        "overdue_pending_rate": 1 / 4, "cases_transferred": 0,
        "time_to_accept_median_h": 1.0, "time_to_accept_p90_h": 2.6,  # 1, 1, 3 h: linear interpolation
        "time_to_dispatch_median_h": 1.0, "time_to_dispatch_p90_h": 1.0,
        "time_to_arrive_median_h": 1.0, "time_to_arrive_p90_h": 1.0,  # first dispatch → first arrival
        "time_to_handle_median_h": 4.5, "time_to_handle_p90_h": 5.7,  # 3 h and 6 h (rework included)
        "time_to_verify_median_h": 1.0, "time_to_verify_p90_h": 1.0,
        "time_to_close_median_h": 8.5, "time_to_close_p90_h": 10.5,
        "officers_on_duty": 3, "officer_activity_rate": 2 / 3, "certified_officer_rate": 2 / 3,
        "cases_per_officer": 1.0,
    }
    assert datong == pytest.approx(expected, abs=1e-6)
    assert set(frame.columns) == set(expected)
    wuxian = frame.loc[WUXIAN]
    assert (wuxian["cases_opened"], wuxian["cases_transferred"], wuxian["handling_rate"]) == (1, 1, 0.0)
    assert wuxian["officer_activity_rate"] == 0.0 and wuxian["reports_received"] == 0
    assert wuxian.isna()["dispatch_accuracy"] and wuxian.isna()["time_to_close_median_h"]


def test_other_groupings(day) -> None:
    by_channel = kpis(day, "channel", START, END)
    assert by_channel["cases_opened"].to_dict() == {"12319": 1, "12345": 3, "grid": 1}
    assert by_channel["reports_received"].to_dict() == {"12319": 0, "12345": 2, "grid": 1}
    assert "officers_on_duty" not in by_channel
    by_day = kpis(day, "day", START, END)
    assert by_day["cases_opened"].to_dict() == {"2026-03-02": 5}  # C is 23:30 UTC, 07:30 in Shanghai
    assert kpis(day, "week", START, END).index.tolist() == ["2026-03-02"]  # a Monday
    assert kpis(day, "month", START, END).index.tolist() == ["2026-03-01"]
    by_team = kpis(day, "team", START, END)
    assert by_team.loc["T001A", "cases_opened"] == 3 and by_team.loc["T001", "officers_on_duty"] == 2
    assert by_team.loc["T001A", "dispatch_accuracy"] == pytest.approx(2 / 3)
    by_item = kpis(day, "item", START, END)
    assert by_item["cases_opened"].to_dict() == {"CG001": 3, "CG002": 1, "SC001": 1}
    assert kpis(day, "community", START, END).loc["350212001001", "cases_opened"] == 4


def test_period_and_as_of(day) -> None:
    assert kpis(day, "township", START, END, as_of=_hours(3)).loc[DATONG, "overdue_open"] == 0
    later = kpis(day, "township", T0 - timedelta(minutes=30), END)  # C opened before: not in the cohort
    assert later.loc[DATONG, "cases_opened"] == 3 and later.loc[DATONG, "acceptance_rate"] == 1.0


def test_league_shows_its_components(day) -> None:
    table = league(kpis(day, "township", START, END))
    assert table.index.tolist() == [DATONG, WUXIAN] and table["rank"].tolist() == [1, 2]
    datong = table.loc[DATONG]
    assert datong["handling_rate_points"] == pytest.approx(20.0)  # 30 × 2/3
    assert datong["rework_rate_points"] == pytest.approx(10.0)  # 20 × (1 − 1/2)
    assert datong["overdue_pending_rate_points"] == pytest.approx(15.0)  # 20 × (1 − 1/4)
    assert datong["extension_rate_points"] == pytest.approx(10 * 2 / 3)
    assert datong["score"] == pytest.approx(20 + 20 + 10 + 15 + 20 / 3)
    assert table.loc[WUXIAN, "score"] == pytest.approx(30.0)  # nothing handled: no points for those
    only = league(kpis(day, "township", START, END), {"handling_rate": 2})
    assert only.loc[DATONG, "score"] == pytest.approx(100 * 2 / 3)


def test_bad_requests_are_refused(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    store.upgrade()
    with pytest.raises(InvalidData, match="cannot group KPIs by 'zone'"):
        kpis(store, "zone", START, END)
    with pytest.raises(InvalidData, match="no time zone"):
        kpis(store, "township", datetime(2026, 3, 1), END)
    with pytest.raises(InvalidData, match="period is empty"):
        kpis(store, "township", END, START)
    frame = kpis(store, "township", START, END)
    with pytest.raises(InvalidData, match="unknown rate"):
        league(frame, {"happiness": 10})
    assert frame.empty or (frame["cases_opened"] == 0).all()


def test_every_kpi_says_its_formula() -> None:
    assert all(k.formula and k.label for k in KPIS.values())
    assert set(DEFAULT_WEIGHTS) <= set(KPIS) and sum(DEFAULT_WEIGHTS.values()) == 100
    text = describe()
    assert all(f"`{name}`" in text for name in KPIS)
    assert "按期结案率" in text and "返工率" in text and "执法人员活跃率" in text and "持证率" in text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert text in readme, "README.md's KPI table is not store.kpis.describe(): paste the new one"
