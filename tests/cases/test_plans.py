"""Response plans (智能预案): the shipped YAML, its checks, and the steps guard on close."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from cases.acceptance import prepare_acceptance
from cases.lifecycle import TransitionRefused
from cases.plans import PLANS_YAML, PlanError, ResponsePlan, load_plans, parse_plans, plan_for
from cases.replay import replay
from cases.states import Role, Status

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = [item["code"] for item in yaml.safe_load((ROOT / "data/sources/items.yaml").read_text("utf-8"))["items"]]


def test_shipped_plans_are_valid_and_cover_the_seed_examples() -> None:
    plans = load_plans(known_items=CATALOGUE)
    road = plan_for("ZF020", plans)  # 违法占用道路挖掘
    assert road.name == "擅自占用、挖掘城市道路设施违法行为处置" and road.whistle == ("公安",)
    assert dict(road.deadlines) == {"arrive": 1.0, "handle": 24.0}
    assert plan_for("ZF017", plans).name == "违法建设处置"
    assert "渣土" in plan_for("ZF019", plans).name
    assert plan_for("ZF001", plans).name == "占道经营处置"
    assert plan_for("ZF008", plans) is None
    assert all(step.name and step.name_en for plan in plans for step in plan.steps)
    assert "CONFIGURATION" in PLANS_YAML.read_text(encoding="utf-8")


def test_a_plan_round_trips_through_its_payload() -> None:
    for plan in load_plans():
        assert ResponsePlan.from_payload(plan.to_payload()) == plan


GOOD = {"code": "YA-T", "name": "测试预案", "name_en": "Test plan", "items": ["ZF001"], "whistle": ["公安"],
        "deadlines": {"arrive_hours": 1}, "steps": [{"id": "photo", "name": "拍照", "name_en": "Photograph"}]}


def _broken(change) -> dict:
    plan = copy.deepcopy(GOOD)
    change(plan)
    return {"plans": [plan]}


@pytest.mark.parametrize(("document", "message"), [
    ({"plan": []}, "plans.yaml: expected a mapping with a list under 'plans'"),
    ({"plans": ["x"]}, "plans.yaml plan 1: expected a mapping, got str"),
    (_broken(lambda p: p.pop("name_en")), "plan 1 (YA-T 测试预案): missing name_en"),
    (_broken(lambda p: p.update(step=[])), "plan 1 (YA-T 测试预案): unknown field(s) step; allowed:"),
    (_broken(lambda p: p.update(items=[])), "items: must be a non-empty list of item codes"),
    (_broken(lambda p: p.update(items=["占道经营"])), "items: '占道经营' is not an item code like ZF020"),
    (_broken(lambda p: p.update(items=["ZF999"])), "items: ZF999 is not in the enforcement-items catalogue"),
    (_broken(lambda p: p.update(whistle=["交警"])), "whistle: '交警' is not a department; known: 综合执法"),
    (_broken(lambda p: p.update(whistle=["公安", "公安"])), "whistle: a department is listed twice"),
    (_broken(lambda p: p.update(deadlines={"close_hours": 2})), "deadlines: unknown key 'close_hours'; allowed: "
                                                                "dispatch_hours, arrive_hours, handle_hours"),
    (_broken(lambda p: p.update(deadlines={"arrive_hours": 0})), "deadlines.arrive_hours: must be a number of hours"),
    (_broken(lambda p: p.update(steps=[])), "steps: must be a non-empty list"),
    (_broken(lambda p: p["steps"][0].update(id="Photo 1")), "steps[0].id: 'Photo 1' must be lower-case letters"),
    (_broken(lambda p: p["steps"][0].pop("name")), "steps[0]: missing name"),
    (_broken(lambda p: p["steps"][0].update(required="yes")), "steps[0].required: must be true or false"),
    (_broken(lambda p: p["steps"][0].update(evidence="照片")), "steps[0].evidence: must be a list of evidence names"),
    (_broken(lambda p: p["steps"].append(dict(p["steps"][0]))), "steps: duplicate step id(s) photo"),
    ({"plans": [GOOD, dict(GOOD, code="YA-U")]}, "plan 2 (YA-U 测试预案): items: ZF001 is already covered by plan YA-T"),
    ({"plans": [GOOD, dict(GOOD, items=["ZF002"])]}, "plan 2 (YA-T 测试预案): code: duplicate plan code 'YA-T'"),
])
def test_bad_plans_are_refused_naming_plan_and_field(document, message) -> None:
    with pytest.raises(PlanError) as error:
        parse_plans(document, source="plans.yaml", known_items=CATALOGUE)
    assert message in str(error.value)


def test_bad_yaml_file(tmp_path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text("plans:\n  - {code: YA-1, name: 示例, name_en: Inspect the site, its extent}\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"plans.yaml plan 1 \(YA-1 示例\): unknown field\(s\) its extent"):
        load_plans(path)
    path.write_text("plans: [", encoding="utf-8")
    with pytest.raises(PlanError, match="plans.yaml: not valid YAML"):
        load_plans(path)


def test_acceptance_applies_the_plan(loop) -> None:
    walk = loop.accept(loop.report(loop.Walk(), item="ZF020"), time_limit_hours=24)
    state = walk.state
    assert state.plan_code == "YA-01" and state.decision.route.value == "joint"
    assert [s.id for s in state.steps] == ["site_check", "permit_check", "secure_site", "order_stop", "restore_check"]
    assert dict(state.limit_overrides) == {"arrive": 1.0, "handle": 24.0}
    assert walk.events[-1].payload["plan"]["code"] == "YA-01"


def test_close_is_refused_while_required_steps_are_open(loop) -> None:
    walk = loop.ROADS["team"](loop.report(loop.Walk())).do("arrive", Role.OFFICER)
    walk.do("complete_step", Role.OFFICER, {"step": "persuade", "evidence": loop.EVIDENCE})
    walk.do("feedback", Role.OFFICER, {"note": "已劝离", "evidence": loop.EVIDENCE}).do("verify")
    with pytest.raises(TransitionRefused) as refused:
        walk.do("close")
    assert "required steps of plan YA-04 are still open: clear (清理占道物品，恢复通行) [plan_steps_done]" \
        in str(refused.value)
    walk.do("complete_step", Role.OPERATOR, {"step": "clear", "evidence": loop.EVIDENCE})
    walk.do("close")  # "register" is optional
    assert walk.state.status is Status.CLOSED and walk.state.completed_steps == ("persuade", "clear")
    assert replay(walk.events) == walk.state


def test_completing_a_step_is_recorded_with_its_evidence(loop) -> None:
    walk = loop.variants(Status.IN_PROGRESS)[0].copy()
    with pytest.raises(TransitionRefused, match=r"step persuade needs evidence: 现场照片 \[step_evidence_attached\]"):
        walk.do("complete_step", Role.OFFICER, {"step": "persuade"})
    with pytest.raises(TransitionRefused, match="plan YA-04 has no step 'fine'; steps: persuade, clear, register"):
        walk.do("complete_step", Role.OFFICER, {"step": "fine"})
    walk.do("complete_step", Role.OFFICER, {"step": "persuade", "evidence": ["https://e/p.jpg"], "note": "已劝导"})
    event = walk.events[-1]
    assert (event.action.value, event.evidence, event.note, event.payload) == (
        "complete_step", ("https://e/p.jpg",), "已劝导", {"step": "persuade"})
    with pytest.raises(TransitionRefused, match="step persuade is already completed"):
        walk.do("complete_step", Role.OFFICER, {"step": "persuade", "evidence": loop.EVIDENCE})


def test_a_case_without_plan_has_no_steps(loop) -> None:
    walk = loop.accept(loop.report(loop.Walk(), item="ZF008"))
    with pytest.raises(TransitionRefused, match="the case has no response plan"):
        walk.do("complete_step", payload={"step": "persuade"})


def test_later_edits_of_the_plans_do_not_change_accepted_cases(loop) -> None:
    walk = loop.report(loop.Walk())
    edited = parse_plans({"plans": [dict(GOOD, code="YA-04")]})
    walk.do("accept", payload=prepare_acceptance(walk.state, loop.AUTHORITY, edited), after=timedelta(0))
    assert [s.id for s in walk.state.steps] == ["photo"]
    assert [s.id for s in replay(walk.events).steps] == ["photo"]  # replay reads the snapshot, not the file
