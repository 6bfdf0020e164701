"""Taking one step around the closed loop: ``apply(state, action, actor, payload, at) -> (new_state, event)``.

:func:`apply` is pure: it reads the rule table (:data:`cases.rules.RULES`), checks the actor's scope
(:mod:`cases.permissions`), the payload fields and the row's named guards (:mod:`cases.guards`),
then returns the next state and the audit-trail event. An illegal step raises :class:`TransitionRefused`
saying which action, from which status, what would be allowed and what is wrong.

Checks come in a fixed order, so a refusal names the first problem a user can act on: unknown action →
status → outcome → role → scope → time → fields → guards.

>>> from datetime import UTC, datetime
>>> from cases.permissions import Actor
>>> op = Actor("op-dt", Role.OPERATOR, township_code="350212001")
>>> t = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
>>> case, event = apply(None, "report", op, {"case_code": "AJ-1", "township_code": "350212001", "priority": 3}, t)
>>> case.status.value, event.seq
('reported', 1)
>>> apply(case, "dispatch", op, {"team_code": "350212001-ZF01"}, t)
Traceback (most recent call last):
...
cases.lifecycle.TransitionRefused: cannot dispatch a case that is reported (AJ-1): dispatch applies to cases \
that are accepted, dispatched; from reported the allowed actions are: accept, reject, supervise, \
approve_extension, refuse_extension, suspend, resume
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from cases.authority import AuthorityDecision
from cases.deadlines import track
from cases.events import LIFTED, Event
from cases.guards import FIELDS, GUARDS, empty
from cases.permissions import Actor, scope_problem
from cases.plans import ResponsePlan
from cases.rules import Rule, actions_from, rules_for
from cases.states import (
    Action,
    CaseState,
    Extension,
    ExtensionState,
    LegalConclusion,
    LegalReview,
    RejectReason,
    Role,
    Status,
    Supervision,
    Suspension,
)


class TransitionRefused(Exception):
    """An illegal step. ``kind`` is one of unknown_action, status, outcome, role, scope, time, field, guard;
    ``allowed`` lists the actions the case's status allows (for the UI's buttons)."""

    def __init__(self, message: str, *, action: str, status: Status | None, kind: str,
                 allowed: tuple[Action, ...] = ()) -> None:
        super().__init__(message)
        self.action, self.status, self.kind, self.allowed = action, status, kind, allowed


# ------------------------------------------------------------------------------------------------ effects

Effect = Callable[[CaseState, Mapping[str, Any], Event], dict[str, Any]]


def _accept(s: CaseState, p: Mapping[str, Any], e: Event) -> dict[str, Any]:
    decision = AuthorityDecision.from_payload(p["decision"])
    plan = ResponsePlan.from_payload(p["plan"]) if p.get("plan") else None
    return {"decision": decision, "item_code": decision.item_code, "priority": p.get("priority", s.priority),
            "time_limit_hours": p.get("time_limit_hours"), "plan_code": plan.code if plan else None,
            "steps": plan.steps if plan else (), "limit_overrides": plan.deadlines if plan else ()}


def _approve_extension(s: CaseState, p: Mapping[str, Any], e: Event) -> dict[str, Any]:
    last = s.extensions[-1]
    decided = replace(last, decided_at=e.at, decided_by=e.actor, approved=True,
                      granted_hours=float(p.get("hours", last.hours)))
    return {"extension": ExtensionState.APPROVED, "extensions": (*s.extensions[:-1], decided)}


def _refuse_extension(s: CaseState, p: Mapping[str, Any], e: Event) -> dict[str, Any]:
    decided = replace(s.extensions[-1], decided_at=e.at, decided_by=e.actor, approved=False)
    return {"extension": ExtensionState.REFUSED, "extensions": (*s.extensions[:-1], decided)}


def _resume(s: CaseState, p: Mapping[str, Any], e: Event) -> dict[str, Any]:
    return {"suspensions": (*s.suspensions[:-1], replace(s.suspensions[-1], end=e.at))}


EFFECTS: dict[str, Effect] = {
    "accept": _accept,
    "reject": lambda s, p, e: {"reject_reason": RejectReason(p["reject_reason"])},
    "dispatch": lambda s, p, e: {"team_code": p["team_code"]},
    "transfer": lambda s, p, e: {"department": p["department"], "team_code": None},
    "department_answer:handled": lambda s, p, e: {"major_penalty": p.get("major_penalty", False),
                                                  "handled_seq": e.seq},
    "department_answer:returned": lambda s, p, e: {"department": None, "returned_by": (*s.returned_by, s.department)},
    "whistle": lambda s, p, e: {"team_code": p["lead_team_code"], "joint_teams": tuple(p.get("team_codes", ())),
                                "joint_departments": tuple(p["departments"])},
    "feedback": lambda s, p, e: {"major_penalty": p.get("major_penalty", False), "handled_seq": e.seq},
    "rework": lambda s, p, e: {"rework_count": s.rework_count + 1, "team_code": p.get("team_code", s.team_code)},
    "legal_review": lambda s, p, e: {"legal_reviews": (*s.legal_reviews, LegalReview(
        e.seq, e.at, e.actor, LegalConclusion(p["conclusion"]), p["opinion"]))},
    "close": lambda s, p, e: {"closed_at": e.at},
    "archive": lambda s, p, e: {"archived_at": e.at},
    "supervise": lambda s, p, e: {"supervisions": (*s.supervisions, Supervision(
        p["level"], e.actor, e.role, e.at, p.get("note")))},
    "request_extension": lambda s, p, e: {"extension": ExtensionState.REQUESTED, "extensions": (
        *s.extensions, Extension(e.at, e.actor, float(p["hours"]), p["reason"]))},
    "approve_extension": _approve_extension,
    "refuse_extension": _refuse_extension,
    "suspend": lambda s, p, e: {"suspensions": (*s.suspensions, Suspension(e.at, p["reason"]))},
    "resume": _resume,
    "complete_step": lambda s, p, e: {"completed_steps": (*s.completed_steps, p["step"])},
}
"""What each step changes besides the status, the sequence number and the clocks (none for arrive, verify)."""


# ------------------------------------------------------------------------------------------------ apply


def apply(state: CaseState | None, action: Action | str, actor: Actor, payload: Mapping[str, Any] | None,
          at: datetime) -> tuple[CaseState, Event]:
    """Take one step: the next state and its audit event, or :class:`TransitionRefused`.

    ``state`` is None for ``report``, which opens a case. ``payload`` holds the action's fields (see
    :data:`cases.guards.FIELDS`) and optionally ``note``, ``evidence`` and ``client_address``; an
    :class:`~cases.authority.AuthorityDecision` or :class:`~cases.plans.ResponsePlan` may be passed as
    ``decision`` / ``plan`` and is recorded as JSON.
    """
    payload = normalise(payload)
    rule = select_rule(state, action, payload)
    check_role(rule, actor.role, state)
    problem = scope_problem(actor, state, payload)
    if problem:
        raise _refused(rule.action, state, "scope", f"cannot {rule.action} case {_code(state, payload)}: {problem}")
    return take(state, rule, actor.id, actor.role, payload, at, check_json=True)


def normalise(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """A plain dict, with decision and plan objects turned into their JSON payloads."""
    result = dict(payload or {})
    if isinstance(result.get("decision"), AuthorityDecision):
        result["decision"] = result["decision"].to_payload()
    if isinstance(result.get("plan"), ResponsePlan):
        result["plan"] = result["plan"].to_payload()
    for key in ("evidence", "departments", "team_codes"):
        if isinstance(result.get(key), tuple):
            result[key] = list(result[key])
    return result


def select_rule(state: CaseState | None, action: Action | str, payload: Mapping[str, Any]) -> Rule:
    """The row of the table that governs this step, or a refusal naming the allowed actions."""
    status = state.status if state is not None else None
    try:
        action = Action(action)
    except ValueError:
        raise TransitionRefused(f"unknown action {action!r}; actions are: {', '.join(a.value for a in Action)}",
                                action=str(action), status=status, kind="unknown_action",
                                allowed=actions_from(status)) from None
    rows = rules_for(action)
    matching = [r for r in rows if (not r.from_statuses if state is None else status in r.from_statuses)]
    if not matching:
        if state is None:
            raise TransitionRefused(f"cannot {action}: there is no case yet, a case starts with report",
                                    action=action, status=None, kind="status", allowed=actions_from(None))
        froms = ", ".join(dict.fromkeys(s.value for r in rows for s in r.from_statuses)) or "none (it opens a case)"
        allowed = actions_from(status)
        raise TransitionRefused(
            f"cannot {action} a case that is {status} ({state.code}): {action} applies to cases that are {froms}; "
            f"from {status} the allowed actions are: {', '.join(a.value for a in allowed)}",
            action=action, status=status, kind="status", allowed=allowed)
    if all(r.outcome is None for r in matching):
        return matching[0]
    chosen = [r for r in matching if r.outcome == payload.get("outcome")]
    if not chosen:
        outcomes = ", ".join(str(r.outcome) for r in matching)
        raise _refused(action, state, "outcome",
                       f"{action} needs outcome: one of {outcomes}; got {payload.get('outcome')!r}")
    return chosen[0]


def check_role(rule: Rule, role: Role, state: CaseState | None) -> None:
    """Refuse a role the row does not name."""
    if role not in rule.actors:
        who = ", ".join(a.value for a in rule.actors)
        raise _refused(rule.action, state, "role", f"role {role.value} may not {rule.key}; allowed: {who}")


def take(state: CaseState | None, rule: Rule, actor_id: str, role: Role, payload: Mapping[str, Any],
         at: datetime, check_json: bool = False) -> tuple[CaseState, Event]:
    """Check time, fields and guards of an already selected row, then build the event and the next state.

    Used by :func:`apply` after the role and scope checks, and by :func:`cases.replay.replay` (the trail
    records roles, not scopes: scope is checked when a step is taken, not again years later).
    ``check_json`` makes sure the payload can go to the event's JSON column (a replayed one came from there).
    """
    action = rule.action
    if at.tzinfo is None:
        raise _refused(action, state, "time", f"{action} at {at}: the time has no time zone")
    at = at.astimezone(UTC)
    if state is not None and at < state.updated_at:
        raise _refused(action, state, "time", f"{action} at {at.isoformat()} is before the case's latest event "
                                              f"({state.updated_at.isoformat()})")
    _check_fields(rule, state, payload)
    if check_json:
        try:
            json.dumps(payload, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise _refused(action, state, "field", f"{rule.key}: the payload must be JSON data ({exc})") from None
    for name in rule.guards:
        problem = GUARDS[name](state, payload)  # type: ignore[arg-type] - rows with guards never open a case
        if problem:
            raise _refused(action, state, "guard", f"cannot {rule.key} case {state.code}: {problem} [{name}]")
    status_before = state.status if state is not None else None
    event = Event(
        case_code=state.code if state is not None else payload["case_code"],
        seq=state.seq + 1 if state is not None else 1, at=at, actor=actor_id, role=role, action=action,
        from_status=status_before, to_status=rule.to_status or status_before,  # type: ignore[arg-type]
        note=payload.get("note"), evidence=tuple(payload.get("evidence") or ()),
        client_address=payload.get("client_address"),
        payload={k: v for k, v in payload.items() if k not in LIFTED})
    if state is None:
        state = CaseState(code=payload["case_code"], township_code=payload["township_code"],
                          priority=payload["priority"], status=Status.REPORTED, opened_at=at, seq=0, updated_at=at,
                          item_code=payload.get("item_code"), community_code=payload.get("community_code"),
                          cell_code=payload.get("cell_code"))
    effect = EFFECTS.get(rule.key) or EFFECTS.get(action.value)
    changes = effect(state, payload, event) if effect else {}
    changes.update(status=event.to_status, seq=event.seq, updated_at=at, clocks=track(state.clocks, rule.key, at))
    return _evolve(state, changes), event


def _evolve(state: CaseState, changes: dict[str, Any]) -> CaseState:
    """``dataclasses.replace`` without re-running ``__init__`` (it checks nothing): a replay of a long trail
    takes this path once per event, and ``replace`` was a third of its cost."""
    unknown = changes.keys() - state.__dict__.keys()
    if unknown:
        raise TypeError(f"CaseState has no field(s) {', '.join(sorted(unknown))}")
    new = object.__new__(CaseState)
    new.__dict__.update(state.__dict__)
    new.__dict__.update(changes)
    return new


def _check_fields(rule: Rule, state: CaseState | None, payload: Mapping[str, Any]) -> None:
    for name in rule.required:
        if empty(payload.get(name)):
            what = FIELDS[name][0]
            raise _refused(rule.action, state, "field", f"{rule.key} needs payload field {name!r} ({what})")
    for name, value in payload.items():
        if name in FIELDS and value is not None:
            problem = FIELDS[name][1](value)
            if problem:
                raise _refused(rule.action, state, "field", f"{rule.key}: field {name!r} {problem}")


def _code(state: CaseState | None, payload: Mapping[str, Any]) -> str:
    return state.code if state is not None else str(payload.get("case_code", "(new)"))


def _refused(action: Action, state: CaseState | None, kind: str, message: str) -> TransitionRefused:
    status = state.status if state is not None else None
    return TransitionRefused(message, action=action, status=status, kind=kind, allowed=actions_from(status))
