"""Property-based fuzzing of every adapter: whatever arrives, nothing raises and every record comes out once.

Random bytes in every format, random JSON records built from each channel's own keys and junk, random table
cells under each channel's headers: the parse never raises, yields only reports and quarantined records, never
needs its safety net ("internal error"), and — where the records can be counted — yields exactly one output
per record, in order.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import UTC, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import Quarantined, Report, channel_names, get_channel, parse
from ingest.coordinates import coordinate_system, gauss_kruger, lonlat
from ingest.fields import Rejection, cell_code, identifier, media_links, priority
from ingest.times import BadTime, parse_time

ARRIVED = datetime(2026, 11, 6, tzinfo=UTC)
GENERIC_MAPPING = {"external_id": "编号", "received_at": "时间", "category": "类别", "address": "地点",
                   "lon": "经度", "lat": "纬度", "priority": "紧急程度"}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHINESE = "占道经营噪音扰民违章搭建凤山路大同街道号楼小区门口垃圾广告年月日时分秒上午下午特急紧急一般"
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(CHINESE),
               max_size=30)
times = st.sampled_from(["2026-11-03 14:05", "2026年11月3日 14:05", "2026/11/3 25:00", "", "昨天", "46329.5",
                         "1793772300000", "2026-02-30"])
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**20, 10**20)
json_scalars = st.none() | st.booleans() | numbers | text | times
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(text, inner, max_size=3), max_leaves=8)


def _mapping(channel: str):
    return GENERIC_MAPPING if channel == "generic_csv" else None


def _keys(channel: str) -> list[str]:
    """The channel's own field names (every alias) — what a real sender uses, so the adapter gets exercised."""
    if channel == "generic_csv":
        return list(GENERIC_MAPPING.values())
    return [alias for aliases in get_channel(channel).fields.values() for alias in aliases]


def _check(outputs: list, channel: str) -> None:
    for out in outputs:
        assert isinstance(out, Report | Quarantined)
        assert out.channel == channel
        if isinstance(out, Quarantined):
            assert not out.reason.startswith("internal error"), out.reason
            assert isinstance(out.raw, bytes) and out.reason
            json.dumps(out.record)
        else:
            assert out.received_at.tzinfo is UTC and out.item_code and (out.point or out.address)
            json.dumps(out.to_dict())


def _run(channel: str, data: bytes, filename: str) -> list:
    outputs = list(parse(channel, data, filename=filename, mapping=_mapping(channel), received_at=ARRIVED))
    _check(outputs, channel)
    return outputs


@pytest.mark.parametrize("channel", channel_names())
@pytest.mark.parametrize("filename", ["upload", "a.csv", "a.json", "a.jsonl", "a.xlsx"])
@FAST
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(channel, filename, data):
    outputs = _run(channel, data, filename)
    assert outputs or not data.strip() or filename != "a.xlsx"


def _record(channel: str):
    return st.dictionaries(st.sampled_from(_keys(channel)) | text, json_values, max_size=12)


@pytest.mark.parametrize("channel", channel_names())
@FAST
@given(data=st.data())
def test_random_json_records_each_come_out_once(channel, data):
    records = data.draw(st.lists(_record(channel), min_size=1, max_size=6))
    shape = data.draw(st.sampled_from(["array", "envelope", "lines"]))
    if shape == "lines":
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    elif shape == "envelope":
        body = json.dumps({"code": 0, "data": {"list": records}}, ensure_ascii=False)
    else:
        body = json.dumps(records, ensure_ascii=False)
    outputs = _run(channel, body.encode("utf-8", "surrogatepass"), "push.json")
    if shape == "lines" and len(records) == 1:  # one line is a JSON document, not JSON Lines
        assert len(outputs) == 1
        return
    assert len(outputs) == len(records)
    assert [o.source.row for o in outputs] == list(range(1, len(records) + 1))


@pytest.mark.parametrize("channel", channel_names())
@FAST
@given(data=st.data())
def test_random_cells_under_the_channel_headers_each_come_out_once(channel, data):
    keys = _keys(channel)
    if channel == "generic_csv":
        header = list(GENERIC_MAPPING.values())
    else:
        adapter = get_channel(channel)
        header = [adapter.fields[name][0] for name in adapter.required_columns]
        header += data.draw(st.lists(st.sampled_from(keys), max_size=4, unique=True).map(
            lambda extra: [k for k in extra if k not in header]))
    cell = st.one_of(text, times, st.sampled_from(["", "118.15", "24.73", "616350.1", "2736635.2", "小广告", "事件",
                                                   "05", "04", "特急", "ZF001"]))
    rows = data.draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=8))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    outputs = _run(channel, out.getvalue().encode(encoding, "surrogatepass"), "table.csv")
    filled = [r for r in rows if any(c.strip() for c in r)]
    assert len(outputs) == len(filled)
    numbers = [o.source.row for o in outputs]
    assert numbers == sorted(numbers)


xlsx_cell = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False,
                      allow_infinity=False), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2110, 1, 1)),
                      st.text(alphabet=st.sampled_from(CHINESE + "0123456789-:/ ,.abcXY"), max_size=20))


@pytest.mark.parametrize("channel", channel_names())
@SLOW
@given(data=st.data())
def test_random_excel_cells_each_come_out_once(channel, data):
    if channel == "generic_csv":
        header = list(GENERIC_MAPPING.values())
    else:
        adapter = get_channel(channel)
        header = [adapter.fields[name][0] for name in adapter.required_columns]
    rows = data.draw(st.lists(st.lists(xlsx_cell, min_size=len(header), max_size=len(header)), max_size=6))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    outputs = _run(channel, buffer.getvalue(), "table.xlsx")
    filled = [r for r in rows if any(c is not None and str(c).strip() for c in r)]
    assert len(outputs) == len(filled)


@FAST
@given(value=json_values | st.datetimes() | st.dates())
def test_field_readers_only_ever_reject(value):
    for read in (parse_time, lambda v: identifier(v, "id"), lambda v: lonlat(v, v, "wgs84"),
                 lambda v: gauss_kruger(v, 2736635.2), lambda v: coordinate_system(v)):
        with contextlib.suppress(BadTime, Rejection):  # the only errors a reader may raise
            read(value)
    assert priority(value)[0] in (None, 1, 2, 3)
    links, _ = media_links(value)
    assert all(isinstance(link, str) for link in links)
    code, _ = cell_code(value)
    assert code is None or (len(code) == 15 and code.isdigit())
