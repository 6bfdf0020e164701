"""The sample file of every channel parses into the documented reports and quarantined records, exactly."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from ingest import channel_names, parse
from ingest.report import Point

EXPECTED = {
    # file: (channel, reports, {row/record/line: reason})
    "hotline_12345.xlsx": ("hotline_12345", 50, {
        7: "missing required field 诉求类型",
        14: "unmapped category: 宠物走失",
        22: 'bad time "2026-11-31 09:15" in 来电时间: 2026-11 has no day 31',
        30: "missing required field 事发地址",
        38: "duplicate 工单编号 TA12345-202611050003: already in hotline_12345.xlsx sheet 工单 row 5",
        47: "unmapped category: 城市管理-市容环境-其他",
    }),
    "hotline_12345_gbk.csv": ("hotline_12345", 48, {
        17: "unmapped category: 物业纠纷",
        25: 'bad time "2026/11/7 25:10" in 来电时间: hour 25 is not 0–23',
        33: "undecodable bytes in 诉求类型 (not valid GB18030: a row pasted from another encoding?)",
        41: "row has values in 11 columns but the header has 10 (column 11 has no header: an unquoted delimiter "
            "inside a field?)",
    }),
    "dcm_12319.csv": ("dcm_12319", 49, {
        8: "unknown channel code: 事件 09-99 (no 大类 09 in the 12319 code table)",
        16: "unmapped category: 事件 04-01 路面塌陷 (no enforcement item in category_mappings.yaml)",
        24: 'coordinates not numbers: X坐标="616350.2O", Y坐标="2736635.4"',
        30: "missing required field 上报时间",
        40: "coordinates not Gauss–Krüger metres: X坐标=118.070736, Y坐标=24.714744 (expected an easting of "
            "100,000–900,000 m, or with a zone prefix, and a northing of 1,000,000–10,000,000 m, in EPSG:4548)",
        48: 'unknown channel code: 案件类型 "设施" (expected 部件 or 事件)',
    }),
    "grid_worker.json": ("grid_worker", 48, {
        4: 'unknown coordinate system "bd09mc" (Baidu Mercator metres: send bd09ll longitude/latitude): '
           "expected wgs84, gcj02 or bd09",
        10: "missing coordinate system: coordinates without location.crs (wgs84, gcj02 or bd09)",
        16: 'coordinates not numbers: location.lon="118.15x", location.lat=24.731802',
        22: "coordinates out of range: location.lon=24.740134, location.lat=118.176905 "
            "(location.lon and location.lat swapped?)",
        28: "missing required field reported_at",
        34: "unmapped category: 邻里纠纷",
        46: "no location: coordinates location.lon=0, location.lat=0: the device had no position fix, and no address",
    }),
    "police_110.jsonl": ("police_110", 46, {
        6: 'unknown coordinate system "bd09mc" (Baidu Mercator metres: send bd09ll longitude/latitude): '
           "expected wgs84, gcj02 or bd09",
        13: "unmapped category: 家庭纠纷",
        20: "missing required field transfer_no",
        27: "no location: neither coordinates nor address",
        34: 'bad time "2026-11-03 24:30:00" in transfer_time: hour 24 is not 0–23',
        41: "not JSON: Unterminated string starting at: line 1 column 187 (char 186)",
    }),
    "patrol.json": ("patrol", 45, {
        7: "unmapped category: ZF099",
        14: "no location: neither coordinates nor address",
        21: 'bad time "2026-11-03T25:00:00+08:00" in submitted_at: hour 25 is not 0–23',
        28: "duplicate finding_id XC-350212001-ZF01-20261105-027: already in patrol.json record 27",
        35: 'coordinates not numbers: gps.lon="118.1.2", gps.lat=24.7797231',
    }),
    "generic.csv": ("generic_csv", 47, {
        9: "unmapped category: 文明用语不规范",
        17: 'coordinates not numbers: 经度="东经118.14", 纬度="24.6808035"',
        25: "missing required field 问题类型",
        33: 'bad time "11月3日上午" in 发现时间: not a date and time this channel can read',
    }),
}


def _mapping(name: str, samples):
    return samples / "generic_mapping.yaml" if name == "generic.csv" else None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_into_the_documented_records(name, samples, run):
    channel, good, bad = EXPECTED[name]
    reports, quarantined = run(channel, samples / name, mapping=_mapping(name, samples))
    assert len(reports) + len(quarantined) >= 50, "a sample holds at least 50 records"
    assert {q.source.row: q.reason for q in quarantined} == bad
    assert len(reports) == good
    assert all(q.channel == channel and q.raw and q.source.filename == name for q in quarantined)
    assert all(r.channel == channel and r.item_code.startswith("ZF") for r in reports)
    assert all(r.received_at.tzinfo is UTC for r in reports)
    assert all(r.point is not None or r.address for r in reports)
    assert len({r.external_id for r in reports}) == len(reports)


def test_every_channel_has_a_sample_and_a_readme_section(samples):
    readme = (samples / "README.md").read_text(encoding="utf-8")
    covered = {channel for channel, _, _ in EXPECTED.values()}
    assert set(channel_names()) == covered
    for channel in channel_names():
        assert f"## {channel} —" in readme, f"data/samples/README.md has no section for {channel}"


def test_readme_tables_state_the_reasons_the_parser_gives(samples, run):
    """Every row of the README's bad-record tables is the parser's word for that record."""
    readme = (samples / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^\*\*`([^`]+)`\*\*|^## \w+ — `([^`]+)`", readme, flags=re.M)
    documented: dict[str, dict[int, str]] = {}
    current = None
    for part in sections:
        if part and part in EXPECTED:
            current = part
        elif part and current:
            for row, reason in re.findall(r"^\| (\d+) \| [^|]+ \| `(.+)` \|$", part, flags=re.M):
                documented.setdefault(current, {})[int(row)] = reason
    assert documented == {name: bad for name, (_, _, bad) in EXPECTED.items()}


def test_hotline_workbook_reads_title_line_date_cells_and_chinese_times(samples, run):
    reports, _ = run("hotline_12345", samples / "hotline_12345.xlsx")
    by_row = {r.source.row: r for r in reports}
    assert by_row[3].source.sheet == "工单" and min(by_row) == 3  # title in row 1, header in row 2
    assert by_row[11].received_at == datetime(2026, 11, 3, 6, 5, tzinfo=UTC)  # "2026年11月3日 14:05"
    assert by_row[18].received_at == datetime(2026, 11, 4, 7, 20, tzinfo=UTC)  # "2026/11/4 下午3:20"
    assert by_row[26].reporter_phone.isdigit()  # a phone typed as a number: no ".0"
    assert all(r.point is None and r.address for r in reports)  # the hotline gives addresses only
    assert any(r.reporter_name is None for r in reports)  # 匿名
    assert {r.priority for r in reports} == {1, 2, 3}


def test_dcm_positions_come_out_as_easting_northing(samples, run):
    reports, _ = run("dcm_12319", samples / "dcm_12319.csv")
    by_row = {r.source.row: r for r in reports}
    for row in (4, 12, 20):  # written in surveying order
        assert by_row[row].notes == (f"X坐标/Y坐标 in surveying order (X坐标 = northing {by_row[row].point.y:.2f}): "
                                     "read as Y坐标/X坐标",)
    assert by_row[32].point.crs == "EPSG:4527" and by_row[32].point.x > 39_000_000
    assert by_row[53].point is None and by_row[53].address
    points = [r.point for r in reports if r.point and r.point.crs == "EPSG:4548"]
    assert all(500_000 < p.x < 700_000 and 2_700_000 < p.y < 2_800_000 for p in points)
    assert all(r.reporter_name and re.fullmatch(r"JD\d{4}", r.reporter_id) for r in reports)


def test_sample_points_are_in_tong_an_once_converted(samples, run):
    """The coordinates the adapters carry, converted by geo.coords, land in the district (≈ 118.0–118.3°E)."""
    from geo.coords import convert

    files = [("dcm_12319", "dcm_12319.csv"), ("grid_worker", "grid_worker.json"),
             ("police_110", "police_110.jsonl"), ("patrol", "patrol.json")]
    for channel, name in files:
        reports, _ = run(channel, samples / name)
        points: list[Point] = [r.point for r in reports if r.point is not None]
        assert len(points) >= 25
        for point in points:
            lon, lat = convert(point.x, point.y, point.crs, "wgs84")
            assert 117.9 < lon < 118.4 and 24.5 < lat < 24.95, (name, point)


def test_quarantined_csv_row_can_be_fixed_and_resubmitted(samples, run):
    """A quarantined CSV row is kept as a one-row CSV in the file's own encoding: fix it, send it again."""
    _, quarantined = run("hotline_12345", samples / "hotline_12345_gbk.csv")
    unmapped = next(q for q in quarantined if q.source.row == 17)
    assert unmapped.content_type == "text/csv; charset=gb18030"
    fixed = unmapped.raw.decode("gb18030").replace("物业纠纷", "违规户外广告")
    again = list(parse("hotline_12345", fixed.encode("gb18030"), filename="fixed.csv"))
    assert [type(o).__name__ for o in again] == ["Report"] and again[0].item_code == "ZF004"
    pasted = next(q for q in quarantined if q.source.row == 33)
    assert pasted.raw.split(b"\r\n")[1] in (samples / "hotline_12345_gbk.csv").read_bytes()  # bytes as received


def test_quarantined_json_record_resubmits_as_itself(samples, run):
    _, quarantined = run("grid_worker", samples / "grid_worker.json")
    no_crs = next(q for q in quarantined if q.source.row == 10)
    fixed = no_crs.raw.replace(b'"location": {', b'"location": {"crs": "gcj02", ')
    [report] = parse("grid_worker", fixed, filename="resubmitted.json")
    assert report.external_id == no_crs.external_id and report.point.crs == "gcj02"
