"""The raw payload of a record, kept so that nothing a user sends is lost.

A report carries its original row or message as JSON (``jsonb`` on PostGIS); a quarantined record carries
bytes. Spreadsheet cells and JSON messages hold things JSON columns refuse — dates, NaN, lone surrogates
from undecodable bytes, NUL characters that PostgreSQL rejects — so :func:`json_safe` turns a value into
plain JSON types without losing what a person needs to read it, and :func:`to_bytes` gives the bytes to
keep when there are no better original bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def clean_text(text: str) -> str:
    """``text`` storable anywhere: lone surrogates (undecodable bytes) and NUL become U+FFFD."""
    if text.isascii():
        return text.replace("\x00", "\ufffd")
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in text)


def json_safe(value: Any) -> Any:
    """``value`` as JSON types (dict with str keys, list, str, int, float, bool, None).

    Times become ISO strings (a naive spreadsheet time stays naive: it is what the file said), non-finite
    floats and other objects become their text, bytes are decoded as UTF-8 with replacement.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return clean_text(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return {clean_text(str(key)): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return clean_text(str(value))


def to_bytes(value: Any) -> bytes:
    """A JSON document of ``value`` (keys in their order), UTF-8; undecodable text keeps its escapes."""
    safe = _jsonable(value)
    text = json.dumps(safe, ensure_ascii=False, allow_nan=True)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them as \\udcXX escapes, as JSON itself allows
        return json.dumps(safe, ensure_ascii=True, allow_nan=True).encode("ascii")


def fingerprint(value: Any) -> str:
    """A stable short hash of a record's content: the same row sent twice gets the same id."""
    canonical = json.dumps(json_safe(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    """Like :func:`json_safe` but keeping strings exactly (surrogates and all) for the byte copy."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return json_safe(value)
