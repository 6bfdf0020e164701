"""One entry of the audit trail (全过程记录): who did what to a case, when, from where, with what evidence.

Events are appended, never rewritten (the store refuses UPDATE and DELETE on ``case_events``). An event
holds everything needed to take the step again — :func:`cases.replay.replay` rebuilds a case from its
events alone.

``note``, ``evidence`` and ``client_address`` travel in the payload given to :func:`cases.lifecycle.apply`
and are lifted into their own fields here; ``payload`` keeps the action's other fields (the authority
decision, the team, the extension hours …), JSON-ready.

>>> from datetime import UTC, datetime
>>> e = Event("AJ-1", 1, datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "op", Role.OPERATOR, Action.REPORT, None,
...           Status.REPORTED, payload={"case_code": "AJ-1"})
>>> Event.from_record(e.to_record()) == e
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cases.states import Action, Role, Status

LIFTED = ("note", "evidence", "client_address")
"""Payload keys that become fields of the event rather than staying in ``payload``."""


@dataclass(frozen=True)
class Event:
    """A step of one case (see the module docstring). ``to_status`` equals ``from_status`` for flag actions."""

    case_code: str
    seq: int
    at: datetime
    actor: str
    role: Role
    action: Action
    from_status: Status | None
    to_status: Status
    note: str | None = None
    evidence: tuple[str, ...] = ()
    client_address: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def action_payload(self) -> dict[str, Any]:
        """The payload as it was given to ``apply`` (lifted fields put back), for replaying the step."""
        merged = dict(self.payload)
        if self.note is not None:
            merged["note"] = self.note
        if self.evidence:
            merged["evidence"] = list(self.evidence)
        if self.client_address is not None:
            merged["client_address"] = self.client_address
        return merged

    def to_record(self) -> dict[str, Any]:
        """JSON-ready columns: ``at`` as ISO 8601 with offset, enums as their values.

        ``store.models.CaseEvent`` has seq, at, actor, action, from_status, to_status, note and evidence;
        ``role``, ``client_address`` and ``payload`` need columns there too (see :mod:`cases`, Notes).
        """
        return {"case_code": self.case_code, "seq": self.seq, "at": self.at.isoformat(), "actor": self.actor,
                "role": self.role.value, "action": self.action.value,
                "from_status": self.from_status.value if self.from_status else None,
                "to_status": self.to_status.value, "note": self.note, "evidence": list(self.evidence),
                "client_address": self.client_address, "payload": dict(self.payload)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Event:
        """From :meth:`to_record` output or a row of the store (``at`` may already be a datetime)."""
        at = record["at"]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:
            raise ValueError(f"event {record.get('case_code')}#{record.get('seq')}: time {at} has no time zone")
        return cls(case_code=record["case_code"], seq=int(record["seq"]), at=at, actor=record["actor"],
                   role=Role(record["role"]), action=Action(record["action"]),
                   from_status=Status(record["from_status"]) if record.get("from_status") else None,
                   to_status=Status(record["to_status"]), note=record.get("note"),
                   evidence=tuple(record.get("evidence") or ()), client_address=record.get("client_address"),
                   payload=dict(record.get("payload") or {}))
