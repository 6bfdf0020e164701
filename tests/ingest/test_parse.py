"""ingest.parse: the API's contract — channel registry, formats, JSON shapes, duplicates, the safety net."""

from __future__ import annotations

import doctest
import importlib
import json
from datetime import UTC, datetime

import pytest

import ingest
from ingest import Quarantined, Report, UnknownChannel, channel_names, get_channel, parse
from ingest.channels.base import Channel
from ingest.parse import detect_format

HOTLINE = "工单编号,来电时间,诉求类型,事发地址\nH1,2026-11-03 09:00,小广告,凤山路\n".encode()


def test_the_six_channels_are_registered():
    assert channel_names() == ("dcm_12319", "generic_csv", "grid_worker", "hotline_12345", "patrol", "police_110")
    for name in channel_names():
        channel = get_channel(name)
        assert isinstance(channel, Channel) and channel.name == name and channel.title
        module = importlib.import_module(f"ingest.channels.{name}")
        assert module.CHANNEL is channel
        assert "Input format" in module.__doc__, f"{name} documents its input format in its docstring"


def test_an_unknown_channel_is_the_callers_mistake():
    with pytest.raises(UnknownChannel) as caught:
        parse("wechat", HOTLINE, filename="a.csv")
    assert str(caught.value) == ("unknown channel 'wechat': known channels are dcm_12319, generic_csv, grid_worker, "
                                 "hotline_12345, patrol, police_110")


def test_argument_errors_are_raised_at_the_call_not_on_iteration():
    with pytest.raises(ValueError, match="channel hotline_12345 takes no column mapping"):
        parse("hotline_12345", HOTLINE, filename="a.csv", mapping={"category": "x"})
    with pytest.raises(ValueError, match="received_at must be timezone-aware"):
        parse("hotline_12345", HOTLINE, filename="a.csv", received_at=datetime(2026, 11, 3))
    with pytest.raises(FileNotFoundError):
        parse("hotline_12345", "/no/such/file.csv")


def test_path_and_bytes_give_the_same_reports(tmp_path, arrived):
    path = tmp_path / "orders.csv"
    path.write_bytes(HOTLINE)
    from_path = list(parse("hotline_12345", path, received_at=arrived))
    from_bytes = list(parse("hotline_12345", HOTLINE, filename="orders.csv", received_at=arrived))
    assert from_path == from_bytes and from_path[0].source.filename == "orders.csv"
    assert list(parse("hotline_12345", str(path), received_at=arrived)) == from_path


@pytest.mark.parametrize(("filename", "data", "kind"), [
    ("a.csv", b"{}", "csv"), ("a.TSV", b"", "csv"), ("a.xlsx", b"", "xlsx"), ("a.json", b"x", "json"),
    ("a.jsonl", b"", "json"), ("a.xls", b"", "xls"), ("upload", b"PK\x03\x04...", "xlsx"),
    ("upload", b"\xef\xbb\xbf  [{}]", "json"), ("upload", b'\n {"a": 1}', "json"), ("upload", b"a,b\n", "csv"),
    ("upload", b"\xd0\xcf\x11\xe0\xa1\xb1", "xls"),
])
def test_format_detection(filename, data, kind):
    assert detect_format(filename, data) == kind


def test_json_shapes(run):
    order = {"工单编号": "H1", "来电时间": "2026-11-03 09:00", "诉求类型": "小广告", "事发地址": "凤山路"}
    for body in ([order], {"data": [order]}, {"code": 0, "result": {"list": [order]}}, order):
        reports, quarantined = run("hotline_12345", json.dumps(body, ensure_ascii=False).encode(), filename="x.json")
        assert [r.external_id for r in reports] == ["H1"] and not quarantined, body


def test_json_elements_that_are_not_objects_are_quarantined_one_by_one(run):
    body = json.dumps([42, None, {"finding_id": "P1", "submitted_at": "2026-11-03 10:00", "item_code": "ZF001",
                                  "address": "凤山路"}, "text"]).encode()
    reports, quarantined = run("patrol", body, filename="p.json")
    assert [r.external_id for r in reports] == ["P1"]
    assert [(q.source.row, q.reason) for q in quarantined] == [
        (1, "record is not a JSON object but int: 42"), (2, "record is not a JSON object but null: None"),
        (4, "record is not a JSON object but str: text")]


def test_json_lines_keep_going_after_a_broken_line(run):
    lines = [json.dumps({"finding_id": f"P{n}", "submitted_at": "2026-11-03 10:00", "item_code": "ZF001",
                         "address": "凤山路"}) for n in range(3)]
    lines[1] = lines[1][:20]
    reports, [broken] = run("patrol", ("\n".join(lines) + "\n\n").encode(), filename="p.jsonl")
    assert [r.external_id for r in reports] == ["P0", "P2"] and [r.source.row for r in reports] == [1, 3]
    assert broken.source.row == 2 and broken.source.unit == "line" and broken.reason.startswith("not JSON: ")
    assert broken.raw == lines[1].encode()


def test_a_document_that_is_not_json_is_refused_whole(run):
    _, [refused] = run("patrol", b"<html>502 Bad Gateway</html>", filename="p.json")
    assert refused.reason == "not JSON: Expecting value: line 1 column 1 (char 0)"
    assert refused.raw == b"<html>502 Bad Gateway</html>" and refused.content_type == "application/json"


def test_every_output_names_its_record_and_arrival(run, arrived):
    reports, [bad] = run("hotline_12345", HOTLINE + "H2,,小广告,凤山路\n".encode(), filename="a.csv")
    assert bad.received_at == arrived and bad.external_id == "H2" and bad.source.row == 3
    assert bad.describe() == "a.csv row 3 (H2): missing required field 来电时间"
    assert isinstance(bad, Quarantined) and isinstance(reports[0], Report)


def test_default_arrival_time_is_now():
    before = datetime.now(UTC)
    [q] = parse("hotline_12345", b"", filename="empty.csv")
    assert before <= q.received_at <= datetime.now(UTC)


def test_an_adapter_bug_still_keeps_the_record(monkeypatch, run):
    """The safety net: a bug quarantines the record with the error instead of losing it (fuzzing forbids it)."""
    channel = get_channel("hotline_12345")

    def broken(record, context):
        raise KeyError("oops")

    monkeypatch.setattr(channel, "normalise", broken)
    _, [kept] = run("hotline_12345", HOTLINE, filename="a.csv")
    assert kept.reason == "internal error in the hotline_12345 adapter: KeyError: 'oops'"
    assert kept.external_id == "H1" and b"H1" in kept.raw


def test_doctests():
    assert doctest.testmod(ingest).failed == 0
