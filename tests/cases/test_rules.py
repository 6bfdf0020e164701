"""The rule table, checked two ways: against a list written here by hand, and by taking every row for real.

The hand-written list is the specification (issue 5, item 1); a wrong row in ``cases.rules.RULES`` fails
``test_table_is_the_specification``. The legal-transition test is parametrised from the table itself, the
illegal samples from the hand-written list, so neither side can hide a mistake of the other.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from cases.deadlines import STEPS
from cases.guards import FIELDS, GUARDS
from cases.lifecycle import TransitionRefused, apply
from cases.permissions import scope_problem
from cases.replay import replay
from cases.rules import RULES, describe
from cases.states import Action, Extension, ExtensionState, Role, Status

OPEN = "reported accepted dispatched transferred joint in_progress handled verified"
TAKEN = "accepted dispatched transferred joint in_progress"
WORKED = "accepted dispatched transferred joint in_progress handled verified"

SPEC = [
    # key                         from statuses                 to ("=" unchanged)  who                                           required
    ("report",                     "",                           "reported",     "operator officer team_leader system",        "case_code township_code priority"),
    ("accept",                     "reported",                   "accepted",     "operator supervisor",                         "decision"),
    ("reject",                     "reported",                   "rejected",     "operator supervisor",                         "reject_reason"),
    ("dispatch",                   "accepted dispatched",        "dispatched",   "operator supervisor",                         "team_code"),
    ("transfer",                   "accepted",                   "transferred",  "operator supervisor",                         "department"),
    ("department_answer:handled",  "transferred",                "handled",      "department_liaison operator",                 "outcome note"),
    ("department_answer:returned", "transferred",                "accepted",     "department_liaison operator",                 "outcome note"),
    ("whistle",                    "accepted dispatched",        "joint",        "operator supervisor leader",                  "lead_team_code departments"),
    ("arrive",                     "dispatched joint",           "in_progress",  "officer team_leader",                         ""),
    ("feedback",                   "in_progress",                "handled",      "officer team_leader",                         "note evidence"),
    ("verify",                     "handled",                    "verified",     "operator supervisor",                         ""),
    ("rework",                     "handled",                    "dispatched",   "operator supervisor",                         "reason"),
    ("legal_review",               "handled verified",           "=",            "legal_reviewer",                              "conclusion opinion"),
    ("close",                      "verified",                   "closed",       "operator supervisor leader",                  ""),
    ("archive",                    "closed rejected",            "archived",     "operator system",                             ""),
    ("supervise",                  OPEN,                         "=",            "supervisor leader system",                    "level"),
    ("request_extension",          TAKEN,                        "=",            "team_leader department_liaison operator",     "hours reason"),
    ("approve_extension",          OPEN,                         "=",            "supervisor leader",                           ""),
    ("refuse_extension",           OPEN,                         "=",            "supervisor leader",                           "reason"),
    ("suspend",                    OPEN,                         "=",            "supervisor leader",                           "reason"),
    ("resume",                     OPEN,                         "=",            "supervisor leader system",                    ""),
    ("complete_step",              WORKED,                       "=",            "officer team_leader operator department_liaison", "step"),
]


def _spec_rows() -> set[tuple]:
    return {(key, frozenset(froms.split()), to, frozenset(who.split()), frozenset(req.split()))
            for key, froms, to, who, req in SPEC}


def _table_rows() -> set[tuple]:
    return {(r.key, frozenset(s.value for s in r.from_statuses), r.to_status.value if r.to_status else "=",
             frozenset(a.value for a in r.actors), frozenset(r.required)) for r in RULES}


def test_table_is_the_specification() -> None:
    table, spec = _table_rows(), _spec_rows()
    assert table - spec == set(), "rows in cases.rules.RULES that the specification does not have"
    assert spec - table == set(), "rows of the specification missing from cases.rules.RULES"


def test_every_action_has_rows_and_every_name_is_defined() -> None:
    assert {r.action for r in RULES} == set(Action)
    assert {g for r in RULES for g in r.guards} == set(GUARDS), "a guard is unused or undefined"
    assert {f for r in RULES for f in r.required} <= set(FIELDS)
    assert all(r.to_status is not Status.REPORTED or not r.from_statuses for r in RULES)


def test_describe_prints_every_row() -> None:
    lines = describe().splitlines()
    assert len(lines) == 2 + len(RULES)
    assert "| close | verified | closed |" in describe()
    assert "legal_review_if_major_penalty, plan_steps_done" in describe()


# ----------------------------------------------------------------------------------- every legal transition

VALID = {
    "reject": {"reject_reason": "duplicate"},
    "dispatch": {"team_code": "350212001-ZF02"},
    "transfer": {"department": "公安"},
    "department_answer:handled": {"outcome": "handled", "note": "已处理", "evidence": ["https://e/1.jpg"]},
    "department_answer:returned": {"outcome": "returned", "note": "不属本部门"},
    "whistle": {"lead_team_code": "350212001-ZF01", "departments": ["公安", "市场监管"]},
    "arrive": {},
    "feedback": {"note": "已清理", "evidence": ["https://e/2.jpg"]},
    "verify": {"note": "核查属实"},
    "rework": {"reason": "未清理干净", "team_code": "350212001-ZF01"},
    "legal_review": {"conclusion": "approved", "opinion": "事实清楚，程序合法"},
    "close": {},
    "archive": {},
    "supervise": {"level": 2, "note": "请加快处置"},
    "request_extension": {"hours": 24, "reason": "需要协调"},
    "approve_extension": {"hours": 12},
    "refuse_extension": {"reason": "理由不足"},
    "suspend": {"reason": "等待法院裁定"},
    "resume": {},
    "complete_step": {"step": "register"},
}

LEGAL = [pytest.param(rule, status, role, id=f"{rule.key}-{status.value if status else 'new'}-{role.value}")
         for rule in RULES for status in (rule.from_statuses or (None,)) for role in rule.actors]


def _prepare(loop, key: str, walk):
    """Give the case what the row's guards need, by real steps where the loop allows them."""
    if key in ("approve_extension", "refuse_extension"):
        if walk.state.status.value in TAKEN.split():
            walk.do("request_extension", Role.OPERATOR, {"hours": 24, "reason": "需要协调"})
        else:  # reported, handled, verified: no request can be *made* there; one made earlier is still pending
            pending = Extension(walk.at, "op", 24.0, "需要协调")
            walk.state = replace(walk.state, extension=ExtensionState.REQUESTED, extensions=(pending,))
            walk.events = []  # the trail no longer matches: this test does not replay
    if key == "resume":
        walk.do("suspend", Role.SUPERVISOR, {"reason": "等待法院裁定"})
    return walk


