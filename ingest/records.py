"""A record as read from a source, before any channel has made sense of it.

Readers (:mod:`ingest.tables` for CSV and Excel, :mod:`ingest.messages` for JSON) turn bytes into records:
the values under the names the source used (column headers, JSON keys; nested JSON objects flattened as
``location.lon``), where the record came from, and its raw form to keep. Channels look values up by
*aliases* — a 12345 export may call the same column 工单编号, 工单号 or 编号 — through :meth:`Record.lookup`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.fields import is_blank
from ingest.report import SourceRef


def field_key(name: Any) -> str:
    """How header names and JSON keys are compared: NFKC, no spaces, no required-marks, lower case.

    >>> field_key(" 工单编号* "), field_key("来电号码（必填）"), field_key("Reported_At")
    ('工单编号', '来电号码', 'reported_at')
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"\((?:必填|选填|可选)\)|[*＊\s]", "", text)
    return text.lower()


@dataclass
class Record:
    """One row or message: ``values`` by the source's own names, ``raw`` to keep, ``problem`` if unreadable.

    ``raw`` is the record in JSON types (what a report keeps); ``raw_bytes`` and ``content_type`` are what a
    quarantine keeps. A reader sets ``problem`` when the record cannot even be read (undecodable bytes, a
    JSON line that is not JSON); such a record is quarantined without asking the channel.
    """

    source: SourceRef
    values: dict[str, Any]
    raw: Any
    raw_bytes: bytes
    content_type: str
    problem: str | None = None
    _keys: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in self.values:
            self._keys.setdefault(field_key(name), name)

    def lookup(self, aliases: Iterable[str]) -> tuple[str | None, Any]:
        """(the name found, its value) for the first alias present with a value; else the first present."""
        present: tuple[str | None, Any] = (None, None)
        for alias in aliases:
            name = self._keys.get(field_key(alias))
            if name is None:
                continue
            value = self.values[name]
            if not is_blank(value):
                return name, value
            if present[0] is None:
                present = (name, value)
        return present


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``{"location": {"lon": 1}}`` → ``{"location.lon": 1}``); lists kept."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat.setdefault(name, value)
    return flat
