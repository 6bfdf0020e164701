"""12319 digital city management (数字城管): case records with 部件/事件 class codes and Gauss–Krüger X/Y.

Input format
------------
CSV (UTF-8, UTF-8 with BOM or GBK) or ``.xlsx`` exported from the 数字化城市管理信息系统, one case (案卷) per
row; JSON objects with the same keys are read too.

=============  ============================  ===============================================================
column         also accepted as              content
=============  ============================  ===============================================================
案卷号 *       案卷编号, 案件编号              the system's id, e.g. ``2026110300017``
上报时间 *     登记时间                       when the supervisor (监督员) reported it
案件类型 *     问题类型, 类型                  部件 (a city facility) or 事件 (an event)
大类代码 *     大类                           2 digits, e.g. ``05`` (事件 05 = 街面秩序); ``05 街面秩序`` works too
小类代码 *     小类                           2 digits (``04``) or 4 with the 大类 in front (``0504``)
大类名称       —                              kept in the raw payload; the code decides
小类名称       —                              kept in the raw payload; the code decides
X坐标, Y坐标   X, Y                           CGCS2000 3-degree Gauss–Krüger metres, EPSG:4548 (CM 117°E)
位置描述       问题位置, 地址                  address text (used when X/Y are empty)
问题描述       案件描述                        the case text
发现时间       —                              when the problem was seen, if different
单元网格       网格编码, 单元网格编码          15-digit unit grid cell code
监督员         上报人                         ``陈建平(JD0213)``: name, and staff number in brackets
监督员编号     —                              the staff number, if in its own column
照片           图片, 附件                      photo links separated by ``;``
问题来源       —                              监督员上报 / 公众举报 / 视频发现 … (raw payload)
=============  ============================  ===============================================================

(* required; X/Y or 位置描述 required.) Class codes are looked up in the 12319 code table of
``data/sources/category_mappings.yaml``: a code that is not in it is an "unknown channel code", a known code
with no enforcement item an "unmapped category".

Notes
-----
X/Y order: surveying tables write X for the northing, GIS tools for the easting. The adapter reads the
order from the magnitudes (see :mod:`ingest.coordinates`) and notes a swap. An easting with the zone
prefix 39 is kept as EPSG:4527 (zone 39 = CM 117°E with the prefix in the false easting).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ingest import coordinates, fields
from ingest.categories import DCM_KINDS
from ingest.channels.base import Channel, Context
from ingest.fields import Rejection
from ingest.records import Record
from ingest.report import Point

_SUPERVISOR = re.compile(r"^(?P<name>[^()（）]+?)\s*[（(]\s*(?P<id>[^()（）]+?)\s*[)）]$")


class Dcm12319(Channel):
    name = "dcm_12319"
    title = "12319数字城管"
    formats = "CSV (UTF-8, UTF-8 with BOM, GBK), Excel (.xlsx) or JSON"
    fields = {
        "external_id": ("案卷号", "案卷编号", "案件编号"),
        "received_at": ("上报时间", "登记时间"),
        "occurred_at": ("发现时间",),
        "kind": ("案件类型", "问题类型", "类型"),
        "major": ("大类代码", "大类"),
        "minor": ("小类代码", "小类"),
        "major_name": ("大类名称",),
        "minor_name": ("小类名称",),
        "x": ("X坐标", "X", "坐标X"),
        "y": ("Y坐标", "Y", "坐标Y"),
        "address": ("位置描述", "问题位置", "地址"),
        "description": ("问题描述", "案件描述"),
        "cell_code": ("单元网格", "网格编码", "单元网格编码"),
        "supervisor": ("监督员", "上报人"),
        "reporter_id": ("监督员编号",),
        "media": ("照片", "图片", "附件"),
        "priority": ("紧急程度", "案件等级"),
        "origin": ("问题来源",),
    }
    required = ("external_id", "received_at", "kind", "major", "minor")
    metric_crs = coordinates.DISTRICT_GK_CRS

    def category(self, record: Record, context: Context) -> tuple[str, str]:
        kind = self._kind(record)
        major = self._code(record, "major")
        minor = self._code(record, "minor", major)
        return context.categories.dcm_item(kind, major, minor)

    def point(self, record: Record) -> tuple[Point | None, list[str]]:
        labels = (self.label("x", record), self.label("y", record))
        point, note = coordinates.gauss_kruger(self.value(record, "x"), self.value(record, "y"), self.metric_crs,
                                               labels)
        return point, [note] if note else []

    def reporter(self, record: Record, notes: list[str]) -> tuple[str | None, str | None, str | None]:
        """The supervisor (监督员): ``name(staff number)`` in one cell, or the number in its own column."""
        supervisor = self.text(record, "supervisor")
        staff = self.text(record, "reporter_id")
        if supervisor:
            match = _SUPERVISOR.match(supervisor)
            if match:
                supervisor, staff = match.group("name"), staff or match.group("id")
        return supervisor, None, staff

    def _kind(self, record: Record) -> str:
        text = self.text(record, "kind", required=True)
        assert text is not None
        kind = unicodedata.normalize("NFKC", text).strip().removesuffix("类")
        if kind not in DCM_KINDS:
            raise Rejection(f'unknown channel code: {self.label("kind", record)} "{text[:20]}" (expected 部件 or 事件)')
        return kind

    def _code(self, record: Record, name: str, major: str | None = None) -> str:
        value: Any = self.value(record, name)
        label = self.label(name, record)
        if fields.is_blank(value):
            raise Rejection(f"missing required field {label}")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = unicodedata.normalize("NFKC", str(value)).strip()
        digits = re.match(r"^\d+", text)
        code = digits.group(0) if digits else ""
        if len(code) == 1:
            code = "0" + code
        if len(code) == 4 and major is not None and code[:2] == major:
            code = code[2:]
        if len(code) != 2:
            raise Rejection(f'unknown channel code: {label} "{text[:20]}" (expected two digits)')
        return code


CHANNEL = Dcm12319()