@pytest.mark.parametrize(("rule", "status", "role"), LEGAL)
def test_every_legal_transition(loop, rule, status, role) -> None:
    if status is None:
        state, events = None, []
        payload = {"case_code": "AJ-9", "township_code": loop.DATONG, "priority": 2}
        actor = loop.scoped(role, None)
    else:
        walks = [w for w in loop.variants(status) if scope_problem(loop.scoped(role, w.state), w.state, {}) is None]
        if not walks:  # the row names the role, but its scope never reaches a case in this status
            walk = loop.variants(status)[0].copy()
            with pytest.raises(TransitionRefused) as refused:
                apply(walk.state, rule.action, loop.scoped(role, walk.state), VALID[rule.key], walk.at)
            assert refused.value.kind == "scope" and (rule.key, status.value, role.value) in OUT_OF_SCOPE
            return
        walk = _prepare(loop, rule.key, walks[0].copy())
        state, events = walk.state, walk.events
        payload = (loop.accept(loop.Walk(state)).events[-1].action_payload() if rule.key == "accept"
                   else dict(VALID[rule.key]))
        actor = loop.scoped(role, state)
    at = loop.T0.replace(month=4)
    new, event = apply(state, rule.action, actor, payload, at)
    before = state.status if state else None
    assert new.status is (rule.to_status or before)
    assert (event.action, event.from_status, event.to_status) == (rule.action, before, new.status)
    assert (event.actor, event.role, event.seq) == (actor.id, role, (state.seq if state else 0) + 1)
    assert new.seq == event.seq and new.updated_at == at
    if events or state is None:
        assert replay([*events, event]) == new


