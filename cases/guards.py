"""The named guards of the rule table and the checks of payload fields.

A row of :data:`cases.rules.RULES` lists the payload fields it *requires* and the *guards* that must hold;
this module says what each name means. A guard reads the case and the payload and returns why the step is
refused, or None; the message ends up in :class:`cases.lifecycle.TransitionRefused`. Field checks run on
every field present in a payload, required or not.

>>> FIELDS["level"][1](4)
'must be a whole number from 1 to 3; got 4'
>>> FIELDS["departments"][1](["公安", "公安"])
'lists a department twice'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cases.authority import DEPARTMENTS, AuthorityDecision, Route
from cases.plans import PlanStep, ResponsePlan
from cases.states import CaseState, ExtensionState, LegalConclusion, RejectReason, Status

# ------------------------------------------------------------------------------------------------ fields

Check = Callable[[Any], str | None]


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty text"


def _texts(value: Any) -> str | None:
    ok = isinstance(value, list | tuple) and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else "must be a list of non-empty texts"


def _one_of(values: Any) -> Check:
    allowed = tuple(str(v) for v in values)
    return lambda value: None if value in allowed else f"must be one of {', '.join(allowed)}; got {value!r}"


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be a whole number from {low} to {high}; got {value!r}"
    return check


def _hours(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 720
    return None if ok else f"must be a number of hours above 0 and at most 720; got {value!r}"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false; got {value!r}"


def _township(value: Any) -> str | None:
    ok = isinstance(value, str) and len(value) == 9 and value.isdigit()
    return None if ok else f"must be a 9-digit township code; got {value!r}"


def _departments(value: Any) -> str | None:
    if not isinstance(value, list | tuple) or any(d not in DEPARTMENTS for d in value):
        return f"must list departments among {', '.join(DEPARTMENTS)}; got {value!r}"
    return "lists a department twice" if len(set(value)) != len(value) else None


def _shape(parse: Callable[[Mapping[str, Any]], Any]) -> Check:
    def check(value: Any) -> str | None:
        try:
            parse(value)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return f"is not well formed ({exc.__class__.__name__}: {exc})"
        return None
    return check


FIELDS: dict[str, tuple[str, Check]] = {
    "case_code": ("the case code (案件编号)", _text),
    "township_code": ("the case's township", _township),
    "priority": ("1 urgent … 3 normal", _integer(1, 3)),
    "item_code": ("the enforcement item (事项)", _text),
    "community_code": ("the community", _text),
    "cell_code": ("the unit grid cell", _text),
    "decision": ("the authority decision (cases.authority.decide)", _shape(AuthorityDecision.from_payload)),
    "plan": ("the response plan snapshot (ResponsePlan.to_payload)", _shape(ResponsePlan.from_payload)),
    "time_limit_hours": ("the item's time limit", _hours),
    "reject_reason": ("why not accepted", _one_of(RejectReason)),
    "team_code": ("the team", _text),
    "lead_team_code": ("the team that leads the joint action", _text),
    "team_codes": ("other teams joining", _texts),
    "department": ("the department", _one_of(DEPARTMENTS)),
    "departments": ("the departments whistled", _departments),
    "outcome": ("the department's answer", _one_of(("handled", "returned"))),
    "note": ("a note", _text),
    "evidence": ("evidence links (photos, documents)", _texts),
    "major_penalty": ("whether a major penalty (重大执法决定) is proposed", _flag),
    "reason": ("the reason", _text),
    "conclusion": ("the legal review's conclusion", _one_of(LegalConclusion)),
    "opinion": ("the legal review's opinion", _text),
    "level": ("督办 level: 1 一般, 2 重点, 3 挂牌", _integer(1, 3)),
    "hours": ("hours", _hours),
    "step": ("the response-plan step id", _text),
    "client_address": ("the client's network address", _text),
}
"""Every payload field an action may carry: what it is and how it is checked (whenever present)."""


def empty(value: Any) -> bool:
    """A required field that is missing or blank."""
    return value is None or value == "" or (isinstance(value, list | tuple | dict) and not value)


# ------------------------------------------------------------------------------------------------ guards

Guard = Callable[[CaseState, Mapping[str, Any]], str | None]


def _not_suspended(state: CaseState, p: Mapping[str, Any]) -> str | None:
    if state.suspended:
        since = state.suspensions[-1]
        return f"the case is suspended (挂起) since {since.start.isoformat()} ({since.reason}): resume it first"
    return None


def _is_suspended(state: CaseState, p: Mapping[str, Any]) -> str | None:
    return None if state.suspended else "the case is not suspended"


def _decision_fits_case(state: CaseState, p: Mapping[str, Any]) -> str | None:
    decision = AuthorityDecision.from_payload(p["decision"])
    if decision.township_code != state.township_code:
        return f"the decision is for township {decision.township_code}, the case is in {state.township_code}"
    if p.get("item_code") not in (None, decision.item_code):
        return f"the decision is for item {decision.item_code}, the payload says {p['item_code']}"
    plan = ResponsePlan.from_payload(p["plan"]) if p.get("plan") else None
    if (plan.code if plan else None) != decision.plan_code:
        return f"the decision names plan {decision.plan_code}, the plan given is {plan.code if plan else None}"
    if plan is not None and decision.item_code not in plan.items:
        return f"plan {plan.code} does not cover item {decision.item_code}"
    return None


def _township_may_act(state: CaseState, p: Mapping[str, Any]) -> str | None:
    """A 部门 item goes to its department — unless that department sent it back (职责争议): then the township
    acts as the authority on the ground (属地兜底) while the dispute is settled, and the trail shows why."""
    decision = state.decision
    if decision is not None and decision.route is Route.TRANSFER and decision.department not in state.returned_by:
        return (f"the township has no authority here ({decision.basis}): transfer the case to {decision.department}"
                " (the township acts only if the department returns it)")
    return None


def _team_changes(state: CaseState, p: Mapping[str, Any]) -> str | None:
    if state.status is Status.DISPATCHED and p["team_code"] == state.team_code:
        return f"the case is already dispatched to {state.team_code}"
    return None


def _team_known(state: CaseState, p: Mapping[str, Any]) -> str | None:
    if p.get("team_code") or state.team_code:
        return None
    return "no team to send the case back to (a department handled it): give team_code"


def _legal_review_if_major_penalty(state: CaseState, p: Mapping[str, Any]) -> str | None:
    if not state.major_penalty:
        return None
    after = [r for r in state.legal_reviews if state.handled_seq is None or r.seq > state.handled_seq]
    if not after:
        return "a major penalty (重大执法决定) needs a recorded legal review (法制审核) of the latest handling"
    if after[-1].conclusion is not LegalConclusion.APPROVED:
        return f"the legal review (法制审核) returned the decision: {after[-1].opinion}"
    return None


def _plan_steps_done(state: CaseState, p: Mapping[str, Any]) -> str | None:
    open_steps = state.open_steps
    if open_steps:
        names = ", ".join(f"{s.id} ({s.name})" for s in open_steps)
        return f"required steps of plan {state.plan_code} are still open: {names}"
    return None


def _no_pending_extension(state: CaseState, p: Mapping[str, Any]) -> str | None:
    return "an extension request is already waiting for a decision" if state.extension is ExtensionState.REQUESTED \
        else None


def _extension_pending(state: CaseState, p: Mapping[str, Any]) -> str | None:
    return None if state.extension is ExtensionState.REQUESTED else "no extension request is waiting"


def _grant_within_request(state: CaseState, p: Mapping[str, Any]) -> str | None:
    if state.extensions and p.get("hours") is not None and p["hours"] > state.extensions[-1].hours:
        return f"cannot grant {p['hours']} h: {state.extensions[-1].hours} h were requested"
    return None


def _step(state: CaseState, step_id: str) -> PlanStep | None:
    return next((s for s in state.steps if s.id == step_id), None)


def _step_open(state: CaseState, p: Mapping[str, Any]) -> str | None:
    if not state.steps:
        return "the case has no response plan (预案), so no steps to complete"
    if _step(state, p["step"]) is None:
        return f"plan {state.plan_code} has no step {p['step']!r}; steps: {', '.join(s.id for s in state.steps)}"
    if p["step"] in state.completed_steps:
        return f"step {p['step']} is already completed"
    return None


def _step_evidence_attached(state: CaseState, p: Mapping[str, Any]) -> str | None:
    step = _step(state, p["step"])
    if step is not None and step.evidence and not p.get("evidence"):
        return f"step {step.id} needs evidence: {', '.join(step.evidence)}"
    return None


GUARDS: dict[str, Guard] = {
    "not_suspended": _not_suspended,
    "is_suspended": _is_suspended,
    "decision_fits_case": _decision_fits_case,
    "township_may_act": _township_may_act,
    "team_changes": _team_changes,
    "team_known": _team_known,
    "legal_review_if_major_penalty": _legal_review_if_major_penalty,
    "plan_steps_done": _plan_steps_done,
    "no_pending_extension": _no_pending_extension,
    "extension_pending": _extension_pending,
    "grant_within_request": _grant_within_request,
    "step_open": _step_open,
    "step_evidence_attached": _step_evidence_attached,
}
"""The named guards of the rule table; each returns why the step is refused, or None."""
