"""Which actions a case page offers, and how a form becomes a payload: read from the rule table and its guards,
for each role and status — checked here against what the closed loop says a person may do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.authority import AuthorityDecision, AuthorityType, Route
from cases.lifecycle import apply
from cases.permissions import Actor
from cases.rules import RULES
from cases.states import Action, CaseState, Role, Status
from dashboard.components.case_actions import (
    FormError,
    find_offer,
    form_fields,
    offers,
    payload_from_form,
    values_by_field,
)
from store.case_queue import Names

TOWN, OTHER = "350212001", "350212002"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OPERATOR = Actor("op", Role.OPERATOR, township_code=TOWN)
NAMES = Names(
    townships={TOWN: ("大同街道", "Datong"), OTHER: ("祥平街道", "Xiangping")}, communities={},
    items={"ZF001": ("占道经营", "Street vending")},
    teams={"T1": ("一中队", "Squad 1"), "T2": ("二中队", "Squad 2"), "U1": ("派出所", "Police")},
    team_township={"T1": TOWN, "T2": TOWN, "U1": TOWN}, team_kind={"T1": "sub_squad", "T2": "sub_squad",
                                                                  "U1": "department_unit"},
)


def reported(township: str = TOWN) -> CaseState:
    state, _ = apply(None, "report", Actor("op", Role.OPERATOR),
                     {"case_code": "AJ-1", "township_code": township, "priority": 3, "item_code": "ZF001"}, T0)
    return state


def accept(state: CaseState) -> CaseState:
    decision = AuthorityDecision(township_code=state.township_code, item_code="ZF001", route=Route.ACT,
                                 authority=AuthorityType.STATUTORY, basis="test")
    return apply(state, "accept", OPERATOR, {"decision": decision}, T0 + timedelta(minutes=5))[0]


def dispatched() -> CaseState:
    return apply(accept(reported()), "dispatch", OPERATOR, {"team_code": "T1"}, T0 + timedelta(minutes=10))[0]


def names_of(found) -> list[str]:
    return [o.action.value for o in found if o.blocked is None]


def test_an_operator_accepts_or_rejects_a_reported_case() -> None:
    found = offers(reported(), OPERATOR, NAMES)
    assert names_of(found) == ["accept", "reject"]
    accept_offer = find_offer(found, "accept")
    assert accept_offer.fields == ("item_code", "note")  # the decision is built from the 事项清单, never typed
    assert find_offer(found, "reject").fields == ("reject_reason", "note")
    assert find_offer(found, "dispatch") is None


def test_a_township_operator_gets_nothing_on_another_townships_case() -> None:
    assert offers(reported(OTHER), OPERATOR, NAMES) == []
    assert names_of(offers(reported(OTHER), Actor("op", Role.OPERATOR), NAMES)) == ["accept", "reject"]


def test_every_offer_is_a_row_of_the_rule_table_for_the_role_and_status() -> None:
    state = dispatched()
    for role in (Role.OPERATOR, Role.SUPERVISOR, Role.LEADER, Role.LEGAL_REVIEWER, Role.TEAM_LEADER, Role.OFFICER):
        actor = Actor("x", role, teams={"T1"} if role in (Role.OFFICER, Role.TEAM_LEADER) else frozenset())
        table = {r.action.value for r in RULES if Status.DISPATCHED in r.from_statuses and role in r.actors}
        assert {o.action.value for o in offers(state, actor, NAMES)} == table, role


def test_guards_that_fail_as_the_form_opens_say_why() -> None:
    chief = Actor("chief", Role.LEADER)
    found = offers(dispatched(), chief, NAMES)
    assert "whistle" in names_of(found) and "suspend" in names_of(found) and "supervise" in names_of(found)
    blocked = {o.action.value: o.blocked for o in found if o.blocked}
    assert blocked["resume"] == "the case is not suspended"
    assert blocked["approve_extension"] == "no extension request is waiting"
    # suspended: resume becomes possible, moving steps are refused with the guard's reason
    suspended = apply(dispatched(), "suspend", chief, {"reason": "当事人住院"}, T0 + timedelta(hours=1))[0]
    found = offers(suspended, chief, NAMES)
    assert "resume" in names_of(found) and "whistle" not in names_of(found)
    assert "suspended" in next(o.blocked for o in found if o.action is Action.WHISTLE)


def test_field_roles_only_on_their_teams_case() -> None:
    mine = Actor("O1", Role.OFFICER, township_code=TOWN, teams={"T1"})
    other = Actor("O2", Role.OFFICER, township_code=TOWN, teams={"T2"})
    assert names_of(offers(dispatched(), mine, NAMES)) == ["arrive"]
    assert offers(dispatched(), other, NAMES) == []


def test_dispatch_offers_the_townships_squads_another_than_the_current_one() -> None:
    offer = find_offer(offers(dispatched(), OPERATOR, NAMES), "dispatch")
    assert offer.blocked is None  # the form opens on another team, so 改派 is possible
    fields = form_fields(offer, dispatched(), NAMES, "en")
    select = next(row for row in fields if row.to_plotly_json()["props"]["data-field"] == "team_code")
    dropdown = select.children[1]
    assert [o["value"] for o in dropdown.options] == ["T1", "T2"] and dropdown.value == "T2"
    assert [o["label"] for o in dropdown.options] == ["Squad 1", "Squad 2"]  # no department unit


def test_a_form_becomes_a_payload_of_the_offers_fields_only() -> None:
    chief = Actor("chief", Role.LEADER)
    whistle = find_offer(offers(dispatched(), chief, NAMES), "whistle")
    ids = [{"type": "case-param", "name": n} for n in ("lead_team_code", "departments", "team_codes", "note", "evil")]
    values = ["T1", ["公安", "市场监管"], [], "  联合整治  ", "DROP"]
    payload = payload_from_form(whistle, values_by_field(ids, values))
    assert payload == {"lead_team_code": "T1", "departments": ["公安", "市场监管"], "note": "联合整治"}

    officer = Actor("O1", Role.OFFICER, teams={"T1"})
    in_progress = apply(dispatched(), "arrive", officer, {}, T0 + timedelta(hours=1))[0]
    feedback = find_offer(offers(in_progress, officer, NAMES), "feedback")
    assert feedback.fields == ("note", "evidence", "major_penalty")
    payload = payload_from_form(feedback, {"note": "已清理", "evidence": "https://e.example/1.jpg\n\n /m/2.jpg ",
                                           "major_penalty": ["yes"]})
    assert payload == {"note": "已清理", "evidence": ["https://e.example/1.jpg", "/m/2.jpg"], "major_penalty": True}

    supervisor = Actor("s", Role.SUPERVISOR)
    supervise = find_offer(offers(dispatched(), supervisor, NAMES), "supervise")
    assert payload_from_form(supervise, {"level": "2"}) == {"level": 2}
    with pytest.raises(FormError, match="level: 'high' is not 1, 2 or 3"):
        payload_from_form(supervise, {"level": "high"})
    team_leader = Actor("L1", Role.TEAM_LEADER, teams={"T1"})
    extension = find_offer(offers(dispatched(), team_leader, NAMES), "request_extension")
    assert payload_from_form(extension, {"hours": "12", "reason": "等材料"}) == {"hours": 12.0, "reason": "等材料"}
    with pytest.raises(FormError, match="hours: 'x' is not a number"):
        payload_from_form(extension, {"hours": "x"})