OUT_OF_SCOPE = {
    # (row, status, role): the role is in the row, but no case in that status is ever within its scope —
    # an accepted case has no team yet (or no longer: a department returned it), and no department.
    ("complete_step", "accepted", "officer"),
    ("complete_step", "accepted", "team_leader"),
    ("complete_step", "accepted", "department_liaison"),
    ("request_extension", "accepted", "team_leader"),
    ("request_extension", "accepted", "department_liaison"),
    # a transferred case is with a department, no team.
    ("complete_step", "transferred", "officer"),
    ("complete_step", "transferred", "team_leader"),
    ("request_extension", "transferred", "team_leader"),
}


def test_out_of_scope_list_is_exact(loop) -> None:
    found = {(rule.key, status.value, role.value) for rule, status, role in (p.values for p in LEGAL)
             if status is not None and not any(scope_problem(loop.scoped(role, w.state), w.state, {}) is None
                                               for w in loop.variants(status))}
    assert found == OUT_OF_SCOPE


# ----------------------------------------------------------------------------------- illegal: status, role


def _spec_allowed(status: str | None) -> set[str]:
    return {key.split(":")[0] for key, froms, *_ in SPEC if (status in froms.split() if status else not froms)}


ILLEGAL_STATUS = [
    pytest.param(action, status, id=f"{action}-from-{status or 'new'}")
    for action in dict.fromkeys(key.split(":")[0] for key, *_ in SPEC)
    for status in [None, *OPEN.split(), "rejected", "closed", "archived"]
    if action not in _spec_allowed(status)
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL_STATUS)
def test_illegal_status_is_refused_with_what_would_be_allowed(loop, action, status) -> None:
    walk = loop.variants(Status(status))[0].copy() if status else loop.Walk()
    who = next(who for key, _, _, who, _ in SPEC if key.split(":")[0] == action).split()[0]
    actor = loop.scoped(Role(who), walk.state)
    with pytest.raises(TransitionRefused) as refused:
        apply(walk.state, action, actor, dict(VALID.get(action, {}), outcome="handled"), walk.at)
    assert refused.value.kind == "status"
    assert {a.value for a in refused.value.allowed} == _spec_allowed(status)
    if status:
        assert f"cannot {action} a case that is {status}" in str(refused.value)
        assert "allowed actions are: " in str(refused.value)


WRONG_ROLE = [
    pytest.param(key, froms.split()[0] if froms else None, role.value, id=f"{key}-by-{role.value}")
    for key, froms, _, who, _ in SPEC for role in Role if role.value not in who.split()
]


@pytest.mark.parametrize(("key", "status", "role"), WRONG_ROLE)
def test_wrong_role_is_refused(loop, key, status, role) -> None:
    action, _, outcome = key.partition(":")
    walk = loop.variants(Status(status))[0].copy() if status else loop.Walk()
    payload = {"case_code": "AJ-9", "township_code": loop.DATONG, "priority": 2} if status is None \
        else dict(VALID.get(key, {}), **({"outcome": outcome} if outcome else {}))
    actor = loop.scoped(Role(role), walk.state)
    with pytest.raises(TransitionRefused) as refused:
        apply(walk.state, action, actor, payload, walk.at)
    assert refused.value.kind == "role"
    assert f"role {role} may not {key}" in str(refused.value)


def test_admin_takes_no_step_at_all() -> None:
    assert not any(Role.ADMIN in r.actors for r in RULES)


def test_unknown_action_and_missing_outcome(loop) -> None:
    walk = loop.variants(Status.TRANSFERRED)[0].copy()
    with pytest.raises(TransitionRefused, match="unknown action 'escalate'") as refused:
        apply(walk.state, "escalate", loop.scoped(Role.OPERATOR, walk.state), {}, walk.at)
    assert refused.value.kind == "unknown_action" and Action.DEPARTMENT_ANSWER in refused.value.allowed
    with pytest.raises(TransitionRefused, match="department_answer needs outcome: one of handled, returned") as refused:
        apply(walk.state, "department_answer", loop.scoped(Role.OPERATOR, walk.state), {"note": "x"}, walk.at)
    assert refused.value.kind == "outcome"


def test_clock_table_names_real_actions() -> None:
    from cases.deadlines import CLOCKS

    keys = {r.key for r in RULES}
    for spec in CLOCKS:
        assert spec.starts_on <= keys and spec.stops_on <= keys, spec.step
    assert STEPS == ("accept", "dispatch", "arrive", "handle", "verify")
