"""``parse``: a channel's file or message in, one :class:`Report` or :class:`Quarantined` per record out.

This is the first step of intake (channel adapters → normalise → validate/quarantine; locating,
de-duplicating, storing and publishing come after). It is pure: bytes in, values out, no database, no
network, no clock except the default arrival time. Every record of the source ends up as exactly one
output; a bad record never stops the rest, and a file that cannot be read at all becomes one quarantined
record holding the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.categories import CategoryMap, default_map
from ingest.channels import Channel, Context, get_channel
from ingest.fields import Rejection, text
from ingest.messages import read_json
from ingest.records import Record
from ingest.report import Quarantined, Report, SourceRef
from ingest.tables import XLSX_CONTENT_TYPE, UnreadableFile, read_csv, read_xlsx

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json",
           ".jsonl": "json", ".ndjson": "json", ".geojson": "json"}


def parse(channel_name: str, source: bytes | str | Path, *, filename: str | None = None, mapping: Any = None,
          received_at: datetime | None = None, categories: CategoryMap | None = None,
          ) -> Iterator[Report | Quarantined]:
    """Normalise every record of ``source`` as channel ``channel_name`` sends it.

    Parameters
    ----------
    channel_name
        A registered channel: ``hotline_12345``, ``dcm_12319``, ``grid_worker``, ``police_110``, ``patrol``,
        ``generic_csv`` (see :func:`ingest.channels.channel_names`).
    source
        The bytes as received, or the path of a file.
    filename
        The name the records are reported under (and whose extension says CSV, Excel or JSON); defaults to the
        path's name. Without an extension the format is sniffed from the bytes.
    mapping
        For ``generic_csv`` only: the column mapping, a dict or the path of a YAML file.
    received_at
        When the source arrived (aware); the receiving time of records whose channel gives none, and the time
        stamp of quarantined records. Defaults to now.
    categories
        The category tables; defaults to ``data/sources/category_mappings.yaml``.

    Yields
    ------
    Report or Quarantined
        One per record, in the source's order.

    Raises
    ------
    ingest.channels.UnknownChannel
        ``channel_name`` is not registered.
    ValueError
        ``mapping`` is wrong or missing (``generic_csv``) or given to a channel that takes none;
        ``received_at`` is naive.
    OSError
        ``source`` is a path that cannot be read.
    """
    channel = get_channel(channel_name).configured(mapping)
    if received_at is not None and received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    data, name = _load(source, filename)
    context = Context(categories or default_map(), (received_at or datetime.now(UTC)).astimezone(UTC))
    return _outcomes(channel, data, name, context)


def _outcomes(channel: Channel, data: bytes, filename: str, context: Context) -> Iterator[Report | Quarantined]:
    kind = detect_format(filename, data)
    seen: dict[str, SourceRef] = {}
    try:
        for record in _records(kind, data, filename, channel):
            yield _outcome(channel, record, context, seen)
    except UnreadableFile as problem:
        yield Quarantined(channel.name, SourceRef(filename), str(problem), data, _content_type(kind),
                          context.received_at)


def detect_format(filename: str, data: bytes) -> str:
    """``csv``, ``xlsx``, ``xls`` or ``json``: by the file's extension, else by its first bytes."""
    suffix = Path(filename).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix == ".xls":
        return "xls"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head[:1] in (b"{", b"[") else "csv"


def _records(kind: str, data: bytes, filename: str, channel: Channel) -> Iterator[Record]:
    if kind == "json":
        return read_json(data, filename)
    if kind == "xlsx":
        return read_xlsx(data, filename, channel.fields, channel.required_columns)
    if kind == "xls":
        raise UnreadableFile("a legacy .xls workbook: save it as .xlsx or CSV")
    return read_csv(data, filename, channel.fields, channel.required_columns)


def _outcome(channel: Channel, record: Record, context: Context, seen: dict[str, SourceRef]) -> Report | Quarantined:
    if record.problem:
        return _quarantined(channel, record, context, record.problem)
    try:
        report = channel.normalise(record, context)
    except Rejection as rejection:
        return _quarantined(channel, record, context, str(rejection))
    except Exception as exc:  # noqa: BLE001 - a bug in an adapter must not lose the record; tests forbid it
        return _quarantined(channel, record, context, f"internal error in the {channel.name} adapter: "
                                                      f"{type(exc).__name__}: {exc}")
    first = seen.setdefault(report.external_id, report.source)
    if first is not report.source:
        return _quarantined(channel, record, context, channel.duplicate(record, report.external_id, first))
    return report


def _quarantined(channel: Channel, record: Record, context: Context, reason: str) -> Quarantined:
    try:
        ident = text(channel.value(record, "external_id"))
    except Exception:  # noqa: BLE001 - the id is a courtesy for the reader; never fail over it
        ident = None
    return Quarantined(channel.name, record.source, reason, record.raw_bytes, record.content_type,
                       context.received_at, record.raw, ident[:64] if ident else None)


def _load(source: bytes | str | Path, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), filename or "upload"
    path = Path(source)
    return path.read_bytes(), filename or path.name


def _content_type(kind: str) -> str:
    return {"json": "application/json", "xlsx": XLSX_CONTENT_TYPE, "xls": "application/vnd.ms-excel"}.get(
        kind, "text/csv")
