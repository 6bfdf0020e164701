"""Response plans (智能预案): what to do, step by step, for a category of violation.

A plan is written by the command center in ``data/sources/response_plans.yaml`` — configuration, not code.
It names the items (categories) it covers, the checklist steps with the evidence each needs, the
departments to whistle (吹哨报到) and deadline overrides. When a case of one of those items is accepted, the
plan is copied *into the accept event* (:func:`ResponsePlan.to_payload`): later edits of the YAML change
new cases only, and replaying an old trail never depends on today's file.

>>> plan = parse_plans({"plans": [{"code": "YA-T", "name": "示例", "name_en": "Example", "items": ["ZF001"],
...     "steps": [{"id": "photo", "name": "拍照", "name_en": "Photograph", "evidence": ["现场照片"]}]}]})[0]
>>> plan.steps[0].required, plan.steps[0].evidence
(True, ('现场照片',))
>>> parse_plans({"plans": [{"code": "YA-T", "name": "示例", "items": ["ZF001"], "steps": []}]})
Traceback (most recent call last):
...
cases.plans.PlanError: response plans plan 1 (YA-T 示例): missing name_en
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cases.authority import DEPARTMENTS

PLANS_YAML = Path(__file__).resolve().parents[1] / "data" / "sources" / "response_plans.yaml"
OVERRIDABLE_STEPS = ("dispatch", "arrive", "handle", "verify")
"""Clocks a plan may shorten or lengthen (``<step>_hours``); the accept clock runs before any plan applies."""

_PLAN_KEYS = {"code", "name", "name_en", "items", "steps", "whistle", "deadlines", "note"}
_STEP_KEYS = {"id", "name", "name_en", "required", "evidence"}
_STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ITEM_CODE = re.compile(r"^[A-Z]{2}\d{3}$")


class PlanError(ValueError):
    """A response plan breaks a rule; the message names the plan and the field."""


@dataclass(frozen=True)
class PlanStep:
    """One checklist step; ``evidence`` lists what must be attached when it is completed."""

    id: str
    name: str
    name_en: str
    required: bool = True
    evidence: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "required": self.required,
                "evidence": list(self.evidence)}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> PlanStep:
        return cls(id=data["id"], name=data["name"], name_en=data["name_en"], required=bool(data["required"]),
                   evidence=tuple(data.get("evidence") or ()))


@dataclass(frozen=True)
class ResponsePlan:
    """An editable plan for the items it lists (see the module docstring)."""

    code: str
    name: str
    name_en: str
    items: tuple[str, ...]
    steps: tuple[PlanStep, ...]
    whistle: tuple[str, ...] = ()
    deadlines: tuple[tuple[str, float], ...] = ()  # (step, hours)

    def to_payload(self) -> dict[str, Any]:
        """The snapshot recorded in the accept event."""
        return {"code": self.code, "name": self.name, "name_en": self.name_en, "items": list(self.items),
                "steps": [s.to_payload() for s in self.steps], "whistle": list(self.whistle),
                "deadlines": {step: hours for step, hours in self.deadlines}}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> ResponsePlan:
        return cls(code=data["code"], name=data["name"], name_en=data["name_en"], items=tuple(data["items"]),
                   steps=tuple(PlanStep.from_payload(s) for s in data["steps"]),
                   whistle=tuple(data.get("whistle") or ()),
                   deadlines=tuple((k, float(v)) for k, v in (data.get("deadlines") or {}).items()))


def load_plans(path: Path = PLANS_YAML, known_items: Iterable[str] | None = None) -> tuple[ResponsePlan, ...]:
    """Read and check the plans file; ``known_items`` (the catalogue's codes) catches misspelt item codes."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanError(f"{path.name}: not valid YAML ({exc})") from exc
    return parse_plans(document, source=path.name, known_items=known_items)


def parse_plans(document: Any, source: str = "response plans",
                known_items: Iterable[str] | None = None) -> tuple[ResponsePlan, ...]:
    """Check a parsed plans document and build the plans; every problem names the plan and the field."""
    if not isinstance(document, Mapping) or not isinstance(document.get("plans"), list):
        raise PlanError(f"{source}: expected a mapping with a list under 'plans'")
    known = set(known_items) if known_items is not None else None
    plans: list[ResponsePlan] = []
    owner_of_item: dict[str, str] = {}
    for n, raw in enumerate(document["plans"], start=1):
        if not isinstance(raw, Mapping):
            raise PlanError(f"{source} plan {n}: expected a mapping, got {type(raw).__name__}")
        label = f"{source} plan {n} ({raw.get('code', '?')} {raw.get('name', '?')})"
        plan = _parse_plan(raw, label, known)
        if any(p.code == plan.code for p in plans):
            raise PlanError(f"{label}: code: duplicate plan code {plan.code!r}")
        for item in plan.items:
            if item in owner_of_item:
                raise PlanError(f"{label}: items: {item} is already covered by plan {owner_of_item[item]}")
            owner_of_item[item] = plan.code
        plans.append(plan)
    return tuple(plans)


def plan_for(item_code: str | None, plans: Iterable[ResponsePlan]) -> ResponsePlan | None:
    """The plan that covers an item, if any.

    >>> plan_for("ZF001", ()) is None
    True
    """
    return next((p for p in plans if item_code in p.items), None)


def _parse_plan(raw: Mapping[str, Any], label: str, known_items: set[str] | None) -> ResponsePlan:
    unknown = sorted(set(raw) - _PLAN_KEYS)  # first: a stray comma in a flow mapping shows up here
    if unknown:
        raise PlanError(f"{label}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_PLAN_KEYS))}")
    missing = [k for k in ("code", "name", "name_en", "items", "steps") if k not in raw]
    if missing:
        raise PlanError(f"{label}: missing {', '.join(missing)}")
    for key in ("code", "name", "name_en"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise PlanError(f"{label}: {key}: must be a non-empty text")
    items = raw["items"]
    if not isinstance(items, list) or not items:
        raise PlanError(f"{label}: items: must be a non-empty list of item codes")
    for item in items:
        if not isinstance(item, str) or not _ITEM_CODE.match(item):
            raise PlanError(f"{label}: items: {item!r} is not an item code like ZF020")
        if known_items is not None and item not in known_items:
            raise PlanError(f"{label}: items: {item} is not in the enforcement-items catalogue")
    whistle = raw.get("whistle") or []
    if not isinstance(whistle, list):
        raise PlanError(f"{label}: whistle: must be a list of departments")
    for department in whistle:
        if department not in DEPARTMENTS:
            raise PlanError(f"{label}: whistle: {department!r} is not a department; known: {', '.join(DEPARTMENTS)}")
    if len(set(whistle)) != len(whistle):
        raise PlanError(f"{label}: whistle: a department is listed twice")
    deadlines = raw.get("deadlines") or {}
    if not isinstance(deadlines, Mapping):
        raise PlanError(f"{label}: deadlines: must be a mapping like {{handle_hours: 12}}")
    overrides: list[tuple[str, float]] = []
    for key, hours in deadlines.items():
        step = str(key).removesuffix("_hours")
        if not str(key).endswith("_hours") or step not in OVERRIDABLE_STEPS:
            allowed = ", ".join(f"{s}_hours" for s in OVERRIDABLE_STEPS)
            raise PlanError(f"{label}: deadlines: unknown key {key!r}; allowed: {allowed}")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 720:
            raise PlanError(f"{label}: deadlines.{key}: must be a number of hours between 0 and 720, got {hours!r}")
        overrides.append((step, float(hours)))
    steps = raw["steps"]
    if not isinstance(steps, list) or not steps:
        raise PlanError(f"{label}: steps: must be a non-empty list")
    parsed = tuple(_parse_step(s, f"{label}: steps[{i}]") for i, s in enumerate(steps))
    ids = [s.id for s in parsed]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise PlanError(f"{label}: steps: duplicate step id(s) {', '.join(duplicated)}")
    return ResponsePlan(code=raw["code"], name=raw["name"], name_en=raw["name_en"], items=tuple(items),
                        steps=parsed, whistle=tuple(whistle), deadlines=tuple(overrides))


def _parse_step(raw: Any, label: str) -> PlanStep:
    if not isinstance(raw, Mapping):
        raise PlanError(f"{label}: expected a mapping with id, name, name_en")
    unknown = sorted(set(raw) - _STEP_KEYS)
    if unknown:
        raise PlanError(f"{label}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_STEP_KEYS))}")
    missing = [k for k in ("id", "name", "name_en") if k not in raw]
    if missing:
        raise PlanError(f"{label}: missing {', '.join(missing)}")
    if not isinstance(raw["id"], str) or not _STEP_ID.match(raw["id"]):
        raise PlanError(f"{label}.id: {raw['id']!r} must be lower-case letters, digits and _ (e.g. secure_site)")
    for key in ("name", "name_en"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise PlanError(f"{label}.{key}: must be a non-empty text")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise PlanError(f"{label}.required: must be true or false, got {required!r}")
    evidence = raw.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, str) and e.strip() for e in evidence):
        raise PlanError(f"{label}.evidence: must be a list of evidence names (e.g. [现场照片])")
    return PlanStep(id=raw["id"], name=raw["name"], name_en=raw["name_en"], required=required,
                    evidence=tuple(evidence))
