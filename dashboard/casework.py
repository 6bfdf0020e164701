"""The case pages' side of the case service: one service per store and process, and a case opened only
within the signed-in user's scope.

The case page (``/cases/<id>``) and the officer's phone page (``/m``) both act on cases through
:class:`store.casework.CaseService`; sharing one service per store lets them share its state cache, and
sharing :func:`open_or_403` keeps one scope rule for both.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from cases.permissions import Actor, scope_problem
from cases.states import CaseState
from dashboard import access
from store import InvalidData, NotFound
from store.case_queue import case_summary, product_policy
from store.casework import CaseService
from store.store import Store

_lock = threading.Lock()
_services: weakref.WeakKeyDictionary[Store, CaseService] = weakref.WeakKeyDictionary()


def case_service(store: Store) -> CaseService:
    """The process's case service for ``store`` (its state cache is shared by every page view)."""
    with _lock:
        service = _services.get(store)
        if service is None:
            service = _services[store] = CaseService(store, policy=product_policy())
        return service


def case_id_of(value: Any) -> int:
    """The case id from the URL or a callback (:class:`InvalidData` for anything but a positive integer)."""
    try:
        case_id = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidData(f"case id {str(value)[:40]!r} is not a number") from None
    if case_id <= 0:
        raise InvalidData(f"case id {case_id} is not a case id")
    return case_id


def open_case(actor: Actor, store: Store, case_id: int) -> tuple[dict[str, Any], CaseState]:
    """The case's row and state for ``actor``: :class:`NotFound`, or :class:`dashboard.access.NotAllowed`
    when the case is outside their scope (township first, then team or department)."""
    summary = case_summary(store, case_id)
    if not access.in_scope(actor, summary["township_code"]):
        raise access.NotAllowed(f"无权访问 · outside township: {actor.label} works in township "
                                f"{actor.township_code}, case {case_id} is not in it")
    state = case_service(store).state(case_id)
    problem = scope_problem(actor, state, {})
    if problem:  # the rule's first words only: whose case it is stays unsaid to someone outside it
        raise access.NotAllowed(f"无权访问 · {problem.split(':')[0]}: {actor.label}, case {case_id}")
    return summary, state


def case_id_or_403(value: Any) -> int:
    """:func:`case_id_of` for a callback: anything but a case id is refused (403)."""
    try:
        return case_id_of(value)
    except InvalidData as exc:
        raise access.NotAllowed(f"无权访问 · {exc}") from None


def open_or_403(actor: Actor, store: Store, case_id: int) -> tuple[dict[str, Any], CaseState]:
    """:func:`open_case` for a callback: a missing case is refused like one outside the scope (403)."""
    try:
        return open_case(actor, store, case_id)
    except NotFound:
        raise access.NotAllowed(f"无权访问 · no case with id {case_id}") from None
