"""What each adapter reads beyond its sample file: alternative shapes, keys and spellings of its channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ingest.report import Point


def jsonb(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


# ------------------------------------------------------------------------------------------------ 12319

DCM_HEADER = "案卷号,上报时间,案件类型,大类代码,小类代码,X坐标,Y坐标,位置描述,监督员,监督员编号,照片\n"


def test_dcm_code_spellings(run):
    rows = [
        "C1,2026-11-03 09:00,事件,05,04,616350.1,2736635.2,凤山路54号,陈建平(JD0213),,",
        "C2,2026-11-03 09:00,事件类,5,0504,616350.1,2736635.2,凤山路54号,陈建平（JD0213）,,",
        "C3,2026-11-03 09:00,部件,04 园林绿化,02 行道树,,,环城西路148号,林秀英,JD0007,a.jpg",
    ]
    reports, quarantined = run("dcm_12319", (DCM_HEADER + "\n".join(rows)).encode(), filename="dcm.csv")
    assert quarantined == []
    assert [r.item_code for r in reports] == ["ZF002", "ZF002", "ZF022"]
    assert [r.category for r in reports] == ["事件 05-04 店外经营", "事件 05-04 店外经营", "部件 04-02 行道树"]
    assert [(r.reporter_name, r.reporter_id) for r in reports] == [("陈建平", "JD0213"), ("陈建平", "JD0213"),
                                                                   ("林秀英", "JD0007")]
    assert reports[2].point is None and reports[2].address == "环城西路148号"
    assert reports[2].notes == ('media entry "a.jpg" is not a link: left out (kept in the raw payload)',)


def test_dcm_reports_every_problem_of_a_record_at_once(run):
    row = "C9,,事件,05,99,616350.1,abc,,张三,,\n"
    _, [bad] = run("dcm_12319", (DCM_HEADER + row).encode(), filename="dcm.csv")
    assert bad.reason == ('missing required field 上报时间; unknown channel code: 事件 05-99 (大类 05 街面秩序 has no '
                          '小类 99 in the 12319 code table); coordinates not numbers: X坐标=\"616350.1\", Y坐标=\"abc\"')


def test_dcm_accepts_json_with_the_same_keys(run):
    case = {"案卷号": 2026110300001, "上报时间": "2026-11-03 09:00:00", "案件类型": "事件", "大类代码": "03",
            "小类代码": "02", "X坐标": 616350.1, "Y坐标": 2736635.2, "单元网格": "350212001002001"}
    [report], _ = run("dcm_12319", jsonb([case]), filename="push.json")
    assert report.external_id == "2026110300001" and report.item_code == "ZF013"
    assert report.point == Point(616350.1, 2736635.2, "EPSG:4548") and report.cell_code == "350212001002001"


# ---------------------------------------------------------------------------------------------- grid worker


def test_grid_worker_flat_and_chinese_keys(run):
    flat = {"id": "G1", "reported_at": 1793772300000, "category": "乱堆乱放", "lon": "118.152", "lat": "24.731",
            "crs": "GCJ-02", "worker_id": "WG1", "worker_name": "林秀英", "photos": "https://a/1.jpg; https://a/2.jpg",
            "urgent": True, "cell_code": "3502120010020"}
    chinese = {"上报编号": "G2", "上报时间": "2026年11月4日 09:05", "问题类型": "暴露垃圾", "经度": 118.15, "纬度": 24.73,
               "坐标系": "百度", "网格员": "陈丽"}
    reports, quarantined = run("grid_worker", jsonb({"records": [flat, chinese]}), filename="wg.json")
    assert quarantined == []
    first, second = reports
    assert first.received_at == datetime(2026, 11, 4, 6, 5, tzinfo=UTC)  # epoch milliseconds
    assert first.point == Point(118.152, 24.731, "gcj02") and first.priority == 1
    assert first.media == ("https://a/1.jpg", "https://a/2.jpg")
    assert first.cell_code is None
    assert first.notes == ('grid code "3502120010020" is not a 15-digit cell code: the locator places the report '
                           "instead",)
    assert (first.reporter_id, first.reporter_name) == ("WG1", "林秀英")
    assert second.point == Point(118.15, 24.73, "bd09") and second.item_code == "ZF008"


def test_grid_worker_single_object_message(run):
    message = {"id": "G3", "reported_at": "2026-11-03T09:00:00+08:00", "category": "飞线充电",
               "location": {"lng": 118.15, "latitude": 24.73, "coord_type": "wgs84"}}
    [report], _ = run("grid_worker", jsonb(message), filename="message")
    assert report.point == Point(118.15, 24.73, "wgs84") and report.source.row == 1


# ---------------------------------------------------------------------------------------------------- 110


def test_police_csv_with_chinese_headers_and_default_bd09(run):
    csv = ("分流单号,警情编号,接警时间,分流时间,警情类别,报警内容,报警人,报警电话,发案地址,经度,纬度\n"
           "F1,J1,2026-11-03 21:47:10,,噪音扰民,楼下KTV太吵,王建国,13859201234,凤山路54号,118.16,24.74\n")
    [report], _ = run("police_110", csv.encode("gbk"), filename="110.csv")
    assert report.received_at == datetime(2026, 11, 3, 13, 47, 10, tzinfo=UTC)  # no 分流时间: 接警时间
    assert report.point == Point(118.16, 24.74, "bd09") and report.item_code == "ZF015"
    assert report.raw["警情编号"] == "J1"


def test_police_envelope_nested_under_data(run):
    body = {"code": 200, "message": "ok", "data": {"total": 1, "rows": [
        {"transfer_no": "F2", "transfer_time": "2026-11-03 22:00", "category": "占道经营", "address": "三秀路"}]}}
    [report], _ = run("police_110", jsonb(body), filename="push.json")
    assert report.external_id == "F2" and report.point is None and report.address == "三秀路"


# ------------------------------------------------------------------------------------------------- patrol


def test_patrol_item_names_accuracy_and_declared_crs(run):
    findings = [
        {"finding_id": "P1", "found_at": "2026-11-03T10:21:05+08:00", "item_code": "露天烧烤",
         "gps": {"lon": 118.147, "lat": 24.729, "accuracy": 120}},
        {"finding_id": "P2", "submitted_at": "2026-11-03T10:30:00+08:00", "item": "ZF010",
         "gps": {"lon": 118.147, "lat": 24.729, "crs": "gcj02"}, "priority": "2"},
    ]
    first, second = run("patrol", jsonb(findings), filename="p.json")[0]
    assert first.item_code == second.item_code == "ZF010"
    assert first.received_at == first.occurred_at == datetime(2026, 11, 3, 2, 21, 5, tzinfo=UTC)
    assert first.notes == ("GPS accuracy 120 m: the position may be off by more than one grid cell",)
    assert first.point.crs == "wgs84" and second.point.crs == "gcj02" and second.priority == 2


# ------------------------------------------------------------------------------------------------ 12345


def test_hotline_unknown_urgency_wording_keeps_the_report_with_a_note(run):
    csv = "工单编号,来电时间,诉求类型,事发地址,紧急程度\nH1,2026-11-03 09:00,小广告,凤山路,十万八千里急\n"
    [report], _ = run("hotline_12345", csv.encode(), filename="h.csv")
    assert report.priority is None
    assert report.notes == ('priority "十万八千里急" is not a known wording: the item\'s default applies',)


def test_hotline_id_mangled_by_a_spreadsheet_is_refused(run):
    csv = "工单编号,来电时间,诉求类型,事发地址\n2.02611E+13,2026-11-03 09:00,小广告,凤山路\n"
    _, [bad] = run("hotline_12345", csv.encode(), filename="h.csv")
    assert bad.reason == ('工单编号 "2.02611E+13" was mangled by a spreadsheet (scientific notation): the digits '
                          "are lost")
