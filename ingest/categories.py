"""From a channel's category wording or code to our enforcement item: a table lookup, never a guess.

``data/sources/category_mappings.yaml`` holds one table per channel (its header explains the format). A
category the table does not know — or knows as "no enforcement item" — is not guessed from similar words:
the record is quarantined with ``unmapped category: …`` (or ``unknown channel code: …`` for a 12319 code that
is not in the code table) so that a person adds the line, and the record can be re-submitted.

>>> table = CategoryMap.load()
>>> table.item("hotline_12345", "城市管理-市容环境-占道经营")
'ZF001'
>>> table.item("hotline_12345", "宠物走失")
Traceback (most recent call last):
...
ingest.fields.Rejection: unmapped category: 宠物走失
>>> table.dcm_item("事件", "05", "04")
('ZF002', '事件 05-04 店外经营')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ingest.fields import Rejection

SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"
MAPPINGS_YAML = SOURCES / "category_mappings.yaml"
ITEMS_YAML = SOURCES / "items.yaml"

DCM_KINDS = ("部件", "事件")
_LEVELS = re.compile(r"\s*(?:->|→|[-/>＞|｜\\])\s*")


class CategoryMapError(ValueError):
    """The mapping file breaks a rule (an item code that does not exist, a malformed code); names the line."""


@dataclass(frozen=True)
class DcmCode:
    """One 12319 class code: 案件类型 (部件/事件), 大类, 小类, their names and our item (None: not ours)."""

    kind: str
    major: str
    minor: str
    major_name: str
    name: str
    item: str | None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.major}-{self.minor} {self.name}"


@dataclass(frozen=True)
class ChannelTable:
    """One channel's table: normalised wording → item code (None = known, no enforcement item)."""

    wording: Mapping[str, str | None] = field(default_factory=dict)
    accept_item_codes: bool = False
    accept_item_names: bool = False


class CategoryMap:
    """All channels' tables, checked against the items catalogue."""

    def __init__(self, tables: Mapping[str, ChannelTable], items: Mapping[str, str],
                 dcm_codes: Mapping[tuple[str, str, str], DcmCode] | None = None):
        self.tables = dict(tables)
        self.items = dict(items)  # code → name
        self.dcm_codes = dict(dcm_codes or {})
        self._names = {wording_key(name): code for code, name in self.items.items()}

    @classmethod
    def load(cls, path: Path = MAPPINGS_YAML, items_path: Path = ITEMS_YAML) -> CategoryMap:
        """The tables of ``path`` (YAML); every item code must exist in ``items_path``."""
        return _load(Path(path), Path(items_path))

    def with_wording(self, channel: str, wording: Mapping[str, Any], *, accept_item_codes: bool = True,
                     accept_item_names: bool = True) -> CategoryMap:
        """A copy where ``channel`` uses ``wording`` (e.g. from a generic CSV's own mapping file)."""
        table = ChannelTable(_wording(wording, self.items, f"{channel} mapping"), accept_item_codes,
                             accept_item_names)
        return CategoryMap({**self.tables, channel: table}, self.items, self.dcm_codes)

    def item(self, channel: str, category: str) -> str:
        """Our item code for ``category`` as ``channel`` writes it.

        Raises
        ------
        Rejection
            ``unmapped category: <category>`` when neither the whole text nor any of its levels is mapped.
        """
        table = self.tables.get(channel, ChannelTable())
        whole = wording_key(category)
        levels = [whole] + [wording_key(part) for part in reversed(_LEVELS.split(category)) if part.strip()]
        for key in dict.fromkeys(levels):
            if not key:
                continue
            if key in table.wording:
                found = table.wording[key]
                if found is None:
                    break
                return found
            if table.accept_item_codes and key.upper() in self.items:
                return key.upper()
            if table.accept_item_names and key in self._names:
                return self._names[key]
        raise Rejection(f"unmapped category: {category}")

    def dcm_item(self, kind: str, major: str, minor: str) -> tuple[str, str]:
        """(item code, readable label) of a 12319 class code.

        Raises
        ------
        Rejection
            ``unknown channel code: …`` for a code that is not in the code table; ``unmapped category: …``
            for a known code whose problem is no enforcement item.
        """
        code = self.dcm_codes.get((kind, major, minor))
        if code is None:
            major_name = next((c.major_name for c in self.dcm_codes.values() if (c.kind, c.major) == (kind, major)),
                              None)
            where = f"大类 {major} {major_name} has no 小类 {minor}" if major_name else f"no 大类 {major}"
            raise Rejection(f"unknown channel code: {kind} {major}-{minor} ({where} in the 12319 code table)")
        if code.item is None:
            raise Rejection(f"unmapped category: {code.label} (no enforcement item in category_mappings.yaml)")
        return code.item, code.label


