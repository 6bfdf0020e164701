"""Reading CSV and Excel exports: encodings, header rows, row numbers, and rows or files that cannot be read."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from ingest.tables import decode

HEADER = "工单编号,来电时间,来电号码,来电人,诉求类型,诉求内容,事发地址,紧急程度"
ROWS = [
    "TA-001,2026/11/3 14:05,13812345678,张三丰,占道经营,凤山路有人摆摊卖水果,同安区大同街道凤山路54号,特急",
    "TA-002,2026-11-03 15:10,0592-7123456,匿名,噪音扰民,广场舞音响太吵,祥平街道陆丰三路128号,一般",
    'TA-003,2026年11月3日 16:20,,李女士,"城市管理-市容环境-乱堆物料","门口堆放建材,占用人行道",三秀路25号,紧急',
]


def hotline_csv(encoding: str, rows: list[str] = ROWS, header: str = HEADER, newline: str = "\r\n") -> bytes:
    text = newline.join([header, *rows]) + newline
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    if encoding == "utf-16":  # Excel's "Unicode text": UTF-16 LE with BOM, tab-separated
        cells = csv.reader(io.StringIO(text, newline=""))
        out = io.StringIO()
        csv.writer(out, delimiter="\t", lineterminator=newline).writerows(cells)
        return out.getvalue().encode("utf-16")
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_every_encoding_gives_the_same_reports(encoding, run):
    reports, quarantined = run("hotline_12345", hotline_csv(encoding), filename="orders.csv")
    assert quarantined == []
    assert [r.external_id for r in reports] == ["TA-001", "TA-002", "TA-003"]
    assert [r.item_code for r in reports] == ["ZF001", "ZF015", "ZF007"]
    assert reports[0].reporter_name == "张三丰" and reports[0].reporter_phone == "13812345678"
    assert reports[1].reporter_name is None and reports[1].reporter_phone == "0592-7123456"
    assert reports[2].description == "门口堆放建材,占用人行道"  # a quoted comma stays in its field
    assert [r.priority for r in reports] == [1, 3, 2]
    assert [r.received_at for r in reports] == [datetime(2026, 11, 3, h, m, tzinfo=UTC)
                                               for h, m in ((6, 5), (7, 10), (8, 20))]
    assert [r.source.row for r in reports] == [2, 3, 4]


def test_decode_prefers_utf8_and_falls_back_to_gb18030():
    assert decode("占道经营".encode()).encoding == "utf-8"
    assert decode("占道经营".encode("gbk")).encoding == "gb18030"
    assert decode("占道经营".encode("utf-8-sig")).text == "占道经营"


def test_title_lines_blank_rows_and_header_aliases(run):
    data = "\n".join([
        "同安区12345工单导出,,,,",
        "导出时间：2026-11-06,,,,",
        "工单号,受理时间,问题分类,问题描述,事发地点",
        "A1,2026-11-03 09:00,小广告,电线杆上贴满小广告,大同街道凤山路",
        ",,,,",
        "",
        "A2,2026-11-03 10:00,乱倒垃圾,空地有人倒垃圾,祥平街道",
    ]).encode()
    reports, quarantined = run("hotline_12345", data, filename="export.csv")
    assert quarantined == []
    assert [(r.external_id, r.source.row, r.item_code) for r in reports] == [("A1", 4, "ZF005"), ("A2", 7, "ZF008")]


def test_semicolon_and_tab_delimiters_are_sniffed(run):
    for delimiter in (";", "\t", "|"):
        data = hotline_csv("utf-8").decode().replace(",", delimiter).encode()
        data = data.replace(f"建材{delimiter}占用".encode(), "建材，占用".encode())
        reports, quarantined = run("hotline_12345", data, filename="orders.csv")
        assert len(reports) == 3 and not quarantined, delimiter


def test_a_gbk_row_in_a_utf8_file_is_quarantined_with_its_bytes(run):
    good = hotline_csv("utf-8", ROWS[:2])
    bad_row = "TA-009,2026-11-03 11:00,,王五,占道经营,门口摆摊,新民街道".encode("gbk") + b"\r\n"
    reports, [bad] = run("hotline_12345", good + bad_row, filename="mixed.csv")
    assert [r.external_id for r in reports] == ["TA-001", "TA-002"]
    assert bad.source.row == 4 and bad.external_id == "TA-009"
    assert bad.reason == "undecodable bytes in 来电人 (not valid UTF-8: a row pasted from another encoding?)"
    header, row, _ = bad.raw.split(b"\r\n")
    assert row + b"\r\n" == bad_row and header.decode() == HEADER
    assert bad.content_type == "text/csv; charset=utf-8"


def test_an_unclosed_quote_that_swallows_rows_is_named(run):
    rows = [ROWS[0], 'TA-005,2026-11-03 12:00,,赵六,占道经营,"他说别管,门口摆摊,凤山路,一般', ROWS[1], ROWS[2]]
    reports, quarantined = run("hotline_12345", hotline_csv("utf-8", rows), filename="broken.csv")
    assert [r.external_id for r in reports] == ["TA-001"]
    [swallowed] = quarantined
    assert swallowed.source.row == 3
    assert swallowed.reason.startswith("an unclosed quote in 诉求内容 swallows the next 2 line(s) of the file")


def test_missing_required_column_refuses_the_file_whole(run):
    header = "工单编号,来电时间,诉求内容,事发地址"
    data = hotline_csv("utf-8", ["X1,2026-11-03 09:00,摆摊,凤山路"], header=header)
    reports, [refused] = run("hotline_12345", data, filename="no_category.csv")
    assert reports == []
    assert refused.source.row is None and refused.raw == data and refused.content_type == "text/csv"
    assert refused.reason == ("missing required column 诉求类型: the header row (no_category.csv row 1) has "
                              "工单编号、来电时间、诉求内容、事发地址")
    assert refused.describe().startswith("no_category.csv: missing required column")


def test_a_file_without_any_known_header_is_refused_whole(run):
    data = b"name,age\nalice,3\n"
    _, [refused] = run("hotline_12345", data, filename="people.csv")
    assert refused.reason == ("no header row: none of the first 10 rows of people.csv names this channel's columns "
                              "(工单编号、来电时间、诉求类型、事发地址)")


def test_empty_file_is_refused_whole(run):
    _, [refused] = run("hotline_12345", b"", filename="empty.csv")
    assert refused.reason.startswith("no header row")


def workbook(*sheets: tuple[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_cells_keep_their_types(run):
    data = workbook(("说明", [["只是一张说明"]]), ("Sheet1", [
        ["工单编号", "来电时间", "来电号码", "诉求类型", "事发地址", "紧急程度"],
        [20261103001, datetime(2026, 11, 3, 14, 5), 13812345678, "小广告", "凤山路", 1],
        [20261103002, 46329.5868055556, 13812345678.0, "占道经营", "三秀路", None],
        [None, None, None, None, None, None],
        ["", "2026-11-03 14:05", None, "暴露垃圾", None, "紧急"],
    ]))
    reports, [bad] = run("hotline_12345", data, filename="orders.xlsx")
    assert [r.external_id for r in reports] == ["20261103001", "20261103002"]
    assert all(r.received_at == datetime(2026, 11, 3, 6, 5, tzinfo=UTC) for r in reports)
    assert [r.reporter_phone for r in reports] == ["13812345678", "13812345678"]
    assert [r.priority for r in reports] == [1, None]
    assert reports[0].source.sheet == "Sheet1" and reports[0].source.row == 2
    assert reports[0].raw["来电时间"] == "2026-11-03T14:05:00"
    assert bad.source.row == 5 and bad.reason == "missing required field 工单编号; missing required field 事发地址"
    assert bad.content_type.startswith("application/json") and b'"\xe6\x9a\xb4\xe9\x9c\xb2' in bad.raw


def test_a_file_that_is_not_a_workbook_is_refused_whole(run):
    _, [refused] = run("hotline_12345", b"PK\x03\x04 not really a zip", filename="orders.xlsx")
    assert refused.reason.startswith("not a readable .xlsx workbook (BadZipFile:")
    _, [legacy] = run("hotline_12345", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), filename="orders.xls")
    assert legacy.reason == "a legacy .xls workbook: save it as .xlsx or CSV"


def test_workbook_without_a_header_names_the_sheet(run):
    data = workbook(("数据", [["a", "b"], [1, 2]]))
    _, [refused] = run("hotline_12345", data, filename="orders.xlsx")
    assert "orders.xlsx sheet 数据" in refused.reason and refused.reason.startswith("no header row")
