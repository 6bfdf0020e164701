"""generic_csv: a column mapping (dict or YAML) turns any table into reports; a wrong mapping is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest import parse
from ingest.channels.generic_csv import MappingError, from_mapping
from ingest.report import Point

SHEET = ("编号,时间,类别,描述,地点,东经,北纬,坐标系\n"
         "N1,2026-11-03 09:00,乱扔垃圾,路边垃圾,凤山路54号,118.15,24.73,\n"
         "N2,2026-11-03 10:00,ZF005,电线杆小广告,三秀路25号,,,\n"
         "N3,2026-11-03 11:00,共享单车乱停放,单车堵门,,118.16,24.74,gcj02\n")
COLUMNS = {"external_id": "编号", "received_at": "时间", "category": "类别", "description": "描述", "address": "地点",
           "lon": "东经", "lat": "北纬", "crs": "坐标系"}


def test_a_dict_mapping(run):
    reports, quarantined = run("generic_csv", SHEET.encode(), filename="sheet.csv", mapping=COLUMNS)
    assert quarantined == []
    assert [r.item_code for r in reports] == ["ZF008", "ZF005", "ZF024"]  # default table: wording, code, name
    assert [r.point for r in reports] == [Point(118.15, 24.73, "wgs84"), None, Point(118.16, 24.74, "gcj02")]
    assert reports[0].received_at == datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


def test_a_yaml_mapping_with_its_own_crs_and_wording(tmp_path, run):
    path = tmp_path / "mapping.yaml"
    path.write_text("columns:\n  category: 类别\n  address: 地点\n  lon: 东经\n  lat: 北纬\n"
                    "crs: bd09\ncategories:\n  路边垃圾: ZF008\n  乱扔垃圾: null\n", encoding="utf-8")
    sheet = SHEET.replace("乱扔垃圾", "路边垃圾", 1) + "N4,2026-11-03,乱扔垃圾,x,y,,,\n"
    reports, [bad] = run("generic_csv", sheet.encode(), filename="sheet.csv", mapping=path)
    assert [r.item_code for r in reports] == ["ZF008", "ZF005", "ZF024"]
    assert reports[0].point.crs == "bd09" and reports[2].point.crs == "bd09"  # no crs column mapped
    assert bad.reason == "unmapped category: 乱扔垃圾"


def test_without_id_and_time_columns_the_content_and_arrival_stand_in(run, arrived):
    sheet = "类别,地点\n小广告,凤山路\n小广告,三秀路\n小广告,凤山路\n"
    reports, [again] = run("generic_csv", sheet.encode(), filename="s.csv",
                           mapping={"category": "类别", "address": "地点"})
    assert [r.received_at for r in reports] == [arrived, arrived]
    assert reports[0].external_id.startswith("sha1:") and reports[0].external_id != reports[1].external_id
    assert again.reason == "same content as s.csv row 2: sent twice"


def test_a_mapped_column_missing_from_the_file_refuses_it_whole(run):
    _, [refused] = run("generic_csv", "类别,地点\n小广告,凤山路\n".encode(), filename="s.csv",
                       mapping={"category": "类别", "address": "地点", "reporter_name": "上报人"})
    assert refused.reason.startswith("missing required column 上报人: the header row (s.csv row 1)")


@pytest.mark.parametrize(("mapping", "message"), [
    (None, "generic_csv needs a column mapping"),
    ({"category": "类别", "address": "地点", "colour": "颜色"}, "unknown field(s) in the column mapping: colour"),
    ({"address": "地点"}, "the column mapping has no category column"),
    ({"category": "类别"}, "the column mapping has no location"),
    ({"category": "类别", "lon": "东经"}, "the column mapping names lon without lat"),
    ({"category": "类别", "address": 3}, "the column for address must be a header name, not 3"),
    ({"columns": {"category": "类别", "address": "地点"}, "crs": "bd09mc"}, "crs of the column mapping: unknown"),
    ({"columns": {"category": "类别", "address": "地点"}, "categories": {"x": "ZF999"}}, "'x' maps to 'ZF999'"),
    ({"columns": {"category": "类别", "address": "地点"}, "sheet": 2}, "unknown key(s) in the column mapping: sheet"),
    (["category"], "a column mapping is a dict"),
])
def test_wrong_mappings_are_refused_before_reading(mapping, message):
    with pytest.raises(MappingError) as caught:
        parse("generic_csv", b"irrelevant", filename="s.csv", mapping=mapping)
    assert message in str(caught.value)


def test_an_unreadable_mapping_file_is_named(tmp_path):
    with pytest.raises(MappingError, match="cannot read the column mapping"):
        from_mapping(tmp_path / "missing.yaml")


def test_the_sample_mapping_reads(samples):
    channel = from_mapping(samples / "generic_mapping.yaml")
    assert channel.fields["category"] == ("问题类型",) and channel.default_crs == "wgs84"
    assert channel.wording["文明用语不规范"] is None
