"""Reading single values of a record: ids, text, priority, media links, grid codes.

Spreadsheets and JSON hand the same field over in many shapes — an id typed as a number (``2.0261103e+13``
in a numeric cell), a priority as ``特急`` or ``1`` or ``true``, photo links as a list or a ``;``-separated
string. These helpers turn each shape into one, or raise :class:`Rejection` whose message becomes the
quarantine reason. Optional fields never reject a record: what cannot be used is left out and a note says so.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from ingest.payload import clean_text

MAX_ID_CHARS = 64

PRIORITY_WORDS: dict[str, int] = {
    # 12345 and 12319 write three levels: 特急 (at once), 紧急 (today), 一般 (within the time limit)
    "特急": 1, "特别紧急": 1, "非常紧急": 1, "十万火急": 1, "立即": 1, "i级": 1, "一级": 1, "1级": 1,
    "紧急": 2, "加急": 2, "较急": 2, "急": 2, "较紧急": 2, "ii级": 2, "二级": 2, "2级": 2,
    "一般": 3, "普通": 3, "正常": 3, "不急": 3, "常规": 3, "iii级": 3, "三级": 3, "3级": 3,
    "urgent": 1, "high": 1, "medium": 2, "normal": 3, "low": 3,
}

_URL = re.compile(r"^(?:https?://\S+|/\S+)$", re.IGNORECASE)
_MEDIA_SPLIT = re.compile(r"[\s;,；，|]+")


class Rejection(ValueError):
    """Why a record cannot become a report; the message is the quarantine reason, word for word."""


def is_blank(value: Any) -> bool:
    """None, NaN, or text of only spaces."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def text(value: Any) -> str | None:
    """Trimmed text, or None when blank. Integral numbers lose the ``.0`` a spreadsheet gave them."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    if isinstance(value, dict | list):
        return None
    result = clean_text(str(value)).strip()
    return result or None


def identifier(value: Any, label: str) -> str:
    """A record id (工单编号, 案卷号, message id): required, one line, at most ``MAX_ID_CHARS``."""
    ident = text(value)
    if ident is None:
        raise Rejection(f"missing required field {label}")
    ident = " ".join(unicodedata.normalize("NFKC", ident).split())
    if len(ident) > MAX_ID_CHARS:
        raise Rejection(f"{label} is {len(ident)} characters long, more than {MAX_ID_CHARS}: not an id")
    if re.fullmatch(r"\d(?:\.\d+)?[eE]\+\d+", ident):
        raise Rejection(f'{label} "{ident}" was mangled by a spreadsheet (scientific notation): the digits are lost')
    return ident


def priority(value: Any) -> tuple[int | None, str | None]:
    """(1..3 or None, a note when the wording is not known). Booleans mean 'urgent' or 'not said'."""
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return (1 if value else None), None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value in (1, 2, 3):
            return int(value), None
        return None, f"priority {value!r} is not 1–3: the item's default applies"
    word = unicodedata.normalize("NFKC", str(value)).strip().lower().replace(" ", "")
    if word in {"1", "2", "3"}:
        return int(word), None
    if word in PRIORITY_WORDS:
        return PRIORITY_WORDS[word], None
    if word in {"true", "是", "yes"}:
        return 1, None
    if word in {"false", "否", "no"}:
        return None, None
    return None, f'priority "{text(value)}" is not a known wording: the item\'s default applies'


def media_links(value: Any) -> tuple[tuple[str, ...], list[str]]:
    """(links, notes): http(s) URLs or absolute paths, from a list or a separated string."""
    if is_blank(value):
        return (), []
    items: list[Any] = value if isinstance(value, list) else _MEDIA_SPLIT.split(str(value))
    links: list[str] = []
    notes: list[str] = []
    for item in items:
        if isinstance(item, dict):  # {"url": ..., "type": "image"} as some apps send
            item = item.get("url") or item.get("href") or item.get("src")
        link = text(item)
        if link is None:
            continue
        if _URL.match(link):
            if link not in links:
                links.append(link)
        else:
            notes.append(f'media entry "{link[:60]}" is not a link: left out (kept in the raw payload)')
    return tuple(links), notes


def cell_code(value: Any) -> tuple[str | None, str | None]:
    """(15-digit grid cell code or None, a note when something else was given)."""
    code = text(value)
    if code is None:
        return None, None
    code = unicodedata.normalize("NFKC", code).replace(" ", "")
    if re.fullmatch(r"\d{15}", code):
        return code, None
    return None, f'grid code "{code[:40]}" is not a 15-digit cell code: the locator places the report instead'
