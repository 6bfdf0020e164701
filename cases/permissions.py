"""Who is acting, and on which cases they may act at all (scope).

The rule table (:mod:`cases.rules`) says which *roles* may take an action; this module adds the scope that
holds for every action:

- a township user (``township_code`` set) acts only on cases of that township — an operator of 五显镇 cannot
  touch a 大同街道 case; district users (``township_code`` None) act everywhere;
- officers and team leaders act only on cases their team has: the dispatched team, or the lead or a
  participating team of a joint action. ``teams`` lists the teams a person acts for (a squad leader's own
  squad and its sub-squads — the store resolves the hierarchy);
- a department liaison acts only on cases transferred to their department or whistled to it.

>>> op = Actor("op-wx", Role.OPERATOR, township_code="350212110")
>>> scope_problem(op, None, {"township_code": "350212001"})
'outside township: op-wx (operator) works in township 350212110, the case is in 350212001'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cases.states import CaseState, Role

TEAM_ROLES = (Role.OFFICER, Role.TEAM_LEADER)


@dataclass(frozen=True)
class Actor:
    """A signed-in person or the system. ``id`` is what the audit trail records (username or officer code)."""

    id: str
    role: Role
    township_code: str | None = None
    teams: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "teams", frozenset(self.teams))
        if not self.id:
            raise ValueError("an actor needs an id (username or officer code) for the audit trail")
        if self.role in TEAM_ROLES and not self.teams:
            raise ValueError(f"actor {self.id}: a {self.role.value} must belong to a team (teams is empty)")
        if self.role is Role.DEPARTMENT_LIAISON and not self.department:
            raise ValueError(f"actor {self.id}: a department_liaison must name their department")

    @property
    def label(self) -> str:
        return f"{self.id} ({self.role.value})"


SYSTEM = Actor("system", Role.SYSTEM)
"""The product itself: automatic supervision and archiving."""


def case_teams(state: CaseState) -> frozenset[str]:
    """Teams that have the case: the dispatched or lead team and the teams of a joint action."""
    return frozenset(t for t in (state.team_code, *state.joint_teams) if t)


def case_departments(state: CaseState) -> frozenset[str]:
    """Departments that have the case: transferred to, or whistled."""
    return frozenset(d for d in (state.department, *state.joint_departments) if d)


def scope_problem(actor: Actor, state: CaseState | None, payload: Mapping[str, Any]) -> str | None:
    """Why ``actor`` may not act on this case at all, or None when the case is within their scope.

    ``state`` is None for a report that opens a case: its township is then ``payload["township_code"]``.
    """
    township = state.township_code if state is not None else payload.get("township_code")
    if actor.township_code and township != actor.township_code:
        return (f"outside township: {actor.label} works in township {actor.township_code}, "
                f"the case is in {township}")
    if state is None:
        return None
    if actor.role in TEAM_ROLES and not actor.teams & case_teams(state):
        having = ", ".join(sorted(case_teams(state))) or "no team yet"
        return (f"not your team's case: {actor.label} acts for {', '.join(sorted(actor.teams))}; "
                f"case {state.code} is with {having}")
    if actor.role is Role.DEPARTMENT_LIAISON and actor.department not in case_departments(state):
        having = ", ".join(sorted(case_departments(state))) or "no department"
        return (f"not your department's case: {actor.label} represents {actor.department}; "
                f"case {state.code} is with {having}")
    return None
