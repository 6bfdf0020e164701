"""Reading JSON messages — one object, an array, an API envelope or JSON Lines — into records.

Apps and partner systems push JSON in a few shapes: a single report object; an array of them; an envelope
such as ``{"code": 0, "msg": "ok", "data": {"list": [...]}}``; or one object per line (JSON Lines). Each
object becomes a :class:`~ingest.records.Record` numbered from 1 in document order. An element that is not
an object, or a JSON Lines line that is not JSON, is a record with a ``problem``; only a document that is not
JSON at all is refused whole (:class:`~ingest.tables.UnreadableFile`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ingest.payload import JSON_CONTENT_TYPE, json_safe, to_bytes
from ingest.records import Record, flatten
from ingest.report import SourceRef
from ingest.tables import UnreadableFile, decode

ENVELOPE_KEYS = ("records", "data", "list", "items", "rows", "reports", "result", "results", "findings",
                 "transfers", "orders")
"""Keys under which an envelope carries its records (looked up in this order, two levels deep)."""


def read_json(data: bytes, filename: str) -> Iterator[Record]:
    """The records of a JSON document or of JSON Lines."""
    text = decode(data).text
    try:
        document = json.loads(text)
    except ValueError as whole_error:  # JSONDecodeError, or RecursionError's cousin ValueError
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) > 1 and _is_object_line(lines[0]):
            yield from _json_lines(text, filename)
            return
        raise UnreadableFile(f"not JSON: {whole_error}") from None
    except RecursionError:
        raise UnreadableFile("not JSON this reader accepts: nested too deeply") from None
    for number, element in enumerate(_records(document), start=1):
        yield _record(element, SourceRef(filename, number, unit="record"))


def _records(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for depth_doc in (document, *(v for k, v in document.items() if k in ENVELOPE_KEYS and isinstance(v, dict))):
            for key in ENVELOPE_KEYS:
                value = depth_doc.get(key)
                if isinstance(value, list):
                    return value
        return [document]
    return [document]


def _json_lines(text: str, filename: str) -> Iterator[Record]:
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 may sit in a string
        if not line.strip():
            continue
        source = SourceRef(filename, number, unit="line")
        try:
            element = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raw = line.encode("utf-8", "surrogateescape")
            yield Record(source, {}, json_safe(line), raw, "application/x-ndjson", f"not JSON: {exc}")
            continue
        yield _record(element, source)


def _record(element: Any, source: SourceRef) -> Record:
    raw_bytes = to_bytes(element)
    if not isinstance(element, dict):
        kind = type(element).__name__ if element is not None else "null"
        return Record(source, {}, json_safe(element), raw_bytes, JSON_CONTENT_TYPE,
                      f"record is not a JSON object but {kind}: {str(element)[:40]}")
    return Record(source, flatten(element), json_safe(element), raw_bytes, JSON_CONTENT_TYPE)


def _is_object_line(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False
