"""The actions a signed-in person may take on a case now, and the form each one needs.

Nothing here lists actions by hand: what is offered comes from the rule table (:data:`cases.rules.RULES`:
the rows whose *from* statuses hold the case's status and whose *who* names the person's role), the scope
check of :func:`cases.permissions.scope_problem`, and the named guards of those rows
(:data:`cases.guards.GUARDS`), tried on the form as it opens — so "resume" is offered as impossible, with
the guard's reason, on a case that is not suspended. The form's fields are the rows' *required* payload
fields, plus the optional ones an action understands (:data:`OPTIONAL`) and a note.

The server decides again when the form is sent: :meth:`store.casework.CaseService.act` applies the same
rules with the signed-in :class:`~cases.permissions.Actor`, and its refusal is what the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from cases.authority import DEPARTMENTS
from cases.guards import FIELDS, GUARDS
from cases.permissions import Actor, scope_problem
from cases.rules import RULES, Rule
from cases.states import Action, CaseState, LegalConclusion, RejectReason
from dashboard.i18n import has, t
from store.case_queue import Names

PARAM = "case-param"
"""Type of the pattern-matching ids of the form's fields: ``{"type": PARAM, "name": <payload field>}``."""
ACTION_BUTTON = "case-action"
"""Type of the action buttons' ids: ``{"type": ACTION_BUTTON, "action": <action>}``."""

OPTIONAL: Mapping[Action, tuple[str, ...]] = {
    Action.ACCEPT: ("item_code",),
    Action.REWORK: ("team_code",),
    Action.FEEDBACK: ("major_penalty",),
    Action.DEPARTMENT_ANSWER: ("major_penalty",),
    Action.APPROVE_EXTENSION: ("hours",),
    Action.WHISTLE: ("team_codes",),
}
"""Payload fields an action reads when given (see :data:`cases.lifecycle.EFFECTS`) besides its required ones."""
BUILT = frozenset({"decision", "plan", "time_limit_hours"})
"""Fields the page builds itself (acceptance from the 事项清单: :meth:`CaseService.acceptance`), never typed."""
TEXTAREAS = frozenset({"note", "reason", "opinion"})
LISTS = frozenset({"evidence"})
FLAGS = frozenset({"major_penalty"})
NUMBERS = frozenset({"hours"})
MULTI = frozenset({"departments", "team_codes"})


@dataclass(frozen=True)
class Offer:
    """One action the person may take (``blocked``: why it cannot be taken right now, or None)."""

    action: Action
    rules: tuple[Rule, ...]
    blocked: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The form's fields, required ones first, then optional ones, then the note."""
        required = [f for rule in self.rules for f in rule.required if f not in BUILT]
        names = [*required, *OPTIONAL.get(self.action, ()), "note"]
        return tuple(dict.fromkeys(names))

    @property
    def required(self) -> frozenset[str]:
        return frozenset(f for rule in self.rules for f in rule.required)


def offers(state: CaseState, actor: Actor, names: Names) -> list[Offer]:
    """The actions ``actor`` may take on ``state`` by the rule table, in table order; none outside their scope."""
    if scope_problem(actor, state, {}):
        return []
    result = []
    for action in dict.fromkeys(rule.action for rule in RULES):
        rows = tuple(r for r in RULES if r.action is action and state.status in r.from_statuses
                     and actor.role in r.actors)
        if rows:
            offer = Offer(action, rows)
            result.append(Offer(action, rows, _blocked(offer, state, names)))
    return result


def _blocked(offer: Offer, state: CaseState, names: Names) -> str | None:
    """The first guard that refuses every row of the action with the form as it opens, or None.

    A guard that needs a field the form does not fill by default (it raises) decides only on submit.
    """
    payload = default_payload(offer, state, names)
    reasons = []
    for rule in offer.rules:
        problem = None
        for guard in rule.guards:
            try:
                problem = GUARDS[guard](state, payload)
            except (KeyError, TypeError, ValueError, AttributeError):
                problem = None
            if problem:
                break
        if not problem:
            return None
        reasons.append(problem)
    return reasons[0] if reasons else None


# ------------------------------------------------------------------------------------------------ choices


def choices(field: str, state: CaseState, names: Names, lang: str) -> list[dict[str, Any]] | None:
    """The options of a field chosen from a list (None: typed in)."""
    if field == "reject_reason":
        return [{"value": r.value, "label": t(f"value.reject_reason.{r.value}", lang)} for r in RejectReason]
    if field == "outcome":
        return [{"value": v, "label": t(f"value.outcome.{v}", lang)} for v in ("handled", "returned")]
    if field == "conclusion":
        return [{"value": c.value, "label": t(f"value.conclusion.{c.value}", lang)} for c in LegalConclusion]
    if field == "level":
        return [{"value": n, "label": t(f"value.level.{n}", lang)} for n in (1, 2, 3)]
    if field in ("department", "departments"):
        return [{"value": d, "label": d} for d in DEPARTMENTS]
    if field in ("team_code", "lead_team_code", "team_codes"):
        codes = names.teams_of(state.township_code)
        return [{"value": c, "label": names.name("teams", c, lang)} for c in codes]
    if field == "item_code":
        return [{"value": c, "label": f"{c} {names.name('items', c, lang)}"} for c in sorted(names.items)]
    if field == "step":
        done = set(state.completed_steps)
        return [{"value": s.id, "label": s.name_en if lang == "en" else s.name}
                for s in state.steps if s.id not in done]
    return None


