"""THE rule table of the closed loop: every legal transition, who may make it, what it needs.

One row per (action, outcome). A row says from which statuses the action applies, the status it leads to
(``None``: the status does not change — flags such as 督办 or 挂起), which roles may take it, which payload
fields it needs (checked by :data:`cases.guards.FIELDS`) and which named guards must hold (the functions
in :data:`cases.guards.GUARDS`). Nothing else in the package decides legality: :func:`cases.lifecycle.apply`
only reads this table, and the tests check it against a hand-written list.

Two things hold for *every* action and are therefore not columns: the actor's scope (a township user acts
only in their township; officers and team leaders only on cases their team has; a department liaison only on
cases transferred or whistled to their department — :mod:`cases.permissions`), and the time of an event
(timezone-aware, never before the case's latest event).

>>> [r.to_status.value for r in rules_for(Action.DEPARTMENT_ANSWER)]
['handled', 'accepted']
>>> print(describe().splitlines()[2])
| report | (new case) | reported | operator, officer, team_leader, system | case_code, township_code, priority | — |
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from cases.states import OPEN_STATUSES, Action, Role, Status

A, R, S = Action, Role, Status


@dataclass(frozen=True)
class Rule:
    """One row of the table (see the module docstring)."""

    action: Action
    from_statuses: tuple[Status, ...]  # empty: the action opens a new case
    to_status: Status | None  # None: unchanged
    actors: tuple[Role, ...]
    required: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    outcome: str | None = None  # rows of one action told apart by payload["outcome"]

    @cached_property
    def key(self) -> str:
        """``action`` or ``action:outcome`` — the name the clocks (:mod:`cases.deadlines`) listen to."""
        return f"{self.action.value}:{self.outcome}" if self.outcome else self.action.value


OPEN = OPEN_STATUSES
TAKEN = (S.ACCEPTED, S.DISPATCHED, S.TRANSFERRED, S.JOINT, S.IN_PROGRESS)  # accepted, not yet handled
WORKED = (S.ACCEPTED, S.DISPATCHED, S.TRANSFERRED, S.JOINT, S.IN_PROGRESS, S.HANDLED, S.VERIFIED)
DESK = (R.OPERATOR, R.SUPERVISOR)  # the command center's desk
FIELD = (R.OFFICER, R.TEAM_LEADER)  # the team on the street
CHIEFS = (R.SUPERVISOR, R.LEADER)  # who may escalate, suspend, extend
MOVING = ("not_suspended",)

RULES: tuple[Rule, ...] = (
    # action                 from                      to              who                                          required                                   guards
    Rule(A.REPORT,            (),                       S.REPORTED,     (R.OPERATOR, R.OFFICER, R.TEAM_LEADER, R.SYSTEM), ("case_code", "township_code", "priority")),
    Rule(A.ACCEPT,            (S.REPORTED,),            S.ACCEPTED,     DESK,                                        ("decision",),                             (*MOVING, "decision_fits_case")),
    Rule(A.REJECT,            (S.REPORTED,),            S.REJECTED,     DESK,                                        ("reject_reason",),                        MOVING),
    Rule(A.DISPATCH,          (S.ACCEPTED, S.DISPATCHED), S.DISPATCHED, DESK,                                        ("team_code",),                            (*MOVING, "township_may_act", "team_changes")),
    Rule(A.TRANSFER,          (S.ACCEPTED,),            S.TRANSFERRED,  DESK,                                        ("department",),                           MOVING),
    Rule(A.DEPARTMENT_ANSWER, (S.TRANSFERRED,),         S.HANDLED,      (R.DEPARTMENT_LIAISON, R.OPERATOR),          ("outcome", "note"),                       MOVING, outcome="handled"),
    Rule(A.DEPARTMENT_ANSWER, (S.TRANSFERRED,),         S.ACCEPTED,     (R.DEPARTMENT_LIAISON, R.OPERATOR),          ("outcome", "note"),                       MOVING, outcome="returned"),
    Rule(A.WHISTLE,           (S.ACCEPTED, S.DISPATCHED), S.JOINT,      (*DESK, R.LEADER),                           ("lead_team_code", "departments"),         (*MOVING, "township_may_act")),
    Rule(A.ARRIVE,            (S.DISPATCHED, S.JOINT),  S.IN_PROGRESS,  FIELD,                                       (),                                        MOVING),
    Rule(A.FEEDBACK,          (S.IN_PROGRESS,),         S.HANDLED,      FIELD,                                       ("note", "evidence"),                      MOVING),
    Rule(A.VERIFY,            (S.HANDLED,),             S.VERIFIED,     DESK,                                        (),                                        MOVING),
    Rule(A.REWORK,            (S.HANDLED,),             S.DISPATCHED,   DESK,                                        ("reason",),                               (*MOVING, "team_known")),
    Rule(A.LEGAL_REVIEW,      (S.HANDLED, S.VERIFIED),  None,           (R.LEGAL_REVIEWER,),                         ("conclusion", "opinion"),                 MOVING),
    Rule(A.CLOSE,             (S.VERIFIED,),            S.CLOSED,       (*DESK, R.LEADER),                           (),                                        (*MOVING, "legal_review_if_major_penalty", "plan_steps_done")),
    Rule(A.ARCHIVE,           (S.CLOSED, S.REJECTED),   S.ARCHIVED,     (R.OPERATOR, R.SYSTEM),                      (),                                        ()),
    Rule(A.SUPERVISE,         OPEN,                     None,           (*CHIEFS, R.SYSTEM),                         ("level",),                                ()),
    Rule(A.REQUEST_EXTENSION, TAKEN,                    None,           (R.TEAM_LEADER, R.DEPARTMENT_LIAISON, R.OPERATOR), ("hours", "reason"),                 (*MOVING, "no_pending_extension")),
    Rule(A.APPROVE_EXTENSION, OPEN,                     None,           CHIEFS,                                      (),                                        ("extension_pending", "grant_within_request")),
    Rule(A.REFUSE_EXTENSION,  OPEN,                     None,           CHIEFS,                                      ("reason",),                               ("extension_pending",)),
    Rule(A.SUSPEND,           OPEN,                     None,           CHIEFS,                                      ("reason",),                               MOVING),
    Rule(A.RESUME,            OPEN,                     None,           (*CHIEFS, R.SYSTEM),                         (),                                        ("is_suspended",)),
    Rule(A.COMPLETE_STEP,     WORKED,                   None,           (*FIELD, R.OPERATOR, R.DEPARTMENT_LIAISON),  ("step",),                                 (*MOVING, "step_open", "step_evidence_attached")),
)
"""The table. Read it as: *action*, taken by one of *who* on a case in one of *from*, leads to *to*,
given the *required* payload fields and provided every *guard* holds."""


_BY_ACTION = {action: tuple(r for r in RULES if r.action is action) for action in Action}


def rules_for(action: Action | str) -> tuple[Rule, ...]:
    """The rows of one action (two for department_answer), in table order."""
    return _BY_ACTION.get(Action(action), ())


def actions_from(status: Status | None) -> tuple[Action, ...]:
    """Actions that some row allows from a status (``None``: a case not yet opened), in table order.

    >>> [a.value for a in actions_from(Status.CLOSED)]
    ['archive']
    """
    seen: list[Action] = []
    for rule in RULES:
        applies = (not rule.from_statuses) if status is None else status in rule.from_statuses
        if applies and rule.action not in seen:
            seen.append(rule.action)
    return tuple(seen)


def describe() -> str:
    """The table as Markdown, for reviews and the manual."""
    lines = ["| action | from | to | who | required | guards |", "|---|---|---|---|---|---|"]
    for r in RULES:
        action = r.key
        from_ = ", ".join(s.value for s in r.from_statuses) if r.from_statuses else "(new case)"
        if r.from_statuses == OPEN:
            from_ = "any open status"
        to = r.to_status.value if r.to_status else "(unchanged)"
        lines.append(f"| {action} | {from_} | {to} | {', '.join(a.value for a in r.actors)} | "
                     f"{', '.join(r.required) or '—'} | {', '.join(r.guards) or '—'} |")
    return "\n".join(lines)
