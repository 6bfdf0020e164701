"""Personal data: reporter names and phones kept whole, masked in every display view — also inside text."""

from __future__ import annotations

import doctest
import json

import pytest

import ingest.privacy
from ingest.privacy import is_plausible_phone, mask_name, mask_phone, mask_text, reporter_name, reporter_phone


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("李", "*"), ("Li Ming", "L******"), (None, None),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"),
    ("0592-7123456", "0592-***3456"),
    ("05927123456", "059****3456"),
    ("010-12345678", "010-****5678"),
    ("12345", "***45"),
    ("110", "*10"),
    (None, None),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("given", "kept"), [
    ("+86 138 1234 5678", "13812345678"), ("0086-13812345678", "13812345678"), ("138-1234-5678", "13812345678"),
    ("（0592）7123456", "05927123456"), ("0592-7123456", "0592-7123456"), ("  ", None), ("未留", None),
    ("1.38123E+10", "1.38123E+10"),
])
def test_phone_as_dialled(given, kept):
    assert reporter_phone(given) == kept


def test_plausible_phones():
    assert all(map(is_plausible_phone, ["13812345678", "0592-7123456", "05927123456", "12345", "0592-7123456-801"]))
    assert not any(map(is_plausible_phone, ["1.38123E+10", "12812345678", "138123456789", "电话"]))


@pytest.mark.parametrize("anonymous", ["匿名", "未留名", "市民", " 无 ", "不详", "-"])
def test_anonymous_markers_are_no_name(anonymous):
    assert reporter_name(anonymous) is None


def test_mask_text_masks_numbers_and_names_in_a_complaint():
    text = "来电人张三丰称，请回电13812345678或0592-7123456，张三丰本人在家"
    assert mask_text(text, "张三丰") == "来电人张**称，请回电138****5678或0592-***3456，张**本人在家"
    assert mask_text("工单编号20261103000123，凤山路54号") == "工单编号20261103000123，凤山路54号"


def test_report_masked_view_hides_personal_data_everywhere(run):
    csv = ("工单编号,来电时间,来电号码,来电人,诉求类型,诉求内容,事发地址\n"
           "A1,2026-11-03 09:00,+86 138 1234 5678,张三丰,小广告,张三丰反映：请回电13812345678,凤山路54号\n")
    [report], _ = run("hotline_12345", csv.encode(), filename="a.csv")
    assert (report.reporter_name, report.reporter_phone) == ("张三丰", "13812345678")  # stored whole
    view = report.masked()
    assert (view.reporter_name, view.reporter_phone) == ("张**", "138****5678")
    assert view.description == "张**反映：请回电138****5678"
    shown = json.dumps(view.to_dict(), ensure_ascii=False)
    assert "张三丰" not in shown and "1234 5678" not in shown and "12345678" not in shown
    assert view.raw["来电号码"] == "138****5678" and view.raw["来电人"] == "张**"
    assert report.raw["来电人"] == "张三丰"  # the original stays untouched


def test_masked_view_of_numeric_phone_cells():
    from ingest.report import _mask_payload

    assert _mask_payload({"电话": 13812345678, "n": 3}, None, "13812345678") == {"电话": "138****5678", "n": 3}


def test_doctests():
    assert doctest.testmod(ingest.privacy).failed == 0
