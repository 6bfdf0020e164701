"""Step clocks: natural and working-day time, suspensions, extensions, rework, traffic lights, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.acceptance import prepare_acceptance
from cases.calendar import load_calendar
from cases.deadlines import DEFAULT_POLICY, DeadlinePolicy, Light, clock, clocks, due_at, light, overdue
from cases.states import Role, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKING_DAYS = DeadlinePolicy(calendar=load_calendar())
H = timedelta(hours=1)


def sh(*args: int) -> datetime:
    """A local time in Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


def _accept(loop, walk, item: str = "ZF001"):
    """Accept the reported case one minute later, with its catalogue limit (24 h for these items)."""
    payload = prepare_acceptance(walk.state, loop.AUTHORITY, loop.PLANS, time_limit_hours=24)
    return walk.do("accept", payload=payload, after=timedelta(minutes=1))


def test_each_step_has_its_own_clock(loop) -> None:
    walk = loop.variants(Status.CLOSED)[0]
    events = {e.action.value: e.at for e in walk.events}
    runs = {run.step: run.spans for run in walk.state.clocks}
    assert runs["accept"] == ((events["report"], events["accept"]),)
    assert runs["dispatch"] == ((events["accept"], events["dispatch"]),)
    assert runs["arrive"] == ((events["dispatch"], events["arrive"]),)
    assert runs["handle"] == ((events["accept"], events["feedback"]),)
    assert runs["verify"] == ((events["feedback"], events["verify"]),)
    assert all(not c.running for c in clocks(walk.state, walk.at))
    assert light(walk.state, walk.at) is None and due_at(walk.state, walk.at) is None


@pytest.mark.parametrize(("minutes", "expected"), [(0, Light.GREEN), (95, Light.GREEN), (96, Light.YELLOW),
                                                    (120, Light.YELLOW), (121, Light.RED)])
def test_traffic_light_thresholds(loop, minutes, expected) -> None:
    """Priority 3 accept clock: 2 h. Green below 80 % (96 min), yellow up to 100 %, red beyond."""
    case = loop.variants(Status.REPORTED)[0].state
    now = case.opened_at + timedelta(minutes=minutes)
    accept_clock = clock(case, "accept", now)
    assert accept_clock.limit == 2 * H and accept_clock.light is expected and light(case, now) is expected
    assert accept_clock.deadline_at == case.opened_at + 2 * H


def test_per_priority_limits(loop) -> None:
    for priority, hours in ((1, 0.25), (2, 0.5), (3, 2.0)):
        case = loop.report(loop.Walk(), priority=priority).state
        assert clock(case, "accept", case.opened_at).limit == timedelta(hours=hours)


def test_working_days_skip_the_weekend(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(at=sh(2026, 3, 6, 15, 58))), "ZF001")  # accepted Fri 16:00
    state = walk.state
    assert walk.at == sh(2026, 3, 6, 16, 0)
    natural, working = clock(state, "handle", walk.at), clock(state, "handle", walk.at, WORKING_DAYS)
    assert natural.deadline_at == sh(2026, 3, 7, 16, 0) and not natural.working_days
    assert working.deadline_at == sh(2026, 3, 9, 16, 0) and working.working_days  # Monday 16:00
    sunday = clock(state, "handle", sh(2026, 3, 8, 12, 0), WORKING_DAYS)
    assert sunday.elapsed == 8 * H and sunday.light is Light.GREEN  # only Friday's 8 hours count
    monday = clock(state, "handle", sh(2026, 3, 9, 12, 0), WORKING_DAYS)
    assert monday.elapsed == 20 * H and monday.light is Light.YELLOW
    # the desk works around the clock: accept and dispatch clocks never skip days
    assert not clock(state, "dispatch", walk.at, WORKING_DAYS).working_days


def test_working_days_skip_holidays_and_count_make_up_days(loop) -> None:
    before_national_day = _accept(loop, loop.report(loop.Walk(at=sh(2026, 9, 30, 9, 58))), "ZF001").state
    assert clock(before_national_day, "handle", sh(2026, 9, 30, 10), WORKING_DAYS).deadline_at == sh(2026, 10, 8, 10)
    before_make_up_saturday = _accept(loop, loop.report(loop.Walk(at=sh(2026, 10, 9, 9, 58))), "ZF001").state
    assert clock(before_make_up_saturday, "handle", sh(2026, 10, 9, 10),
                 WORKING_DAYS).deadline_at == sh(2026, 10, 10, 10)  # Saturday 10-10 is a 调休 working day


def test_priority_1_counts_every_hour_even_with_a_calendar(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(at=sh(2026, 3, 6, 15, 58)), priority=1), "ZF001")
    assert clock(walk.state, "handle", walk.at, WORKING_DAYS).deadline_at == sh(2026, 3, 7, 16, 0)


def test_suspended_time_does_not_count(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(at=sh(2026, 3, 2, 8, 58))), "ZF001")  # Monday 09:00
    walk.do("dispatch", payload={"team_code": loop.TEAM}, after=timedelta(0))
    walk.do("suspend", Role.SUPERVISOR, {"reason": "当事人住院"}, after=2 * H)  # 11:00
    during = clock(walk.state, "handle", sh(2026, 3, 2, 13, 0))
    assert during.paused and during.elapsed == 2 * H and during.deadline_at is None
    assert due_at(walk.state, sh(2026, 3, 2, 13, 0)) is None  # every running clock is paused
    walk.do("resume", Role.SUPERVISOR, after=3 * H)  # 14:00
    after = clock(walk.state, "handle", sh(2026, 3, 2, 15, 0))
    assert not after.paused and after.elapsed == 3 * H
    assert after.deadline_at == sh(2026, 3, 3, 9, 0) + 3 * H
    arrive = clock(walk.state, "arrive", sh(2026, 3, 2, 15, 0))  # started at dispatch, paused likewise
    assert arrive.elapsed == 3 * H


