"""The payload of an accept step: authority decision, response plan and time limit, looked up together.

Acceptance (受理) is where the catalogue meets the case: the township's 事项清单 decides who acts
(:func:`cases.authority.decide`), the item's response plan (智能预案) brings its checklist, whistle list and
deadline overrides, and the item's ``time_limit_hours`` becomes the case's handling limit. All of it is
written into the accept event, so the case keeps what applied on the day it was accepted.

>>> from datetime import UTC, datetime
>>> from cases.authority import rows_from_records
>>> from cases.lifecycle import apply
>>> from cases.permissions import Actor
>>> from cases.states import Role
>>> op = Actor("op", Role.OPERATOR)
>>> t = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
>>> case, _ = apply(None, "report", op, {"case_code": "AJ-9", "township_code": "350212001", "priority": 2,
...                                       "item_code": "ZF015"}, t)
>>> rows = rows_from_records([{"township_code": "350212001", "item_code": "ZF015", "authority": "部门",
...                            "department": "公安"}])
>>> case, event = apply(case, "accept", op, prepare_acceptance(case, rows, time_limit_hours=4), t)
>>> case.decision.route.value, case.decision.department, event.payload["decision"]["basis"]
('transfer', '公安', '事项清单 350212001 × ZF015: 部门 (department) → 移送 公安')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cases.authority import AuthorityError, AuthorityIndex, AuthorityRow, decide
from cases.plans import ResponsePlan, plan_for
from cases.states import CaseState


def prepare_acceptance(state: CaseState, rows: AuthorityIndex | Iterable[AuthorityRow],
                       plans: Iterable[ResponsePlan] = (), *, item_code: str | None = None,
                       time_limit_hours: float | None = None, priority: int | None = None,
                       note: str | None = None) -> dict[str, Any]:
    """Build the accept payload for ``state``; ``item_code`` re-classifies the case (default: its own item).

    ``time_limit_hours`` and ``priority`` come from the catalogue (``items.csv``); without a limit the
    policy's per-priority default applies (:mod:`cases.deadlines`).
    """
    item = item_code or state.item_code
    if not item:
        raise AuthorityError(f"case {state.code} has no enforcement item yet: classify it (item_code) to accept it")
    plan = plan_for(item, plans)
    decision = decide(state.township_code, item, rows, plan)
    payload: dict[str, Any] = {"item_code": item, "decision": decision.to_payload()}
    if plan is not None:
        payload["plan"] = plan.to_payload()
    if time_limit_hours is not None:
        payload["time_limit_hours"] = time_limit_hours
    if priority is not None:
        payload["priority"] = priority
    if note:
        payload["note"] = note
    return payload
