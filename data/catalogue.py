"""The enforcement-items catalogue (事项清单): what each township acts on itself and what a department keeps.

``data/sources/items.yaml`` is written by hand; this module checks it and expands it into the two tables of
a jurisdiction folder: ``items.csv`` (one row per violation category) and ``authority.csv`` (one row per
township and item: 法定 statutory, 赋权 empowered, 委托 entrusted, or 部门 with the department that keeps it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

ITEMS_YAML = Path(__file__).resolve().parent / "sources" / "items.yaml"
ITEM_COLUMNS = ["code", "name", "name_en", "domain", "default_priority", "time_limit_hours", "legal_basis"]
AUTHORITY_COLUMNS = ["township_code", "item_code", "authority", "department"]
AUTHORITIES = ("法定", "赋权", "委托", "部门")
DEPARTMENTS = ("综合执法", "市场监管", "自然资源", "公安", "司法", "应急管理")


class CatalogueError(ValueError):
    """The hand-written catalogue breaks a rule; the message names the item."""


def load_catalogue(path: Path = ITEMS_YAML) -> tuple[list[dict], set[str]]:
    """The items of the catalogue, checked, and the codes of the pilot towns."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = document.get("items") or []
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        label = f"{path.name} item {n} ({item.get('code', '?')} {item.get('name', '?')})"
        missing = [key for key in [*ITEM_COLUMNS, "owner", "authority"] if key not in item]
        if missing:
            raise CatalogueError(f"{label}: missing {', '.join(missing)}")
        if item["code"] in seen:
            raise CatalogueError(f"{label}: duplicate code")
        seen.add(item["code"])
        if item["default_priority"] not in (1, 2, 3):
            raise CatalogueError(f"{label}: default_priority must be 1, 2 or 3")
        if not 0 < item["time_limit_hours"] <= 720:
            raise CatalogueError(f"{label}: time_limit_hours must be between 1 and 720")
        if item["owner"] not in DEPARTMENTS:
            raise CatalogueError(f"{label}: owner {item['owner']!r} is not one of {DEPARTMENTS}")
        for kind in ("街道", "镇"):
            if item["authority"].get(kind) not in AUTHORITIES:
                raise CatalogueError(f"{label}: authority for {kind} must be one of {AUTHORITIES}")
        if item["authority"].get("试点镇", "法定") not in AUTHORITIES:
            raise CatalogueError(f"{label}: authority for 试点镇 must be one of {AUTHORITIES}")
    return items, {str(code) for code in document.get("pilot_towns") or []}


def items_table(items: list[dict]) -> pd.DataFrame:
    """``items.csv``: code, name, name_en, domain, default_priority, time_limit_hours, legal_basis."""
    return pd.DataFrame([{key: item[key] for key in ITEM_COLUMNS} for item in items], columns=ITEM_COLUMNS)


def authority_table(items: list[dict], townships: pd.DataFrame, pilot_towns: set[str]) -> pd.DataFrame:
    """``authority.csv``: for every township (columns ``code``, ``kind``) and item, who acts on it."""
    rows = []
    for town in townships.sort_values("code").itertuples():
        for item in items:
            rules = item["authority"]
            authority = rules.get("试点镇", rules["镇"]) if town.code in pilot_towns else rules[town.kind]
            rows.append({"township_code": town.code, "item_code": item["code"], "authority": authority,
                         "department": item["owner"] if authority == "部门" else ""})
    return pd.DataFrame(rows, columns=AUTHORITY_COLUMNS)