def wording_key(text: str) -> str:
    """How wording is compared: NFKC (full-width → half-width), no spaces, ASCII lower-cased."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=4)
def default_map() -> CategoryMap:
    """The map of the repository's own files, read once."""
    return CategoryMap.load()


@lru_cache(maxsize=4)
def _load(path: Path, items_path: Path) -> CategoryMap:
    items_doc = yaml.safe_load(items_path.read_text(encoding="utf-8")) or {}
    items = {str(item["code"]): str(item["name"]) for item in items_doc.get("items") or []}
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise CategoryMapError(f"{path.name}: expected one table per channel, found {type(document).__name__}")
    tables: dict[str, ChannelTable] = {}
    dcm: dict[tuple[str, str, str], DcmCode] = {}
    for channel, section in document.items():
        section = section or {}
        if any(kind in section for kind in DCM_KINDS):
            dcm.update(_dcm_codes(section, items, f"{path.name} {channel}"))
            continue
        unknown = set(section) - {"wording", "accept_item_codes", "accept_item_names"}
        if unknown:
            raise CategoryMapError(f"{path.name} {channel}: unknown keys {sorted(unknown)}")
        tables[str(channel)] = ChannelTable(
            _wording(section.get("wording") or {}, items, f"{path.name} {channel}"),
            bool(section.get("accept_item_codes")), bool(section.get("accept_item_names")),
        )
    return CategoryMap(tables, items, dcm)


def _wording(wording: Mapping[str, Any], items: Mapping[str, str], where: str) -> dict[str, str | None]:
    table: dict[str, str | None] = {}
    for text, code in wording.items():
        if code is not None and str(code) not in items:
            raise CategoryMapError(f"{where}: {text!r} maps to {code!r}, which is not an item of items.yaml")
        key = wording_key(str(text))
        if key in table and table[key] != code:
            raise CategoryMapError(f"{where}: {text!r} is mapped twice, to {table[key]!r} and {code!r}")
        table[key] = None if code is None else str(code)
    return table


def _dcm_codes(section: Mapping[str, Any], items: Mapping[str, str], where: str) -> dict[tuple[str, str, str], DcmCode]:
    codes: dict[tuple[str, str, str], DcmCode] = {}
    for kind, majors in section.items():
        if kind not in DCM_KINDS:
            raise CategoryMapError(f"{where}: {kind!r} is neither 部件 nor 事件")
        for major, entry in (majors or {}).items():
            if not re.fullmatch(r"\d{2}", str(major)):
                raise CategoryMapError(f"{where} {kind}: 大类 {major!r} is not two digits (quote it: \"01\")")
            for minor, sub in (entry.get("小类") or {}).items():
                if not re.fullmatch(r"\d{2}", str(minor)):
                    raise CategoryMapError(f"{where} {kind} {major}: 小类 {minor!r} is not two digits")
                item = sub.get("item")
                if item is not None and item not in items:
                    raise CategoryMapError(f"{where} {kind} {major}-{minor}: {item!r} is not an item of items.yaml")
                codes[(kind, str(major), str(minor))] = DcmCode(kind, str(major), str(minor), str(entry["name"]),
                                                                str(sub["name"]), item)
    return codes
