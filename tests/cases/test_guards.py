"""The named guards and the field checks: each refuses with a message a user can act on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cases.acceptance import prepare_acceptance
from cases.authority import decide
from cases.lifecycle import TransitionRefused, apply
from cases.plans import plan_for
from cases.states import ExtensionState, Role, Status


def refused(walk, action: str, payload: dict | None = None, role: Role = Role.OPERATOR,
            after: timedelta = timedelta(minutes=1)) -> TransitionRefused:
    """The refusal of one step; the walk is left as it was."""
    before = (walk.state, len(walk.events), walk.at)
    with pytest.raises(TransitionRefused) as caught:
        walk.do(action, role, payload or {}, after=after)
    assert (walk.state, len(walk.events)) == before[:2]
    walk.at = before[2]
    return caught.value


def handled_with_major_penalty(loop):
    walk = loop.ROADS["team"](loop.report(loop.Walk())).do("arrive", Role.OFFICER)
    loop.finish_steps(walk)
    return walk.do("feedback", Role.OFFICER, {"note": "拟处罚款五万元", "evidence": loop.EVIDENCE,
                                              "major_penalty": True})


# ----------------------------------------------------------------------------------- legal review 法制审核


def test_major_penalty_cannot_close_without_legal_review(loop) -> None:
    walk = handled_with_major_penalty(loop).do("verify")
    problem = refused(walk, "close")
    assert problem.kind == "guard"
    assert "needs a recorded legal review (法制审核) of the latest handling [legal_review_if_major_penalty]" \
        in str(problem)
    walk.do("legal_review", Role.LEGAL_REVIEWER, {"conclusion": "approved", "opinion": "事实清楚，程序合法"})
    walk.do("close")
    assert walk.state.status is Status.CLOSED and walk.state.closed_at == walk.at


def test_returned_legal_review_blocks_close_until_a_new_handling_is_reviewed(loop) -> None:
    walk = handled_with_major_penalty(loop)
    walk.do("legal_review", Role.LEGAL_REVIEWER, {"conclusion": "returned", "opinion": "证据不足"})
    walk.do("verify")
    assert "the legal review (法制审核) returned the decision: 证据不足" in str(refused(walk, "close"))


def test_a_review_covers_only_the_handling_it_read(loop) -> None:
    walk = handled_with_major_penalty(loop)
    walk.do("legal_review", Role.LEGAL_REVIEWER, {"conclusion": "approved", "opinion": "同意"})
    walk.do("rework", payload={"reason": "补充证据"}).do("arrive", Role.OFFICER)
    walk.do("feedback", Role.OFFICER, {"note": "补充询问笔录", "evidence": loop.EVIDENCE, "major_penalty": True})
    walk.do("verify")
    assert "legal_review_if_major_penalty" in str(refused(walk, "close"))
    walk.do("legal_review", Role.LEGAL_REVIEWER, {"conclusion": "approved", "opinion": "同意"}).do("close")
    assert walk.state.status is Status.CLOSED and walk.state.rework_count == 1


def test_without_major_penalty_no_review_is_needed(loop) -> None:
    walk = loop.variants(Status.VERIFIED)[0].copy().do("close")
    assert walk.state.status is Status.CLOSED and walk.state.legal_reviews == ()


def test_only_a_legal_reviewer_records_a_review(loop) -> None:
    walk = handled_with_major_penalty(loop)
    problem = refused(walk, "legal_review", {"conclusion": "approved", "opinion": "同意"}, Role.LEADER)
    assert problem.kind == "role" and "allowed: legal_reviewer" in str(problem)


def test_department_answer_can_carry_a_major_penalty(loop) -> None:
    walk = loop.variants(Status.TRANSFERRED)[0].copy()
    loop.finish_steps(walk, Role.DEPARTMENT_LIAISON)
    walk.do("department_answer", Role.DEPARTMENT_LIAISON, {"outcome": "handled", "note": "吊销许可",
                                                           "major_penalty": True}).do("verify")
    assert "legal_review_if_major_penalty" in str(refused(walk, "close"))


# ----------------------------------------------------------------------------------- authority on the way out


def test_department_item_cannot_be_dispatched_or_whistled_only_transferred(loop) -> None:
    walk = loop.accept(loop.report(loop.Walk(), item="ZF015"))  # 噪声扰民: 部门 公安 in 大同街道
    problem = refused(walk, "dispatch", {"team_code": loop.TEAM})
    assert "the township has no authority here (事项清单 350212001 × ZF015: 部门 (department) → 移送 公安): " \
           "transfer the case to 公安 (the township acts only if the department returns it) [township_may_act]" \
           in str(problem)
    assert "township_may_act" in str(refused(walk, "whistle", {"lead_team_code": loop.TEAM, "departments": ["公安"]}))
    walk.do("transfer", payload={"department": "公安"})
    assert walk.state.status is Status.TRANSFERRED and walk.state.department == "公安"


def test_township_acts_when_the_department_returns_its_item(loop) -> None:
    """职责争议: the department sends a 部门 item back; the case must not be stuck at the desk."""
    walk = loop.accept(loop.report(loop.Walk(), item="ZF015")).do("transfer", payload={"department": "公安"})
    walk.do("department_answer", Role.DEPARTMENT_LIAISON, {"outcome": "returned", "note": "属于生活噪声，非治安案件"})
    assert walk.state.status is Status.ACCEPTED and walk.state.returned_by == ("公安",)
    walk.do("dispatch", payload={"team_code": loop.TEAM})
    assert walk.state.status is Status.DISPATCHED and walk.state.department is None


def test_decision_must_fit_the_case(loop) -> None:
    walk = loop.report(loop.Walk())
    elsewhere = decide(loop.WUXIAN, "ZF001", loop.AUTHORITY)
    assert "the decision is for township 350212110, the case is in 350212001" in str(
        refused(walk, "accept", {"decision": elsewhere}))
    mine = decide(loop.DATONG, "ZF001", loop.AUTHORITY, plan_for("ZF001", loop.PLANS))
    assert "the decision names plan YA-04, the plan given is None" in str(refused(walk, "accept", {"decision": mine}))
    wrong_plan = plan_for("ZF020", loop.PLANS)
    assert "the decision names plan YA-04, the plan given is YA-01" in str(
        refused(walk, "accept", {"decision": mine, "plan": wrong_plan}))
    assert "the decision is for item ZF001, the payload says ZF008" in str(
        refused(walk, "accept", {"decision": mine, "plan": plan_for("ZF001", loop.PLANS), "item_code": "ZF008"}))


def test_accept_reclassifies_the_item_and_takes_the_catalogue_limit(loop) -> None:
    walk = loop.report(loop.Walk(), item=None)
    walk.do("accept", payload=prepare_acceptance(walk.state, loop.AUTHORITY, loop.PLANS, item_code="ZF008",
                                                 time_limit_hours=24, priority=2, note="核实为倾倒垃圾"))
    state, event = walk.state, walk.events[-1]
    assert (state.item_code, state.priority, state.time_limit_hours, state.plan_code) == ("ZF008", 2, 24, None)
    assert event.note == "核实为倾倒垃圾" and event.payload["decision"]["authority"] == "法定"


# ----------------------------------------------------------------------------------- teams


def test_dispatch_again_must_change_the_team(loop) -> None:
    walk = loop.variants(Status.DISPATCHED)[0].copy()
    assert "already dispatched to 350212001-ZF01" in str(refused(walk, "dispatch", {"team_code": loop.TEAM}))
    walk.do("dispatch", payload={"team_code": loop.OTHER_TEAM})
    assert walk.state.team_code == loop.OTHER_TEAM


def test_rework_of_a_department_answer_needs_a_team(loop) -> None:
    walk = loop.variants(Status.HANDLED)[2].copy()  # handled by the department
    assert walk.state.team_code is None
    assert "give team_code [team_known]" in str(refused(walk, "rework", {"reason": "整改不到位"}))
    walk.do("rework", payload={"reason": "整改不到位", "team_code": loop.TEAM})
    assert walk.state.status is Status.DISPATCHED and walk.state.rework_count == 1


# ----------------------------------------------------------------------------------- extensions, suspension


def test_extension_requests_are_answered_once(loop) -> None:
    walk = loop.variants(Status.IN_PROGRESS)[0].copy()
    assert "no extension request is waiting" in str(refused(walk, "approve_extension", role=Role.LEADER))
    walk.do("request_extension", Role.TEAM_LEADER, {"hours": 24, "reason": "需要住建部门出具意见"})
    assert walk.state.extension is ExtensionState.REQUESTED
    assert "already waiting" in str(refused(walk, "request_extension", {"hours": 4, "reason": "x"}, Role.TEAM_LEADER))
    assert "cannot grant 48 h: 24.0 h were requested" in str(
        refused(walk, "approve_extension", {"hours": 48}, Role.LEADER))
    walk.do("approve_extension", Role.LEADER, {"hours": 12})
    assert walk.state.extension is ExtensionState.APPROVED and walk.state.extended_hours == 12
    walk.do("request_extension", Role.TEAM_LEADER, {"hours": 8, "reason": "天气"})
    walk.do("refuse_extension", Role.SUPERVISOR, {"reason": "理由不足"})
    assert walk.state.extension is ExtensionState.REFUSED and walk.state.extended_hours == 12
    assert [e.approved for e in walk.state.extensions] == [True, False]


def test_suspended_case_stands_still_until_resumed(loop) -> None:
    walk = loop.variants(Status.DISPATCHED)[0].copy()
    walk.do("suspend", Role.SUPERVISOR, {"reason": "当事人住院"})
    assert walk.state.suspended
    problem = refused(walk, "arrive", role=Role.OFFICER)
    assert "the case is suspended (挂起) since" in str(problem) and "resume it first [not_suspended]" in str(problem)
    assert "not_suspended" in str(refused(walk, "suspend", {"reason": "again"}, Role.SUPERVISOR))
    walk.do("supervise", Role.LEADER, {"level": 1})  # escalation still possible while suspended
    walk.do("resume", Role.SYSTEM)
    assert not walk.state.suspended and walk.state.suspensions[-1].end == walk.at
    assert "the case is not suspended [is_suspended]" in str(refused(walk, "resume", role=Role.SUPERVISOR))
    walk.do("arrive", Role.OFFICER)


# ----------------------------------------------------------------------------------- fields and time


@pytest.mark.parametrize(("action", "payload", "message"), [
    ("reject", {}, "reject needs payload field 'reject_reason' (why not accepted)"),
    ("reject", {"reject_reason": "boring"}, "field 'reject_reason' must be one of invalid, duplicate, "
                                            "outside_jurisdiction, not_enforcement_matter; got 'boring'"),
    ("supervise", {"level": 4}, "field 'level' must be a whole number from 1 to 3; got 4"),
    ("supervise", {"level": True}, "field 'level' must be a whole number from 1 to 3; got True"),
    ("suspend", {"reason": "  "}, "suspend: field 'reason' must be a non-empty text"),
    ("suspend", {"reason": "x", "evidence": "photo.jpg"}, "field 'evidence' must be a list of non-empty texts"),
    ("suspend", {"reason": "x", "note": 3}, "field 'note' must be a non-empty text"),
    ("suspend", {"reason": "x", "extra": datetime(2026, 1, 1)}, "the payload must be JSON data"),
])
def test_payload_fields_are_checked(loop, action, payload, message) -> None:
    walk = loop.variants(Status.REPORTED)[0].copy()
    problem = refused(walk, action, payload, Role.SUPERVISOR if action != "reject" else Role.OPERATOR)
    assert problem.kind == "field" and message in str(problem)


@pytest.mark.parametrize(("payload", "message"), [
    ({"township_code": "350212001", "priority": 3}, "report needs payload field 'case_code'"),
    ({"case_code": "A", "township_code": "3502", "priority": 3}, "must be a 9-digit township code"),
    ({"case_code": "A", "township_code": "350212001", "priority": 0}, "whole number from 1 to 3"),
])
def test_report_fields_are_checked(loop, payload, message) -> None:
    with pytest.raises(TransitionRefused, match=message):
        apply(None, "report", loop.scoped(Role.SYSTEM, None), payload, loop.T0)


def test_whistle_departments_and_extension_hours_are_checked(loop) -> None:
    walk = loop.variants(Status.ACCEPTED)[0].copy()
    assert "lists a department twice" in str(
        refused(walk, "whistle", {"lead_team_code": loop.TEAM, "departments": ["公安", "公安"]}))
    assert "must list departments among" in str(
        refused(walk, "whistle", {"lead_team_code": loop.TEAM, "departments": ["交警"]}))
    assert "whistle needs payload field 'departments'" in str(
        refused(walk, "whistle", {"lead_team_code": loop.TEAM, "departments": []}))
    assert "must be a number of hours above 0 and at most 720; got -3" in str(
        refused(walk, "request_extension", {"hours": -3, "reason": "x"}))


def test_time_must_be_aware_and_never_go_back(loop) -> None:
    walk = loop.variants(Status.REPORTED)[0].copy()
    actor = loop.scoped(Role.SUPERVISOR, walk.state)
    with pytest.raises(TransitionRefused, match="the time has no time zone") as problem:
        apply(walk.state, "supervise", actor, {"level": 1}, datetime(2026, 3, 2, 10, 0))
    assert problem.value.kind == "time"
    with pytest.raises(TransitionRefused, match="is before the case's latest event"):
        apply(walk.state, "supervise", actor, {"level": 1}, walk.at - timedelta(seconds=1))
    state, event = apply(walk.state, "supervise", actor, {"level": 1}, walk.at.astimezone(loop.SHANGHAI))
    assert event.at.utcoffset() == timedelta(0) and state.updated_at == walk.at
