"""Who acts on an accepted case: the township's enforcement-items list (事项清单) decides.

Each township has one row per item (``authority.csv`` / ``store.models.ItemAuthority``):

- 法定 statutory, 赋权 empowered, 委托 entrusted → the township acts itself, under that kind of authority
  (委托: in the name of the entrusting department);
- 部门 → the matter stays with the named department: the case is transferred (移送) to it;
- when the item's response plan names departments to whistle (吹哨报到) and the township acts itself, the
  case becomes a joint action (联合执法) led by a township team.

The :class:`AuthorityDecision` carries its *basis* — the row it came from — and is recorded in the accept
event, so an auditor sees why a case was transferred or kept.

>>> rows = rows_from_records([{"township_code": "350212110", "item_code": "ZF017", "authority": "法定",
...                            "department": ""}])
>>> d = decide("350212110", "ZF017", rows)
>>> d.route.value, d.authority.value, d.basis
('act', '法定', '事项清单 350212110 × ZF017: 法定 (statutory)')
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cases.plans import ResponsePlan

DEPARTMENTS = ("综合执法", "市场监管", "自然资源", "公安", "司法", "应急管理")
"""The departments of the catalogue (``data.catalogue.DEPARTMENTS``; a test keeps the two equal)."""


class AuthorityError(ValueError):
    """The list has no usable row for a township and item; the message names both."""


class AuthorityType(StrEnum):
    STATUTORY = "法定"
    EMPOWERED = "赋权"
    ENTRUSTED = "委托"
    DEPARTMENT = "部门"

    @property
    def english(self) -> str:
        return {"法定": "statutory", "赋权": "empowered", "委托": "entrusted", "部门": "department"}[self.value]


class Route(StrEnum):
    """What acceptance leads to: the township acts, transfers to a department, or whistles a joint action."""

    ACT = "act"
    TRANSFER = "transfer"
    JOINT = "joint"


@dataclass(frozen=True)
class AuthorityRow:
    """One row of a township's 事项清单."""

    township_code: str
    item_code: str
    authority: AuthorityType
    department: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str = "authority row") -> AuthorityRow:
        """From a CSV row or a dict of ``ItemAuthority`` columns (blank department → None)."""
        missing = [k for k in ("township_code", "item_code", "authority") if not record.get(k)]
        if missing:
            raise AuthorityError(f"{where}: missing {', '.join(missing)}")
        label = f"{where} ({record['township_code']} × {record['item_code']})"
        try:
            authority = AuthorityType(str(record["authority"]).strip())
        except ValueError:
            raise AuthorityError(f"{label}: authority {record['authority']!r} is not one of "
                                 f"{', '.join(a.value for a in AuthorityType)}") from None
        department = (record.get("department") or "").strip() or None
        if authority is AuthorityType.DEPARTMENT and department not in DEPARTMENTS:
            raise AuthorityError(f"{label}: 部门 needs the department that keeps the item, one of "
                                 f"{', '.join(DEPARTMENTS)}; got {department!r}")
        if authority is not AuthorityType.DEPARTMENT and department:
            raise AuthorityError(f"{label}: department {department!r} given but the township acts itself ({authority})")
        return cls(str(record["township_code"]), str(record["item_code"]), authority, department)


AuthorityIndex = Mapping[tuple[str, str], AuthorityRow]


def rows_from_records(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], AuthorityRow]:
    """Index rows by (township_code, item_code); a duplicate pair is an error (the store forbids it too)."""
    index: dict[tuple[str, str], AuthorityRow] = {}
    for n, record in enumerate(records, start=1):
        row = AuthorityRow.from_record(record, where=f"authority row {n}")
        key = (row.township_code, row.item_code)
        if key in index:
            raise AuthorityError(f"authority row {n}: {key[0]} × {key[1]} listed twice")
        index[key] = row
    return index


def read_authority_csv(path: Path) -> dict[tuple[str, str], AuthorityRow]:
    """The ``authority.csv`` of a jurisdiction folder, indexed (township_code, item_code, authority, department)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return rows_from_records(csv.DictReader(handle))


@dataclass(frozen=True)
class AuthorityDecision:
    """The outcome of looking a case up in the list, with the row it rests on (``basis``)."""

    township_code: str
    item_code: str
    route: Route
    authority: AuthorityType
    basis: str
    department: str | None = None  # the department to transfer to (route transfer)
    whistle: tuple[str, ...] = ()  # departments to call (route joint)
    plan_code: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready, as recorded in the accept event."""
        return {"township_code": self.township_code, "item_code": self.item_code, "route": self.route.value,
                "authority": self.authority.value, "basis": self.basis, "department": self.department,
                "whistle": list(self.whistle), "plan_code": self.plan_code}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> AuthorityDecision:
        return cls(township_code=data["township_code"], item_code=data["item_code"], route=Route(data["route"]),
                   authority=AuthorityType(data["authority"]), basis=data["basis"],
                   department=data.get("department"), whistle=tuple(data.get("whistle") or ()),
                   plan_code=data.get("plan_code"))


def decide(township_code: str, item_code: str, rows: AuthorityIndex | Iterable[AuthorityRow],
           plan: ResponsePlan | None = None) -> AuthorityDecision:
    """Look the item up in the township's list and say who acts (see the module docstring).

    Raises
    ------
    AuthorityError
        When the township's list has no row for the item: the case cannot be routed automatically
        (reject it as ``not_enforcement_matter`` or complete the list).
    """
    row = _find(township_code, item_code, rows)
    basis = f"事项清单 {township_code} × {item_code}: {row.authority.value} ({row.authority.english})"
    plan_code = plan.code if plan is not None else None
    if row.authority is AuthorityType.DEPARTMENT:
        return AuthorityDecision(township_code, item_code, Route.TRANSFER, row.authority,
                                 basis + f" → 移送 {row.department}", department=row.department, plan_code=plan_code)
    if plan is not None and plan.whistle:
        return AuthorityDecision(township_code, item_code, Route.JOINT, row.authority,
                                 basis + f"; 预案 {plan.code} 吹哨 {'、'.join(plan.whistle)}",
                                 whistle=tuple(plan.whistle), plan_code=plan_code)
    return AuthorityDecision(township_code, item_code, Route.ACT, row.authority, basis, plan_code=plan_code)


def _find(township_code: str, item_code: str, rows: AuthorityIndex | Iterable[AuthorityRow]) -> AuthorityRow:
    if isinstance(rows, Mapping):
        row = rows.get((township_code, item_code))
    else:
        row = next((r for r in rows if r.township_code == township_code and r.item_code == item_code), None)
    if row is None:
        raise AuthorityError(f"事项清单 of township {township_code} has no row for item {item_code}: "
                             "the case cannot be routed; complete the list or reject the report")
    return row
