"""Rebuild a case from its audit trail: ``replay(events) -> CaseState``.

The trail is the truth (全过程记录); the ``cases`` row of the store is a cache of ``replay(trail)``. Replay
takes every step again through the same rule table, so a trail that skips a step, breaks a guard, carries a
role the table does not allow, or whose recorded statuses disagree with the table, is refused with the
sequence number at fault. Scopes (township, team) are not re-checked: they held when the step was taken,
and people change teams afterwards.

>>> replay([])
Traceback (most recent call last):
...
cases.replay.ReplayError: an empty trail: a case starts with a report event
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.events import Event
from cases.lifecycle import TransitionRefused, check_role, select_rule, take
from cases.states import CaseState


class ReplayError(ValueError):
    """The trail cannot be replayed; the message names the case and the event (seq)."""


def replay(events: Iterable[Event], start: CaseState | None = None) -> CaseState:
    """The state a case reaches by taking its recorded steps in order (sorted by ``seq``).

    With ``start`` the events continue from that state (the next one must be ``start.seq + 1``):
    ``replay(later, start=replay(earlier)) == replay(earlier + later)``. The store can so bring a cached
    case up to date with the events appended since, checked by the same rules.
    """
    ordered = sorted(events, key=lambda e: e.seq)
    if not ordered:
        if start is not None:
            return start
        raise ReplayError("an empty trail: a case starts with a report event")
    state: CaseState | None = start
    for expected_seq, event in enumerate(ordered, start=start.seq + 1 if start is not None else 1):
        where = f"case {event.case_code} event #{event.seq} ({event.action})"
        if event.seq != expected_seq:
            raise ReplayError(f"{where}: expected event #{expected_seq}; the trail has a gap or a duplicate")
        if state is not None and event.case_code != state.code:
            raise ReplayError(f"{where}: belongs to another case than {state.code}")
        try:
            payload = event.action_payload()
            rule = select_rule(state, event.action, payload)
            check_role(rule, event.role, state)
            state, again = take(state, rule, event.actor, event.role, payload, event.at)
        except TransitionRefused as exc:
            raise ReplayError(f"{where}: {exc}") from exc
        if (again.from_status, again.to_status) != (event.from_status, event.to_status):
            raise ReplayError(f"{where}: recorded {event.from_status} → {event.to_status}, "
                              f"the rules give {again.from_status} → {again.to_status}")
    assert state is not None
    return state