def test_suspension_over_a_weekend_counts_only_its_working_hours(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(at=sh(2026, 3, 6, 15, 58))), "ZF001")  # Fri 16:00
    walk.do("suspend", Role.SUPERVISOR, {"reason": "暴雨"}, after=timedelta(hours=18))  # Sat 10:00
    walk.do("resume", Role.SUPERVISOR, after=timedelta(hours=46))  # Mon 08:00
    handle = clock(walk.state, "handle", walk.at, WORKING_DAYS)
    assert handle.elapsed == 8 * H  # Friday only; Monday 00:00–08:00 was suspended
    assert handle.deadline_at == sh(2026, 3, 10, 0, 0)  # Monday 16:00 + the 8 suspended working hours


def test_approved_extensions_extend_refused_ones_do_not(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(at=sh(2026, 3, 2, 8, 58))), "ZF001")
    walk.do("dispatch", payload={"team_code": loop.TEAM}, after=timedelta(0))
    base = clock(walk.state, "handle", walk.at).deadline_at
    walk.do("request_extension", Role.TEAM_LEADER, {"hours": 24, "reason": "需要测量"})
    walk.do("refuse_extension", Role.LEADER, {"reason": "可以按期完成"})
    assert clock(walk.state, "handle", walk.at).deadline_at == base
    walk.do("request_extension", Role.TEAM_LEADER, {"hours": 24, "reason": "需要测量"})
    assert clock(walk.state, "handle", walk.at).deadline_at == base  # pending: not yet
    walk.do("approve_extension", Role.LEADER, {"hours": 12})
    extended = clock(walk.state, "handle", walk.at)
    assert extended.limit == 36 * H and extended.deadline_at == base + 12 * H


def test_rework_keeps_counting_the_handling_time_and_restarts_arrival(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(at=sh(2026, 3, 2, 8, 58))), "ZF001")
    walk.do("dispatch", payload={"team_code": loop.TEAM}, after=timedelta(0))
    walk.do("arrive", Role.OFFICER, after=H)
    loop.finish_steps(walk)
    assert walk.at == sh(2026, 3, 2, 10, 20)  # arrived 10:00, two plan steps done
    walk.do("feedback", Role.OFFICER, {"note": "已清理", "evidence": loop.EVIDENCE}, after=timedelta(hours=7, minutes=40))
    assert walk.at == sh(2026, 3, 2, 18, 0)  # handled after 9 h
    assert not clock(walk.state, "handle", walk.at).running
    walk.do("rework", payload={"reason": "回潮"}, after=10 * H)  # 04:00 next day: the 10 h of review do not count
    now = walk.at + 5 * H
    handle, arrive = clock(walk.state, "handle", now), clock(walk.state, "arrive", now)
    assert handle.elapsed == 14 * H and handle.deadline_at == walk.at + 15 * H
    assert arrive.started_at == walk.at and arrive.elapsed == 5 * H and arrive.light is Light.GREEN
    assert not clock(walk.state, "verify", now).running


def test_plan_overrides_the_step_limits(loop) -> None:
    walk = _accept(loop, loop.report(loop.Walk(), item="ZF020"), "ZF020")  # YA-01: arrive 1 h, handle 24 h
    assert walk.state.decision.route.value == "joint"
    walk.do("whistle", payload={"lead_team_code": loop.TEAM, "departments": ["公安"]}, after=timedelta(0))
    assert clock(walk.state, "arrive", walk.at).limit == H
    assert clock(walk.state, "handle", walk.at).limit == 24 * H
    assert due_at(walk.state, walk.at) == walk.at + H  # the earliest running deadline


def test_overdue_lists_late_open_cases_longest_first(loop) -> None:
    start = sh(2026, 3, 2, 9, 0)
    late = _accept(loop, loop.report(loop.Walk(at=start), code="AJ-LATE"), "ZF001").state  # dispatch: 2 h
    later = loop.report(loop.Walk(at=start - 3 * H), code="AJ-LATER").state  # accept clock: 2 h
    suspended = _accept(loop, loop.report(loop.Walk(at=start), code="AJ-SUSP"), "ZF001")
    suspended.do("suspend", Role.SUPERVISOR, {"reason": "x"}, after=3 * H)
    fresh = loop.report(loop.Walk(at=start + 2 * H), code="AJ-FRESH").state
    closed = loop.variants(Status.CLOSED)[0].state
    now = start + 4 * H
    result = overdue([late, later, suspended.state, fresh, closed], now)
    assert [(o.case_code, o.step) for o in result] == [("AJ-LATER", "accept"), ("AJ-LATE", "dispatch"),
                                                       ("AJ-SUSP", "dispatch")]
    assert result[0].overdue_by == now - (start - 3 * H + timedelta(minutes=1)) - 2 * H
    assert result[2].suspended and not result[1].suspended
    assert light(fresh, now) is Light.YELLOW and light(late, now) is Light.RED


def test_now_may_be_in_any_time_zone(loop) -> None:
    case = loop.variants(Status.REPORTED)[0].state
    now = case.opened_at + H
    assert clock(case, "accept", now) == clock(case, "accept", now.astimezone(UTC))
    assert clock(case, "accept", now, DEFAULT_POLICY).ratio == 0.5
