"""Any other table (generic CSV): a column mapping says which column holds which field.

Input format
------------
A CSV (UTF-8, UTF-8 with BOM, GBK) or ``.xlsx`` with any headers, and a *column mapping* — a dict, or a small
YAML file such as ``data/samples/generic_mapping.yaml``::

    columns:                 # our field: the file's column
      external_id: 编号       # optional: without it a record's id is a hash of its content
      received_at: 上报时间   # optional: without it, when the file arrived
      category: 问题类型      # required
      description: 问题描述
      address: 地点           # address, or lon + lat, or both
      lon: 经度
      lat: 纬度
      reporter_name: 上报人
      reporter_phone: 联系电话
    crs: wgs84               # the system of lon/lat: wgs84 (default), gcj02 or bd09
    categories:              # optional: this source's wording → item codes
      乱扔垃圾: ZF008

Mappable fields: ``external_id, received_at, occurred_at, category, description, address, lon, lat, crs``
(a column naming each row's system), ``reporter_name, reporter_phone, reporter_id, priority, media,
cell_code``. A dict without a ``columns`` key is read as the columns themselves. Every mapped column must be
in the file's header. Categories go through ``categories`` first, then the ``generic_csv`` table of
``data/sources/category_mappings.yaml`` (which also takes item codes and item names).

History from an old platform
----------------------------
A mapping that also names any of ``status, accepted_at, rejected_at, dispatched_at, arrived_at, handled_at,
verified_at, closed_at, archived_at, deadline, handling_unit, reject_reason, handling_note, legacy_case_id``
makes every row a :class:`~ingest.history.HistoricalReport`: its case is rebuilt with its steps when stored
(see :mod:`ingest.history`; ``data/samples/history_mapping.yaml``). Such a mapping must name
``received_at`` (the case opens then) and may add the export's own words::

    statuses:                # the export's 案件状态 → reported, rejected, accepted, dispatched, transferred,
      挂账: dispatched        # in_progress, handled, verified, closed, archived
    reject_reasons:          # the export's 不予受理原因 → invalid, duplicate, outside_jurisdiction,
      职能交叉: not_enforcement_matter   # not_enforcement_matter

A row whose times contradict each other or its status is quarantined with the fields named.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ingest import coordinates
from ingest.categories import CategoryMap, CategoryMapError, default_map
from ingest.channels.base import Channel, Context
from ingest.fields import Rejection
from ingest.history import HISTORY_FIELDS, HistoricalReport, HistoryColumns
from ingest.payload import fingerprint
from ingest.records import Record
from ingest.report import Report, SourceRef

MAPPABLE = ("external_id", "received_at", "occurred_at", "category", "description", "address", "lon", "lat",
            "crs", "reporter_name", "reporter_phone", "reporter_id", "priority", "media", "cell_code",
            *HISTORY_FIELDS)


class MappingError(ValueError):
    """The column mapping itself is wrong (not the data): the message says which key."""


class GenericCsv(Channel):
    name = "generic_csv"
    title = "通用表格"
    formats = "CSV (UTF-8, UTF-8 with BOM, GBK) or Excel (.xlsx), with a column mapping"
    fields: Mapping[str, tuple[str, ...]] = {}
    required = ("category",)

    def __init__(self, columns: Mapping[str, str] | None = None, crs: str = "wgs84",
                 wording: Mapping[str, Any] | None = None, history: HistoryColumns | None = None):
        self.fields = {name: (column,) for name, column in (columns or {}).items()}
        self.required = tuple(n for n in ("external_id", "received_at", "category") if n in self.fields)
        self.default_crs = crs
        self.wording = dict(wording or {})
        self.history = history
        self._categories: tuple[int, CategoryMap] | None = None

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(self.fields)  # a mapped column that is not in the file is a mismatch of file and mapping

    def configured(self, mapping: Any = None) -> GenericCsv:
        if mapping is None:
            raise MappingError("generic_csv needs a column mapping (a dict or a YAML file): which column is what")
        return from_mapping(mapping)

    def external_id(self, record: Record) -> str:
        if "external_id" in self.fields:
            return super().external_id(record)
        return "sha1:" + fingerprint(record.raw)

    def duplicate(self, record: Record, external_id: str, first: SourceRef) -> str:
        if "external_id" in self.fields:
            return super().duplicate(record, external_id, first)
        return f"same content as {first}: sent twice"

    def normalise(self, record: Record, context: Context) -> Report:
        """The report, and with a history mapping its case's history (:class:`HistoricalReport`); the
        problems of both are named together."""
        if self.history is None:
            return super().normalise(record, context)
        problems: list[str] = []
        report: Report | None = None
        try:
            report = super().normalise(record, context)
        except Rejection as rejection:
            problems.append(str(rejection))
        try:
            history = self.history.read(record, report, lambda name: self.label(name, record), context.received_at)
        except Rejection as rejection:
            problems.append(str(rejection))
        if problems:
            raise Rejection("; ".join(problems))
        assert report is not None
        return HistoricalReport.of(report, history, record.raw_bytes, record.content_type, context.received_at)

    def category(self, record: Record, context: Context) -> tuple[str, str]:
        if self.wording:
            key = id(context.categories)
            if self._categories is None or self._categories[0] != key:
                wording = {**_base_wording(context.categories), **self.wording}
                self._categories = (key, context.categories.with_wording(self.name, wording))
            context = Context(self._categories[1], context.received_at)
        return super().category(record, context)


def from_mapping(mapping: Mapping[str, Any] | str | Path) -> GenericCsv:
    """A generic channel for one column mapping (a dict, or the path of a YAML file holding one).

    Raises
    ------
    MappingError
        Unknown field names, no category column, no location columns, lon without lat, an unknown ``crs``,
        category wording pointing at items that do not exist.
    """
    if isinstance(mapping, str | Path):
        path = Path(mapping)
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise MappingError(f"cannot read the column mapping {path}: {exc}") from None
        mapping = document or {}
    if not isinstance(mapping, Mapping):
        raise MappingError(f"a column mapping is a dict of field → column, not {type(mapping).__name__}")
    if "columns" in mapping:
        extra = sorted(set(mapping) - {"columns", "crs", "categories", "name", "description", "statuses",
                                       "reject_reasons"})
        if extra:
            raise MappingError(f"unknown key(s) in the column mapping: {', '.join(map(str, extra))} "
                               "(expected columns, crs, categories, name, description, statuses, reject_reasons)")
        if not isinstance(mapping["columns"], Mapping):
            raise MappingError("columns of the column mapping must be a dict of field → column")
        columns, crs_name, wording = dict(mapping["columns"]), mapping.get("crs") or "wgs84", mapping.get("categories")
    else:
        columns, crs_name, wording = dict(mapping), "wgs84", None
    unknown = sorted(set(columns) - set(MAPPABLE))
    if unknown:
        raise MappingError(f"unknown field(s) in the column mapping: {', '.join(map(str, unknown))} "
                           f"(mappable: {', '.join(MAPPABLE)})")
    for name, column in columns.items():
        if not isinstance(column, str) or not column.strip():
            raise MappingError(f"the column for {name} must be a header name, not {column!r}")
    if "category" not in columns:
        raise MappingError("the column mapping has no category column: reports must be classified")
    if ("lon" in columns) != ("lat" in columns):
        raise MappingError("the column mapping names lon without lat (or lat without lon)")
    if "address" not in columns and "lon" not in columns:
        raise MappingError("the column mapping has no location: map address, or lon and lat")
    try:
        crs = coordinates.coordinate_system(crs_name)
    except Rejection as exc:
        raise MappingError(f"crs of the column mapping: {exc}") from None
    if wording is not None and not isinstance(wording, Mapping):
        raise MappingError("categories of the column mapping must be a dict of wording → item code")
    history = _history(columns, mapping)
    channel = GenericCsv(columns, crs, wording, history)
    if wording:
        try:
            default_map().with_wording(channel.name, wording)
        except CategoryMapError as exc:
            raise MappingError(str(exc)) from None
    return channel


def _history(columns: Mapping[str, str], mapping: Mapping[str, Any]) -> HistoryColumns | None:
    """The history part of a mapping (None when it names no history field); checked."""
    names = tuple(name for name in HISTORY_FIELDS if name in columns)
    words = {key: mapping.get(key) if "columns" in mapping else None for key in ("statuses", "reject_reasons")}
    if not names:
        named = [key for key, value in words.items() if value]
        if named:
            raise MappingError(f"{' and '.join(named)} of the column mapping need a history mapping: name status "
                               "or a step time (accepted_at, closed_at …) among the columns")
        return None
    if "received_at" not in columns:
        raise MappingError("a history mapping needs received_at (上报时间): a historical case opens then")
    for key, value in words.items():
        if value is not None and not isinstance(value, Mapping):
            raise MappingError(f"{key} of the column mapping must be a dict of the export's word → ours")
    try:
        return HistoryColumns.from_mapping(names, words["statuses"], words["reject_reasons"])
    except ValueError as exc:
        raise MappingError(str(exc)) from None


def _base_wording(categories: CategoryMap) -> dict[str, Any]:
    table = categories.tables.get(GenericCsv.name)
    return dict(table.wording) if table else {}


CHANNEL = GenericCsv()
