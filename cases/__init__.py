"""The closed loop of a case (上报—受理派遣—调查处置—监督考核—结案归档) as plain data and pure functions.

No web framework, cache or database here: the store persists states and events, the dashboard shows them.

- :mod:`cases.rules` — THE rule table: every legal transition, who may take it, what it needs;
- :mod:`cases.lifecycle` — ``apply(state, action, actor, payload, at) -> (state, event)``;
- :mod:`cases.permissions` — actors and their scope (township, team, department);
- :mod:`cases.events`, :mod:`cases.replay` — the audit trail and rebuilding a case from it;
- :mod:`cases.deadlines`, :mod:`cases.calendar` — step clocks, working days, traffic lights, overdue;
- :mod:`cases.authority`, :mod:`cases.acceptance` — the 事项清单 decision on acceptance;
- :mod:`cases.plans` — response plans (智能预案).

Notes
-----
What a store adapter needs (``store.models``):

- ``case_events`` rows are :meth:`Event.to_record`; beside today's columns they need ``role``,
  ``client_address`` and ``payload`` (JSON). Append with ``seq = state.seq + 1``: the unique
  (case_id, seq) makes two people moving one case at once a conflict, not a fork;
- the ``cases`` row caches the state: status, item_code, priority, current_team_code (``team_code``),
  supervised, suspended, closed_at, and ``deadline_at`` = :func:`cases.deadlines.due_at` recomputed after
  every event (None while suspended). The rest is rebuilt with :func:`replay`, or brought up to date with
  ``replay(new_events, start=cached_state)``;
- an :class:`Actor` comes from a user: role and township from ``users``; the teams an officer or team
  leader acts for and a liaison's department are not in ``users`` yet. ``legal_reviewer`` (法制审核员) is
  a role beside those of the brief.
"""

from cases.acceptance import prepare_acceptance
from cases.authority import AuthorityDecision, AuthorityError, AuthorityRow, AuthorityType, Route, decide
from cases.calendar import WorkCalendar, load_calendar
from cases.deadlines import DEFAULT_POLICY, Clock, DeadlinePolicy, Light, clocks, due_at, light, overdue
from cases.events import Event
from cases.lifecycle import TransitionRefused, apply
from cases.permissions import SYSTEM, Actor
from cases.plans import PlanError, ResponsePlan, load_plans, plan_for
from cases.replay import ReplayError, replay
from cases.rules import RULES, Rule, describe
from cases.states import Action, CaseState, Role, Status

__all__ = [
    "DEFAULT_POLICY", "RULES", "SYSTEM", "Action", "Actor", "AuthorityDecision", "AuthorityError", "AuthorityRow",
    "AuthorityType", "CaseState", "Clock", "DeadlinePolicy", "Event", "Light", "PlanError", "ReplayError",
    "ResponsePlan", "Role", "Route", "Rule", "Status", "TransitionRefused", "WorkCalendar", "apply", "clocks",
    "decide", "describe", "due_at", "light", "load_calendar", "load_plans", "overdue", "plan_for",
    "prepare_acceptance", "replay",
]