def default_payload(offer: Offer, state: CaseState, names: Names) -> dict[str, Any]:
    """The payload the form holds when it opens: the first choice of each required list field, the case's
    own team and item where the form asks for them."""
    payload: dict[str, Any] = {}
    for field in offer.fields:
        value = default_value(field, offer, state, names)
        if value is not None:
            payload[field] = value
    return payload


def default_value(field: str, offer: Offer, state: CaseState, names: Names) -> Any:
    if field == "item_code":
        return state.item_code
    if field in FLAGS:
        return None
    options = choices(field, state, names, "zh")
    if options is None or field in MULTI:
        return None
    values = [o["value"] for o in options]
    if field == "team_code":  # dispatch: another team than the one that has it; rework: the same team
        if offer.action is Action.DISPATCH:
            values = [v for v in values if v != state.team_code] or values
        elif state.team_code in values:
            return state.team_code
    if field in offer.required or field == "team_code":
        return values[0] if values else None
    return None


# ------------------------------------------------------------------------------------------------ the form


def form_fields(offer: Offer, state: CaseState, names: Names, lang: str) -> list[Any]:
    """One labelled input per field of the offer, ids ``{"type": PARAM, "name": field}``."""
    rows = []
    for field in offer.fields:
        label = t(f"param.{field}", lang) if has(f"param.{field}") else FIELDS.get(field, (field,))[0]
        mark = " *" if field in offer.required else ""
        rows.append(html.Label([html.Span(label + mark, className="cc-form-label"),
                                _input(field, offer, state, names, lang)],
                               className="cc-form-row", **{"data-field": field}))
    return rows


def _input(field: str, offer: Offer, state: CaseState, names: Names, lang: str) -> Any:
    component_id = {"type": PARAM, "name": field}
    options = choices(field, state, names, lang)
    if field in FLAGS:
        return dcc.Checklist(id=component_id, options=[{"value": "yes", "label": t(f"param.{field}", lang)}],
                             value=[], className="cc-form-flag")
    if options is not None:
        return dcc.Dropdown(id=component_id, options=options, multi=field in MULTI, clearable=field not in offer.required,
                            value=[] if field in MULTI else default_value(field, offer, state, names),
                            className="cc-form-select")
    if field in NUMBERS:
        return dcc.Input(id=component_id, type="number", min=0.5, max=720, step=0.5, className="cc-form-input")
    if field in TEXTAREAS or field in LISTS:
        return dcc.Textarea(id=component_id, className="cc-form-text", rows=3 if field in TEXTAREAS else 2)
    return dcc.Input(id=component_id, type="text", className="cc-form-input")


class FormError(ValueError):
    """A form value that cannot become a payload field; the message names the field."""


def payload_from_form(offer: Offer, values: Mapping[str, Any]) -> dict[str, Any]:
    """The step's payload from the form's values (``field → value`` as the browser sent them).

    Only the offer's fields are read (anything else the browser sends is ignored); blanks are left out so
    that the rules name a missing required field themselves.
    """
    payload: dict[str, Any] = {}
    for field in offer.fields:
        value = values.get(field)
        if field in FLAGS:
            if value:
                payload[field] = True
            continue
        if field in LISTS:
            lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
            if lines:
                payload[field] = lines
            continue
        if field in MULTI:
            chosen = [str(v) for v in (value or []) if v]
            if chosen:
                payload[field] = chosen
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if field in NUMBERS:
            try:
                payload[field] = float(value)
            except (TypeError, ValueError):
                raise FormError(f"{field}: {value!r} is not a number of hours") from None
            continue
        if field == "level":
            try:
                payload[field] = int(value)
            except (TypeError, ValueError):
                raise FormError(f"level: {value!r} is not 1, 2 or 3") from None
            continue
        payload[field] = value.strip() if isinstance(value, str) else value
    return payload


def values_by_field(ids: Sequence[Mapping[str, Any]], values: Sequence[Any]) -> dict[str, Any]:
    """Pair the pattern-matching ids of the form with their values."""
    return {component_id["name"]: value for component_id, value in zip(ids, values, strict=False)}


def find_offer(found: Sequence[Offer], action: str | None) -> Offer | None:
    """The offer for ``action`` (None when the action is not offered to this person now)."""
    return next((offer for offer in found if offer.action.value == action), None)
